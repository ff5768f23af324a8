"""What the cogs get from the composition root when they register, so the core names no
feature or provider: the payment service with the configured providers, and the recorder of
interactions."""

from __future__ import annotations

from dataclasses import dataclass

from payments.service import PaymentService
from storage.interaction_recorder import InteractionRecorder


@dataclass(frozen=True)
class Services:
    payments: PaymentService
    interactions: InteractionRecorder
