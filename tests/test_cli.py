"""The `knowpay` command line, end to end, as separate processes."""

from __future__ import annotations

import json
import os
import pty
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from storage.migrate import head_revision
from tests.conftest import REPO

ENV_KEYS_TO_DROP = ("DISCORD_TOKEN", "TELEGRAM_TOKEN", "STRIPE_API_KEY", "KNOWPAY_CONFIG")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS_TO_DROP}
    env.update(LANG="C", DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}")
    return env


def knowpay(
    tmp_path: Path,
    *args: str,
    stdin: str = "",
    config: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    config = config or _example_config(tmp_path)
    return knowpay_bare(tmp_path, *args, "--config", str(config), stdin=stdin, env=env)


def _example_config(tmp_path: Path) -> Path:
    """The README's bot.toml, on a free port: a console with no bot beside it runs one."""
    copy = tmp_path / "example.toml"
    if not copy.exists():
        text = (REPO / "bot.toml").read_text()
        copy.write_text(text.replace("\nport = 8080\n", f"\nport = {_free_port()}\n"))
    return copy


def knowpay_bare(
    tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A `knowpay` command as typed, without the --config that `knowpay()` adds."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**_env(tmp_path), **(env or {})},
        timeout=120,
        check=False,
    )


def test_help_lists_every_subcommand() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("run", "console", "demo", "reconcile", "report", "db"):
        assert f"  {command} " in result.stdout


def test_console_session_with_piped_stdin(tmp_path: Path) -> None:
    lines = ["/help", "/whoami", "", "/language zh_CN", "/whoami", "/nope", "/audit"]
    result = knowpay(tmp_path, "console", "--as", "alice", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Commands you can use:\n/accept <id>")
    assert "\n/help [command]" in out
    lines = out.splitlines()
    assert "You are member #1 (alice)." in lines
    chosen = lines.index("好的，从现在起我会用 中文 (简体, 中国) 和你交流。")
    assert lines[chosen + 1] == "你是 #1 号成员（alice）。"
    assert lines[-2:] == [
        "我不认识 /nope 这个命令。 发送 /help 看看你能做什么。",
        "需要版主身份才能使用 /audit。",
    ]
    assert "Traceback" not in result.stderr


def test_console_remembers_between_sessions_and_roles_are_audited(tmp_path: Path) -> None:
    knowpay(tmp_path, "console", "--as", "bob", stdin="/whoami\n")
    result = knowpay(tmp_path, "console", "--as", "boss", "--role", "mod", stdin="/audit\n")
    assert result.returncode == 0, result.stderr
    assert "role.changed" in result.stdout
    assert "to=mod" in result.stdout


def test_console_survives_hostile_input(tmp_path: Path) -> None:
    hostile = ["/" + "x" * 10_000, "/whoami \x00\x1b[2J\x07", "\x1b[31m/help", "/", "/link NOPE"]
    result = knowpay(tmp_path, "console", "--as", "eve", stdin="\n".join(hostile) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "10,001 characters" in out
    assert "You are member #1 (eve)." in out
    assert "\x1b" not in out
    assert "not valid" in out
    assert "Traceback" not in result.stderr


def test_console_needs_a_name(tmp_path: Path) -> None:
    for name in ("  ", "x" * 65):
        result = knowpay(tmp_path, "console", "--as", name)
        assert result.returncode == 2
        assert "Invalid value for --as: must be 1 to 64 characters" in result.stderr


def test_a_console_beside_no_bot_on_the_platforms_database_only_talks(tmp_path: Path) -> None:
    """With a platform token set, the database is the platforms': a console with no bot
    running answers commands but neither hosts others nor delivers what is queued."""
    result = knowpay(
        tmp_path, "console", "--as", "ada", stdin="/whoami\n", env={"DISCORD_TOKEN": "not.used"}
    )
    assert result.returncode == 0, result.stderr
    assert "You are member #1 (ada)." in result.stdout
    assert "what this console queues is sent once it runs" in result.stderr
    assert not list(tmp_path.glob("*.sock"))


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[community]\nname = 'x'\ncolour = 'red'\n", "community.colour"),
        (
            "[tiers.member]\nname = 'M'\nprice = '-1'\ninterval = 'month'\n"
            "discord_role_ids = [1]\n",
            "tiers.member.price",
        ),
        ("[server]\nport = 'eighty'\n", "server.port"),
        ("[community\nname = 'x'\n", "line 1"),
    ],
)
def test_bad_config_exits_2_with_one_line(tmp_path: Path, toml: str, key: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    for command in (["console", "--as", "a"], ["db", "upgrade"], ["run"]):
        result = knowpay(tmp_path, *command, config=config)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert str(config) in result.stderr
        assert key in result.stderr
        assert result.stdout == ""


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://root@localhost/knowpay", "not a database URL knowpay can use"),
        ("postgresql://nobody@127.0.0.1:1/knowpay", "cannot use the database"),
    ],
)
def test_bad_database_url_exits_2_naming_it(tmp_path: Path, url: str, problem: str) -> None:
    for command in (["console", "--as", "a"], ["db", "upgrade"]):
        result = knowpay(tmp_path, *command, env={"DATABASE_URL": url})
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"knowpay: DATABASE_URL: {problem}")
        assert result.stderr.count("\n") == 1


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    result = knowpay(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert f"database is at revision {head_revision()}" in result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_serves_health_and_metrics_and_stops_on_a_signal(
    tmp_path: Path, signum: signal.Signals
) -> None:
    port = _free_port()
    config = tmp_path / "run.toml"
    config.write_text(f"[community]\nname = 'Run test'\n[server]\nport = {port}\n")
    process = _start_run(tmp_path, config)
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz")
        assert json.loads(health) == {
            "status": "ok",
            "database": "ok",
            "outbox": {"pending": 0, "dead": 0},
        }
        assert process.stdin is not None
        process.stdin.write("/whoami\n")
        process.stdin.flush()
        assert "Role: owner" in _read_until(process, "Role:")
        status, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert (
            'knowpay_commands_total{command="whoami",outcome="ok",platform="console"} 1.0'
            in metrics
        )
        process.send_signal(signum)
        started = time.monotonic()
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stderr is not None
    said = process.stderr.read()
    # The terminal is the conversation: the log is in the file named at start.
    log_file = tmp_path / "knowpay.log"
    assert said.splitlines() == [f"The log is in {log_file} (--verbose shows it here)."]
    log = log_file.read_text()
    assert "web server listening" in log
    assert "knowpay stopped" in log
    assert "Traceback" not in log


def test_run_verbose_shows_the_log_in_the_terminal(tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text(f"[server]\nport = {_free_port()}\n")
    result = knowpay(tmp_path, "run", "--verbose", stdin="/whoami\n", config=config)
    assert result.returncode == 0, result.stderr
    assert "INFO bot.app: web server listening" in result.stderr
    assert not (tmp_path / "knowpay.log").exists()


def test_console_membership_journey_through_the_sandbox_page(tmp_path: Path) -> None:
    """`knowpay run` with no platform token: /join in the console, pay on the local sandbox
    page, the receipt arrives in the console through the outbox, /membership shows it."""
    port = _free_port()
    config = tmp_path / "run.toml"
    config.write_text(
        f"[server]\nport = {port}\n"
        "[tiers.member]\nname = 'Member'\nprice = '9.00'\ninterval = 'month'\n"
        "discord_role_ids = [444444444444444441]\n"
    )
    process = _start_run(tmp_path, config)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        assert process.stdin is not None
        process.stdin.write("/join member\n")
        process.stdin.flush()
        offer = _read_until(process, "[Pay $9.00]")
        url = offer.split("[Pay $9.00] ")[1].strip()
        assert url.startswith(f"http://127.0.0.1:{port}/sandbox/checkout/")
        paying = urllib.request.Request(url, data=b"action=pay", method="POST")
        with urllib.request.urlopen(paying, timeout=10) as response:
            assert "Paid." in response.read().decode()
        _read_until(process, "Thank you! Your Member membership is active. Paid: $9.00.")
        process.stdin.write("/membership\n")
        process.stdin.flush()
        assert "Member: active · until" in _read_until(process, "Member:")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_interactive_console_in_a_terminal(tmp_path: Path) -> None:
    """A real pseudo-terminal: the banner, a prompt, a reply, and Ctrl-D to leave."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "console",
            "--as",
            "ada",
            "--config",
            str(_example_config(tmp_path)),
        ],
        stdin=follower,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=_env(tmp_path),
    )
    os.close(follower)
    try:
        screen = _read_pty_until(leader, "ada> ")
        assert "You are ada (member). Type /help to begin, Ctrl-D to leave." in screen
        os.write(leader, b"/whoami\n")
        assert "You are member #1 (ada)." in _read_pty_until(leader, "ada> ")
        os.write(leader, b"\x04")
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)


def _read_pty_until(fd: int, marker: str, timeout: float = 30) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"{marker!r} never came: {seen!r}")
        seen += os.read(fd, 4096)
    return seen.decode()


def test_run_stops_when_the_console_closes(tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text(f"[server]\nport = {_free_port()}\n")
    result = knowpay(tmp_path, "run", stdin="/whoami\n", config=config)
    assert result.returncode == 0, result.stderr
    assert "Role: owner" in result.stdout


def test_report_prints_text_json_or_csv_and_writes_the_chart(tmp_path: Path) -> None:
    chart = tmp_path / "week.png"
    as_json = knowpay(
        tmp_path, "report", "--week", "2026-W47", "--format", "json", "--chart", str(chart)
    )
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["week"] == "2026-W47"
    assert [point["week"] for point in document["trend"]][-2:] == ["2026-W46", "2026-W47"]
    assert len(document["trend"]) == 12  # by default
    assert chart.read_bytes().startswith(b"\x89PNG")
    shorter = knowpay(tmp_path, "report", "--week", "2026-W47", "--format", "json", "--weeks", "4")
    assert [p["week"] for p in json.loads(shorter.stdout)["trend"]] == [
        "2026-W44",
        "2026-W45",
        "2026-W46",
        "2026-W47",
    ]
    refused = knowpay(tmp_path, "report", "--weeks", "1")
    assert refused.returncode == 2
    assert "Invalid value for '--weeks'" in refused.stderr
    as_text = knowpay(tmp_path, "report", "--week", "2026-W47")
    assert "2026-W47" in as_text.stdout
    as_csv = knowpay(tmp_path, "report", "--week", "2026-W47", "--format", "csv")
    assert as_csv.stdout.startswith("section,name,value,previous,change,unit")


def test_demo_writes_a_report_of_a_simulated_community(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = knowpay_bare(tmp_path, "demo", "--members", "30", "--weeks", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Simulating days" in result.stderr  # the progress bar
    assert f"Wrote {out / 'report.md'}" in result.stdout
    assert json.loads((out / "report.json").read_text())["engagement"]["active_members"]["value"]
    assert (out / "report.png").read_bytes().startswith(b"\x89PNG")
    refused = knowpay_bare(tmp_path, "demo", "--members", "0")
    assert refused.returncode == 2
    assert "Invalid value for '--members'" in refused.stderr


def test_report_refuses_a_week_that_is_not_one(tmp_path: Path) -> None:
    result = knowpay(tmp_path, "report", "--week", "2026-W60")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "knowpay: --week: 2026 has no week 60 (ISO years have 52 or 53 weeks)"
    ]


def test_report_refuses_a_week_that_has_not_begun(tmp_path: Path) -> None:
    result = knowpay(tmp_path, "report", "--week", "2999-W10")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("knowpay: --week: 2999-W10 has not begun yet (this week is ")
    assert result.stdout == ""


def test_report_names_a_chart_path_it_cannot_write(tmp_path: Path) -> None:
    chart = tmp_path / "nosuchdir" / "x.png"
    result = knowpay(tmp_path, "report", "--week", "2026-W47", "--chart", str(chart))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"knowpay: --chart: cannot write {chart} (No such file or directory)"
    ]
    assert result.stdout == ""  # nothing half-done


def test_demo_refuses_an_out_that_is_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    result = knowpay_bare(tmp_path, "demo", "--out", str(existing))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"knowpay: --out: {existing} is a file, not a folder"]
    assert existing.read_text() == "keep me"


def test_reconcile_needs_a_platform_token(tmp_path: Path) -> None:
    result = knowpay(tmp_path, "reconcile")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "knowpay: reconcile: set DISCORD_TOKEN or TELEGRAM_TOKEN (nothing to check)"
    )


def test_run_reports_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        config = tmp_path / "run.toml"
        config.write_text(f"[server]\nport = {busy.getsockname()[1]}\n")
        result = knowpay(tmp_path, "run", config=config)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("knowpay:")]
    assert len(errors) == 1
    assert errors[0].startswith("knowpay: server.port: cannot listen")
    assert result.stderr.splitlines()[-1] == errors[0]


def _start_run(tmp_path: Path, config: Path) -> subprocess.Popen[str]:
    """`knowpay run` with its console on pipes, to type into and read from."""
    return _start(tmp_path, "run", "--config", str(config))


def _start_console(
    tmp_path: Path, config: Path, name: str, role: str = "member"
) -> subprocess.Popen[str]:
    """`knowpay console --as NAME` on pipes: a person who keeps their terminal open."""
    return _start(tmp_path, "console", "--as", name, "--role", role, "--config", str(config))


def _start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )


def _wait_for(url: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return _get(url)[1]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


_LINES: dict[int, queue.Queue[str | None]] = {}


def _lines_of(process: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """The process's output lines, read by a thread of their own so that waiting for one can
    time out (a blocking readline cannot); None marks the end."""
    if process.pid not in _LINES:
        lines: queue.Queue[str | None] = queue.Queue()
        stdout = process.stdout
        assert stdout is not None

        def read() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        _LINES[process.pid] = lines
    return _LINES[process.pid]


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float = 30) -> str:
    lines = _lines_of(process)
    seen = ""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen += line
        if marker in line:
            return seen
    raise AssertionError(f"{marker!r} never came: {seen!r}")
