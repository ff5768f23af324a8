"""The bot.toml schema: every section and key, its default and its checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.config.errors import KeyedValueError
from bot.core.money import Money, is_known_currency, parse_decimal, parse_major
from storage.engine import check_url, normalize_url

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///knowpay.db"


def _context_currency(info: ValidationInfo) -> str | None:
    context = info.context
    if isinstance(context, Mapping):
        currency = context.get("currency")
        if isinstance(currency, str) and is_known_currency(currency):
            return currency.lower()
    return None


def _check_price(value: object, info: ValidationInfo) -> str:
    """A price in major units as a string; checked against the community currency if known."""
    if not isinstance(value, str):
        raise ValueError(f'must be a quoted string in major units, e.g. "9.00" (got {value!r})')
    currency = _context_currency(info)
    if currency is None:
        parse_decimal(value)  # shape only; Settings re-checks against community.currency
    else:
        parse_major(value, currency)
    return value.strip()


def _check_http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f'must start with http:// or https:// (got "{value}")')
    return value


def _check_ws_url(value: str) -> str:
    if not value.startswith(("ws://", "wss://")):
        raise ValueError(f'must start with ws:// or wss:// (got "{value}")')
    return value


Price = Annotated[str, BeforeValidator(_check_price)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
WsUrl = Annotated[str, AfterValidator(_check_ws_url)]
DiscordId = Annotated[int, Field(gt=0)]
Percent = Annotated[int, Field(ge=0, le=100)]

_TIER_KEY = re.compile(r"[a-z0-9][a-z0-9_-]*")
_SCHEDULE = re.compile(r"(mon|tue|wed|thu|fri|sat|sun) ([01][0-9]|2[0-3]):([0-5][0-9])")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- sections


class CommunityConfig(_Section):
    name: str = "My community"
    currency: str = "usd"
    timezone: str = "UTC"
    default_locale: Literal["en", "zh_CN"] = "en"

    @field_validator("name")
    @classmethod
    def _name_not_empty(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if not is_known_currency(value):
            raise ValueError(
                f'unknown currency "{value}" (use an ISO 4217 code such as "usd", "eur", '
                '"jpy", or "xtr" for Telegram Stars)'
            )
        return value.lower()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f'unknown time zone "{value}" (use an IANA name such as "Europe/Berlin" or "UTC")'
            ) from None
        return value

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DatabaseConfig(_Section):
    url: str = DEFAULT_DATABASE_URL

    @field_validator("url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        check_url(normalize_url(value))
        return value


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: HttpUrl | None = None

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value is not None else None


class DiscordConfig(_Section):
    guild_id: DiscordId | None = None
    qa_channel_id: DiscordId | None = None
    drops_channel_id: DiscordId | None = None
    report_channel_id: DiscordId | None = None
    mod_role_ids: list[DiscordId] = Field(default_factory=list)
    creator_role_ids: list[DiscordId] = Field(default_factory=list)
    admin_role_ids: list[DiscordId] = Field(default_factory=list)
    api_base_url: HttpUrl = "https://discord.com/api/v10"
    gateway_url: WsUrl = "wss://gateway.discord.gg"
    # Sharding, only for bots in very many servers: both unset = one connection.
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: list[Annotated[int, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _shards_fit(self) -> Self:
        if self.shard_ids is not None and self.shard_count is None:
            raise KeyedValueError("shard_ids", "set shard_count too")
        if self.shard_ids and self.shard_count and max(self.shard_ids) >= self.shard_count:
            raise KeyedValueError("shard_ids", "every shard id must be below shard_count")
        return self


class TelegramConfig(_Section):
    community_chat_id: int | None = None
    qa_chat_id: int | None = None
    drops_chat_id: int | None = None
    report_chat_id: int | None = None
    admin_user_ids: list[int] = Field(default_factory=list)
    mod_user_ids: list[int] = Field(default_factory=list)
    creator_user_ids: list[int] = Field(default_factory=list)
    mode: Literal["polling", "webhook"] = "polling"
    api_base_url: HttpUrl = "https://api.telegram.org/bot"


class PaymentsConfig(_Section):
    provider: Literal["stripe", "sandbox"] = "sandbox"
    # Telegram Stars per one major unit of the community currency, for what is sold at a card
    # price (questions, listen-ins, drops) and may be paid in Stars inside Telegram.
    stars_per_unit: int | None = Field(default=None, gt=0)


class StripeConfig(_Section):
    api_base: HttpUrl | None = None
    success_url: HttpUrl | None = None
    cancel_url: HttpUrl | None = None


class Tier(_Section):
    name: str = Field(min_length=1)
    price: Price
    interval: Literal["month", "year", "lifetime"]
    trial_days: int = Field(default=0, ge=0)
    grace_days: int = Field(default=3, ge=0)
    discord_role_ids: list[DiscordId] = Field(default_factory=list)
    telegram_chat_ids: list[int] = Field(default_factory=list)
    stars_price: int | None = Field(default=None, gt=0)
    # Where the tier's members read its drops on Discord (Telegram: its chats above).
    discord_drops_channel_id: DiscordId | None = None

    @model_validator(mode="after")
    def _grants_something(self) -> Self:
        if not self.discord_role_ids and not self.telegram_chat_ids:
            raise ValueError("tier grants nothing: set discord_role_ids or telegram_chat_ids")
        return self

    def price_money(self, currency: str) -> Money:
        """The price in minor units of ``currency`` (the community currency)."""
        return parse_major(self.price, currency)


class QAConfig(_Section):
    min_price: Price = "5.00"
    sla_hours: int = Field(default=48, gt=0)
    accept_days: int = Field(default=3, gt=0)
    platform_fee_percent: Percent = 10
    listen_price: Price = "1.00"
    listen_split_asker_percent: Percent = 50


class EngagementWeights(_Section):
    reaction: float = Field(default=1.0, ge=0)
    reply: float = Field(default=3.0, ge=0)
    unlock: float = Field(default=5.0, ge=0)
    view: float = Field(default=0.2, ge=0)
    answer_accepted: float = Field(default=8.0, ge=0)


class EngagementTrack(_Section):
    """Channels and chats whose posts by creators (and above) become contents."""

    discord: list[DiscordId] = Field(default_factory=list)
    telegram: list[int] = Field(default_factory=list)


class EngagementConfig(_Section):
    default_content_value: Price = "1.00"
    free_member_propensity: float = Field(default=0.1, ge=0, le=1)
    retention_days: int = Field(default=400, gt=0)
    weights: EngagementWeights = Field(default_factory=EngagementWeights)
    track: EngagementTrack = Field(default_factory=EngagementTrack)


ReportChannel = Literal["discord", "telegram"]


def _all_report_channels() -> list[ReportChannel]:
    return ["discord", "telegram"]


class ReportConfig(_Section):
    schedule: str = "mon 09:00"
    channels: list[ReportChannel] = Field(default_factory=_all_report_channels)

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        normalised = " ".join(value.lower().split())
        if not _SCHEDULE.fullmatch(normalised):
            raise ValueError(
                f'must be a weekday (mon..sun), a space and a 24h time HH:MM, e.g. "mon 09:00" '
                f'(got "{value}")'
            )
        return normalised

    @property
    def weekday(self) -> int:
        """0 = Monday ... 6 = Sunday (``datetime.weekday()`` numbering)."""
        return WEEKDAYS.index(self.schedule[:3])

    @property
    def hour(self) -> int:
        return int(self.schedule[4:6])

    @property
    def minute(self) -> int:
        return int(self.schedule[7:9])


class LimitsConfig(_Section):
    commands_per_minute: int = Field(default=20, ge=1)
    max_command_length: int = Field(default=4000, ge=1)
    # Commands that take long text (/ask, /answer): a question with its code may be long.
    max_long_text_length: int = Field(default=10_000, ge=1)


class Settings(_Section):
    """The whole of bot.toml. Every section is optional; defaults suit a laptop."""

    community: CommunityConfig = Field(default_factory=CommunityConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    payments: PaymentsConfig = Field(default_factory=PaymentsConfig)
    stripe: StripeConfig = Field(default_factory=StripeConfig)
    tiers: dict[str, Tier] = Field(default_factory=dict)
    qa: QAConfig = Field(default_factory=QAConfig)
    engagement: EngagementConfig = Field(default_factory=EngagementConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)

    @field_validator("tiers")
    @classmethod
    def _tier_keys(cls, value: dict[str, Tier]) -> dict[str, Tier]:
        for key in value:
            if not _TIER_KEY.fullmatch(key):
                raise KeyedValueError(
                    key, 'a tier key must be lowercase letters, digits, "-" or "_"'
                )
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        # Prices were checked against the currency from the validation context when there
        # was one (load_settings); this also covers Settings built without that context.
        for key, amount in self._prices():
            try:
                parse_major(amount, self.community.currency)
            except ValueError as exc:
                raise KeyedValueError(key, str(exc)) from None
        if self.telegram.mode == "webhook" and self.server.public_url is None:
            raise KeyedValueError(
                "telegram.mode",
                "webhook mode needs [server] public_url (the https address Telegram posts to)",
            )
        return self

    def _prices(self) -> list[tuple[str, str]]:
        prices = [(f"tiers.{key}.price", tier.price) for key, tier in self.tiers.items()]
        prices += [
            ("qa.min_price", self.qa.min_price),
            ("qa.listen_price", self.qa.listen_price),
            ("engagement.default_content_value", self.engagement.default_content_value),
        ]
        return prices

    def chats(self, purpose: Literal["qa", "drops", "report"]) -> list[tuple[str, str]]:
        """(platform, chat id) of the Q&A, public drops or report channel of each platform
        that has one set."""
        chats = {
            "qa": (self.discord.qa_channel_id, self.telegram.qa_chat_id),
            "drops": (self.discord.drops_channel_id, self.telegram.drops_chat_id),
            "report": (self.discord.report_channel_id, self.telegram.report_chat_id),
        }[purpose]
        named = zip(("discord", "telegram"), chats, strict=True)
        return [(platform, str(chat)) for platform, chat in named if chat is not None]

    def money(self, amount: str) -> Money:
        """An amount in major units (a price from this file) as Money in the community currency."""
        return parse_major(amount, self.community.currency)
