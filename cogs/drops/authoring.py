"""`/drop`: creators write a drop, see it as it will look, publish it now or at a time, list,
edit, cancel, delete it, and see how it did. A creator handles their own drops; moderators
handle anyone's."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from functools import partial

from bot.core.commands import Args, CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Button, Effect, Reply
from bot.core.events import Attachment
from bot.core.i18n import N_
from bot.core.money import format_money
from bot.core.permissions import Level
from bot.core.registry import Registry
from bot.core.text import clean_name, format_size
from bot.core.values import DROP
from cogs.drops import service as drops
from cogs.drops.rendering import full_text, label, teaser_text
from storage.models import Drop

TITLE_LIMIT = 200
LISTED = 15
SUGGESTED = 25
_URL = re.compile(r"^https?://\S+$")
STATUSES = {
    drops.DRAFT: N_("draft"),
    drops.SCHEDULED: N_("scheduled"),
    drops.PUBLISHED: N_("published"),
    drops.CANCELLED: N_("cancelled"),
    drops.DELETED: N_("deleted"),
}
# The drops each subcommand may act on, for the suggestions offered.
NOT_OUT = (drops.DRAFT, drops.SCHEDULED)
STILL_SHOWN = (drops.DRAFT, drops.SCHEDULED, drops.PUBLISHED)


async def new(ctx: Context, args: Args) -> list[Effect]:
    tiers, file = args.tiers("tiers"), args.attachment("file")
    title, body, link = _content(ctx, args.text("text") or "", USAGE)
    # Checked and downloaded before the drop exists: a file that cannot go out leaves no draft.
    data = await _file_data(ctx, file, tiers) if file is not None else None
    draft = drops.Draft(
        title=title,
        body=body,
        tiers=tiers,
        link=link,
        price=args.money("price"),
        publish_at=args.when("at"),
    )
    made = await drops.create(ctx.uow, ctx.member.id, draft, ctx.clock.now())
    if file is None or data is None:
        return [_preview(ctx, made, None, 0)]
    filename = clean_name(file.filename, 255)
    await drops.attach(
        ctx.uow,
        made,
        filename=filename,
        content_type=file.content_type[:255] if file.content_type else None,
        data=data,
    )
    return [_preview(ctx, made, filename, len(data))]


async def _file_data(ctx: Context, file: Attachment, tiers: tuple[str, ...]) -> bytes:
    """The file's bytes, if the bot can download it and every platform the drop goes to can
    take it; else a refusal that names the limit."""
    name = clean_name(file.filename, 60)
    if file.fetch_limit is not None and file.size > file.fetch_limit:
        message = N_("“{name}” is {size}: I can download files of at most {limit} from {platform}.")
        raise Refuse(
            ctx._(
                message,
                name=name,
                size=format_size(file.size),
                limit=format_size(file.fetch_limit),
                platform=ctx.event.actor.platform.value.capitalize(),
            )
        )
    limit, platforms = drops.file_limit(ctx.settings, tiers)
    # The platform's word on the size is checked before downloading, the bytes after it.
    data = await file.fetch() if file.size <= limit else b""
    size = max(file.size, len(data))
    if size > limit:
        message = N_(
            "“{name}” is {size}: a drop for these tiers can carry a file of at most {limit}, "
            "the most a bot may post on {platforms}."
        )
        raise Refuse(
            ctx._(
                message,
                name=name,
                size=format_size(size),
                limit=format_size(limit),
                platforms=", ".join(p.capitalize() for p in platforms),
            )
        )
    return data


def _content(ctx: Context, text: str, usage: str) -> tuple[str, str, str | None]:
    """The title (first line), the body, and a link when the last line is only one."""
    title, _, body = text.strip().partition("\n")
    lines = body.rstrip().splitlines()
    link = lines.pop().strip() if lines and _URL.match(lines[-1].strip()) else None
    body = "\n".join(lines).strip()
    if not title.strip() or not body:
        raise Refuse(ctx._(usage))
    if len(title) > TITLE_LIMIT:
        raise Refuse(ctx._("A title is at most {limit} characters.", limit=TITLE_LIMIT))
    return title.strip(), body, link


def _preview(ctx: Context, made: Drop, filename: str | None, size: int) -> Reply:
    where = ", ".join(
        f"{platform} {chat}" for platform, chat in drops.full_chats(ctx.settings, made.tiers)
    )
    lines = [
        ctx._("Preview of drop {label} (nothing is posted yet):", label=label(made.id)),
        full_text(made, ctx.translator.locale),
        ctx._("Teaser in the public drops channel:"),
        teaser_text(made, ctx.settings, ctx.settings.community.default_locale),
        ctx._("In full in: {where}", where=where or ctx._("no tier chat is configured")),
    ]
    if filename is not None:
        lines.append(
            ctx._(
                "With the file {name} ({size}), in full copies and private messages.",
                name=clean_name(filename, 60),
                size=format_size(size),
            )
        )
    if made.publish_at is not None:
        lines.append(
            ctx._(
                "Publishing at {time}.",
                time=ctx.translator.datetime(
                    made.publish_at.astimezone(ctx.settings.community.tzinfo)
                ),
            )
        )
    publish = Button(ctx._("Publish"), command=f"/drop publish {label(made.id)}")
    return Reply("\n\n".join(lines), ephemeral=True, buttons=(publish,))


async def _mine(ctx: Context, args: Args, allowed: tuple[str, ...]) -> Drop:
    """The drop the command names, if this member may handle it and it is in a state the
    command acts on; else a refusal that says the state it is in."""
    named = args.label("drop")
    assert named is not None  # required: the dispatcher asked for it
    found = await ctx.uow.drops.get(named.id)
    if found is None:
        raise Refuse(ctx._("There is no drop {label}.", label=str(named)))
    if found.author_id != ctx.member.id and ctx.level < Level.MOD:
        raise Refuse(ctx._("Drop {label} is not yours.", label=label(found.id)))
    if found.status not in allowed:
        when = _local(ctx, found.publish_at) if found.publish_at else ""
        raise Refuse(ctx._(_STATE[found.status], label=label(found.id), time=when))
    return found


# What a drop is, said when a command cannot act on it.
_STATE = {
    drops.DRAFT: N_("Drop {label} is a draft: publish it first."),
    drops.SCHEDULED: N_("Drop {label} is scheduled for {time} already."),
    drops.PUBLISHED: N_("Drop {label} is published already."),
    drops.CANCELLED: N_("Drop {label} is cancelled."),
    drops.DELETED: N_("Drop {label} is deleted already."),
}


async def publish(ctx: Context, args: Args) -> list[Effect]:
    found = await _mine(ctx, args, (drops.DRAFT,))
    now = ctx.clock.now()
    if found.publish_at is not None and found.publish_at > now:
        drops.schedule(found, now)
        return _about(
            ctx,
            N_("Drop {label} is scheduled for {time}."),
            found,
            time=_local(ctx, found.publish_at),
        )
    told = await drops.publish(ctx.uow, ctx.settings, found, now)
    return _about(
        ctx,
        N_("Drop {label} is published; {count} members get it by private message."),
        found,
        count=told,
    )


async def listing(ctx: Context, args: Args) -> list[Effect]:
    wanted = args.choice("status")
    statuses = (wanted,) if wanted else tuple(STATUSES)
    author = None if ctx.level >= Level.MOD else ctx.member.id
    found = await ctx.uow.drops.listing(statuses=statuses, author_id=author, limit=LISTED)
    if not found:
        return [ctx.reply(ctx._("No drops yet. Write one with /drop new."))]
    lines = [f"{label(d.id)} · {ctx._(STATUSES[d.status])} · {d.title}" for d in found]
    return [ctx.reply("\n".join(lines))]


async def edit(ctx: Context, args: Args) -> list[Effect]:
    found = await _mine(ctx, args, STILL_SHOWN)
    title, body, _ = _content(ctx, args.text("text") or "", EDIT_USAGE)
    edited = await drops.edit(
        ctx.uow, ctx.settings, found, title=title, body=body, now=ctx.clock.now()
    )
    message = N_("Drop {label} is changed; {count} posted messages are being edited.")
    return _about(ctx, message, found, count=edited)


async def cancel(ctx: Context, args: Args) -> list[Effect]:
    found = await _mine(ctx, args, (*NOT_OUT, drops.PUBLISHED))
    if found.status == drops.PUBLISHED:
        raise Refuse(
            ctx._("Drop {label} is already out; delete it instead.", label=label(found.id))
        )
    drops.cancel(found, ctx.clock.now())
    return _about(ctx, N_("Drop {label} is cancelled."), found)


async def delete(ctx: Context, args: Args) -> list[Effect]:
    found = await _mine(ctx, args, (*STILL_SHOWN, drops.CANCELLED))
    gone = await drops.delete(ctx.uow, found, ctx.clock.now())
    message = N_("Drop {label} is deleted; {count} posted messages are being removed.")
    return _about(ctx, message, found, count=gone)


async def stats(ctx: Context, args: Args) -> list[Effect]:
    found = await _mine(ctx, args, (*STILL_SHOWN, drops.CANCELLED))
    stats = await drops.stats(ctx.uow, found)
    lines = [ctx._("Drop {label} · {title}", label=label(found.id), title=found.title)]
    for platform, counts in sorted(stats.by_platform.items()):
        shown = ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items()))
        lines.append(f"{platform}: {shown}")
    if not stats.by_platform:
        lines.append(ctx._("No reactions, replies or unlocks yet."))
    revenue = ", ".join(format_money(m, ctx.translator.locale) for m in stats.revenue) or "—"
    lines.append(ctx._("Sold {count} times · revenue {revenue}", count=stats.sold, revenue=revenue))
    return [ctx.reply("\n".join(lines))]


def _local(ctx: Context, at: datetime) -> str:
    return ctx.translator.datetime(at.astimezone(ctx.settings.community.tzinfo))


def _about(ctx: Context, message: str, drop: Drop, **values: object) -> list[Effect]:
    """A reply about one drop, named by its label."""
    return [ctx.reply(ctx._(message, label=label(drop.id), **values))]


async def _suggest(statuses: tuple[str, ...], ctx: Context, typed: str) -> list[str]:
    """The member's own drops the subcommand can act on (anyone's, for moderators), newest
    first."""
    author = None if ctx.level >= Level.MOD else ctx.member.id
    found = await ctx.uow.drops.listing(statuses=statuses, author_id=author, limit=SUGGESTED)
    labels = [label(d.id) for d in found]
    return [shown for shown in labels if shown.lower().startswith(typed.strip().lower())]


USAGE = N_(
    'Write a drop like this:\n/drop new member,pro price:4.99 at:"tomorrow 20:00"\nTitle\n'
    "The body (Markdown and code blocks welcome)\nhttps://an.optional/link"
)
EDIT_USAGE = N_(
    "Edit a drop like this:\n/drop edit D7\nThe new title\nThe new body\n(in the console and "
    "on Telegram, send /drop edit D7 alone and the bot asks for the rest)"
)


def _drop(statuses: tuple[str, ...]) -> Param:
    return Param(
        N_("drop"),
        N_("The drop's label, like D7"),
        kind=ParamKind.LABEL,
        labels=(DROP,),
        suggest=partial(_suggest, statuses),
    )


def register(registry: Registry) -> None:
    text = Param(
        N_("text"),
        N_("The title on the first line, then the body; a link alone on the last line"),
        rest=True,
        long=True,
        own_line=True,
    )
    registry.register(
        CommandSpec(
            name="drop",
            description=N_("Write, publish and manage premium drops (creators)"),
            subcommands=_for_creators(
                CommandSpec(
                    name="new",
                    description=N_("Write a drop and see its preview"),
                    handler=new,
                    params=(
                        Param(
                            N_("tiers"),
                            N_("The tiers that read it in full, comma-separated"),
                            kind=ParamKind.TIER,
                            many=True,
                            example="member,pro",
                        ),
                        Param(
                            N_("price"),
                            N_("A one-off price for anyone else"),
                            kind=ParamKind.MONEY,
                            keyword=True,
                            required=False,
                            example="4.99",
                        ),
                        Param(
                            N_("at"),
                            N_("When it goes out (default: when you publish it)"),
                            kind=ParamKind.WHEN,
                            keyword=True,
                            required=False,
                            example='"tomorrow 20:00"',
                        ),
                        text,
                        Param(
                            N_("file"),
                            N_(
                                "A file for /drop new: a PDF, an archive, an image "
                                "(Discord and Telegram; not the console)"
                            ),
                            kind=ParamKind.ATTACHMENT,
                            required=False,
                        ),
                    ),
                    examples=(
                        "/drop new member\nAsync patterns in Rust\nUse task groups.",
                        '/drop new member,pro price:4.99 at:"fri 20:00"\nTitle\nBody',
                    ),
                ),
                CommandSpec(
                    name="publish",
                    description=N_("Post a drop now, or at its time"),
                    handler=publish,
                    params=(_drop((drops.DRAFT,)),),
                    examples=("/drop publish D7",),
                ),
                CommandSpec(
                    name="list",
                    description=N_("Your drops and their state"),
                    handler=listing,
                    params=(
                        Param(
                            N_("status"),
                            N_("Only drops in this state"),
                            kind=ParamKind.CHOICE,
                            choices=tuple(STATUSES),
                            required=False,
                        ),
                    ),
                    examples=("/drop list", "/drop list draft"),
                ),
                CommandSpec(
                    name="edit",
                    description=N_("Change a drop's title and body, everywhere it is posted"),
                    handler=edit,
                    params=(_drop(STILL_SHOWN), text),
                    examples=("/drop edit D7\nThe new title\nThe new body",),
                ),
                CommandSpec(
                    name="cancel",
                    description=N_("Cancel a drop before it goes out"),
                    handler=cancel,
                    params=(_drop(NOT_OUT),),
                    examples=("/drop cancel D7",),
                ),
                CommandSpec(
                    name="delete",
                    description=N_("Delete a drop and every posted copy"),
                    handler=delete,
                    params=(_drop((*STILL_SHOWN, drops.CANCELLED)),),
                    examples=("/drop delete D7",),
                ),
                CommandSpec(
                    name="stats",
                    description=N_("How a drop did: interactions and sales"),
                    handler=stats,
                    params=(_drop(STILL_SHOWN),),
                    examples=("/drop stats D7",),
                ),
            ),
            level=Level.CREATOR,
            ephemeral=True,
        )
    )


def _for_creators(*subcommands: CommandSpec) -> tuple[CommandSpec, ...]:
    return tuple(replace(sub, level=Level.CREATOR, ephemeral=True) for sub in subcommands)
