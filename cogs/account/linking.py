"""/link: one member across Discord and Telegram, joined by a short-lived code."""

from __future__ import annotations

from bot.core.commands import Args, CommandSpec, Param
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.events import AccountsLinked
from bot.core.i18n import N_
from bot.core.registry import Registry
from cogs.account.profile import PLATFORM_NAMES
from cogs.account.service import (
    LINK_CODE_TTL,
    LinkOutcome,
    format_code,
    issue_link_code,
    redeem_link_code,
)


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


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="link",
            description=N_("Link your Discord and Telegram accounts into one member"),
            handler=link,
            params=(
                Param(
                    N_("code"), N_("The code /link gave you on your other account"), required=False
                ),
            ),
            examples=("/link", "/link ABCD-EFGH"),
            ephemeral=True,
        )
    )
