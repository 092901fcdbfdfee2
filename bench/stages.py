"""Per-stage timers for the pipeline benchmark, put in from outside ``monitor/``.

``StageTimer.patch(module, name, stage)`` replaces a module's function with a timed
wrapper and ``timed_object(obj, stage)`` wraps every method of an object (the store,
the matcher). Times are *exclusive*: a stage's time excludes the time of timed calls
made inside it (the store calls inside ``decide_story`` count as store, not decide),
so the stages add up to the timed share of the run. Each thread keeps its own stack of
open calls: the runner fetches in a pool of threads while it processes, and one shared
stack would credit a fetch's time to whatever call the main thread had open (negative
stage times). Times are each thread's CPU time (``time.thread_time``): a parse waiting
for the GIL while the main thread matches, or a fetch waiting for the network, is not
counted, so the stages add up to CPU the process spent, not to wall time that threads
overlap. ``restore()`` undoes every patch. No I/O.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any


class StageTimer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._local = threading.local()  # .children: this thread's stack of open calls
        self._lock = threading.Lock()  # for ``seconds``, added to from every thread
        self._patched: list[tuple[Any, str, Any]] = []

    def _children(self) -> list[float]:
        """Per open call of this thread: the time spent in timed calls inside it."""
        children: list[float] | None = getattr(self._local, "children", None)
        if children is None:
            children = self._local.children = [0.0]
        return children

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        seconds = self.seconds
        lock = self._lock
        clock = time.thread_time

        def timed(*args: Any, **kwargs: Any) -> Any:
            children = self._children()
            children.append(0.0)
            started = clock()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = clock() - started
                inner = children.pop()
                with lock:
                    seconds[stage] += elapsed - inner
                children[-1] += elapsed

        return timed

    def patch(self, module: Any, name: str, stage: str) -> None:
        original = getattr(module, name)
        self._patched.append((module, name, original))
        setattr(module, name, self.wrap(stage, original))

    def restore(self) -> None:
        for module, name, original in reversed(self._patched):
            setattr(module, name, original)
        self._patched.clear()

    def timed_object(self, target: Any, stage: str) -> Any:
        """A proxy whose public methods are timed as ``stage``."""
        timer = self

        class Timed:
            def __getattr__(self, name: str) -> Any:
                value = getattr(target, name)
                if callable(value) and not name.startswith("_"):
                    return timer.wrap(stage, value)
                return value

        return Timed()
