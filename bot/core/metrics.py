"""Prometheus metrics, served at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

COMMANDS = Counter(
    "knowpay_commands_total",
    "Commands handled, by command, platform and outcome.",
    ["command", "platform", "outcome"],
)
COMMAND_SECONDS = Histogram(
    "knowpay_command_seconds",
    "Time to handle one command, storage included.",
    ["platform"],
)
EVENTS = Counter(
    "knowpay_platform_events_total",
    "Platform events (messages, reactions, joins) handled, by kind, platform and outcome.",
    ["kind", "platform", "outcome"],
)
