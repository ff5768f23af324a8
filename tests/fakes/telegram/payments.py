"""Payments in Telegram Stars: invoices the bot sends, users paying them (a pre_checkout_query the
bot must answer in time, then a successful_payment), and refunds."""

from __future__ import annotations

import secrets

from tests.fakes.recording import wait_until
from tests.fakes.telegram import wire
from tests.fakes.telegram.messages import Messages
from tests.fakes.telegram.state import Method, bad
from tests.fakes.telegram.wire import JSON


class Payments(Messages):
    """sendInvoice, pre-checkout queries and Star refunds."""

    def _methods(self) -> list[Method]:
        return [
            *super()._methods(),
            ("sendInvoice", self._send_invoice),
            ("answerPreCheckoutQuery", self._answer_pre_checkout_query),
            ("refundStarPayment", self._refund_star_payment),
        ]

    async def pay_stars(
        self,
        user_id: int,
        invoice_message_id: int | None = None,
        *,
        payload: str | None = None,
        amount: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> JSON:
        """The user pays an invoice the bot sent (default: the newest one in their private
        chat): a pre_checkout_query, then - if the bot answers ok - a successful_payment
        message. `payload`/`amount` override the invoice's (or, with no invoice message, pay
        an invoice link). Returns {"ok", "error_message", "charge_id"}."""
        chat_id, invoice = self._find_invoice(user_id, invoice_message_id)
        if invoice is None and (payload is None or amount is None):
            raise LookupError(f"no invoice {invoice_message_id or ''} for user {user_id}")
        currency = invoice["currency"] if invoice else "XTR"
        payload = payload if payload is not None else invoice["payload"] if invoice else ""
        amount = amount if amount is not None else invoice["amount"] if invoice else 0
        query_id = str(secrets.randbits(63))
        self._checkouts[query_id] = None
        query = {
            "id": query_id,
            "from": self._user(user_id),
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": payload,
        }
        if await self._emit("pre_checkout_query", query) is None:
            raise RuntimeError("pre_checkout_query is not in the bot's allowed_updates")
        try:
            await wait_until(
                self._changed,
                lambda: self._checkouts[query_id] is not None,
                timeout=min(timeout, self.pre_checkout_timeout),
            )
        except TimeoutError:
            self._checkouts.pop(query_id, None)
            raise TimeoutError(
                f"the bot did not answer pre_checkout_query {query_id} in time"
            ) from None
        answer = self._checkouts[query_id]
        assert answer is not None
        if not wire.as_bool(answer.get("ok")):
            return {"ok": False, "error_message": answer.get("error_message"), "charge_id": None}
        charge_id = "stxfake" + secrets.token_hex(12)
        payment = {
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }
        self.payments[charge_id] = {**payment, "user_id": user_id, "refunded": False}
        await self._emit_message(
            self._new_message(chat_id, user_id, {"successful_payment": payment})
        )
        return {"ok": True, "error_message": None, "charge_id": charge_id}

    def _find_invoice(self, user_id: int, message_id: int | None) -> tuple[int, JSON | None]:
        if message_id is None:
            mine = [key for key in self._invoices if key[0] == user_id]
            return user_id, self._invoices[mine[-1]] if mine else None
        if (user_id, message_id) in self._invoices:
            return user_id, self._invoices[(user_id, message_id)]
        for (chat_id, mid), invoice in self._invoices.items():
            if mid == message_id:
                return chat_id, invoice
        return user_id, None

    async def _send_invoice(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        self._check_can_send(chat_id)
        title, description = str(params.get("title", "")), str(params.get("description", ""))
        payload, currency = str(params.get("payload", "")), str(params.get("currency", ""))
        if not 1 <= len(title) <= 32:
            raise bad("INVOICE_TITLE_INVALID" if title else "title is empty")
        if not 1 <= len(description) <= 255:
            raise bad("description is empty" if not description else "INVOICE_DESCRIPTION_INVALID")
        if not 1 <= len(payload.encode()) <= 128:
            raise bad("INVOICE_PAYLOAD_INVALID")
        prices = params.get("prices")
        if (
            not isinstance(prices, list)
            or not prices
            or not all(
                isinstance(x, dict) and x.get("label") and isinstance(x.get("amount"), int)
                for x in prices
            )
        ):
            raise bad("can't parse prices JSON object")
        token = str(params.get("provider_token") or "")
        if currency == "XTR":
            if token:
                raise bad("PAYMENT_PROVIDER_INVALID")  # Stars take no provider
            if len(prices) != 1:
                raise bad("STARS_INVOICE_INVALID")  # exactly one price in Stars
        elif not token:
            raise bad("PAYMENT_PROVIDER_INVALID")
        total = sum(price["amount"] for price in prices)
        if total <= 0:
            raise bad("CURRENCY_TOTAL_AMOUNT_INVALID")
        invoice = {
            "title": title,
            "description": description,
            "start_parameter": str(params.get("start_parameter", "")),
            "currency": currency,
            "total_amount": total,
        }
        fields: JSON = {"invoice": invoice}
        markup = self._markup(params)
        if markup is not None:
            fields["reply_markup"] = markup
        thread = self._thread(chat_id, params, None)
        if thread is not None:
            fields.update(message_thread_id=thread, is_topic_message=True)
        message = self._new_message(chat_id, self.BOT_ID, fields)
        self._invoices[(chat_id, message["message_id"])] = {
            "payload": payload,
            "currency": currency,
            "amount": total,
            "title": title,
        }
        self._record_bot_message(message)
        return message

    async def _answer_pre_checkout_query(self, params: JSON) -> bool:
        query_id = str(params.get("pre_checkout_query_id", ""))
        if query_id not in self._checkouts or self._checkouts[query_id] is not None:
            raise bad("QUERY_ID_INVALID")
        if "ok" not in params:
            raise bad("ok is empty")
        if not wire.as_bool(params["ok"]) and not params.get("error_message"):
            raise bad("error_message is empty")
        self._checkouts[query_id] = params
        return True

    async def _refund_star_payment(self, params: JSON) -> bool:
        user_id = self._api_user(params)
        payment = self.payments.get(str(params.get("telegram_payment_charge_id", "")))
        if payment is None or payment["user_id"] != user_id:
            raise bad("CHARGE_NOT_FOUND")
        if payment["refunded"]:
            raise bad("CHARGE_ALREADY_REFUNDED")
        payment["refunded"] = True
        return True
