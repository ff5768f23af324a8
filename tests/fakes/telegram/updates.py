"""Updates: queued as users act, dropped when the bot did not allow their type (allowed_updates
is sticky), handed out by getUpdates long polls or pushed to a webhook one at a time."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import types
import urllib.parse
from typing import Any

from tests.fakes.recording import notify, wait_until
from tests.fakes.telegram import wire
from tests.fakes.telegram.state import ApiError, Method, TelegramState, bad
from tests.fakes.telegram.wire import JSON


class Updates(TelegramState):
    """getUpdates, webhooks and the queue of updates they deliver."""

    def _methods(self) -> list[Method]:
        return [
            *super()._methods(),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
        ]

    async def wait_until_polling(self, *, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """A getUpdates long poll is open, so its allowed_updates are in force: updates made
        now reach the bot (avoids racing the first poll after start_polling)."""
        await wait_until(
            self._changed, lambda: self._poll_generation in self._waiting_polls, timeout=timeout
        )

    @property
    def allowed_updates(self) -> frozenset[str]:
        return self._allowed

    async def deliver_webhook(
        self, update: JSON, *, secret_token: str | types.EllipsisType | None = ...
    ) -> int:
        """POST `update` to the webhook as Telegram would; `secret_token` defaults to the one
        registered (pass another to forge one, None to send no header). Returns the status."""
        if self.webhook is None:
            raise RuntimeError("no webhook is set (setWebhook)")
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        token = self.webhook.get("secret_token") if secret_token is ... else secret_token
        assert isinstance(token, str | None)
        status = await self._post_webhook(self.webhook["url"], update, token)
        self.webhook_deliveries.append((update, status))
        return status

    async def _emit(self, kind: str, payload: JSON, *, blocked: str | None = None) -> JSON | None:
        """Queue an update, unless Telegram would not send it (returns None then)."""
        if blocked is None and kind not in self._allowed:
            blocked = f"{kind} is not in allowed_updates"
        if blocked is not None:
            self.dropped_updates.append((blocked, {kind: payload}))
            return None
        update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        self._pending.append(update)
        await notify(self._changed)
        return update

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = wire.as_int(params.get("offset", 0), "offset")
        limit = min(max(wire.as_int(params.get("limit", 100), "limit"), 1), 100)
        timeout = max(float(params.get("timeout", 0) or 0), 0.0)
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        async with self._changed:
            self._changed.notify_all()  # an older long poll ends with 409
            if not self._pending and timeout > 0 and not self._closing:
                self._waiting_polls.append(generation)
                self._changed.notify_all()
                try:
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(
                            lambda: (
                                bool(self._pending)
                                or generation != self._poll_generation
                                or self._closing
                                or self.webhook is not None
                            )
                        )
                except TimeoutError:
                    pass
                finally:
                    self._waiting_polls.remove(generation)
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            )
        if self.webhook is not None:
            return []
        return copy.deepcopy(self._pending[:limit])

    def _set_allowed(self, value: Any) -> None:
        if not isinstance(value, list):
            raise bad("can't parse allowed updates")
        known = [v for v in value if v in wire.ALL_UPDATE_TYPES]
        self._allowed = frozenset(known) if value else wire.DEFAULT_UPDATE_TYPES

    async def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url", ""))
        if not url:
            return await self._delete_webhook(params)
        parsed = urllib.parse.urlsplit(url)
        loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
        if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not wire.SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise bad("secret token contains unallowed characters")
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
        if wire.as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        self.webhook = {
            k: v for k, v in params.items() if k not in ("drop_pending_updates", "certificate")
        }
        self.webhook.setdefault("max_connections", 40)
        self._webhook_error = None
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        self.webhook = None
        if wire.as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook["max_connections"]
            if self._allowed != wire.DEFAULT_UPDATE_TYPES:
                info["allowed_updates"] = sorted(self._allowed)
            if self.webhook.get("ip_address"):
                info["ip_address"] = self.webhook["ip_address"]
            if self._webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _post_webhook(self, url: str, update: JSON, secret_token: str | None) -> int:
        """The status the bot answered; 0 if it could not be reached (Telegram reports that
        in getWebhookInfo)."""
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        return await self._sender.post(url, json.dumps(update), headers)

    async def _webhook_worker(self) -> None:
        """Push queued updates to the webhook one at a time, as Telegram does."""
        while True:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: self._closing or (self.webhook is not None and bool(self._pending))
                )
            if self._closing:
                return
            hook, update = self.webhook, self._pending[0]
            assert hook is not None
            status = await self._post_webhook(hook["url"], update, hook.get("secret_token"))
            self.webhook_deliveries.append((update, status))
            if 200 <= status < 300:
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
                await notify(self._changed)
                continue
            reason = (
                f"Wrong response from the webhook: {status}" if status else "Connection refused"
            )
            self._webhook_error = (self._now(), reason)
            await self._webhook_backoff(hook)

    async def _webhook_backoff(self, hook: JSON) -> None:
        """Wait before redelivering, unless the webhook changes or the fake stops."""
        with contextlib.suppress(TimeoutError):
            await wait_until(
                self._changed,
                lambda: self._closing or self.webhook is not hook,
                timeout=self.webhook_retry_delay,
            )
