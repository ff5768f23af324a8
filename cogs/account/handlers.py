"""/help, /whoami, /language, /link and /audit: the commands every community needs first."""

from __future__ import annotations

from functools import partial

from babel import Locale

from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.events import AccountsLinked
from bot.core.i18n import N_, SUPPORTED_LOCALES, Translator
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.account.service import (
    LINK_CODE_TTL,
    LinkOutcome,
    format_code,
    issue_link_code,
    redeem_link_code,
)
from storage.models import Member

PLATFORM_NAMES = {"discord": N_("Discord"), "telegram": N_("Telegram"), "console": N_("console")}
AUDIT_LIMIT = 20


async def show_help(registry: Registry, ctx: Context, args: Args) -> list[Effect]:
    wanted = args.text("command")
    if wanted:
        spec = registry.get(wanted.removeprefix("/").lower())
        if spec is None or spec.level > ctx.level:
            return [
                ctx.reply(
                    ctx._(
                        "There is no command /{name} you can use. Send /help for the list.",
                        name=wanted.removeprefix("/")[:32],
                    )
                )
            ]
        lines = [f"{spec.usage()} — {ctx._(spec.description)}"]
        lines += [f"  {p.name}: {ctx._(p.description)}" for p in spec.params]
        return [ctx.reply("\n".join(lines))]
    lines = [ctx._("Commands you can use:")]
    lines += [
        f"{spec.usage()} — {ctx._(spec.description)}" for spec in registry.available_to(ctx.level)
    ]
    lines.append(ctx._("Send /help <command> for details about one command."))
    return [ctx.reply("\n".join(lines))]


async def suggest_commands(registry: Registry, ctx: Context, typed: str) -> list[str]:
    prefix = typed.removeprefix("/").lower()
    return [s.name for s in registry.available_to(ctx.level) if s.name.startswith(prefix)]


async def whoami(ctx: Context, _args: Args) -> list[Effect]:
    member = ctx.member
    lines = [
        ctx._("You are member #{id} ({name}).", id=member.id, name=member.display_name),
        ctx._("Role: {role}", role=ctx._(ctx.level.label)),
        ctx._("Language: {language}", language=_language_name(ctx.translator.locale)),
        ctx._("Linked accounts:"),
    ]
    for identity in member.identities:
        handle = f"@{identity.username}" if identity.username else identity.display_name
        lines.append(
            f"• {ctx._(PLATFORM_NAMES[identity.platform])}: {handle} ({identity.platform_user_id})"
        )
    if len(member.identities) == 1:
        lines.append(ctx._("Use /link to add your account on another platform."))
    return [ctx.reply("\n".join(lines))]


async def language(ctx: Context, args: Args) -> list[Effect]:
    chosen = args.text("language")
    if chosen is None:
        choices = ", ".join(f"{code} ({_language_name(code)})" for code in SUPPORTED_LOCALES)
        return [
            ctx.reply(
                ctx._(
                    "Your language is {language}. Choose one with /language <code>: {choices}.",
                    language=_language_name(ctx.translator.locale),
                    choices=choices,
                )
            )
        ]
    ctx.member.locale = chosen
    spoken = Translator(chosen)
    return [
        ctx.reply(
            spoken.gettext(
                "From now on I will speak {language} with you.", language=_language_name(chosen)
            )
        )
    ]


