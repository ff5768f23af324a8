"""`/drop`: creators write a drop, see it as it will look, publish it now or at a time, list,
edit, cancel, delete it, and see how it did. A creator handles their own drops; moderators
handle anyone's."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.effects import Button, Effect, Reply
from bot.core.events import Attachment
from bot.core.i18n import N_
from bot.core.money import Money, format_money
from bot.core.permissions import Level
from bot.core.registry import Registry
from bot.core.text import clean_name, format_size
from cogs.drops import service as drops
from cogs.drops.rendering import drop_of, full_text, label, teaser_text
from cogs.drops.when import WhenError, parse_when
from storage.models import Drop

# The /drop parameter a file comes in (only /drop new takes one).
FILE = "file"
NEW, PUBLISH, LIST, EDIT, CANCEL, DELETE, STATS = (
    "new",
    "publish",
    "list",
    "edit",
    "cancel",
    "delete",
    "stats",
)
TITLE_LIMIT = 200
LISTED = 15
_URL = re.compile(r"^https?://\S+$")
STATUSES = {
    drops.DRAFT: N_("draft"),
    drops.SCHEDULED: N_("scheduled"),
    drops.PUBLISHED: N_("published"),
    drops.CANCELLED: N_("cancelled"),
    drops.DELETED: N_("deleted"),
}


class _Refusal(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


async def drop(ctx: Context, args: Args) -> list[Effect]:
    action = args.text("action") or LIST
    details = args.text("details") or ""
    file = args.attachment(FILE)
    try:
        if action == NEW:
            return await _new(ctx, details, file)
        if file is not None:
            return [ctx.reply(ctx._("A file goes only with /drop new."))]
        return await ACTIONS[action](ctx, details)
    except _Refusal as refusal:
        return [refusal.reply]


async def _new(ctx: Context, details: str, file: Attachment | None) -> list[Effect]:
    header, _, rest = details.partition("\n")
    tiers, price, at = _options(ctx, header)
    title, body, link = _content(ctx, rest, USAGE)
    # Checked and downloaded before the drop exists: a file that cannot go out leaves no draft.
    data = await _file_data(ctx, file, tiers) if file is not None else None
    draft = drops.Draft(title=title, body=body, tiers=tiers, link=link, price=price, publish_at=at)
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
        raise _Refusal(
            ctx.reply(
                ctx._(
                    message,
                    name=name,
                    size=format_size(file.size),
                    limit=format_size(file.fetch_limit),
                    platform=ctx.event.actor.platform.value.capitalize(),
                )
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
        raise _Refusal(
            ctx.reply(
                ctx._(
                    message,
                    name=name,
                    size=format_size(size),
                    limit=format_size(limit),
                    platforms=", ".join(p.capitalize() for p in platforms),
                )
            )
        )
    return data


def _options(ctx: Context, header: str) -> tuple[tuple[str, ...], Money | None, datetime | None]:
    """`member,pro 4.99 at tomorrow 20:00`: the tiers, a one-off price, a time."""
    head, _, when = header.partition(" at ")
    words = head.split()
    if not words:
        raise _Refusal(ctx.reply(ctx._(USAGE)))
    tiers = tuple(t for t in words[0].lower().split(",") if t)
    unknown = [t for t in tiers if t not in ctx.settings.tiers]
    if unknown or not tiers:
        known = ", ".join(ctx.settings.tiers) or "—"
        raise _Refusal(
            ctx.reply(
                ctx._("No tier “{tier}”. Tiers: {known}.", tier=",".join(unknown), known=known)
            )
        )
    price: Money | None = None
    if len(words) > 1:
        try:
            price = ctx.settings.money(words[1])
        except ValueError:
            raise _Refusal(
                ctx.reply(ctx._("“{price}” is not a price.", price=words[1][:20]))
            ) from None
        if price.minor <= 0:
            raise _Refusal(ctx.reply(ctx._("A drop's price must be more than zero.")))
    at: datetime | None = None
    if when.strip():
        try:
            at = parse_when(when, now=ctx.clock.now(), zone=ctx.settings.community.tzinfo)
        except WhenError as error:
            raise _Refusal(
                ctx.reply(ctx._("I could not read the time: {reason}", reason=str(error)))
            ) from None
    return tiers, price, at


def _content(ctx: Context, text: str, usage: str) -> tuple[str, str, str | None]:
    """The title (first line), the body, and a link when the last line is only one."""
    title, _, body = text.strip().partition("\n")
    lines = body.rstrip().splitlines()
    link = lines.pop().strip() if lines and _URL.match(lines[-1].strip()) else None
    body = "\n".join(lines).strip()
    if not title.strip() or not body:
        raise _Refusal(ctx.reply(ctx._(usage)))
    if len(title) > TITLE_LIMIT:
        raise _Refusal(
            ctx.reply(ctx._("A title is at most {limit} characters.", limit=TITLE_LIMIT))
        )
    return title.strip(), body, link


def _preview(ctx: Context, made: Drop, filename: str | None, size: int) -> Reply:
    where = ", ".join(
        f"{platform} {chat}" for platform, chat in drops.full_chats(ctx.settings, made.tiers)
    )
    lines = [
        ctx._("Preview of drop {label} (nothing is posted yet):", label=label(made.id)),
        full_text(made, ctx.translator.locale),
        ctx._("Teaser in the public drops channel:"),
        teaser_text(made, ctx.settings),
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


async def _mine(ctx: Context, details: str) -> Drop:
    """The drop `details` names, if this member may handle it."""
    named = details.split(maxsplit=1)[0] if details.split() else ""
    drop_id = drop_of(named) or (int(named) if named.isdigit() else None)
    found = await ctx.uow.drops.get(drop_id) if drop_id is not None else None
    if found is None:
        raise _Refusal(ctx.reply(ctx._("There is no drop {label}.", label=named[:20] or "?")))
    if found.author_id != ctx.member.id and ctx.level < Level.MOD:
        raise _Refusal(ctx.reply(ctx._("Drop {label} is not yours.", label=label(found.id))))
    return found


async def _publish(ctx: Context, details: str) -> list[Effect]:
    found = await _mine(ctx, details)
    now = ctx.clock.now()
    try:
        if found.publish_at is not None and found.publish_at > now:
            drops.schedule(found, now)
            return _about(
                ctx,
                N_("Drop {label} is scheduled for {time}."),
                found,
                time=_local(ctx, found.publish_at),
            )
        told = await drops.publish(ctx.uow, ctx.settings, found, now)
    except drops.DropStateError:
        return _about(ctx, N_("Drop {label} cannot be published now."), found)
    return _about(
        ctx,
        N_("Drop {label} is published; {count} members get it by private message."),
        found,
        count=told,
    )


async def _list(ctx: Context, details: str) -> list[Effect]:
    wanted = details.strip().lower()
    statuses = (wanted,) if wanted in STATUSES else tuple(STATUSES)
    author = None if ctx.level >= Level.MOD else ctx.member.id
    found = await ctx.uow.drops.listing(statuses=statuses, author_id=author, limit=LISTED)
    if not found:
        return [ctx.reply(ctx._("No drops yet. Write one with /drop new."))]
    lines = [f"{label(d.id)} · {ctx._(STATUSES[d.status])} · {d.title}" for d in found]
    return [ctx.reply("\n".join(lines))]


async def _edit(ctx: Context, details: str) -> list[Effect]:
    label_line, _, rest = details.partition("\n")
    found = await _mine(ctx, label_line)
    title, body, _ = _content(ctx, rest, EDIT_USAGE)
    try:
        edited = await drops.edit(
            ctx.uow, ctx.settings, found, title=title, body=body, now=ctx.clock.now()
        )
    except drops.DropStateError:
        return _about(ctx, N_("Drop {label} cannot be edited now."), found)
    message = N_("Drop {label} is changed; {count} posted messages are being edited.")
    return _about(ctx, message, found, count=edited)


async def _cancel(ctx: Context, details: str) -> list[Effect]:
    found = await _mine(ctx, details)
    try:
        drops.cancel(found, ctx.clock.now())
    except drops.DropStateError:
        return _about(ctx, N_("Drop {label} is already out; delete it instead."), found)
    return _about(ctx, N_("Drop {label} is cancelled."), found)


async def _delete(ctx: Context, details: str) -> list[Effect]:
    found = await _mine(ctx, details)
    try:
        gone = await drops.delete(ctx.uow, found, ctx.clock.now())
    except drops.DropStateError:
        return _about(ctx, N_("Drop {label} is already deleted."), found)
    message = N_("Drop {label} is deleted; {count} posted messages are being removed.")
    return _about(ctx, message, found, count=gone)


async def _stats(ctx: Context, details: str) -> list[Effect]:
    found = await _mine(ctx, details)
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


USAGE = N_(
    "Write a drop like this:\n/drop new member,pro [price] [at tomorrow 20:00]\nTitle\nThe body "
    "(Markdown and code blocks welcome)\nhttps://an.optional/link"
)
EDIT_USAGE = N_(
    "Edit a drop like this:\n/drop edit\nD7\nThe new title\nThe new body\n(in the console and on "
    "Telegram, send /drop edit alone and the bot asks for the rest)"
)
# The actions besides /drop new, which alone takes a file.
ACTIONS: dict[str, Callable[[Context, str], Awaitable[list[Effect]]]] = {
    PUBLISH: _publish,
    LIST: _list,
    EDIT: _edit,
    CANCEL: _cancel,
    DELETE: _delete,
    STATS: _stats,
}


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="drop",
            description=N_("Write, publish and manage premium drops (creators)"),
            handler=drop,
            params=(
                Param("action", N_("What to do"), kind=ParamKind.CHOICE, choices=(NEW, *ACTIONS)),
                Param(
                    "details",
                    N_("The drop (for new and edit) or its label, like D7"),
                    required=False,
                    rest=True,
                    long=True,
                    form_when=(NEW, EDIT),
                ),
                Param(
                    FILE,
                    N_(
                        "A file for /drop new: a PDF, an archive, an image "
                        "(Discord and Telegram; not the console)"
                    ),
                    kind=ParamKind.ATTACHMENT,
                    required=False,
                ),
            ),
            level=Level.CREATOR,
            ephemeral=True,
        )
    )
