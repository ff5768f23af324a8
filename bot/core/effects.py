"""Effects: what a handler wants to happen. Adapters carry them out; handlers never call APIs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.events import Place

# The most a bot may upload with one message, by platform, in bytes: a post's file must fit
# the platform it goes to. Discord: 10 MiB unless the server is boosted ("Uploading Files",
# https://discord.com/developers/docs/reference#uploading-files; interactions also report it
# as attachment_size_limit). Telegram: sendDocument takes files "of up to 50 MB"
# (https://core.telegram.org/bots/api#senddocument; python-telegram-bot's
# FileSizeLimit.FILESIZE_UPLOAD reads it as 50,000,000).
UPLOAD_LIMITS = {"discord": 10 * 1024 * 1024, "telegram": 50_000_000}


@dataclass(frozen=True)
class Button:
    """A button under a message: opens `url`, or runs `command` as whoever presses it.

    A command button is a confirmation ("Publish", "Cancel my question"): pressing it is the
    same as typing the command, with the presser's own role and rate limit.
    """

    label: str
    url: str | None = None
    command: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.command is None):
            raise ValueError("a button opens a url or runs a command, exactly one of them")


@dataclass(frozen=True)
class Reply:
    """Answer the event that was handled, in the place it came from."""

    text: str
    # Only the actor sees it (Discord ephemeral message; elsewhere a plain reply).
    ephemeral: bool = False
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class DirectMessage:
    """Tell the actor something privately, in a DM, where it stays after the command is done.

    `notice` is said in the command's place instead when the platform refuses the DM (the
    member closed their DMs or never started the bot).
    """

    text: str
    notice: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Invoice:
    """A Telegram Stars invoice for the actor to pay in the chat (Telegram only)."""

    title: str
    description: str
    payload: str
    stars: int


@dataclass(frozen=True)
class JoinRequestAnswer:
    """Let the requester into the chat of a JoinRequested event, or turn them away."""

    approved: bool


@dataclass(frozen=True)
class Ask:
    """The command lacks a value it needs: ask the member for it, in the command's place. Their
    answer completes `line`, the command as they typed it so far, which then runs again.

    Discord asks in a form (one text box per long value); Telegram asks by a reply to the
    question; the console reads the next line, or lines up to a lone dot for a long text.
    """

    text: str  # the question, in the member's language
    line: str  # "/grant @grace", "/drop new member"
    option: str  # the parameter asked for
    description: str  # what it is, in the member's language (a form's label)
    long: bool = False
    # The answer takes the rest of the line (a question), goes on a line of its own (a drop's
    # title and body), or is given as `option:answer`.
    rest: bool = False
    own_line: bool = False
    keyword: bool = False

    def completed(self, answer: str) -> str:
        """The command line with the member's answer in place."""
        value = answer.strip()
        if self.own_line:
            return f"{self.line}\n{value}"
        if not self.rest and (not value or any(ch.isspace() for ch in value)):
            value = '"' + " ".join(value.replace('"', "'").split()) + '"'
        return f"{self.line} {self.option}:{value}" if self.keyword else f"{self.line} {value}"


Effect = Reply | DirectMessage | Invoice | JoinRequestAnswer | Ask


# Durable effects: promised in a transaction (through the outbox), carried out after it commits
# by the outbox worker, retried until done. They name members, not platform accounts: the
# worker finds the member's accounts when it delivers.


@dataclass(frozen=True)
class NotifyMember:
    """A private message to a member, on the first of their platforms that takes it."""

    member_id: int
    text: str
    buttons: tuple[Button, ...] = ()
    # A stored file sent with the message (a drop's PDF), by id: its bytes stay in the
    # database, out of the outbox's payload. A platform that cannot take it refuses the DM,
    # so it goes to the member's next platform.
    file_id: int | None = None


@dataclass(frozen=True)
class GrantDiscordRole:
    member_id: int
    role_id: int
    reason: str


