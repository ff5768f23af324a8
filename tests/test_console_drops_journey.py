"""A premium drop in the console's local community: `knowpay run` (the owner, who grants a
tier) and `knowpay console` terminals for a creator, a member of the tier and an outsider who
buys the drop on the sandbox page; each private message arrives in its reader's terminal."""

from __future__ import annotations

import signal
import subprocess
import urllib.request
from pathlib import Path

from tests.test_cli import _free_port, _read_until, _start_console, _start_run, _wait_for, knowpay
from tests.test_console_qa_journey import _type

# The console reads one line per command, so the drop's title and body come on the lines after
# /drop new and its options, ended by a line with only a dot.
DROP = (
    "Async patterns in Rust",
    "Use task groups.",
    "They cancel well.",
    "Await each one.",
    "SECRET FOURTH",
    "https://x.dev/tg",
    ".",
)
TEASER = (
    "**Async patterns in Rust**\nUse task groups.\nThey cancel well.\nAwait each one.…\n\n"
    "Members of Member read it in full. Anyone can unlock it for $4.99: /unlock D1"
)
FULL = (
    "Drop D1 · **Async patterns in Rust**\n\n"
    "Use task groups.\nThey cancel well.\nAwait each one.\nSECRET FOURTH\n\nhttps://x.dev/tg"
)


def _session(tmp_path: Path, config: Path, name: str, *lines: str, role: str = "member") -> str:
    stdin = "".join(f"{line}\n" for line in lines)
    session = knowpay(tmp_path, "console", "--as", name, "--role", role, stdin=stdin, config=config)
    assert session.returncode == 0, session.stderr
    return session.stdout


def _delivered(terminal: subprocess.Popen[str]) -> str:
    """What a terminal showed up to the end of the drop's private message."""
    return _read_until(terminal, "📬 Private message: Drop D1") + _read_until(
        terminal, "https://x.dev/tg"
    )


def _leave(terminal: subprocess.Popen[str]) -> None:
    assert terminal.stdin is not None
    terminal.stdin.close()
    assert terminal.wait(timeout=10) == 0


def test_write_publish_notify_read_and_buy_a_drop_in_the_console(tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "run.toml"
    config.write_text(
        f"[server]\nport = {port}\n"
        "[tiers.member]\nname = 'Member'\nprice = '9.00'\ninterval = 'month'\n"
        "discord_role_ids = [444444444444444441]\n"  # a tier must grant something
    )
    process = _start_run(tmp_path, config)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        lee = _session(tmp_path, config, "lee", "/drops", "/notify on", "/drop new")
        assert lee.splitlines() == [
            "No drops yet.",
            "New drops of your tiers will come to you by private message.",
            "You need the creator role to use /drop.",  # and no prompt for the drop's text
        ]
        _type(process, "/grant @lee member 30d")
        _read_until(process, "Member")

        written = _session(
            tmp_path,
            config,
            "grace",
            "/drop new member 4.99",  # a price goes by its name
            "/drop new",  # the tiers to choose from
            "/drop new member price:4.99",  # then the title and body, over lines
            *DROP,
            role="creator",
        )
        lines = written.splitlines()
        assert lines[:2] == [
            "Too many arguments: “4.99”. Did you mean price:4.99?",
            'Usage: /drop new <tiers> [price:4.99] [at:"tomorrow 20:00"] [file]',
        ]
        assert lines[3:7] == [
            "/drop new needs <tiers>: The tiers that read it in full, comma-separated.",
            "  [member] /drop new member",
            "/drop new needs <text>: The title on the first line, then the body; a link alone "
            "on the last line.",
            "Type it over as many lines as you like, then a line with only a dot.",
        ]
        assert f"Preview of drop D1 (nothing is posted yet):\n\n{FULL}" in written
        assert f"Teaser in the public drops channel:\n\n{TEASER}" in written
        assert "In full in: no tier chat is configured" in written
        assert written.rstrip().endswith("[Publish] /drop publish D1")

        lee_at_terminal = _start_console(tmp_path, config, "lee")
        _type(lee_at_terminal, "/whoami")
        _read_until(lee_at_terminal, "You are member")  # lee's terminal is open
        published = _session(tmp_path, config, "grace", "/drop publish D1", role="creator")
        assert published == "Drop D1 is published; 1 members get it by private message.\n"
        assert f"📬 Private message: {FULL}" in _delivered(lee_at_terminal)
        _leave(lee_at_terminal)
        assert _session(tmp_path, config, "lee", "/drops") == f"{FULL}\n"

        max_at_terminal = _start_console(tmp_path, config, "max")
        _type(max_at_terminal, "/drops")
        assert _read_until(max_at_terminal, "/unlock D1").startswith(TEASER.splitlines()[0])
        _type(max_at_terminal, "/unlock D1")
        offer = _read_until(max_at_terminal, "[Pay $4.99]")
        assert "SECRET FOURTH" not in offer
        assert "Unlock drop D1 for $4.99; it comes to you in a private message once paid." in offer
        url = offer.split("[Pay $4.99] ")[1].strip()
        paying = urllib.request.Request(url, data=b"action=pay", method="POST")
        with urllib.request.urlopen(paying, timeout=10) as response:
            assert "Paid." in response.read().decode()
        assert f"📬 Private message: {FULL}" in _delivered(max_at_terminal)
        _leave(max_at_terminal)
        assert "SECRET FOURTH" in _session(tmp_path, config, "max", "/drops")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
