"""Permission levels, ordered: each level may do everything the levels below it may."""

from __future__ import annotations

from enum import IntEnum

from bot.core.i18n import N_


class Level(IntEnum):
    MEMBER = 0
    PAID = 1
    CREATOR = 2
    MOD = 3
    ADMIN = 4
    OWNER = 5

    @classmethod
    def parse(cls, name: str) -> Level:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {name!r}") from None

    @property
    def label(self) -> str:
        """The untranslated role name shown to users (translate with the context)."""
        return _LABELS[self]


_LABELS = {
    Level.MEMBER: N_("member"),
    Level.PAID: N_("paid member"),
    Level.CREATOR: N_("creator"),
    Level.MOD: N_("mod"),
    Level.ADMIN: N_("admin"),
    Level.OWNER: N_("owner"),
}

ROLE_NAMES = tuple(level.name.lower() for level in Level)
