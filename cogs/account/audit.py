"""/audit: the audit log, for everyone or for one member (moderators)."""

from __future__ import annotations

from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.permissions import Level
from bot.core.registry import Registry
from storage.models import Member

AUDIT_LIMIT = 20


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


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="audit",
            description=N_("Show the audit log, for everyone or for one member"),
            handler=audit,
            params=(
                Param(
                    N_("member"),
                    N_("Whose history to show: @name or #member-id"),
                    kind=ParamKind.MEMBER,
                    required=False,
                ),
            ),
            level=Level.MOD,
            examples=("/audit", "/audit @grace", "/audit #12"),
            ephemeral=True,
        )
    )
