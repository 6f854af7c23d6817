"""Name validation and "did you mean" suggestions, shared by every layer that takes names."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

NODE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


def is_valid_node_name(name: object) -> bool:
    """Return True when *name* is a string matching ``[A-Za-z][A-Za-z0-9_-]*``."""
    return isinstance(name, str) and NODE_NAME.match(name) is not None


def suggest(name: str, candidates: Iterable[str], *, limit: int = 3) -> str:
    """Return a sentence suggesting the nearest valid names, or listing the valid ones.

    >>> suggest("TNFa", ["TNF", "IL6", "IL10"])
    "Did you mean 'TNF'?"
    """
    pool = sorted(set(candidates))
    if not pool:
        return "There are none."
    close = difflib.get_close_matches(name, pool, n=limit, cutoff=0.6)
    if not close:  # a local name given without its prefix: 'k' for 'X.k'
        close = [c for c in pool if c.rpartition(".")[2] == name][:limit]
    if not close:
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    if close:
        return "Did you mean " + " or ".join(repr(c) for c in close) + "?"
    shown = ", ".join(repr(c) for c in pool[:12])
    more = f" and {len(pool) - 12} more" if len(pool) > 12 else ""
    return f"Valid names are {shown}{more}."
