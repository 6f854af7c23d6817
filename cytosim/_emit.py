"""Emit straight-line Python source from expression trees.

The source mentions indices only (``y[3]``, ``p[7]``), float literals written with
``repr`` and a fixed set of function names; user names never reach it. Common
subexpressions are computed once. Two dialects:

- ``"numpy"``: vectorised; ``y`` may be ``(n_states,)`` or ``(n_states, n_members)`` and
  ``p`` likewise, so one call evaluates a whole ensemble with no Python loop over members.
- ``"numba"``: scalar ``math`` calls for ``numba.njit`` on one member at a time.

Every generated function has the signature ``f(t, y, p, out)``, writes row ``k`` of *out*
for output ``k`` and returns *out*.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Sequence
from typing import Any

from .expr import Add, Const, Div, Expr, Func, Gate, Mul, Param, Pow, State, Symbol, Time

DIALECTS: dict[str, dict[str, str]] = {
    "numpy": {
        "exp": "np.exp({0})",
        "log": "np.log({0})",
        "pos": "np.maximum({0}, 0.0)",
        "step": "np.greater_equal({0}, 0.0) * 1.0",
        "gate": "np.where(np.greater_equal({0}, 0.0), {1}, 0.0)",
        "gate_strict": "np.where(np.greater({0}, 0.0), {1}, 0.0)",
    },
    "numba": {
        "exp": "math.exp({0})",
        "log": "math.log({0})",
        "pos": "max({0}, 0.0)",
        "step": "(1.0 if {0} >= 0.0 else 0.0)",
        "gate": "({1} if {0} >= 0.0 else 0.0)",
        "gate_strict": "({1} if {0} > 0.0 else 0.0)",
    },
}


def _literal(value: float) -> str:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot emit the non-finite constant {value!r}")
    text = repr(value)
    return f"({text})" if text.startswith("-") else text  # -0.0 too


def _leaf(node: Expr) -> str | None:
    if isinstance(node, Const):
        return _literal(node.value)
    if isinstance(node, State):
        return f"y[{int(node.index)}]"
    if isinstance(node, Param):
        return f"p[{int(node.index)}]"
    if isinstance(node, Time):
        return "t"
    if isinstance(node, Symbol):
        raise ValueError(f"the name {node.name!r} was not resolved to a state or parameter")
    return None


MAX_INTEGER_POWER = 16  # numba: x ** n as products up to |n| = this (pow is 5-10x slower)


def _power(base: str, exponent: Expr, exponent_text: str, dialect: str) -> str:
    if isinstance(exponent, Const) and exponent.value == 2.0:
        return f"{base} * {base}"
    value = float(exponent.value) if isinstance(exponent, Const) else 0.5
    if dialect == "numba" and value.is_integer() and 1 <= abs(value) <= MAX_INTEGER_POWER:
        product = _product(base, int(abs(value)))
        return product if value > 0 else f"1.0 / {product}"
    return f"{base} ** {exponent_text}"


def _product(base: str, n: int) -> str:
    """``base ** n`` for ``n >= 1`` as products by repeated squaring (the repeated factors are
    identical expressions, which the compiler evaluates once)."""
    if n == 1:
        return base
    half = _product(base, n // 2)
    square = f"({half} * {half})"
    return f"({square} * {base})" if n % 2 else square


def emit_function(name: str, outputs: Sequence[Expr], dialect: str = "numpy") -> str:
    """Return the source of ``def name(t, y, p, out)`` computing *outputs* into ``out[k]``.

    Parameters
    ----------
    name : str
        A Python identifier chosen by cytosim (never a user name).
    outputs : sequence of Expr
        Fully resolved expressions, one per output row.
    dialect : {"numpy", "numba"}
        Which function names to use.
    """
    if not name.isidentifier() or keyword.iskeyword(name) or name in ("np", "math"):
        raise ValueError(f"`name` must be an identifier other than a keyword, 'np' or 'math', "
                         f"got {name!r}")
    if dialect not in DIALECTS:
        raise ValueError(f"`dialect` must be one of {tuple(DIALECTS)}, got {dialect!r}")
    funcs = DIALECTS[dialect]
    text: dict[Expr, str] = {}
    lines: list[str] = []
    counter = 0

    def ref(node: Expr) -> str:
        return text[node]

    for out in outputs:
        for node in out.walk(skip=text):  # subtrees already emitted are not entered again
            if node in text:
                continue
            leaf = _leaf(node)
            if leaf is not None:
                text[node] = leaf
                continue
            if isinstance(node, Add):
                rhs = " + ".join(ref(t) for t in node.terms)
            elif isinstance(node, Mul):
                rhs = " * ".join(ref(f) for f in node.factors)
            elif isinstance(node, Div):
                rhs = f"{ref(node.num)} / {ref(node.den)}"
            elif isinstance(node, Pow):
                rhs = _power(ref(node.base), node.exponent, ref(node.exponent), dialect)
            elif isinstance(node, Func):
                rhs = funcs[node.name].format(ref(node.arg))
            elif isinstance(node, Gate):
                rhs = funcs["gate_strict" if node.strict else "gate"].format(
                    ref(node.cond), ref(node.value))
            else:
                raise TypeError(f"cannot emit node {type(node).__name__}")
            var = f"v{counter}"
            counter += 1
            lines.append(f"    {var} = {rhs}")
            text[node] = var
    for k, out in enumerate(outputs):
        lines.append(f"    out[{k}] = {text[out]}")
    body = "\n".join(lines) if lines else "    pass"
    return f"def {name}(t, y, p, out):\n{body}\n    return out\n"


def build_functions(sources: str, names: Sequence[str]) -> dict[str, Any]:
    """Execute generated *sources* (indices only) and return the named functions."""
    import numpy as np

    namespace: dict[str, Any] = {"np": np, "math": math}
    exec(compile(sources, "<cytosim-generated>", "exec"), namespace)  # noqa: S102
    return {n: namespace[n] for n in names}
