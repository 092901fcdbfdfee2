"""The error tree: transient faults are caught by their kind's base class, and the tree
drawn in ``monitor.errors``'s docstring is the one the classes make."""

from __future__ import annotations

import inspect
import re

import pytest

from monitor import errors
from monitor.errors import (
    DeliveryError,
    FetchError,
    MonitorError,
    TransientDeliveryError,
    TransientError,
    TransientFetchError,
)


@pytest.mark.parametrize(
    ("transient", "kind"),
    [(TransientFetchError, FetchError), (TransientDeliveryError, DeliveryError)],
)
def test_a_transient_fault_is_caught_as_its_kind_and_as_transient(
    transient: type[TransientError], kind: type[MonitorError]
) -> None:
    with pytest.raises(kind) as caught:
        raise transient("HTTP 503", retry_after=30)
    assert isinstance(caught.value, TransientError) and caught.value.retry_after == 30
    assert str(caught.value) == "HTTP 503"
    assert not issubclass(kind, TransientError)  # the plain kind stays permanent


def _drawn_tree() -> list[tuple[str, str, list[str]]]:
    """(parent, child, mixins) for each line of the docstring's tree."""
    lines = (errors.__doc__ or "").splitlines()
    root = next(line for line in lines if line.strip() == "MonitorError")
    stack = [(len(root) - len(root.lstrip()), "MonitorError")]
    edges = []
    for line in lines[lines.index(root) + 1 :]:
        drawn = re.search(r"[├└]── (\w+)", line)
        if drawn is None:
            break
        depth = drawn.start(1)
        while stack[-1][0] >= depth:
            stack.pop()
        edges.append((stack[-1][1], drawn.group(1), re.findall(r"\+ (\w+)", line)))
        stack.append((depth, drawn.group(1)))
    return edges


def test_the_drawn_tree_is_the_class_tree() -> None:
    edges = _drawn_tree()
    for parent, child, mixins in edges:
        cls = getattr(errors, child)
        for base in (parent, *mixins):
            assert issubclass(cls, getattr(errors, base)), f"{child} is no {base}"
    drawn = {child for _, child, _ in edges}
    defined = {
        name
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, MonitorError) and cls is not MonitorError
    }
    assert drawn == defined
