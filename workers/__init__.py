"""Celery glue for the distributed runner: thin tasks over monitor.pipeline."""
