"""Neutral events: what happened on a platform, in words every handler understands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.permissions import Level


class Platform(StrEnum):
    DISCORD = "discord"
    TELEGRAM = "telegram"
    CONSOLE = "console"


@dataclass(frozen=True)
class Actor:
    """The person behind an event, as the platform describes them."""

    platform: Platform
    user_id: str
    # Empty when the platform did not say (a Discord reaction removal names only the user id):
    # the name we already have is kept.
    display_name: str
    username: str | None = None
    # The language the platform reports for the user (Discord `interaction.locale`,
    # Telegram `language_code`); the member's own choice wins over it.
    locale_hint: str | None = None
    # The level the platform vouches for (Discord roles, Telegram admin lists, console --role);
    # None when the platform says nothing about it.
    level: Level | None = None
    is_bot: bool = False


@dataclass(frozen=True)
class Place:
    """Where the event happened, so replies go back there."""

    platform: Platform
    chat_id: str
    is_private: bool = True
    # A topic inside the chat (a Telegram forum topic), so answers land in the same thread.
    thread_id: str | None = None

    @property
    def thread_key(self) -> str:
        """The thread this place is, as one id: its topic's, else the chat's own (a Discord
        thread is a channel of its own)."""
        return self.thread_id or self.chat_id


@dataclass(frozen=True)
class Attachment:
    """A file sent with a command (a drop's PDF), described before it is downloaded: a file
    too big for where it is going is refused without fetching it."""

    filename: str
    content_type: str | None
    # Bytes, as the platform reported them (0 when it did not say: the download tells).
    size: int
    # Downloads the file from the platform.
    fetch: Callable[[], Awaitable[bytes]] = field(compare=False, repr=False)
    # The most the bot may download from that platform (Telegram's Bot API: 20 MB); None when
    # the platform sets no limit of its own on downloads.
    fetch_limit: int | None = None


@dataclass(frozen=True)
class CommandEvent:
    """A member ran a command.

    Text platforms (Telegram, console) fill `arguments` with the text after the command name
    (a subcommand first, when the command has some); platforms with typed options (Discord
    slash commands) name the `subcommand` and fill `options` instead.
    """

    actor: Actor
    place: Place
    name: str
    arguments: str = ""
    options: Mapping[str, str] | None = field(default=None)
    subcommand: str | None = None
    # Files sent with the command, by parameter name (Discord attachment options, a Telegram
    # document whose caption is the command); the console sends none.
    attachments: Mapping[str, Attachment] = field(default_factory=dict)

    @property
    def length(self) -> int:
        """Characters the user typed: `/name arguments`, or the name and every option value."""
        typed = len(self.name) + 1 + (len(self.arguments) + 1 if self.arguments else 0)
        typed += len(self.subcommand) + 1 if self.subcommand else 0
        return typed + sum(len(v) for v in (self.options or {}).values())


@dataclass(frozen=True)
class MessagePosted:
    """Someone wrote in a chat the bot watches; `reply_to` is the message they answered."""

    actor: Actor
    place: Place
    message_id: str
    text: str
    reply_to: str | None = None


@dataclass(frozen=True)
class ReactionChanged:
    """A reaction was added to (or taken off) a message."""

    actor: Actor
    place: Place
    message_id: str
    emoji: str
    added: bool


class MemberChange(StrEnum):
    JOINED = "joined"
    LEFT = "left"
    # Roles or profile changed; the actor carries the level the new roles give.
    UPDATED = "updated"


@dataclass(frozen=True)
class MembershipChanged:
    actor: Actor
    place: Place
    change: MemberChange


@dataclass(frozen=True)
class JoinRequested:
    """Someone asked to enter a private chat (a Telegram join request); `place` is that chat.

    Listeners answer with a JoinRequestAnswer; with no answer the request stays pending.
    """

    actor: Actor
    place: Place


# What happened on a platform besides a command; cogs subscribe to these by type.
PlatformEvent = MessagePosted | ReactionChanged | MembershipChanged | JoinRequested


@dataclass(frozen=True)
class AccountsLinked:
    """Two members became one (/link): the accounts, payments and memberships of `merged_id`
    now belong to `member_id`. Announced by the account cog inside the linking transaction."""

    member_id: int
    merged_id: int


# Events the cogs tell each other about, in the transaction of the command that caused them.
DomainEvent = AccountsLinked
