"""``python -m monitor``: the same as the ``monitor`` console script."""

from monitor.cli import main

# The guard matters: ``monitor run``'s history writer is a spawned process, which
# imports this module again (as ``__mp_main__``) before it starts.
if __name__ == "__main__":
    raise SystemExit(main())
