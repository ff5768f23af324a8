"""The bot's command menus: set per scope and language, and resolved the way Telegram shows them
to a user in a chat."""

from __future__ import annotations

from tests.fakes.telegram import wire
from tests.fakes.telegram.chats import Chats
from tests.fakes.telegram.state import ADMINS, ApiError, Method, bad
from tests.fakes.telegram.wire import JSON


class Commands(Chats):
    """setMyCommands and friends, and what a user sees of them."""

    def _methods(self) -> list[Method]:
        return [
            *super()._methods(),
            ("setMyCommands", self._set_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("getMyCommands", self._get_my_commands),
        ]

    def visible_commands(self, user_id: int, chat_id: int | None = None) -> list[JSON]:
        """The command list Telegram shows `user_id` in `chat_id` (None: the private chat),
        resolved through scopes and languages as documented under "Determining list of
        commands": the first non-empty list wins."""
        language = self._users[user_id].get("language_code", "")[:2]
        in_private = chat_id is None or chat_id == user_id
        if in_private:
            scopes: list[JSON] = [
                {"type": "chat", "chat_id": user_id},
                {"type": "all_private_chats"},
            ]
        else:
            assert chat_id is not None
            admin = self.member_status(chat_id, user_id) in ADMINS
            scopes = [{"type": "chat_member", "chat_id": chat_id, "user_id": user_id}]
            if admin:
                scopes.append({"type": "chat_administrators", "chat_id": chat_id})
            scopes.append({"type": "chat", "chat_id": chat_id})
            if admin:
                scopes.append({"type": "all_chat_administrators"})
            scopes.append({"type": "all_group_chats"})
        scopes.append({"type": "default"})
        for scope in scopes:
            for lang in (language, ""):
                commands = self.my_commands.get((wire.canonical_json(scope), lang))
                if commands:
                    return commands
        return []

    def _commands_key(self, params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict):
            raise bad("can't parse BotCommandScope JSON object")
        kind = scope.get("type")
        needs = {
            "default": (),
            "all_private_chats": (),
            "all_group_chats": (),
            "all_chat_administrators": (),
            "chat": ("chat_id",),
            "chat_administrators": ("chat_id",),
            "chat_member": ("chat_id", "user_id"),
        }
        if kind not in needs or set(scope) != {"type", *needs[kind]}:
            raise bad("unsupported BotCommandScope type")
        scope = dict(scope)
        for key in needs[kind]:
            scope[key] = self._api_chat(scope, key) if key == "chat_id" else self._api_user(scope)
        if kind in ("chat_administrators", "chat_member") and scope["chat_id"] not in self._chats:
            raise bad("chat not found")  # group scopes need a group
        language = str(params.get("language_code") or "")
        if not wire.valid_language(language):
            raise bad("invalid language code specified")
        return wire.canonical_json(scope), language

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        problem = wire.check_commands(commands)
        if problem:
            raise ApiError(400, problem)
        key = self._commands_key(params)
        if commands:
            self.my_commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.my_commands.pop(key, None)
        return True

    async def _delete_my_commands(self, params: JSON) -> bool:
        self.my_commands.pop(self._commands_key(params), None)
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.my_commands.get(self._commands_key(params), [])
