"""Plain text -> Telegram HTML. Everything is escaped first, so nothing a member wrote can
open a tag or break the message; then ``` fences and `inline code` become code formatting, and
Markdown headings (which Telegram does not know) and **bold** become bold."""

from __future__ import annotations

import html
import re

_FENCE = re.compile(r"```([A-Za-z0-9_+-]*)\n?(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_HEADING = re.compile(r"^#{1,6} +(.+)$", re.MULTILINE)
_BOLD = re.compile(r"\*\*([^*`\n]+)\*\*")


def to_html(text: str) -> str:
    parts: list[str] = []
    position = 0
    for block in _FENCE.finditer(text):
        parts.append(_inline(text[position : block.start()]))
        language, code = block.group(1), html.escape(block.group(2).rstrip("\n"), quote=False)
        attribute = f' class="language-{language}"' if language else ""
        parts.append(f"<pre><code{attribute}>{code}</code></pre>")
        position = block.end()
    parts.append(_inline(text[position:]))
    return "".join(parts)


def _inline(text: str) -> str:
    """Inline code first, so nothing inside it is styled."""
    parts: list[str] = []
    position = 0
    for code in _INLINE_CODE.finditer(text):
        parts.append(_styled(text[position : code.start()]))
        parts.append(f"<code>{html.escape(code.group(1), quote=False)}</code>")
        position = code.end()
    parts.append(_styled(text[position:]))
    return "".join(parts)


def _styled(text: str) -> str:
    escaped = html.escape(text, quote=False)
    headed = _HEADING.sub(lambda m: f"<b>{m.group(1)}</b>", escaped)
    return _BOLD.sub(lambda m: f"<b>{m.group(1)}</b>", headed)
