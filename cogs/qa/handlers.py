"""An expert answers a paid question by writing in its thread (or replying to it), as they
would to any message; the bot takes it as their /answer and takes the message out of the
public thread, since only the asker (and those who pay, once it is accepted) may read it."""

from __future__ import annotations

from bot.core.commands import Registry
from bot.core.context import EventContext
from bot.core.effects import DeleteMessage, Effect, Reply
from bot.core.events import MessagePosted
from bot.core.identity import member_level
from bot.core.permissions import Level
from cogs.engagement.service import content_answered
from cogs.qa import service as qa
from payments.outbox import queue


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
    hide = DeleteMessage(
        event.place.platform.value,
        event.place.chat_id,
        event.message_id,
        reason=f"the answer to paid question {question.id}",
    )
    await queue(ctx.uow, hide, key=f"hidden-answer:{question.id}", now=ctx.clock.now())
    said = ctx._(
        "Taken as the answer to question #{id} and removed from the thread: the asker reads it "
        "with /question {id}. You are paid when they accept it.",
        id=question.id,
    )
    return [Reply(said, ephemeral=True)]


def register(registry: Registry) -> None:
    registry.listen(MessagePosted, on_message)
