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
    lines = _body(outputs, DIALECTS[dialect], dialect, {})
    body = "\n".join(lines) if lines else "    pass"
    return f"def {name}(t, y, p, out):\n{body}\n    return out\n"


def _body(outputs: Sequence[Expr], funcs: dict[str, str], dialect: str,
          text: dict[Expr, str]) -> list[str]:
    """Lines computing *outputs* into ``out[k]``; nodes already in *text* (which receives the
    new ones) are read from there and their subtrees not entered."""
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
    return lines


def emit_hoisted(functions: Sequence[tuple[str, Sequence[Expr]]], n_params: int
                 ) -> tuple[str, int]:
    """numba source of ``pre(p, q)`` and of *functions* that read from ``q`` what depends
    on the parameters only.

    A subexpression with no state and no time in it (``K ** n`` of a Hill term with its
    exponent a parameter, ``1 / V``) has the same value at every call for one set of
    parameters. ``pre`` copies the *n_params* parameters ``p`` into ``q[:n_params]`` and
    computes each such subexpression that the functions need once, into
    ``q[n_params:]``; each function ``name(t, y, p, out)`` is then emitted to be called
    with ``q`` as its ``p``, reading those values instead of computing them. Every value
    is computed by the same operations, in the same order, as by :func:`emit_function`,
    so the results are the same to the last bit.

    Parameters
    ----------
    functions : sequence of (str, sequence of Expr)
        Names (identifiers chosen by cytosim) and outputs of the functions.
    n_params : int
        Length of the parameter vector.

    Returns
    -------
    (str, int)
        The source (numba dialect) and the length of ``q``.

    Examples
    --------
    >>> from cytosim.expr import Param, State, power
    >>> hill = power(State(0), Param(1)) / (power(Param(0), Param(1)) + power(State(0), Param(1)))
    >>> source, size = emit_hoisted([("rhs", [hill])], 2)
    >>> print(source.splitlines()[3])
        v0 = p[0] ** p[1]
    >>> size
    3
    """
    funcs = DIALECTS["numba"]
    only_params: dict[Expr, bool] = {}  # no state and no time below the node
    for _, outputs in functions:
        for out in outputs:
            for node in out.walk(skip=only_params):
                if isinstance(node, State | Time):
                    only_params[node] = False
                else:
                    only_params[node] = all(only_params[c] for c in node.children())
    outputs_of = [out for _, outputs in functions for out in outputs]
    hoisted: dict[Expr, None] = {}  # ordered: parameter-only nodes read by the functions
    for node, constant in only_params.items():
        below = node.children() if not constant else ()
        for child in below:
            if only_params[child] and _leaf(child) is None:
                hoisted[child] = None
    for out in outputs_of:
        if only_params[out] and _leaf(out) is None:
            hoisted[out] = None
    slots = list(hoisted)
    # a loop: numba compiles a slice assignment's general machinery for seconds
    lines = [f"    for i in range({n_params}):", "        q[i] = p[i]"]
    pre = _body(slots, funcs, "numba", {})
    lines += [line.replace("out[", f"q[{n_params} + ", 1) if line.startswith("    out[")
              else line for line in pre]
    parts = ["def pre(p, q):\n" + "\n".join([*lines, "    return q"]) + "\n"]
    for name, outputs in functions:
        if not name.isidentifier() or keyword.iskeyword(name) or name in ("np", "math",
                                                                           "pre"):
            raise ValueError(f"`name` must be an identifier other than a keyword, 'np', "
                             f"'math' or 'pre', got {name!r}")
        text = {node: f"p[{n_params + i}]" for i, node in enumerate(slots)}
        body = _body(outputs, funcs, "numba", text)
        parts.append(f"def {name}(t, y, p, out):\n" + "\n".join(body or ["    pass"])
                     + "\n    return out\n")
    return "\n\n".join(parts), n_params + len(slots)


def build_functions(sources: str, names: Sequence[str]) -> dict[str, Any]:
    """Execute generated *sources* (indices only) and return the named functions."""
    import numpy as np

    namespace: dict[str, Any] = {"np": np, "math": math}
    exec(compile(sources, "<cytosim-generated>", "exec"), namespace)  # noqa: S102
    return {n: namespace[n] for n in names}
