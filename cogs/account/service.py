"""Link codes: one member, several platform accounts."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from storage.models import LinkCode, Member, PlatformIdentity
from storage.uow import UnitOfWork

LINK_CODE_TTL = timedelta(minutes=10)
# No 0/O, 1/I/L: codes are read off one screen and typed into another.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8


class LinkOutcome(StrEnum):
    LINKED = "linked"
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    SAME_MEMBER = "same_member"
    PLATFORM_TAKEN = "platform_taken"


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    member: Member | None = None
    platform: str | None = None
    merged_id: int | None = None  # the member folded into `member`


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise_code(typed: str) -> str:
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


async def issue_link_code(uow: UnitOfWork, member: Member, now: datetime) -> str:
    await uow.link_codes.prune(now)
    await uow.link_codes.forget_member_codes(member.id)
    code = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
    await uow.link_codes.add(
        LinkCode(
            code_hash=_hash(code),
            member_id=member.id,
            created_at=now,
            expires_at=now + LINK_CODE_TTL,
        )
    )
    return code


async def redeem_link_code(
    uow: UnitOfWork, typed: str, identity: PlatformIdentity, now: datetime
) -> LinkResult:
    """Fold the member behind `identity` into the member who issued the code."""
    stored = await uow.link_codes.get(_hash(normalise_code(typed)))
    if stored is None:
        return LinkResult(LinkOutcome.INVALID)
    if stored.used_at is not None:
        return LinkResult(LinkOutcome.USED)
    if stored.expires_at <= now:
        return LinkResult(LinkOutcome.EXPIRED)
    target = await uow.members.get(stored.member_id)
    source = identity.member
    if target is None or target.merged_into_id is not None:
        return LinkResult(LinkOutcome.INVALID)
    if target.id == source.id:
        return LinkResult(LinkOutcome.SAME_MEMBER, member=target)
    taken = {i.platform for i in target.identities} & {i.platform for i in source.identities}
    if taken:
        return LinkResult(LinkOutcome.PLATFORM_TAKEN, member=target, platform=min(taken))
    stored.used_at = now
    moved = ", ".join(f"{i.platform}:{i.platform_user_id}" for i in source.identities)
    await uow.members.move_identities(source, target)
    await uow.payments.move_to(source.id, target.id)
    await uow.audit.record(
        "identity.linked",
        at=now,
        actor_id=target.id,
        subject_id=target.id,
        detail={"accounts": moved, "merged_member": source.id},
    )
    return LinkResult(LinkOutcome.LINKED, member=target, merged_id=source.id)
