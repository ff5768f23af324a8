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


def test_a_trial_a_declined_renewal_the_reminder_and_the_expiry(tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG.format(port=port))
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        stdin=follower,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    os.close(follower)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        _read_pty_until(leader, "> ")
        os.write(leader, b"/join member\n")
        offer = _read_pty_until(leader, "[Start the free trial]")
        assert "7-day free trial" in offer
        found = re.search(r"\[Start the free trial\] (\S+)", offer)
        assert found is not None
        url = found[1]

        page = _press(url, action="pay")
        assert "Free trial until" in page
        screen = _read_pty_until(leader, "Nothing is charged until")
        assert "Your Member free trial has begun." in screen
        os.write(leader, b"/membership\n")
        screen = _read_pty_until(leader, "[Manage Member]")
        assert "Member: free trial · until" in screen
        assert f"[Manage Member] {url}" in screen  # the page goes on as the subscription's
        _press(url, action="fail-next")

        def advance(days: str, then: str) -> str:
            moved = knowpay(tmp_path, "sandbox", "advance", days, config=config)
            assert moved.returncode == 0, moved.stderr
            return _read_pty_until(leader, then)

        screen = advance("7d", "did not go through")
        assert "Your payment for Member did not go through. You keep access for 3 days" in screen
        screen = advance("2d", "Renew with /join member")
        assert "Your Member membership ends on" in screen
        screen = advance("1d", "has ended")
        assert "Your Member membership has ended and its access was removed." in screen

        os.write(leader, b"/membership\n")
        assert "Member: expired" in _read_pty_until(leader, "Member:")
        os.write(leader, b"\x04")
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)


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
