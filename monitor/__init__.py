"""The monitor: a streaming multilingual news monitor (the pure domain; no Celery here)."""

__version__ = "0.1.0"