@dataclass(frozen=True)
class RevokeDiscordRole:
    member_id: int
    role_id: int
    reason: str


@dataclass(frozen=True)
class AdmitToTelegramChat:
    """Let a member into a private Telegram chat (a single-use invite link, sent to them)."""

    member_id: int
    chat_id: int
    text: str


@dataclass(frozen=True)
class RemoveFromTelegramChat:
    member_id: int
    chat_id: int


@dataclass(frozen=True)
class PostToChat:
    """A post in a community chat.

    With `thread_title`, the post starts a thread of that name where members answer it: a
    Discord thread (a forum post in a forum channel), a topic in a Telegram forum group; in a
    plain Telegram group, the replies to the post are its thread and the title heads the text.
    With `content_ref`, every message posted and the thread lead back to that registered
    content, so reactions and replies on them count for it.
    With `file_id`, a stored file (a drop's PDF) is uploaded with the post, on the message
    that carries its last part (Discord) or as a document after it (Telegram); its bytes stay
    in the database, out of the outbox's payload.
    """

    platform: str
    chat_id: str
    text: str
    buttons: tuple[Button, ...] = ()
    thread_title: str | None = None
    content_ref: str | None = None
    file_id: int | None = None

    def __post_init__(self) -> None:
        if self.file_id is not None and self.thread_title is not None:
            raise ValueError("a file goes with a plain post, not one that starts a thread")


@dataclass(frozen=True)
class StoredFile:
    """A file a post or DM carries, as the deliverers upload it."""

    filename: str
    content_type: str | None
    data: bytes


# Reads a stored file by id for a deliverer to upload; None when it is gone (its drop was
# deleted). Injected where the deliverers are built, so adapters need not open the database.
FileLoader = Callable[[int], Awaitable[StoredFile | None]]


@dataclass(frozen=True)
class Posted:
    """What a PostToChat put on its platform, named as that platform's events will name it."""

    # (chat id, message id) of each message: a long text is several, not all in one chat
    # (on Discord the rest of a thread's starting text is posted in the thread, a channel).
    messages: tuple[tuple[str, str], ...]
    # Where the messages written in the thread it started arrive; None when it started none,
    # or when replies to its first message are the thread (a plain Telegram group).
    thread: Place | None = None


@dataclass(frozen=True)
class DeleteMessage:
    """Take a member's message out of a community chat (an answer written in a paid
    question's public thread: only those who paid may read it)."""

    platform: str
    chat_id: str
    message_id: str
    reason: str


@dataclass(frozen=True)
class EditMessage:
    """Change the text of a message the bot posted (a premium drop corrected after it went
    out: every copy of it, in every chat, changes).

    `buttons` replace the ones under the message, as on a post: Telegram keeps no buttons that
    an edit does not repeat, so an edit that left them out would lose them there. A message
    holds one message's text (Discord 2000 characters, Telegram 4096): a longer `text` keeps
    its first part, cut as a post would be split, and ends in "…" to say the rest was left out.
    A post that went out split into several messages is edited message by message, each with
    its own part: splitting is the caller's job, since only it knows which part goes where.
    A message already gone needs no edit; the edit is done.
    """

    platform: str
    chat_id: str
    message_id: str
    text: str
    buttons: tuple[Button, ...] = ()

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("an edit needs text: to take a message away, DeleteMessage it")


@dataclass(frozen=True)
class RefundPayment:
    """Give money back through the provider that took it (a part, or all that is left)."""

    payment_id: int
    amount_minor: int
    reason: str


@dataclass(frozen=True)
class CancelSubscription:
    """Stop a subscription from renewing (the member switched to another tier)."""

    payment_id: int
    reason: str


DurableEffect = (
    NotifyMember
    | RefundPayment
    | CancelSubscription
    | GrantDiscordRole
    | RevokeDiscordRole
    | AdmitToTelegramChat
    | RemoveFromTelegramChat
    | PostToChat
    | DeleteMessage
    | EditMessage
)
