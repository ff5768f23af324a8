"""bot.config: the example bot.toml, one-line errors at exact keys, secrets, paths, db urls."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import (
    ConfigError,
    Secrets,
    Settings,
    config_path,
    database_url,
    load_settings,
)
from bot.core.money import Money

REPO_CONFIG = Path(__file__).resolve().parent.parent / "bot.toml"

TIER = """
[tiers.member]
name = "Member"
price = "9.00"
interval = "month"
discord_role_ids = [1]
"""


def write(tmp_path: Path, text: str, name: str = "bot.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_repo_bot_toml_loads() -> None:
    settings = load_settings(REPO_CONFIG)
    assert settings.community.currency == "usd"
    assert settings.community.default_locale == "en"
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8080
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    assert settings.payments.provider == "sandbox"
    member = settings.tiers["member"]
    assert member.price_money(settings.community.currency) == Money(900, "usd")
    assert (member.interval, member.trial_days, member.grace_days) == ("month", 7, 3)
    assert member.stars_price == 450
    assert member.discord_role_ids
    assert member.telegram_chat_ids
    assert settings.money(settings.tiers["pro"].price) == Money(9000, "usd")
    assert settings.tiers["pro"].interval == "year"


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""))
    assert settings == Settings()
    assert settings.community.name == "My community"
    assert settings.community.currency == "usd"
    assert settings.community.timezone == "UTC"
    assert settings.database.url == "sqlite+aiosqlite:///knowpay.db"
    assert settings.tiers == {}
    assert settings.qa.min_price == "5.00"
    assert settings.engagement.weights.answer_accepted == 8.0
    assert settings.report.channels == ["discord", "telegram"]
    assert (settings.report.weekday, settings.report.hour, settings.report.minute) == (0, 9, 0)
    assert settings.limits.commands_per_minute == 20


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.community = settings.community  # type: ignore[misc]


def test_currency_is_stored_lowercase_and_prices_follow_it(tmp_path: Path) -> None:
    text = '[community]\ncurrency = "JPY"\n' + TIER.replace('"9.00"', '"1000"')
    settings = load_settings(write(tmp_path, text))
    assert settings.community.currency == "jpy"
    assert settings.money(settings.tiers["member"].price) == Money(1000, "jpy")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[community]\ncolour = "red"\n', "community.colour: unknown key", id="unknown-key"
        ),
        pytest.param('colour = "red"\n', "colour: unknown key", id="unknown-section"),
        pytest.param(
            '[server]\nport = "8080"\n',
            "server.port: Input should be a valid integer",
            id="wrong-type",
        ),
        pytest.param(
            "[server]\nport = 70000\n",
            "server.port: Input should be less than or equal to 65535",
            id="port-range",
        ),
        pytest.param("community = 5\n", "community: must be a table", id="not-a-table"),
        pytest.param(
            TIER.replace('"9.00"', '"-1"'),
            'tiers.member.price: must not be negative (got "-1")',
            id="negative-price",
        ),
        pytest.param(
            TIER.replace('"9.00"', '"9.001"'),
            "tiers.member.price: too many decimal places for USD",
            id="price-decimals",
        ),
        pytest.param(
            TIER.replace('"9.00"', "9.0"),
            "tiers.member.price: must be a quoted string",
            id="price-not-a-string",
        ),
        pytest.param(
            '[community]\ncurrency = "jpy"\n' + TIER.replace('"9.00"', '"9.50"'),
            "tiers.member.price: JPY has no minor unit",
            id="price-vs-currency",
        ),
        pytest.param(
            '[qa]\nlisten_price = "free"\n',
            'qa.listen_price: not a number (got "free")',
            id="qa-price",
        ),
        pytest.param(
            TIER.replace("discord_role_ids = [1]\n", ""),
            "tiers.member: tier grants nothing: set discord_role_ids or telegram_chat_ids",
            id="tier-grants-nothing",
        ),
        pytest.param(
            TIER.replace('name = "Member"\n', ""),
            "tiers.member.name: required key is missing",
            id="tier-missing-key",
        ),
        pytest.param(
            TIER + "stars_price = 0\n",
            "tiers.member.stars_price: Input should be greater than 0",
            id="stars-price",
        ),
        pytest.param(
            '[community]\ncurrency = "zzz"\n',
            'community.currency: unknown currency "zzz"',
            id="unknown-currency",
        ),
        pytest.param(
            '[community]\ntimezone = "Mars/Olympus"\n',
            'community.timezone: unknown time zone "Mars/Olympus"',
            id="bad-timezone",
        ),
        pytest.param(
            '[community]\nname = "  "\n', "community.name: must not be empty", id="empty-name"
        ),
        pytest.param(
            '[community]\ndefault_locale = "fr"\n',
            "community.default_locale: Input should be 'en' or 'zh_CN'",
            id="locale",
        ),
        pytest.param(
            '[server]\npublic_url = "bot.example.com"\n',
            "server.public_url: must start with http:// or https://",
            id="public-url",
        ),
        pytest.param(
            '[report]\nschedule = "monday 9am"\n',
            "report.schedule: must be a weekday (mon..sun)",
            id="schedule",
        ),
        pytest.param(
            '[report]\nchannels = ["discord", "irc"]\n',
            "report.channels[1]: Input should be 'discord' or 'telegram'",
            id="report-channel",
        ),
        pytest.param(
            "[engagement.weights]\nreply = -1.0\n",
            "engagement.weights.reply: Input should be greater than or equal to 0",
            id="negative-weight",
        ),
        pytest.param(
            '[telegram]\nmode = "webhook"\n',
            "telegram.mode: webhook mode needs [server] public_url",
            id="webhook-needs-public-url",
        ),
        pytest.param(
            "a = 1\n[community]\nname = \n",
            "line 3, column 8: invalid TOML (Invalid value)",
            id="toml-syntax",
        ),
        pytest.param(
            '[discord]\ntoken = "abc.def.ghi"\n',
            "discord.token: secrets are read from the environment only (e.g. DISCORD_TOKEN), "
            "not from the config file",
            id="secret-token",
        ),
        pytest.param(
            '[stripe]\napi_key = "sk_test_123"\n',
            "stripe.api_key: secrets are read from the environment only (e.g. STRIPE_API_KEY)",
            id="secret-api-key",
        ),
        pytest.param(
            '[stripe]\nwebhook_secret = "whsec_1"\n',
            "stripe.webhook_secret: secrets are read from the environment only "
            "(e.g. STRIPE_WEBHOOK_SECRET)",
            id="secret-webhook",
        ),
        pytest.param(
            '[database]\nurl = "mysql://root:hunter2@db/knowpay"\n',
            "database.url: not a database URL knowpay can use: give sqlite:///FILE or "
            "postgresql://USER@HOST/DATABASE",
            id="database-url-unsupported",
        ),
        pytest.param(
            '[database]\npassword = "hunter2"\n',
            "database.password: secrets are read from the environment only (e.g. DATABASE_URL)",
            id="secret-password",
        ),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert error_for(write(tmp_path, text)).startswith(expected)


def test_secret_values_never_appear_in_errors(tmp_path: Path) -> None:
    message = error_for(write(tmp_path, '[telegram]\ntoken = "123:SUPER-SECRET"\n'))
    assert "SUPER-SECRET" not in message
    assert "TELEGRAM_TOKEN" in message


def test_several_problems_report_the_first_and_count_the_rest(tmp_path: Path) -> None:
    text = '[community]\nname = ""\n[server]\nport = -1\nhost = 3\n'
    assert error_for(write(tmp_path, text)) == (
        "community.name: must not be empty (and 2 more problems)"
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value) == f"{path}: file not found"


def test_relative_missing_file_message() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(Path("definitely-missing-knowpay.toml"))
    assert str(info.value) == "definitely-missing-knowpay.toml: file not found"


def test_directory_is_an_error(tmp_path: Path) -> None:
    assert error_for(tmp_path) == "is a directory, not a file"


def test_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_bytes(b'[community]\nname = "caf\xe9"\n')
    assert error_for(path).startswith("line 2: not UTF-8 text")


def test_secrets_from_env_and_repr_hides_values() -> None:
    secrets = Secrets.from_env(
        {
            "DISCORD_TOKEN": "discord-SECRET",
            "TELEGRAM_TOKEN": "",
            "STRIPE_API_KEY": "sk_test_SECRET",
            "STRIPE_WEBHOOK_SECRET": "   ",
            "UNRELATED": "x",
        }
    )
    assert secrets.discord_token == "discord-SECRET"
    assert secrets.telegram_token is None  # empty counts as unset
    assert secrets.stripe_api_key == "sk_test_SECRET"
    assert secrets.stripe_webhook_secret is None
    assert secrets.database_url is None
    for text in (repr(secrets), str(secrets), f"{secrets}", f"{[secrets]}"):
        assert "SECRET" not in text
    assert repr(secrets) == (
        "Secrets(discord_token=set, telegram_token=unset, stripe_api_key=set, "
        "stripe_webhook_secret=unset, database_url=unset)"
    )


def test_config_path_precedence() -> None:
    assert config_path("cli.toml", {"KNOWPAY_CONFIG": "env.toml"}) == Path("cli.toml")
    assert config_path(None, {"KNOWPAY_CONFIG": "env.toml"}) == Path("env.toml")
    assert config_path(None, {"KNOWPAY_CONFIG": ""}) == Path("bot.toml")
    assert config_path(None, {}) == Path("bot.toml")


def test_database_url_precedence() -> None:
    settings = Settings.model_validate({"database": {"url": "sqlite:///from-file.db"}})
    assert database_url(settings, Secrets()) == "sqlite+aiosqlite:///from-file.db"
    env = Secrets(database_url="postgresql+asyncpg://u@db/knowpay")
    assert database_url(settings, env) == "postgresql+asyncpg://u@db/knowpay"
    assert database_url(Settings(), Secrets.from_env({"DATABASE_URL": ""})) == (
        "sqlite+aiosqlite:///knowpay.db"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgresql://u:p@h/d", "postgresql+asyncpg://u:p@h/d"),
        ("postgresql+asyncpg://h/d", "postgresql+asyncpg://h/d"),
        ("sqlite:///knowpay.db", "sqlite+aiosqlite:///knowpay.db"),
        ("sqlite:////abs/path.db", "sqlite+aiosqlite:////abs/path.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_url_normalisation(url: str, expected: str) -> None:
    assert database_url(Settings(), Secrets(database_url=url)) == expected


def test_unusable_database_url_from_the_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError) as raised:
        database_url(Settings(), Secrets(database_url="mysql://root:hunter2@db/x"))
    assert str(raised.value).startswith("DATABASE_URL: not a database URL knowpay can use")
    assert "hunter2" not in str(raised.value)


def test_prices_checked_without_validation_context() -> None:
    with pytest.raises(ValueError, match=r"qa\.min_price: JPY has no minor unit"):
        Settings.model_validate({"community": {"currency": "jpy"}, "qa": {"min_price": "5.50"}})
