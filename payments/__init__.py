"""Money, the ledger, the outbox and the payment providers."""
