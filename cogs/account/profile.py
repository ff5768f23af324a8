"""/whoami and /language: who you are here, and the language the bot speaks with you."""

from __future__ import annotations

from babel import Locale

from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_, SUPPORTED_LOCALES, Translator
from bot.core.registry import Registry

PLATFORM_NAMES = {"discord": N_("Discord"), "telegram": N_("Telegram"), "console": N_("console")}


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
    chosen = args.choice("language")
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


def _language_name(code: str) -> str:
    return Locale.parse(code).get_display_name(code) or code


def register(registry: Registry) -> None:
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
                    N_("language"),
                    N_("en for English, zh_CN for Simplified Chinese"),
                    kind=ParamKind.CHOICE,
                    required=False,
                    choices=SUPPORTED_LOCALES,
                ),
            ),
            examples=("/language", "/language zh_CN"),
            ephemeral=True,
        )
    )
