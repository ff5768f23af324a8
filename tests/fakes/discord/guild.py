"""The guild, its roles and members: users joining and leaving, roles granted and taken (within
Discord's role hierarchy), member lists paged as Discord pages them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tests.fakes.discord import guild_payloads, wire
from tests.fakes.discord.gateway import Gateway
from tests.fakes.discord.state import ApiError, RecordedCall, Route
from tests.fakes.discord.wire import JSON

MEMBERS_PAGE_LIMIT = 1000  # List Guild Members returns at most this many per call


class Guild(Gateway):
    """Users, members and roles, and their REST endpoints."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("GET", r"/users/@me", self._get_me, True),
            ("GET", r"/users/(\d+)", self._get_user, True),
            ("GET", r"/guilds/(\d+)(?:/(channels|roles))?", self._get_guild, True),
            ("GET", r"/guilds/(\d+)/members", self._list_members, True),
            ("GET PATCH", r"/guilds/(\d+)/members/(\d+)", self._member, True),
            ("PUT DELETE", r"/guilds/(\d+)/members/(\d+)/roles/(\d+)", self._member_role, True),
        ]

    def add_user(
        self, user_id: int, username: str, *, roles: Sequence[int] = (), bot: bool = False
    ) -> JSON:
        """Add a guild member silently (no event) and return it, `user` included.

        Like Discord, GUILD_CREATE lists members only for clients with the presences intent;
        others learn of them by chunking (op 8), events, or REST."""
        self._users[user_id] = guild_payloads.user(user_id, username, bot=bot)
        self._members[user_id] = guild_payloads.member(self._users[user_id], roles, self._iso_now())
        return self._members[user_id]

    def member_roles(self, user_id: int) -> list[int]:
        return [int(r) for r in self._members[user_id]["roles"]]

    def _permissions(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return wire.ALL_PERMISSIONS
        value = int(self._roles[self.guild_id]["permissions"])
        for role_id in self.member_roles(user_id):
            value |= int(self._roles[role_id]["permissions"])
        return wire.ALL_PERMISSIONS if value & wire.ADMINISTRATOR else value

    async def join(self, user_id: int, username: str) -> JSON:
        member = self.add_user(user_id, username)
        await self._dispatch(
            "GUILD_MEMBER_ADD", {**member, "guild_id": str(self.guild_id)}, wire.GUILD_MEMBERS
        )
        return member

    async def set_roles_by_hand(self, user_id: int, roles: Sequence[int]) -> None:
        """A moderator edits someone's roles in Discord's own interface."""
        member = self._members[user_id]
        member["roles"] = [str(r) for r in roles]
        await self._dispatch(
            "GUILD_MEMBER_UPDATE", {**member, "guild_id": str(self.guild_id)}, wire.GUILD_MEMBERS
        )

    async def leave(self, user_id: int) -> None:
        member = self._members.pop(user_id)
        data = {"guild_id": str(self.guild_id), "user": member["user"]}
        await self._dispatch("GUILD_MEMBER_REMOVE", data, wire.GUILD_MEMBERS)

    async def _get_me(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        me = {**self._users[self.bot_user_id], "verified": True, "mfa_enabled": False, "flags": 0}
        return 200, {**me, "email": None, "locale": "en-US"}

    async def _get_user(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        if int(m[1]) not in self._users:
            raise ApiError(404, 10013)
        return 200, self._users[int(m[1])]

    async def _get_guild(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        self._guild(m[1])
        if m[2] == "roles":
            return 200, list(self._roles.values())
        if m[2] == "channels":
            return 200, [c for c in self._channels.values() if "guild_id" in c]
        return 200, guild_payloads.guild(
            self.guild_id,
            "knowpay test",
            self.owner_id,
            list(self._roles.values()),
            self.channels["general"],
        )

    def _guild_member(self, guild_id: str, user_id: str) -> JSON:
        self._guild(guild_id)
        if int(user_id) not in self._members:
            raise ApiError(404, 10007)
        return self._members[int(user_id)]

    def _check_assignable(self, role_id: int) -> None:
        if role_id not in self._roles:
            raise ApiError(404, 10011)
        top = max(self._roles[r]["position"] for r in self.member_roles(self.bot_user_id))
        role = self._roles[role_id]
        if role["managed"] or role["position"] >= top or role_id == self.guild_id:
            raise ApiError(403, 50013)  # Discord's role hierarchy

    async def _set_roles(self, member: JSON, roles: list[int]) -> None:
        for role_id in set(roles) ^ {int(r) for r in member["roles"]}:
            self._check_assignable(role_id)
        if [int(r) for r in member["roles"]] != roles:
            member["roles"] = [str(r) for r in roles]
            await self._dispatch(
                "GUILD_MEMBER_UPDATE",
                {**member, "guild_id": str(self.guild_id)},
                wire.GUILD_MEMBERS,
            )

    async def _list_members(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        """List Guild Members: by user id, after `after`, at most `limit` (1-1000, default 1);
        only for applications with the GUILD_MEMBERS privileged intent switched on."""
        self._guild(m[1])
        if not self.privileged_intents & wire.GUILD_MEMBERS:
            raise ApiError(403, 50001)
        limit = int(call.query.get("limit", "1"))
        if not 1 <= limit <= MEMBERS_PAGE_LIMIT:
            raise ApiError(400, 50035)
        after = int(call.query.get("after", "0"))
        ids = sorted(user_id for user_id in self._members if user_id > after)[:limit]
        return 200, [self._members[user_id] for user_id in ids]

    async def _member(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        member = self._guild_member(m[1], m[2])
        body: JSON = call.json or {}
        if call.method == "PATCH":
            member["nick"] = body["nick"] if "nick" in body else member["nick"]
            roles: list[Any] = body["roles"] if "roles" in body else member["roles"]
            await self._set_roles(member, [int(r) for r in roles])
        return 200, member

    async def _member_role(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        member = self._guild_member(m[1], m[2])
        self._check_assignable(int(m[3]))
        roles = [r for r in self.member_roles(int(m[2])) if r != int(m[3])]
        await self._set_roles(member, [*roles, int(m[3])] if call.method == "PUT" else roles)
        return 204, None
