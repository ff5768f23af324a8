"""Interactions: a user presses a button or submits a modal, and the bot answers - once, within
the deadline - then follows up or edits its answer through the interaction's webhook."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.discord import interaction_payloads, wire
from tests.fakes.discord.messages import Messages
from tests.fakes.discord.state import ApiError, RecordedCall, Route
from tests.fakes.discord.wire import JSON
from tests.fakes.recording import wait_until

MODAL_COMPONENT_LIMIT = 5


@dataclass
class InteractionResult:
    """The initial response to an interaction, then follow-ups as they arrive."""

    type: int  # 4 message, 5 deferred, 6 deferred update, 7 update, 9 modal
    content: str | None
    flags: int
    allowed_mentions: dict[str, Any] | None
    components: list[Any]
    embeds: list[Any]
    modal: dict[str, Any] | None
    choices: list[JSON] | None  # autocomplete answers (type 8)
    interaction_id: int
    token: str
    message: JSON | None = None  # the message the response created or updated, if any
    # Each follow-up is the payload the bot sent plus "id" (message id) and "method":
    # POST webhooks/{app}/{token} or PATCH webhooks/{app}/{token}/messages/{id|@original}.
    followups: list[JSON] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition, repr=False)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & wire.EPHEMERAL)

    async def wait_followups(self, n: int = 1, timeout: float = 5.0) -> list[JSON]:  # noqa: ASYNC109
        """All follow-ups once at least `n` have arrived."""
        await wait_until(
            self._changed,
            lambda: len(self.followups) >= n,
            timeout=timeout,
            on_timeout=lambda: f"wanted {n} follow-ups, got {self.followups}",
        )
        return list(self.followups)

    async def _add_followup(self, followup: JSON) -> None:
        async with self._changed:
            self.followups.append(followup)
            self._changed.notify_all()


@dataclass
class PendingInteraction:
    payload: JSON
    user_id: int
    channel_id: int
    created: float
    done: asyncio.Future[InteractionResult]
    component_message_id: int | None = None
    original_id: int | None = None  # what webhooks/.../messages/@original refers to
    result: InteractionResult | None = None


class Interactions(Messages):
    """Interactions sent to the bot, and the bot's answers to them."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback, False),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup, False),
            (
                "GET PATCH DELETE",
                r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)",
                self._hook_msg,
                False,
            ),
        ]

    async def press_button(
        self,
        user_id: int,
        custom_id: str,
        *,
        message_id: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Click a button on a bot message (the newest one carrying `custom_id` by default)."""
        candidates = [self._by_id[message_id]] if message_id in self._by_id else []
        if message_id is None:
            candidates = [
                m
                for m in reversed(self._by_id.values())
                if interaction_payloads.find_component(m["components"], custom_id)
            ]
        if (
            not candidates
            or (
                component := interaction_payloads.find_component(
                    candidates[0]["components"], custom_id
                )
            )
            is None
        ):
            raise LookupError(f"no message {message_id or ''} with a component {custom_id!r}")
        message = candidates[0]
        data = {"custom_id": custom_id, "component_type": component["type"]}
        channel_id = int(message["channel_id"])
        payload = self._interaction(3, user_id, channel_id, locale, data, message=message)
        return await self._run(payload, user_id, channel_id, int(message["id"]), timeout)

    async def submit_modal(
        self,
        user_id: int,
        custom_id: str,
        values: Mapping[str, str],
        *,
        locale: str = "en-US",
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Submit the modal the bot last opened for `user_id` with this custom_id."""
        modal, origin = self._modals.get(custom_id, ({}, None))
        if origin is None or origin.user_id != user_id:
            raise LookupError(f"the bot opened no modal {custom_id!r} for user {user_id}")
        unknown = set(values) - {
            c["custom_id"] for c in interaction_payloads.walk(modal["components"]) if c["type"] == 4
        }
        if unknown:
            raise ValueError(f"modal {custom_id!r} has no text inputs {sorted(unknown)}")
        data = {
            "custom_id": custom_id,
            "components": interaction_payloads.modal_submission(modal["components"], values),
        }
        message = origin.payload.get("message")
        payload = self._interaction(5, user_id, origin.channel_id, locale, data, message=message)
        return await self._run(
            payload, user_id, origin.channel_id, origin.component_message_id, timeout
        )

    def _interaction(
        self,
        kind: int,
        user_id: int,
        channel_id: int,
        locale: str,
        data: JSON,
        *,
        message: JSON | None = None,
    ) -> JSON:
        channel = self._channels[channel_id]
        in_guild = "guild_id" in channel
        if in_guild and user_id not in self._members:
            raise LookupError(f"user {user_id} is not a member of the guild")
        return interaction_payloads.interaction(
            interaction_id=self._snowflake(),
            kind=kind,
            application_id=self.application_id,
            channel=channel,
            data=data,
            token=secrets.token_urlsafe(48),
            locale=locale,
            app_permissions=self._permissions(self.bot_user_id),
            user=self._users[user_id],
            member=self._members[user_id] if in_guild else None,
            permissions=self._permissions(user_id) if in_guild else 0,
            message=message,
        )

    async def _run(
        self,
        payload: JSON,
        user_id: int,
        channel_id: int,
        component_message: int | None,
        wait: float,
    ) -> InteractionResult:
        if not any(c.has_guild if "guild_id" in payload else c.ready for c in self._connections):
            raise RuntimeError("no client is connected and ready (await fake.wait_until_ready())")
        loop = asyncio.get_running_loop()
        pending = PendingInteraction(
            payload, user_id, channel_id, loop.time(), loop.create_future(), component_message
        )
        pending.done.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._interactions[payload["token"]] = pending
        await self._dispatch("INTERACTION_CREATE", payload, guild="guild_id" in payload)
        try:
            return await asyncio.wait_for(asyncio.shield(pending.done), wait)
        except TimeoutError:
            if pending.done.done():
                raise  # the bot did answer, after Discord's deadline
            seen = [f"{c.method} {c.path} -> {c.status}" for c in self.calls[-5:]]
            raise TimeoutError(
                f"no interaction response within {wait}s; last calls: {seen}"
            ) from None

    async def _callback(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        pending = self._interactions.get(m[2])
        if pending is None or pending.payload["id"] != m[1]:
            raise ApiError(404, 10062)
        if pending.result is not None:
            raise ApiError(400, 40060)
        if asyncio.get_running_loop().time() - pending.created > self.interaction_deadline:
            # Discord forgets interactions not answered in 3 s; tell the waiting test why.
            late = TimeoutError(f"the bot answered after the {self.interaction_deadline}s deadline")
            if not pending.done.done():
                pending.done.set_exception(late)
            raise ApiError(404, 10062)
        body = call.json or {}
        kind, data, source = (
            int(body.get("type", 0)),
            body.get("data") or {},
            pending.payload["type"],
        )
        if kind not in {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[source]:
            raise ApiError(
                400, 50035, f"Invalid Form Body: response type {kind} for interaction type {source}"
            )
        message: JSON | None = None
        if kind in (4, 5):
            message = self._interaction_message(pending, data, call, loading=kind == 5)
            pending.original_id = int(message["id"])
            await self._dispatch_message("MESSAGE_CREATE", message)  # unless ephemeral
        elif kind in (6, 7):
            pending.original_id = pending.component_message_id
            if kind == 7 and pending.original_id in self._by_id:
                message = self._apply_edit(self._by_id[pending.original_id], data)
                await self._dispatch_message("MESSAGE_UPDATE", message)
        elif kind == 9:
            self._open_modal(data, pending)
        flags = int(data.get("flags") or 0)
        pending.result = result = InteractionResult(
            type=kind,
            content=data.get("content"),
            flags=flags,
            allowed_mentions=data.get("allowed_mentions"),
            components=data.get("components", []),
            embeds=data.get("embeds", []),
            modal=data if kind == 9 else None,
            choices=data.get("choices") if kind == 8 else None,
            interaction_id=int(m[1]),
            token=m[2],
            message=message,
        )
        if not pending.done.done():
            pending.done.set_result(result)
        if call.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        callback: JSON = {"id": m[1], "type": source}
        resource: JSON = {"type": kind}
        if message is not None:
            callback["response_message_id"] = message["id"]
            callback["response_message_loading"] = kind == 5
            callback["response_message_ephemeral"] = bool(message["flags"] & wire.EPHEMERAL)
            resource["message"] = message
        return 200, {"interaction": callback, "resource": resource}

    def _open_modal(self, data: JSON, pending: PendingInteraction) -> None:
        if len(data.get("components", [])) > MODAL_COMPONENT_LIMIT:
            raise ApiError(400, 50035, "Invalid Form Body: a modal holds at most 5 components")
        self._modals[data["custom_id"]] = (data, pending)

    def _interaction_message(
        self, pending: PendingInteraction, body: JSON, call: RecordedCall, *, loading: bool
    ) -> JSON:
        flags = int(body.get("flags") or 0) & ~wire.LOADING | (wire.LOADING if loading else 0)
        metadata = {
            "id": pending.payload["id"],
            "type": pending.payload["type"],
            "user": self._users[pending.user_id],
            "authorizing_integration_owners": pending.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        if pending.payload["type"] == 2:
            metadata["name"] = pending.payload["data"]["name"]
        return self._new_message(
            pending.channel_id,
            self.bot_user_id,
            {} if loading else body,
            files=call.files,
            flags=flags,
            message_type=20 if pending.payload["type"] == 2 else 0,
            webhook_id=self.application_id,
            metadata=metadata,
            check=not loading,
        )

    def _pending(self, m: re.Match[str]) -> PendingInteraction:
        pending = self._interactions.get(m[2])
        if int(m[1]) != self.application_id or pending is None or pending.result is None:
            raise ApiError(404, 10015)  # follow-ups exist only after the initial response
        return pending

    async def _followup(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        pending = self._pending(m)
        assert pending.result is not None
        message = self._interaction_message(pending, call.json or {}, call, loading=False)
        self.messages.setdefault(pending.channel_id, []).append(message)
        await self._dispatch_message("MESSAGE_CREATE", message)
        await pending.result._add_followup(
            {**(call.json or {}), "id": message["id"], "method": "POST"}
        )
        return (200, message) if call.query.get("wait") in ("1", "true", "True") else (204, None)

    async def _hook_msg(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        pending = self._pending(m)
        assert pending.result is not None
        message_id = pending.original_id if m[3] == "@original" else int(m[3])
        message = self._by_id.get(message_id or 0)
        if message is None:
            raise ApiError(404, 10008)
        if call.method == "GET":
            return 200, message
        if call.method == "DELETE":
            await self._delete_message(message)
            return 204, None
        self._apply_edit(message, call.json or {}, files=call.files)
        message["flags"] &= ~wire.LOADING
        await self._dispatch_message("MESSAGE_UPDATE", message)
        await pending.result._add_followup(
            {**(call.json or {}), "id": message["id"], "method": "PATCH"}
        )
        return 200, message
