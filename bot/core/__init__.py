"""The platform-neutral core: events in, effects out, one dispatcher for every platform."""
