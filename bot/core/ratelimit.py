"""Per-member rate limiting: a token bucket that refills steadily."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import Clock


@dataclass
class _Bucket:
    tokens: float
    updated_at: datetime


class RateLimiter:
    def __init__(self, per_minute: int, clock: Clock) -> None:
        self._capacity = float(per_minute)
        self._refill_per_second = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def acquire(self, key: int) -> float | None:
        """Take one token for `key`; None if allowed, else the seconds until one is free."""
        now = self._clock.now()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._capacity, now)
        elapsed = (now - bucket.updated_at).total_seconds()
        bucket.tokens = min(self._capacity, bucket.tokens + elapsed * self._refill_per_second)
        bucket.updated_at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / self._refill_per_second
