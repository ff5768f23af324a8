"""Message entities: those Telegram detects in a user's text (commands, mentions, links), the HTML
parse mode parsed into entities with the error texts Telegram answers ("Bad Request: can't parse
entities: ..."), and trimming a text with its entities."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from tests.fakes.telegram.wire import JSON, utf16_len

_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")
_MENTION_RE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{4,32}(?![\w@])")
_URL_RE = re.compile(r"(?<![\w@/])https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


def detect_entities(text: str) -> list[JSON]:
    """The entities Telegram detects in a user's plain text: bot_command, mention, url."""
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in (("bot_command", _COMMAND_RE), ("url", _URL_RE), ("mention", _MENTION_RE)):
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            found.append((start, end, kind))
    found.sort()
    return [
        {
            "offset": utf16_len(text[:start]),
            "length": utf16_len(text[start:end]),
            "type": kind,
        }
        for start, end, kind in found
    ]


def command_target(text: str) -> tuple[str, str | None] | None:
    """("start", "knowpay_bot") for "/start@knowpay_bot args"; None if no leading command."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return None
    name, _, bot = match.group()[1:].partition("@")
    return name, bot or None


class EntityParseError(ValueError):
    """Telegram answers 400 "Bad Request: can't parse entities: <message>"."""


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "code",
        "pre",
        "blockquote",
    }
)


_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity at text[pos] == "&" like Telegram: numeric ones and the four
    named ones (&lt; &gt; &amp; &quot;), the ";" optional. None: a literal "&"."""
    end = pos + 1
    if text.startswith("#", end):
        end += 1
        hexadecimal = text.startswith(("x", "X"), end)
        end += hexadecimal
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        start = end
        while end < len(text) and text[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(text[start:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if text.startswith(";", end):
        end += 1
    return char, end


class _Open:
    def __init__(self, name: str, offset: int, attributes: dict[str, str]) -> None:
        self.name, self.offset, self.attributes = name, offset, attributes
        self.language: str | None = None


class _HtmlParser:
    """Telegram's HTML parse mode, after tdlib's parse_html: tags may nest, names and
    attribute names are case-insensitive, byte offsets in errors count UTF-8 bytes."""

    def __init__(self, text: str, mention: Callable[[int], JSON | None]) -> None:
        self.text, self.mention = text, mention
        self.out: list[str] = []
        self.offset = 0  # UTF-16 units written so far
        self.stack: list[_Open] = []
        self.entities: list[JSON] = []

    def byte(self, at: int) -> int:
        return len(self.text[:at].encode())

    def write(self, chunk: str) -> None:
        self.out.append(chunk)
        self.offset += utf16_len(chunk)

    def parse(self) -> tuple[str, list[JSON]]:
        text, i = self.text, 0
        while i < len(text):
            decoded = _decode_entity(text, i) if text[i] == "&" else None
            if decoded is not None:
                self.write(decoded[0])
                i = decoded[1]
            elif text[i] != "<":
                self.write(text[i])
                i += 1
            elif text.startswith("/", i + 1):
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            name = self.stack[-1].name
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _name(self, i: int) -> tuple[str, int]:
        start = i
        while i < len(self.text) and not self.text[i].isspace() and self.text[i] != ">":
            i += 1
        return self.text[start:i].lower(), i

    def end_tag(self, begin: int) -> int:
        name, i = self._name(begin + 2)
        while i < len(self.text) and self.text[i].isspace():
            i += 1
        if i >= len(self.text) or self.text[i] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {self.byte(begin)}")
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self.byte(begin)}")
        opened = self.stack.pop()
        if name and name != opened.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self.byte(begin)}, "
                f'expected "</{opened.name}>", found "</{name}>"'
            )
        entity = self.close(opened)
        if entity is not None:
            self.entities.append(entity)
        return i + 1

    def start_tag(self, begin: int) -> int:
        name, i = self._name(begin + 1)
        at = self.byte(begin)
        if i >= len(self.text):
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {at}')
        attributes: dict[str, str] = {}
        while True:
            while i < len(self.text) and self.text[i].isspace():
                i += 1
            if i >= len(self.text):
                raise EntityParseError(f"Unclosed start tag at byte offset {at}")
            if self.text[i] == ">":
                break
            i = self.attribute(i, at, attributes)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.stack.append(_Open(name, self.offset, attributes))
        return i + 1

    def attribute(self, i: int, at: int, attributes: dict[str, str]) -> int:
        text, size = self.text, len(self.text)
        start = i
        while i < size and not text[i].isspace() and text[i] not in "=>":
            i += 1
        name = text[start:i].lower()
        while i < size and text[i].isspace():
            i += 1
        if i >= size:
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        if text[i] != "=":
            attributes[name] = ""  # a bare attribute, like <blockquote expandable>
            return i
        i += 1
        while i < size and text[i].isspace():
            i += 1
        if i < size and text[i] in "'\"":
            value, i = self.quoted(i, at)
        else:
            start = i
            while i < size and (text[i].isalnum() or text[i] in ".-"):
                i += 1
            value = text[start:i].lower()
            if i < size and not text[i].isspace() and text[i] != ">":
                raise EntityParseError(f"Unexpected end of name token at byte offset {start}")
        if i >= size:
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        attributes[name] = value
        return i

    def quoted(self, i: int, at: int) -> tuple[str, int]:
        text, quote = self.text, self.text[i]
        value: list[str] = []
        i += 1
        while i < len(text) and text[i] != quote:
            decoded = _decode_entity(text, i) if text[i] == "&" else None
            value.append(decoded[0] if decoded else text[i])
            i = decoded[1] if decoded else i + 1
        if i >= len(text):
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        return "".join(value), i + 1

    def close(self, opened: _Open) -> JSON | None:
        name, attributes = opened.name, opened.attributes
        if name == "code" and self.stack and self.stack[-1].name == "pre":
            language = attributes.get("class", "")
            if language.startswith("language-"):
                self.stack[-1].language = language.removeprefix("language-")
            return None  # <pre><code> is one pre entity
        length = self.offset - opened.offset
        if length <= 0:
            return None
        entity: JSON = {"offset": opened.offset, "length": length}
        if name in _SIMPLE:
            entity["type"] = _SIMPLE[name]
            return entity
        builders: dict[str, Callable[[], JSON | None]] = {
            "code": lambda: {"type": "code"},
            "pre": lambda: {
                "type": "pre",
                **({"language": opened.language} if opened.language else {}),
            },
            "blockquote": lambda: {
                "type": "expandable_blockquote" if "expandable" in attributes else "blockquote"
            },
            "tg-emoji": lambda: _custom_emoji(attributes),
            "tg-time": lambda: _date_time(attributes),
            "a": lambda: self.link(opened),
        }
        extra = builders[name]()
        return None if extra is None else {**entity, **extra}

    def link(self, opened: _Open) -> JSON | None:
        url = opened.attributes.get("href") or _utf16_tail("".join(self.out), opened.offset)
        found = re.fullmatch(r"tg://user\?id=(\d+)", url)
        target = self.mention(int(found[1])) if found else None
        if target is not None:
            return {"type": "text_mention", "user": target}
        if re.match(r"(https?|tg|ton)://\S", url) or re.fullmatch(r"[\w.-]+\.[a-z]{2,}\S*", url):
            return {"type": "text_link", "url": url}
        return None  # Telegram drops links it cannot use


