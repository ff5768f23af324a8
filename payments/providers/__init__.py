"""Payment providers: Stripe, Telegram Stars and the local sandbox, behind one interface."""
