"""An expert answers a paid question by writing in its thread (or replying to it), as they
would to any message; the bot takes it as their /answer."""

from __future__ import annotations

from bot.core.commands import Registry
from bot.core.context import EventContext
from bot.core.effects import Effect, Reply
from bot.core.events import MessagePosted
from bot.core.identity import member_level
from bot.core.permissions import Level
from cogs.engagement.service import content_answered
from cogs.qa import service as qa


async def on_message(ctx: EventContext, event: MessagePosted) -> list[Effect]:
    content = await content_answered(ctx.uow, event)
    question_id = qa.question_of(content.ref) if content is not None else None
    if question_id is None or member_level(ctx.member) < Level.CREATOR or not event.text.strip():
        return []  # talk about the question, not an answer to it
    question = await ctx.uow.questions.get(question_id)
    if question is None or question.status != qa.OPEN or not qa.may_answer(question, ctx.member.id):
        return []
    await qa.answer(
        ctx.uow,
        ctx.settings,
        question,
        answerer_id=ctx.member.id,
        text=event.text,
        now=ctx.clock.now(),
    )
    said = ctx._(
        "Taken as the answer to question #{id}; you are paid when the asker accepts it.",
        id=question.id,
    )
    return [Reply(said, ephemeral=True)]


def register(registry: Registry) -> None:
    registry.listen(MessagePosted, on_message)