async def link(ctx: Context, args: Args) -> list[Effect]:
    now = ctx.clock.now()
    typed = args.text("code")
    if typed is None:
        code = await issue_link_code(ctx.uow, ctx.member, now)
        minutes = int(LINK_CODE_TTL.total_seconds() // 60)
        return [
            ctx.reply(
                ctx._(
                    "Your link code is {code}. Within {minutes} minutes, send /link {code} "
                    "from your account on the other platform (Discord or Telegram) "
                    "to join the two.",
                    code=format_code(code),
                    minutes=minutes,
                )
            )
        ]
    result = await redeem_link_code(ctx.uow, typed, ctx.identity, now)
    if result.outcome is LinkOutcome.LINKED and result.member and result.merged_id:
        followups = await ctx.announce(AccountsLinked(result.member.id, result.merged_id))
        platforms = ", ".join(
            sorted({ctx._(PLATFORM_NAMES[i.platform]) for i in result.member.identities})
        )
        return [
            *followups,
            ctx.reply(
                ctx._(
                    "Linked. Your accounts ({platforms}) are now one member, #{id}.",
                    platforms=platforms,
                    id=result.member.id,
                )
            ),
        ]
    messages = {
        LinkOutcome.INVALID: N_(
            "That link code is not valid. "
            "Check it, or make a new one with /link on your other account."
        ),
        LinkOutcome.EXPIRED: N_(
            "That link code has expired (codes last 10 minutes). "
            "Make a new one with /link on your other account."
        ),
        LinkOutcome.USED: N_(
            "That link code was already used. Make a new one with /link on your other account."
        ),
        LinkOutcome.SAME_MEMBER: N_(
            "That code belongs to this account already. "
            "Send it from your account on the other platform."
        ),
        LinkOutcome.PLATFORM_TAKEN: N_(
            "That member already has a {platform} account linked, so this one cannot be added."
        ),
    }
    platform = ctx._(PLATFORM_NAMES[result.platform]) if result.platform else ""
    return [ctx.reply(ctx._(messages[result.outcome], platform=platform))]


async def audit(ctx: Context, args: Args) -> list[Effect]:
    subject = args.member("member")
    entries = await ctx.uow.audit.recent(
        member_id=subject.id if subject else None, limit=AUDIT_LIMIT
    )
    if not entries:
        return [ctx.reply(ctx._("The audit log has nothing to show yet."))]
    names: dict[int, str] = {}
    for entry in entries:
        for member_id in (entry.actor_member_id, entry.subject_member_id):
            if member_id is not None and member_id not in names:
                names[member_id] = _member_label(await ctx.uow.members.get(member_id), member_id)
    header = (
        ctx._("Audit log for {member}, newest first:", member=_member_label(subject, subject.id))
        if subject
        else ctx._("Audit log, newest first:")
    )
    lines = [header]
    for entry in entries:
        who = (
            names.get(entry.actor_member_id, ctx._("system"))
            if entry.actor_member_id
            else ctx._("system")
        )
        whom = names.get(entry.subject_member_id, "-") if entry.subject_member_id else "-"
        detail = ", ".join(f"{key}={value}" for key, value in sorted(entry.detail.items()))
        by = ctx._("by {actor}", actor=who)
        lines.append(
            f"{ctx.translator.datetime(entry.at)} · {entry.action} · {whom} · {by} · {detail}"
        )
    return [ctx.reply("\n".join(lines))]


def _member_label(member: Member | None, member_id: int) -> str:
    return f"#{member_id} {member.display_name}" if member else f"#{member_id}"


def _language_name(code: str) -> str:
    return Locale.parse(code).get_display_name(code) or code


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="help",
            description=N_("Show the commands you can use"),
            handler=partial(show_help, registry),
            params=(
                Param(
                    "command",
                    N_("A command to explain in detail"),
                    required=False,
                    suggest=partial(suggest_commands, registry),
                ),
            ),
            ephemeral=True,
        )
    )
    registry.register(
        CommandSpec(
            name="whoami",
            description=N_("Show your member number, role and linked accounts"),
            handler=whoami,
            ephemeral=True,
        )
    )
    registry.register(
        CommandSpec(
            name="language",
            description=N_("Choose the language I speak with you"),
            handler=language,
            params=(
                Param(
                    "language",
                    N_("en for English, zh_CN for Simplified Chinese"),
                    kind=ParamKind.CHOICE,
                    required=False,
                    choices=SUPPORTED_LOCALES,
                ),
            ),
            ephemeral=True,
        )
    )
    registry.register(
        CommandSpec(
            name="link",
            description=N_("Link your Discord and Telegram accounts into one member"),
            handler=link,
            params=(
                Param("code", N_("The code /link gave you on your other account"), required=False),
            ),
            ephemeral=True,
        )
    )
    registry.register(
        CommandSpec(
            name="audit",
            description=N_("Show the audit log, for everyone or for one member"),
            handler=audit,
            params=(
                Param(
                    "member",
                    N_("Whose history to show: @name or #member-id"),
                    kind=ParamKind.MEMBER,
                    required=False,
                ),
            ),
            level=Level.MOD,
            ephemeral=True,
        )
    )
