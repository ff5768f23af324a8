"""Chats and their members: users, groups and supergroups, members' statuses and an
administrator's rights, chat_member updates as they change, bans and unbans."""

from __future__ import annotations

from tests.fakes.telegram import chat_payloads, wire
from tests.fakes.telegram.state import ADMINS, MEMBER_STATUSES, PRESENT, Method, bad
from tests.fakes.telegram.updates import Updates
from tests.fakes.telegram.wire import JSON


class Chats(Updates):
    """Users, chats and members, and the Bot API methods on them."""

    def _methods(self) -> list[Method]:
        return [
            *super()._methods(),
            ("banChatMember", self._ban_chat_member),
            ("unbanChatMember", self._unban_chat_member),
            ("getChatMember", self._get_chat_member),
            ("getChatAdministrators", self._get_chat_administrators),
            ("getChatMemberCount", self._get_chat_member_count),
            ("getChat", self._get_chat),
        ]

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = "en",
        is_bot: bool = False,
        is_premium: bool = False,
        last_name: str | None = None,
    ) -> JSON:
        """A Telegram account; its private chat with the bot exists implicitly (id = user id)
        and counts as started unless the id is put in `not_started`."""
        self._users[user_id] = chat_payloads.user(
            user_id,
            first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
            is_bot=is_bot,
            is_premium=is_premium,
        )
        return self._users[user_id]

    def add_chat(
        self, chat_id: int, title: str, *, kind: str = "supergroup", is_forum: bool = False
    ) -> JSON:
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(f"chat kind {kind!r}: group, supergroup or channel")
        self._chats[chat_id] = chat_payloads.group_chat(chat_id, title, kind, is_forum=is_forum)
        self._topics.setdefault(chat_id, set())
        return self._chats[chat_id]

    def set_member(
        self, chat_id: int, user_id: int, status: str = "member", *, withheld: tuple[str, ...] = ()
    ) -> None:
        """Set a status silently (no chat_member update; see `change_member`). An
        administrator has every right but those `withheld` ("can_delete_messages", ...)."""
        if withheld and status != "administrator":
            raise ValueError("only an administrator's rights can be withheld")
        self._set_status(chat_id, user_id, status)
        self._withheld[(chat_id, user_id)] = frozenset(withheld)

    def member_status(self, chat_id: int, user_id: int) -> str:
        if chat_id not in self._chats:
            return "member" if chat_id == user_id and user_id in self._users else "left"
        return self._members.get((chat_id, user_id), ("left", 0))[0]

    async def change_member(
        self,
        chat_id: int,
        user_id: int,
        status: str,
        *,
        by: int | None = None,
        invite_link: JSON | None = None,
    ) -> None:
        """A status change as it happens (joins, leaves, promotions): a chat_member update
        (my_chat_member when it is the bot). `by` is who did it (default: the user)."""
        await self._change_status(chat_id, user_id, status, by or user_id, invite_link=invite_link)

    def _set_status(self, chat_id: int, user_id: int, status: str, until: int = 0) -> None:
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status {status!r}: one of {MEMBER_STATUSES}")
        self._user(user_id)
        if chat_id not in self._chats:
            raise LookupError(f"no group chat {chat_id}; add_chat() first")
        self._members[(chat_id, user_id)] = (status, until)
        if status == "kicked":
            self.bans.add((chat_id, user_id))
        else:
            self.bans.discard((chat_id, user_id))

    def _member(self, chat_id: int, user_id: int) -> JSON:
        status, until = self._members.get((chat_id, user_id), ("left", 0))
        if chat_id not in self._chats:
            status = "member"
        member = chat_payloads.chat_member(self._users[user_id], status, until_date=until)
        if status == "administrator":
            member.update(dict.fromkeys(self._withheld.get((chat_id, user_id), ()), False))
        return member

    def _is_admin(self, chat_id: int, user_id: int) -> bool:
        return chat_id not in self._chats or self.member_status(chat_id, user_id) in ADMINS

    def _has_right(self, chat_id: int, user_id: int, right: str) -> bool:
        """Administrators have the rights they were not refused; the creator has them all."""
        status = self.member_status(chat_id, user_id)
        if status == "administrator":
            return right not in self._withheld.get((chat_id, user_id), frozenset())
        return status == "creator"

    def _admin_gate(self, chat_id: int) -> str | None:
        return None if self._is_admin(chat_id, self.BOT_ID) else "the bot is not an administrator"

    def _require_present(self, chat_id: int, user_id: int) -> None:
        self._user(user_id)
        if chat_id in self._chats and self.member_status(chat_id, user_id) not in PRESENT:
            raise ValueError(
                f"user {user_id} is {self.member_status(chat_id, user_id)} in chat {chat_id};"
                " set_member() first"
            )

    def _require_bot_admin(self, chat_id: int, description: str) -> None:
        if chat_id not in self._chats:
            raise bad("method is available for supergroup and channel chats only")
        if not self._is_admin(chat_id, self.BOT_ID):
            raise bad(description)

    async def _change_status(
        self,
        chat_id: int,
        user_id: int,
        status: str,
        actor: int,
        *,
        invite_link: JSON | None = None,
        via_join_request: bool = False,
        until: int = 0,
    ) -> None:
        old = self._member(chat_id, user_id)
        self._set_status(chat_id, user_id, status, until)
        new = self._member(chat_id, user_id)
        if old == new:
            return
        change: JSON = {
            "chat": self._chat(chat_id),
            "from": self._user(actor),
            "date": self._now(),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        if invite_link is not None:
            change["invite_link"] = invite_link
        if via_join_request:
            change["via_join_request"] = True
        if user_id == self.BOT_ID:
            await self._emit("my_chat_member", change)
        else:
            await self._emit("chat_member", change, blocked=self._admin_gate(chat_id))

    async def _ban_chat_member(self, params: JSON) -> bool:
        chat_id = self._api_chat(params)
        self._require_bot_admin(chat_id, "not enough rights to restrict/ban chat member")
        user_id = self._api_user(params)
        status = self.member_status(chat_id, user_id)
        if user_id == self.BOT_ID:
            raise bad("can't remove self")
        if status == "creator":
            raise bad("can't remove chat owner")
        if status == "administrator":
            raise bad("user is an administrator of the chat")
        until = wire.as_int(params.get("until_date", 0) or 0, "until_date")
        if until and not 30 <= until - self._now() <= 366 * 86400:
            until = 0  # "less than 30 seconds or more than 366 days: banned forever"
        await self._change_status(chat_id, user_id, "kicked", self.BOT_ID, until=until)
        return True

    async def _unban_chat_member(self, params: JSON) -> bool:
        chat_id = self._api_chat(params)
        self._require_bot_admin(chat_id, "not enough rights to restrict/ban chat member")
        user_id = self._api_user(params)
        status = self.member_status(chat_id, user_id)
        if status in ADMINS:
            raise bad("user is an administrator of the chat")
        if status == "kicked" or (
            status in PRESENT and not wire.as_bool(params.get("only_if_banned", False))
        ):
            await self._change_status(chat_id, user_id, "left", self.BOT_ID)
        return True

    async def _get_chat_member(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        user_id = self._api_user(params)
        if chat_id not in self._chats and chat_id != user_id:
            raise bad("user not found")
        return self._member(chat_id, user_id)

    async def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat_id = self._api_chat(params)
        if chat_id not in self._chats:
            raise bad("there are no administrators in the private chat")
        return [
            self._member(chat_id, user_id)
            for (cid, user_id), (status, _) in self._members.items()
            if cid == chat_id and status in ADMINS
        ]

    async def _get_chat_member_count(self, params: JSON) -> int:
        chat_id = self._api_chat(params)
        if chat_id not in self._chats:
            return 2
        return sum(
            1
            for (cid, _), (status, _) in self._members.items()
            if cid == chat_id and status in PRESENT
        )

    async def _get_chat(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        chat = self._chat(chat_id)
        join_by_request = any(
            link["creates_join_request"] and cid == chat_id for cid, link in self._links.values()
        )
        return chat_payloads.chat_full_info(chat, join_by_request=join_by_request)