def _custom_emoji(attributes: dict[str, str]) -> JSON | None:
    emoji_id = attributes.get("emoji-id")
    return {"type": "custom_emoji", "custom_emoji_id": emoji_id} if emoji_id else None


def _date_time(attributes: dict[str, str]) -> JSON | None:
    if not attributes.get("unix", "").isdigit():
        return None
    entity: JSON = {"type": "date_time", "unix_time": int(attributes["unix"])}
    if attributes.get("format"):
        entity["date_time_format"] = attributes["format"]
    return entity


def parse_html(
    text: str, *, mention: Callable[[int], JSON | None] = lambda _user_id: None
) -> tuple[str, list[JSON]]:
    """Telegram's HTML parse mode: (plain text, entities with UTF-16 offsets), or
    EntityParseError with Telegram's message. `mention` resolves tg://user?id=N links."""
    return _HtmlParser(text, mention).parse()


def _utf16_tail(text: str, utf16_offset: int) -> str:
    return text.encode("utf-16-le")[utf16_offset * 2 :].decode("utf-16-le")


def trim(text: str, entities: Iterable[JSON]) -> tuple[str, list[JSON]]:
    """Telegram strips leading and trailing whitespace from message texts; entities follow."""
    stripped = text.strip()
    if stripped == text:
        return text, list(entities)
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
