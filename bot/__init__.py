"""knowpay: run a paid programmer community inside Discord and Telegram at once."""

__version__ = "0.1.0"
