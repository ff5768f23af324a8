"""How a drop reads where it is posted: in full for its readers, as a teaser in public."""

from __future__ import annotations

from bot.config import Settings
from bot.core.i18n import N_, Translator
from bot.core.money import Money, format_money
from storage.models import Drop

TEASER_LINES = 3
TEASER_CHARACTERS = 280


def label(drop_id: int) -> str:
    """How members name a drop (`/unlock D7`), apart from question numbers."""
    return f"D{drop_id}"


def full_text(drop: Drop, locale: str) -> str:
    """Title, body and link, in Markdown (each platform renders it its own way)."""
    parts = [f"**{drop.title}**", drop.body]
    if drop.link:
        parts.append(drop.link)
    header = Translator(locale).gettext(N_("Drop {label}"), label=label(drop.id))
    return f"{header} · " + "\n\n".join(parts)


def teaser_text(drop: Drop, settings: Settings, locale: str) -> str:
    """The title, the body's first lines, and who reads the rest (and for how much), in
    `locale`: the reader's in /drops, the community's in a public post."""
    speak = Translator(locale)
    lines = drop.body.strip().splitlines()[:TEASER_LINES]
    opening = "\n".join(lines)[:TEASER_CHARACTERS]
    if opening.count("```") % 2:
        opening += "…\n```"  # a code block cut short still ends, or it swallows the rest
    else:
        opening += "…"
    names = ", ".join(
        settings.tiers[key].name if key in settings.tiers else key for key in drop.tiers
    )
    who = speak.gettext(N_("Members of {tiers} read it in full."), tiers=names)
    if drop.price_minor is not None and drop.currency is not None:
        price = format_money(Money(drop.price_minor, drop.currency), speak.locale)
        who += " " + speak.gettext(
            N_("Anyone can unlock it for {price}: /unlock {label}"),
            price=price,
            label=label(drop.id),
        )
    return f"**{drop.title}**\n{opening}\n\n{who}"
