"""Join requests for the community's private chats, decided without a platform."""

from __future__ import annotations

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import DirectMessage, JoinRequestAnswer
from bot.core.events import JoinRequested, Place, Platform
from bot.core.permissions import Level
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, dispatcher_for, make_settings

PAID_CHAT = "-1001111111111"
TIERS = {
    "member": {
        "name": "Member",
        "price": "9.00",
        "interval": "month",
        "telegram_chat_ids": [int(PAID_CHAT)],
    }
}


def _dispatcher(uow: UnitOfWorkFactory, clock: FakeClock) -> Dispatcher:
    settings = make_settings(tiers=TIERS)
    return dispatcher_for(uow, clock, settings)


def _request(name: str, chat: str = PAID_CHAT, level: Level | None = None) -> JoinRequested:
    who = actor(name, Platform.TELEGRAM, user_id=str(abs(hash(name)) % 10**9), level=level)
    return JoinRequested(who, Place(Platform.TELEGRAM, chat, is_private=False))


async def test_a_non_entitled_member_is_declined_and_told_why(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    effects = await _dispatcher(uow, clock).notify(_request("stranger"))
    assert effects[0] == JoinRequestAnswer(approved=False)
    assert isinstance(effects[1], DirectMessage)
    assert "Member" in effects[1].text
    async with uow() as unit:
        [entry] = [e for e in await unit.audit.recent() if e.action.startswith("access.")]
    assert entry.action == "access.join_declined"
    assert entry.detail == {"platform": "telegram", "chat": PAID_CHAT}


async def test_staff_are_let_in(uow: UnitOfWorkFactory, clock: FakeClock) -> None:
    effects = await _dispatcher(uow, clock).notify(_request("carol", level=Level.CREATOR))
    assert effects == [JoinRequestAnswer(approved=True)]


async def test_a_chat_no_tier_gates_is_open(uow: UnitOfWorkFactory, clock: FakeClock) -> None:
    effects = await _dispatcher(uow, clock).notify(_request("anyone", chat="-1009999"))
    assert effects == [JoinRequestAnswer(approved=True)]


async def test_the_refusal_speaks_the_requesters_language(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    who = actor("li", Platform.TELEGRAM, user_id="88", locale="zh-hans")
    effects = await _dispatcher(uow, clock).notify(
        JoinRequested(who, Place(Platform.TELEGRAM, PAID_CHAT, is_private=False))
    )
    assert isinstance(effects[1], DirectMessage)
    assert "Ask a moderator" not in effects[1].text
