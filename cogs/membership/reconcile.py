"""Reconcile: make each platform's actual access match the memberships (the desired state).

Outbox deliveries can fail for good, moderators add and remove roles by hand, and people get
into chats by old links. Every 15 minutes (and with `knowpay reconcile`) each connected platform
reports who holds which managed role or chat; the difference from the database is repaired,
one call at a time so the platform's rate limits are respected, and every repair is audited.
Roles and chats no tier opens are never looked at, let alone touched.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from bot.config import Settings
from bot.core.access import Access, Holder, PlatformAccess, Restores
from bot.core.clock import Clock
from bot.core.events import Platform
from bot.core.permissions import Level
from cogs.membership.access import access_of, managed_access
from cogs.membership.service import HOLDING
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Repair:
    platform: Platform
    user_id: str
    member_id: int | None
    action: Literal["give", "take"]
    target: int


@dataclass
class ReconcileReport:
    dry_run: bool = False
    checked: dict[Platform, int] = field(default_factory=dict)
    repairs: list[Repair] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What an operator reads: one line per platform, one per change, one per failure."""
        verb = {"give": "would give" if self.dry_run else "gave", "take": "would take"}
        if not self.dry_run:
            verb["take"] = "took"
        out = [
            f"{platform.value}: checked {count} account{'' if count == 1 else 's'}, "
            f"{sum(r.platform is platform for r in self.repairs)} "
            f"{'to repair' if self.dry_run else 'repaired'}"
            for platform, count in self.checked.items()
        ]
        for r in self.repairs:
            who = f"member #{r.member_id}" if r.member_id else "an unknown account"
            kind = "role" if r.platform is Platform.DISCORD else "chat"
            out.append(
                f"  {verb[r.action]} {kind} {r.target} ({who}, {r.platform.value} {r.user_id})"
            )
        out += [f"  failed: {failure}" for failure in self.failures]
        return out


# Where a platform cannot list its members, former members are asked about for this long after
# their membership ended: long enough for any failed removal to be noticed and repaired.
SUSPECT_FOR = timedelta(days=30)


@dataclass(frozen=True)
class _Wanted:
    member_id: int
    access: Access
    staff: bool
    # What memberships that ended lately opened: where a failed removal may have left them.
    ended: Access


class Reconciler:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        settings: Settings,
        clock: Clock,
        platforms: Collection[PlatformAccess],
    ) -> None:
        self._uow = uow
        self._settings = settings
        self._clock = clock
        self._platforms = list(platforms)

    async def run(self, *, dry_run: bool = False) -> ReconcileReport:
        report = ReconcileReport(dry_run=dry_run)
        for platform in self._platforms:
            try:
                await self._reconcile(platform, report)
            except Exception as error:  # one platform down must not stop the others
                log.warning("reconcile: %s could not be checked: %s", platform.platform, error)
                report.failures.append(f"{platform.platform.value}: {error}")
        changed = len(report.repairs)
        if changed or report.failures:
            log.info("reconcile: %d repairs, %d failures", changed, len(report.failures))
        return report

    async def _reconcile(self, platform: PlatformAccess, report: ReconcileReport) -> None:
        managed = platform.managed(managed_access(self._settings))
        if not managed:
            return
        wanted = await self._wanted(platform.platform)
        suspects = {
            user: lingering
            for user, want in wanted.items()
            if not want.staff
            and (lingering := platform.managed(want.ended - want.access) & managed)
        }
        checked = 0
        async for holder in platform.holders(managed, suspects):
            checked += 1
            known = wanted.get(holder.user_id)
            if self._changes(platform, managed, holder, known):
                # The listing took a while: decide on a fresh read, so a grant that committed
                # meanwhile is not taken away.
                fresh = await self._wanted(platform.platform, holder.user_id)
                await self._repair(platform, managed, holder, fresh.get(holder.user_id), report)
        report.checked[platform.platform] = checked

    def _changes(
        self,
        platform: PlatformAccess,
        managed: frozenset[int],
        holder: Holder,
        wanted: _Wanted | None,
    ) -> list[tuple[Literal["give", "take"], int]]:
        desired = platform.managed(wanted.access) & managed if wanted else frozenset()
        changes: list[tuple[Literal["give", "take"], int]] = []
        if isinstance(platform, Restores):
            changes += [("give", target) for target in sorted(desired - holder.held)]
        if not (wanted and wanted.staff):  # the staff keep what they were given by hand
            changes += [("take", target) for target in sorted(holder.held - desired)]
        return changes

    async def _repair(
        self,
        platform: PlatformAccess,
        managed: frozenset[int],
        holder: Holder,
        wanted: _Wanted | None,
        report: ReconcileReport,
    ) -> None:
        member_id = wanted.member_id if wanted else None
        for action, target in self._changes(platform, managed, holder, wanted):
            repair = Repair(platform.platform, holder.user_id, member_id, action, target)
            if report.dry_run:
                report.repairs.append(repair)
                continue
            reason = "knowpay: reconcile with memberships"
            try:
                if action == "take":
                    await platform.take(holder.user_id, target, reason)
                elif isinstance(platform, Restores):
                    await platform.give(holder.user_id, target, reason)
            except Exception as error:
                report.failures.append(f"{platform.platform.value} {holder.user_id}: {error}")
                continue
            report.repairs.append(repair)
            async with self._uow() as uow:
                await uow.audit.record(
                    f"access.reconciled_{action}",
                    at=self._clock.now(),
                    actor_id=None,
                    subject_id=member_id,
                    detail={
                        "platform": platform.platform.value,
                        "account": holder.user_id,
                        "target": str(target),
                    },
                )

    async def _wanted(self, platform: Platform, user_id: str | None = None) -> dict[str, _Wanted]:
        """What each account on `platform` (or just `user_id`) should hold now."""
        async with self._uow() as uow:
            rows = await uow.memberships.access_rows(
                platform.value, HOLDING, self._clock.now() - SUSPECT_FOR, user_id
            )
        return {
            row.platform_user_id: _Wanted(
                member_id=row.member_id,
                access=access_of(self._settings, row.tiers_held),
                staff=row.level >= Level.CREATOR,
                ended=access_of(self._settings, row.tiers_ended),
            )
            for row in rows
        }
