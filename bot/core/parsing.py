"""One reading of what people type, for every platform.

A console or Telegram line is bound to the command's parameters: positional ones in their
declared order, keyword options by name (`price:25`, `reason:"paid by transfer"`, quotes for
spaces), a long text on the lines below when it asks for its own line. Discord hands its
options over by name already. Either way the same raw strings are then read into typed values
(`read_arguments`): money, lengths of time, points in time, tiers, members, labels. A value
that does not read is refused naming its option; nothing is ever moved into another option.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.events import Attachment, Platform
from bot.core.i18n import N_
from bot.core.identity import find_member
from bot.core.text import clean, clean_name
from bot.core.values import Unreadable, read_duration, read_label, read_money
from bot.core.when import parse_when
from storage.uow import UnitOfWork


class ArgumentError(Exception):
    """What was typed does not fit the command. `message` is an untranslated id filled by
    `values`; `option` names the parameter at fault (None: the line as a whole)."""

    def __init__(self, message: str, /, *, option: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.option = option
        self.values = values


def split_command(text: str) -> tuple[str, str] | None:
    """`/link@knowpay_bot ABC` -> ("link", "ABC"); None when the text is not a command."""
    stripped = clean(text).strip()
    if not stripped.startswith("/"):
        return None
    head, _, rest = stripped[1:].partition(" ")
    head, newline, below = head.partition("\n")
    name = head.split("@", 1)[0].lower()
    return name, (f"\n{below} {rest}" if newline else rest).strip(" ")


def split_subcommand(arguments: str) -> tuple[str, str]:
    """`new member\\nTitle` -> ("new", "member\\nTitle"): the first word, and what follows."""
    stripped = arguments.lstrip()
    match = re.match(r"\S+", stripped)
    if match is None:
        return "", ""
    rest = stripped[match.end() :]
    return match.group().lower(), rest[1:] if rest[:1] == " " else rest


# ---- binding a line ---------------------------------------------------------------------------

_QUOTES = {'"': '"', "“": "”", "„": "“"}
_KEYWORD = re.compile(r"(?P<name>[A-Za-z][A-Za-z_]*):")
_WORD = re.compile(r"\S+")
_MEMBER_FORM = re.compile(r"@\S+|<@!?[0-9]+>|#[0-9]+")


def bind_line(spec: CommandSpec, text: str) -> dict[str, str]:
    """The raw value of each parameter the line gives, by name."""
    values: dict[str, str] = {}
    typed = [p for p in spec.params if p.typed]
    keywords = {p.name: p for p in typed if p.keyword}
    waiting = [p for p in typed if not p.keyword]
    own_line = next((p for p in waiting if p.own_line), None)
    if own_line is not None:
        text, _, below = text.partition("\n")
        if below.strip():
            values[own_line.name] = below.strip()
        waiting.remove(own_line)
    at = 0
    while (at := _skip_blanks(text, at)) < len(text):
        keyword = _KEYWORD.match(text, at)
        if keyword is not None and keyword["name"].lower() in keywords:
            param = keywords[keyword["name"].lower()]
            if param.name in values:
                raise ArgumentError(N_("{name} is given twice."), name=param.name)
            if param.rest:
                values[param.name], at = text[keyword.end() :].strip(), len(text)
            else:
                values[param.name], at = _value_at(text, keyword.end())
            continue
        if not waiting:
            word, _ = _value_at(text, at)
            raise _too_many(spec, word)
        positional = waiting.pop(0)
        if positional.rest:
            values[positional.name], at = text[at:].strip(), len(text)
            continue
        value, end = _value_at(text, at)
        if (
            not positional.required
            and any(p.rest for p in waiting)
            and not _has_form(positional, value)
        ):
            continue  # an optional value before a text: `/ask @grace ...` or `/ask ...`
        values[positional.name], at = value, end
    return values


def bind_options(spec: CommandSpec, options: Mapping[str, str]) -> dict[str, str]:
    """Options a platform handed over by name (Discord's), checked against the spec."""
    known = {p.name for p in spec.params if p.typed}
    unknown = sorted(set(options) - known)
    if unknown:
        raise _too_many(spec, unknown[0])
    return {name: value for name, value in options.items() if value != ""}


def _skip_blanks(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _value_at(text: str, at: int) -> tuple[str, int]:
    """A quoted value (quotes dropped) or a word, and where it ends."""
    if at < len(text) and text[at] in _QUOTES:
        closers = {_QUOTES[text[at]], '"'}
        end = next((i for i in range(at + 1, len(text)) if text[i] in closers), -1)
        if end < 0:
            raise ArgumentError(N_("A quote is not closed: {text}"), text=clean_name(text[at:], 40))
        return text[at + 1 : end], end + 1
    match = _WORD.match(text, at)
    if match is None:  # a keyword with nothing after its colon
        return "", at
    return match.group(), match.end()


def _has_form(param: Param, value: str) -> bool:
    """Does `value` look like one of `param`'s? Asked only of an optional value that a text
    may follow, where a mention or a label can only be meant as that value."""
    if param.kind is ParamKind.MEMBER:
        return _MEMBER_FORM.fullmatch(value) is not None
    if param.kind is ParamKind.CHOICE:
        return _choice(param, value) is not None
    try:
        if param.kind is ParamKind.LABEL:
            read_label(value, param.labels)
        elif param.kind is ParamKind.DURATION:
            read_duration(value)
        elif param.kind is ParamKind.INTEGER:
            int(value)
    except ValueError:
        return False
    return True


def _too_many(spec: CommandSpec, word: str) -> ArgumentError:
    """Too much was typed; a word that is an option's name, or fits a keyword option, says how
    it is written instead."""
    shown = clean_name(word, 40)
    for param in spec.params:
        if param.keyword and word.lower().rstrip(":") == param.name:
            return ArgumentError(
                N_("Write {name} as {name}:{example}."), name=param.name, example=param.sample()
            )
    for param in spec.params:
        if param.keyword and param.kind is ParamKind.MONEY and _looks_like_money(word):
            return ArgumentError(
                N_("Too many arguments: “{word}”. Did you mean {name}:{word}?"),
                word=shown,
                name=param.name,
            )
    return ArgumentError(N_("Too many arguments: “{word}”."), word=shown)


def _looks_like_money(word: str) -> bool:
    return re.fullmatch(r"[0-9]+(?:\.[0-9]+)?[A-Za-z]{0,3}", word) is not None


def attachment_param(spec: CommandSpec) -> Param | None:
    """The parameter a file sent with the command fills (one file per message on Telegram)."""
    return next((p for p in spec.params if not p.typed), None)


def first_missing(
    spec: CommandSpec, raw: Mapping[str, str], attachments: Mapping[str, Attachment]
) -> Param | None:
    """The first parameter the command needs that it came without."""
    for param in spec.params:
        given = param.name in attachments if not param.typed else bool(raw.get(param.name))
        if param.required and not given:
            return param
    return None


def long_text_length(spec: CommandSpec, raw: Mapping[str, str]) -> int:
    """How many of the characters typed are long text (a question, a drop's body): those have
    a limit of their own."""
    return sum(len(raw.get(param.name, "")) for param in spec.params if param.long)


# ---- reading values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What reading values needs: members to look up, the community's currency, time zone and
    tiers, and the time now."""

    uow: UnitOfWork
    platform: Platform
    settings: Settings
    now: datetime


async def read_arguments(
    spec: CommandSpec,
    raw: Mapping[str, str],
    attachments: Mapping[str, Attachment],
    reading: Reading,
) -> Args:
    """Every given value, typed; the first that does not read is refused, naming its option."""
    values: dict[str, object] = {}
    for param in spec.params:
        if not param.typed:
            if param.name in attachments:
                values[param.name] = attachments[param.name]
            continue
        typed = raw.get(param.name)
        if not typed:
            continue
        try:
            values[param.name] = await _read(param, typed, reading)
        except Unreadable as refused:
            raise ArgumentError(refused.message, option=param.name, **refused.values) from None
    return Args(values)


async def _read(param: Param, typed: str, reading: Reading) -> object:
    settings = reading.settings
    if param.reader is not None:
        return param.reader(typed, settings, reading.now)
    if param.kind is ParamKind.INTEGER:
        return _integer(param, typed)
    if param.kind is ParamKind.CHOICE:
        chosen = _choice(param, typed)
        if chosen is None:
            raise Unreadable(
                N_("“{value}” is not one of: {choices}."),
                value=clean_name(typed, 40),
                choices=", ".join(param.choices),
            )
        return chosen
    if param.kind is ParamKind.MEMBER:
        found = await find_member(reading.uow, reading.platform, typed)
        if found is None:
            raise Unreadable(
                N_("I can't find {reference} here. They need to have used the bot at least once."),
                reference=clean_name(typed, 40),
            )
        return found
    if param.kind is ParamKind.MONEY:
        money = read_money(typed, settings.community.currency)
        if not param.any_currency and money.currency != settings.community.currency:
            raise Unreadable(
                N_("Amounts here are in {currency}: write it like {example}."),
                currency=settings.community.currency.upper(),
                example=param.sample(),
            )
        return money
    if param.kind is ParamKind.DURATION:
        return read_duration(typed)
    if param.kind is ParamKind.WHEN:
        return parse_when(typed, now=reading.now, zone=settings.community.tzinfo)
    if param.kind is ParamKind.TIER:
        return _tiers(param, typed, settings)
    if param.kind is ParamKind.LABEL:
        return read_label(typed, param.labels)
    return typed


def _choice(param: Param, typed: str) -> str | None:
    """The choice `typed` names, whatever its case (`zh_cn` is zh_CN)."""
    return next((choice for choice in param.choices if choice.lower() == typed.lower()), None)


def _integer(param: Param, typed: str) -> int:
    if re.fullmatch(r"[+-]?[0-9]{1,18}", typed.strip()) is None:
        raise Unreadable(N_("“{typed}” is not a whole number."), typed=clean_name(typed, 40))
    number = int(typed)
    if param.minimum is not None and number < param.minimum:
        raise Unreadable(N_("The number must be at least {minimum}."), minimum=param.minimum)
    if param.maximum is not None and number > param.maximum:
        raise Unreadable(N_("The number must be at most {maximum}."), maximum=param.maximum)
    return number


def _tiers(param: Param, typed: str, settings: Settings) -> str | tuple[str, ...]:
    keys = [key.strip().lower() for key in typed.split(",")] if param.many else [typed.lower()]
    for key in keys:
        if key not in settings.tiers:
            raise Unreadable(
                N_("There is no tier “{tier}”. Choose one of: {tiers}."),
                tier=clean_name(key, 32),
                tiers=", ".join(settings.tiers) or "-",
            )
    return tuple(dict.fromkeys(keys)) if param.many else keys[0]
