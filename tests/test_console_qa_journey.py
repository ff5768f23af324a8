"""A paid question from start to payout in the console, as separate processes sharing one
database: `knowpay run` (the asker, paying on the sandbox page) and `knowpay console` sessions
for the expert and for another member."""

from __future__ import annotations

import signal
import subprocess
import urllib.request
from pathlib import Path

from tests.test_cli import _free_port, _read_until, _start_run, _wait_for, knowpay


def _type(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()


def _grace(tmp_path: Path, config: Path, *lines: str) -> str:
    """A `knowpay console` session of grace, an expert (a creator)."""
    stdin = "".join(f"{line}\n" for line in lines)
    session = knowpay(
        tmp_path, "console", "--as", "grace", "--role", "creator", stdin=stdin, config=config
    )
    assert session.returncode == 0, session.stderr
    return session.stdout


def test_ask_pay_answer_accept_payout_and_unlock_in_the_console(tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "run.toml"
    config.write_text(f"[server]\nport = {port}\n[qa]\nmin_price = '5.00'\n")
    process = _start_run(tmp_path, config)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        # The expert makes themselves known (and sets a price) before anyone asks them.
        expert = _grace(tmp_path, config, "/expert price 6")
        assert "Questions to you now cost at least $6.00." in expert
        _type(process, "/ask @grace price:5 How do I profile asyncio?")
        assert "grace takes questions from $6.00." in _read_until(process, "grace takes")
        _type(process, "/ask @grace price:6 How do I profile `asyncio.run(main())`?")
        offer = _read_until(process, "[Pay $6.00]")
        url = offer.split("[Pay $6.00] ")[1].strip()
        paying = urllib.request.Request(url, data=b"action=pay", method="POST")
        with urllib.request.urlopen(paying, timeout=10) as response:
            assert "Paid." in response.read().decode()
        answering = _grace(tmp_path, config, "/questions", "/answer 1 Use py-spy.")
        assert "Question #1 · $6.00 · open" in answering
        assert "Answer sent." in answering
        _read_until(process, "Your question #1 has an answer.")
        _type(process, "/question 1")
        assert "Use py-spy." in _read_until(process, "Use py-spy.")
        _type(process, "/accept 1")
        _read_until(process, "Accepted. Thank you!")
        assert "$5.40" in _grace(tmp_path, config, "/payouts")
        other = knowpay(tmp_path, "console", "--as", "lee", stdin="/question 1\n", config=config)
        assert "Use py-spy." not in other.stdout
        assert "/unlock 1" in other.stdout
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
