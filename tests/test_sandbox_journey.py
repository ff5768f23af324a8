"""A month of a membership in minutes, as the README tells it: `knowpay run` in a terminal,
/join member, the free trial started on the sandbox page, then the sandbox clock moved from a
second terminal through a declined renewal, the grace period's reminder and the expiry, each
message arriving in the member's terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from tests.test_cli import _env, _free_port, _read_pty_until, _wait_for, knowpay

CONFIG = """
[server]
port = {port}
[tiers.member]
name = "Member"
price = "9.00"
interval = "month"
trial_days = 7
grace_days = 3
discord_role_ids = [444444444444444441]
"""


def _press(url: str, **form: str) -> str:
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as page:
        return page.read().decode()


class Terminal:
    """A program in a pseudo-terminal of its own, as a person runs it."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self._leader, follower = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=_env(tmp_path),
            cwd=tmp_path,
        )
        os.close(follower)
        self.screen = ""

    def type(self, line: str) -> None:
        os.write(self._leader, line.encode() + b"\n")

    def until(self, marker: str) -> str:
        shown = _read_pty_until(self._leader, marker)
        self.screen += shown
        return shown

    def leave(self) -> None:
        os.write(self._leader, b"\x04")
        assert self.process.wait(timeout=15) == 0

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self._leader)


def _checkout(offer: str) -> str:
    found = re.search(r"\[Start the free trial\] (\S+)", offer)
    assert found is not None
    return found[1]


def test_a_trial_a_declined_renewal_the_reminder_and_the_expiry(tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG.format(port=port))
    member = Terminal(tmp_path, "run", "--config", str(config))
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        member.until("> ")
        member.type("/join member")
        offer = member.until("[Start the free trial]")
        assert "7-day free trial" in offer
        url = _checkout(offer)

        page = _press(url, action="pay")
        assert "Free trial until" in page
        screen = member.until("Nothing is charged until")
        assert "Your Member free trial has begun." in screen
        member.type("/membership")
        screen = member.until("[Manage Member]")
        assert "Member: free trial · until" in screen
        assert f"[Manage Member] {url}" in screen  # the page goes on as the subscription's
        _press(url, action="fail-next")

        def advance(days: str, then: str) -> str:
            moved = knowpay(tmp_path, "sandbox", "advance", days, config=config)
            assert moved.returncode == 0, moved.stderr
            return member.until(then)

        screen = advance("7d", "did not go through")
        assert "Your payment for Member did not go through. You keep access for 3 days" in screen
        screen = advance("2d", "Renew with /join member")
        assert "Your Member membership ends on" in screen
        screen = advance("1d", "has ended")
        assert "Your Member membership has ended and its access was removed." in screen

        member.type("/membership")
        assert "Member: expired" in member.until("Member:")
        member.leave()
    finally:
        member.close()


def test_sandbox_advance_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    stripe = tmp_path / "stripe.toml"
    stripe.write_text('[payments]\nprovider = "stripe"\n')
    refused = knowpay(tmp_path, "sandbox", "advance", "30d", config=stripe)
    assert refused.returncode == 2
    assert refused.stderr.startswith('knowpay: payments.provider: "stripe" takes the payments')
    for typed, reason in (
        ("soon", "“soon” is not a length of time."),
        ("lifetime", "not lifetime"),
    ):
        result = knowpay(tmp_path, "sandbox", "advance", typed)
        assert result.returncode == 2
        assert result.stderr.startswith("knowpay: DURATION: ")
        assert reason in result.stderr
        assert "Traceback" not in result.stderr


def test_two_people_in_two_terminals_each_get_their_own_messages(tmp_path: Path) -> None:
    """The owner runs the bot; alice joins from a second terminal, as the README says. Her
    receipt and reminders come to her terminal, marked private, never to the owner's; what
    came while she was away is shown when she is back."""
    port = _free_port()
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG.format(port=port))
    owner = Terminal(tmp_path, "run", "--config", str(config))
    alice: Terminal | None = None
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        owner.until("> ")
        alice = Terminal(tmp_path, "console", "--as", "alice", "--config", str(config))
        assert "You are alice (member)." in alice.until("alice> ")
        alice.type("/join member")
        url = _checkout(alice.until("[Start the free trial]"))
        with urllib.request.urlopen(url, timeout=10) as page:  # the link opens
            assert "Member" in page.read().decode()
        _press(url, action="pay")
        assert "📬 Private message: Your Member free trial has begun." in alice.until(
            "Nothing is charged until"
        )
        _press(url, action="fail-next")
        moved = knowpay(tmp_path, "sandbox", "advance", "7d", config=config)
        assert moved.returncode == 0, moved.stderr
        assert "📬 Private message: Your payment for Member did not go through." in alice.until(
            "did not go through"
        )
        alice.leave()
        for days in ("2d", "1d"):  # the reminder, then the end, while she is away
            moved = knowpay(tmp_path, "sandbox", "advance", days, config=config)
            assert moved.returncode == 0, moved.stderr
        owner.type("/members member")
        owner.until("alice")
        assert "Private message" not in owner.screen  # nothing of alice's came to the owner

        alice = Terminal(tmp_path, "console", "--as", "alice", "--config", str(config))
        back = alice.until("alice> ")
        assert "While you were away:" in back
        assert "Your Member membership ends on" in back  # the grace period's reminder
        assert "Your Member membership has ended and its access was removed." in back
        alice.leave()
        owner.leave()
    finally:
        owner.close()
        if alice is not None:
            alice.close()


def test_a_console_alone_runs_the_community_and_others_join_it(tmp_path: Path) -> None:
    """`knowpay console --as alice` with no bot running: her console runs it, so the checkout
    link opens and the receipt arrives; bob joins from another terminal."""
    port = _free_port()
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG.format(port=port))
    alice = Terminal(tmp_path, "console", "--as", "alice", "--config", str(config))
    try:
        alice.until("alice> ")
        alice.type("/join member")
        url = _checkout(alice.until("[Start the free trial]"))
        assert "Free trial until" in _press(url, action="pay")
        alice.until("Your Member free trial has begun.")
        bob = knowpay(tmp_path, "console", "--as", "bob", stdin="/membership\n", config=config)
        assert bob.returncode == 0, bob.stderr
        assert "/join" in bob.stdout  # bob has no membership: he joined alice's community
        assert "free trial" not in bob.stdout
        alice.leave()
        assert not (tmp_path / "cli-console.sock").exists()  # the socket goes with the bot
    finally:
        alice.close()
