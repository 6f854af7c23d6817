"""A small TOML writer for cytosim's model-file schema.

Writes tables, arrays of tables, strings, finite floats, ints, booleans, arrays and inline
tables: everything a model file holds, and nothing more. Output is read back by ``tomllib``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def key(name: str) -> str:
    """A TOML key: bare when it can be, quoted otherwise (``"TNF.rate"``)."""
    return name if _BARE_KEY.match(name) else string(name)


def string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\t", "\\t").replace("\r", "\\r"))
    return f'"{escaped}"'


def value(item: Any) -> str:
    """An inline TOML value."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ValueError(f"cannot write the non-finite number {item!r} to a model file")
        return repr(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, Mapping):
        return "{ " + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + " }"
    if isinstance(item, Sequence):
        return "[" + ", ".join(value(v) for v in item) + "]"
    raise TypeError(f"cannot write {type(item).__name__} to a model file: {item!r}")


def table(header: str, body: Mapping[str, Any], *, array: bool = False) -> str:
    """A ``[header]`` (or ``[[header]]``) section with inline values."""
    brackets = ("[[", "]]") if array else ("[", "]")
    lines = [f"{brackets[0]}{header}{brackets[1]}"]
    lines += [f"{key(k)} = {value(v)}" for k, v in body.items() if v is not None]
    return "\n".join(lines) + "\n"
