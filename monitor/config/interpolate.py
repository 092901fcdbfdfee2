"""Stage 3 of a config load: expand ``${VAR}`` in every string, keys included.

Secrets (webhook URLs, SMTP passwords) stay out of config files: ``${NAME}`` takes the
variable's value, ``${NAME:-default}`` a default when it is unset or empty (as in the
shell), and ``$${`` is a literal ``${`` (docs/config.md). What each string expanded from is
kept in ``LoadState`` so no message ever shows a value that came from the environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitor.config.loadstate import KeyPath, LoadState

# ${NAME} or ${NAME:-default}; `$${` escapes; a bare `${` that matches neither is an error
_VAR = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{")


def interpolate(value: Any, path: KeyPath, env: Mapping[str, str], state: LoadState) -> Any:
    """``value`` (found at ``path``) with every ``${VAR}`` expanded from ``env``; a fault
    goes to ``state`` and leaves the string as written."""
    return _Expander(env, state).interpolate(value, path, set())


@dataclass
class _Expander:
    env: Mapping[str, str]
    state: LoadState

    def interpolate(self, value: Any, path: KeyPath, active: set[int]) -> Any:
        if isinstance(value, str):
            return self._expand(value, path) if "${" in value else value
        if not isinstance(value, list | dict):
            return value
        if id(value) in active:
            self.state.add(self.state.where(path), path, "a YAML alias refers to itself")
            self.state.failed.add(path)
            return None
        active = active | {id(value)}
        if isinstance(value, list):
            return [self.interpolate(item, (*path, i), active) for i, item in enumerate(value)]
        result: dict[Any, Any] = {}
        for key, item in value.items():
            name = self._interpolate_key(key, path, result)
            result[name] = self.interpolate(item, (*path, name), active)
        return result

    def _interpolate_key(self, key: Any, path: KeyPath, done: dict[Any, Any]) -> Any:
        """``key`` with its ``${VAR}`` expanded (in any string: docs/config.md), its lines
        moved along."""
        if not isinstance(key, str) or "${" not in key:
            return key
        name = self._expand(key, (*path, key))
        if name == key:
            return key  # an unset variable, already reported
        old = (*path, key)
        if name in done:
            first_file, first_line = self.state.where((*path, name))
            self.state.add(
                self.state.where(old), old, f"defined twice (first at {first_file}:{first_line})"
            )
            self.state.failed.add(old)  # the config is refused; its entry's own faults are noise
            return key
        for where_path, where in list(self.state.lines.items()):
            if where_path[: len(old)] == old:
                self.state.lines[(*path, name, *where_path[len(old) :])] = where
        return name

    def _expand(self, raw: str, path: KeyPath) -> str:
        faults: list[str] = []

        def substitute(found: re.Match[str]) -> str:
            if found.group(0) == "$${":
                return "${"
            name, default = found.group(1), found.group(2)
            if name is None:
                faults.append("bad ${...}: write ${NAME} or ${NAME:-default} ($${ for a literal)")
                return ""
            value = self.env.get(name)
            if value is None or (value == "" and default is not None):
                if default is None:
                    faults.append(f"environment variable {name} is not set")
                return default or ""
            if len(value) >= 3:  # shorter values would garble every message they occur in
                self.state.secrets[value] = "${" + name + "}"
            return value

        expanded = _VAR.sub(substitute, raw)
        if faults:
            for fault in dict.fromkeys(faults):
                self.state.add(self.state.where(path), path, fault)
            self.state.failed.add(path)
            return raw
        self.state.interpolated[path] = (raw, expanded)
        return expanded
