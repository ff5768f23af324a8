"""An expert answers a paid question by writing in its thread (or replying to it), as they
would to any message; the bot takes it as their /answer and takes the message out of the
public thread, since only the asker (and those who pay, once it is accepted) may read it.
Linked accounts bring their questions and what they are owed along."""

from __future__ import annotations

from bot.core.effects import DeleteMessage, Effect, Reply
from bot.core.events import AccountsLinked, MessagePosted
from bot.core.identity import member_level
from bot.core.listening import EventContext
from bot.core.outbox import queue
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.engagement.service import content_answered
from cogs.qa import service as qa
from cogs.qa.payout_ledger import owed_to
from payments import ledger


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
    # Said in the thread, for everyone there: why the message went, and how to read it.
    said = ctx._(
        "Answer to question #{id} received from {name} and taken out of the thread: the asker "
        "reads it with /question {id}; once accepted, others can read it with /unlock {id}.",
        id=question.id,
        name=ctx.member.display_name,
    )
    return [Reply(said)]


async def follow_linked_accounts(ctx: EventContext, event: AccountsLinked) -> None:
    """After /link, the folded account's questions, listen-ins, price and what the community
    owes it belong to the member it was linked to."""
    await ctx.uow.questions.move_to(event.merged_id, event.member_id)
    books = ledger.Ledger(ctx.uow)
    folded, kept = ledger.payable(event.merged_id), ledger.payable(event.member_id)
    for owed in await owed_to(ctx.uow, event.merged_id):
        # What a member owes (a listen-in refunded after a payout) stays for a moderator to see.
        if owed.minor > 0:
            reference = f"link:{event.merged_id}:{owed.currency}"
            await books.release("link", reference, folded, kept, owed, at=ctx.clock.now())


def register(registry: Registry) -> None:
    registry.listen(MessagePosted, on_message)
    registry.listen(AccountsLinked, follow_linked_accounts)
