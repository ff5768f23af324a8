"""Invite links and join requests: links the bot creates and revokes, users who open them or ask
to join, and the requests the bot approves or declines."""

from __future__ import annotations

import secrets

from tests.fakes.telegram import chat_payloads, wire
from tests.fakes.telegram.chats import Chats
from tests.fakes.telegram.state import PRESENT, Method, bad
from tests.fakes.telegram.wire import JSON


class Invites(Chats):
    """Invite links and join requests."""

    def _methods(self) -> list[Method]:
        return [
            *super()._methods(),
            ("createChatInviteLink", self._create_chat_invite_link),
            ("revokeChatInviteLink", self._revoke_chat_invite_link),
            ("approveChatJoinRequest", self._approve_join_request),
            ("declineChatJoinRequest", self._decline_join_request),
        ]

    async def request_join(
        self,
        user_id: int,
        chat_id: int,
        *,
        invite_link: str | None = None,
        bio: str | None = None,
    ) -> None:
        """The user asks to join (a chat_join_request update); with `invite_link`, through that
        link (which must create join requests)."""
        if self.member_status(chat_id, user_id) in PRESENT:
            raise ValueError(f"user {user_id} is already in chat {chat_id}")
        if self.member_status(chat_id, user_id) == "kicked":
            raise ValueError(f"user {user_id} is banned from chat {chat_id}")
        link = None
        if invite_link is not None:
            link = self._usable_link(chat_id, invite_link)
            if not link["creates_join_request"]:
                raise ValueError(f"{invite_link} admits directly; use join_with_link")
        self.join_requests[(chat_id, user_id)] = "pending"
        request: JSON = {
            "chat": self._chat(chat_id),
            "from": self._user(user_id),
            "user_chat_id": user_id,
            "date": self._now(),
        }
        if bio:
            request["bio"] = bio
        if link is not None:
            self._request_links[(chat_id, user_id)] = link
            request["invite_link"] = link
        await self._emit("chat_join_request", request, blocked=self._admin_gate(chat_id))

    async def join_with_link(self, user_id: int, invite_link: str) -> str:
        """The user opens an invite link: "pending" (a join request) or "member" (joined, a
        chat_member update with the link)."""
        chat_id, link = self._links.get(invite_link, (0, None))
        if link is None:
            raise LookupError(f"no invite link {invite_link}")
        if link["creates_join_request"]:
            await self.request_join(user_id, chat_id, invite_link=invite_link)
            return "pending"
        self._usable_link(chat_id, invite_link)
        if self.member_status(chat_id, user_id) in PRESENT:
            raise ValueError(f"user {user_id} is already in chat {chat_id}")
        if self.member_status(chat_id, user_id) == "kicked":
            raise ValueError(f"user {user_id} is banned from chat {chat_id}")
        self._link_uses[invite_link] = self._link_uses.get(invite_link, 0) + 1
        await self.change_member(chat_id, user_id, "member", invite_link=link)
        return "member"

    def _usable_link(self, chat_id: int, url: str) -> JSON:
        link_chat, link = self._links.get(url, (0, None))
        if link is None or link_chat != chat_id:
            raise LookupError(f"no invite link {url} for chat {chat_id}")
        if link["is_revoked"]:
            raise ValueError(f"{url} was revoked")
        if link.get("expire_date") and link["expire_date"] <= self._now():
            raise ValueError(f"{url} expired")
        if link.get("member_limit") and self._link_uses.get(url, 0) >= link["member_limit"]:
            raise ValueError(f"{url} reached its member limit")
        return link

    async def _create_chat_invite_link(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        self._require_bot_admin(chat_id, "CHAT_ADMIN_REQUIRED")
        name = params.get("name")
        if name is not None and len(str(name)) > 32:
            raise bad("invite link name is too long")
        expire = params.get("expire_date")
        if expire is not None and wire.as_int(expire, "expire_date") <= self._now():
            raise bad("EXPIRE_DATE_INVALID")
        limit = params.get("member_limit")
        if limit is not None and not 1 <= wire.as_int(limit, "member_limit") <= 99999:
            raise bad("USAGE_LIMIT_INVALID")
        join_request = wire.as_bool(params.get("creates_join_request", False))
        if join_request and limit is not None:
            raise bad("member limit can't be specified for links requiring administrator approval")
        url = "https://t.me/+" + secrets.token_urlsafe(12)
        link = chat_payloads.invite_link(
            url,
            self._bot,
            creates_join_request=join_request,
            name=None if name is None else str(name),
            expire_date=None if expire is None else wire.as_int(expire, "expire_date"),
            member_limit=None if limit is None else wire.as_int(limit, "member_limit"),
        )
        self.invite_links.append(link)
        self._links[url] = (chat_id, link)
        return link

    async def _revoke_chat_invite_link(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        self._require_bot_admin(chat_id, "CHAT_ADMIN_REQUIRED")
        link_chat, link = self._links.get(str(params.get("invite_link", "")), (0, None))
        if link is None or link_chat != chat_id:
            raise bad("INVITE_HASH_EXPIRED")
        link["is_revoked"] = True
        return link

    def _pending_request(self, params: JSON) -> tuple[int, int]:
        chat_id = self._api_chat(params)
        self._require_bot_admin(chat_id, "CHAT_ADMIN_REQUIRED")
        user_id = self._api_user(params)
        if self.join_requests.get((chat_id, user_id)) != "pending":
            raise bad("HIDE_REQUESTER_MISSING")
        return chat_id, user_id

    async def _approve_join_request(self, params: JSON) -> bool:
        chat_id, user_id = self._pending_request(params)
        self.join_requests[(chat_id, user_id)] = "approved"
        link = self._request_links.pop((chat_id, user_id), None)
        if link is not None:
            self._link_uses[link["invite_link"]] = self._link_uses.get(link["invite_link"], 0) + 1
        await self._change_status(
            chat_id, user_id, "member", self.BOT_ID, invite_link=link, via_join_request=True
        )
        return True

    async def _decline_join_request(self, params: JSON) -> bool:
        chat_id, user_id = self._pending_request(params)
        self.join_requests[(chat_id, user_id)] = "declined"
        self._request_links.pop((chat_id, user_id), None)
        return True
