"""Persistence: the async engine, models, repositories, the unit of work and migrations."""
