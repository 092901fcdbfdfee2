"""Alembic migrations of the history store, run by ``monitor.history.open_history``."""
