"""A small typed expression tree for rate laws, with exact symbolic derivatives.

Every rate law in cytosim is built as an :class:`Expr`: constants, parameters and states
by index, the time, unresolved names (:class:`Symbol`, replaced by indices when a network
is compiled), sums, products, quotients, powers and the functions ``exp``, ``log``,
``pos`` (positive part, ``max(x, 0)``) and ``step`` (its derivative, ``1 if x >= 0 else 0``:
the one-sided derivative at 0, where states live),
and :class:`Gate` (``value if cond > 0 else 0``, which keeps derivatives of fractional powers
of ``pos(x)`` finite at ``x <= 0``).
Hill functions are built from those primitives by :func:`hill_up` and :func:`hill_down`.

Nodes are immutable and hashable; the constructors :func:`add`, :func:`mul`, :func:`div`,
:func:`power` fold constants and drop zeros and ones, so derivatives stay small.
:func:`diff` differentiates symbolically with respect to a state or a parameter.
Emitters that turn trees into numpy or numba source live in :mod:`cytosim._emit`; they
mention indices only, never user names.

Examples
--------
>>> from cytosim.expr import State, Param, hill_down, diff
>>> x, k = State(0), Param(0)
>>> rate = k * x * hill_down(State(1), 2.0, 1.0)
>>> diff(rate, x) == k * hill_down(State(1), 2.0, 1.0)
True
>>> sorted(rate.states()), sorted(rate.params())
([0, 1], [0])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Union

__all__ = [
    "Add",
    "Const",
    "Div",
    "Expr",
    "Func",
    "Gate",
    "Mul",
    "Param",
    "Pow",
    "State",
    "Symbol",
    "Time",
    "add",
    "as_expr",
    "diff",
    "div",
    "exp",
    "gate",
    "hill_down",
    "hill_up",
    "log",
    "mul",
    "neg",
    "pos",
    "power",
    "state_dependencies",
    "step",
    "sub",
    "substitute",
]

Operand = Union["Expr", float, int]
FUNCTIONS = ("exp", "log", "pos", "step")


class Expr:
    """Base class of expression nodes. Use the operators or the module's constructors."""

    __slots__ = ()

    def children(self) -> tuple[Expr, ...]:
        return ()

    def __getstate__(self) -> dict[str, Any]:
        # the cached hash depends on the process's hash seed: never pickle it
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    def walk(self, skip: Container[Expr] = ()) -> Iterator[Expr]:
        """Yield every node of the tree once, children before parents; nodes in *skip* (and
        the subtrees below them) are neither yielded nor entered."""
        seen: set[int] = set()
        stack: list[tuple[Expr, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in seen or (skip and node in skip):
                continue
            if expanded:
                seen.add(id(node))
                yield node
            else:
                stack.append((node, True))
                stack.extend((c, False) for c in reversed(node.children()))

    def states(self) -> frozenset[int]:
        """Indices of the states the expression depends on."""
        return frozenset(n.index for n in self.walk() if isinstance(n, State))

    def params(self) -> frozenset[int]:
        """Indices of the parameters the expression depends on."""
        return frozenset(n.index for n in self.walk() if isinstance(n, Param))

    def symbols(self) -> frozenset[str]:
        """Names not yet resolved to states or parameters."""
        return frozenset(n.name for n in self.walk() if isinstance(n, Symbol))

    def __add__(self, other: Operand) -> Expr:
        return add(self, other)

    def __radd__(self, other: Operand) -> Expr:
        return add(other, self)

    def __sub__(self, other: Operand) -> Expr:
        return sub(self, other)

    def __rsub__(self, other: Operand) -> Expr:
        return sub(other, self)

    def __mul__(self, other: Operand) -> Expr:
        return mul(self, other)

    def __rmul__(self, other: Operand) -> Expr:
        return mul(other, self)

    def __truediv__(self, other: Operand) -> Expr:
        return div(self, other)

    def __rtruediv__(self, other: Operand) -> Expr:
        return div(other, self)

    def __pow__(self, other: Operand) -> Expr:
        return power(self, other)

    def __rpow__(self, other: Operand) -> Expr:
        return power(other, self)

    def __neg__(self) -> Expr:
        return neg(self)


def _cached_hash(cls: type) -> type:
    """Cache the structural hash of a frozen dataclass node (trees are hashed often)."""
    plain: Callable[[Any], int] = cls.__hash__  # type: ignore[assignment]

    def __hash__(self: Expr) -> int:  # noqa: N807
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = plain(self)
            object.__setattr__(self, "_hash", cached)
        return cached  # type: ignore[no-any-return]

    cls.__hash__ = __hash__  # type: ignore[method-assign,assignment]
    return cls


@_cached_hash
@dataclass(frozen=True, eq=True)
class Const(Expr):
    """A finite floating-point constant."""

    value: float

    def __post_init__(self) -> None:
        value = float(self.value)
        if not math.isfinite(value):
            raise ValueError(f"`Const` needs a finite value, got {self.value!r}")
        object.__setattr__(self, "value", value)


def _check_index(self: Param | State) -> None:
    index = self.index
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"`{type(self).__name__}` needs a non-negative int index, got {index!r}")


@_cached_hash
@dataclass(frozen=True, eq=True)
class Param(Expr):
    """The parameter ``p[index]``."""

    index: int

    def __post_init__(self) -> None:
        _check_index(self)


@_cached_hash
@dataclass(frozen=True, eq=True)
class State(Expr):
    """The state ``y[index]``."""

    index: int

    def __post_init__(self) -> None:
        _check_index(self)


@_cached_hash
@dataclass(frozen=True, eq=True)
class Time(Expr):
    """The independent variable ``t``."""


@_cached_hash
@dataclass(frozen=True, eq=True)
class Symbol(Expr):
    """A name (state, parameter or observable) not yet resolved to an index."""

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"`Symbol` needs a non-empty name, got {self.name!r}")


@_cached_hash
@dataclass(frozen=True, eq=True)
class Add(Expr):
    """A sum of two or more terms."""

    terms: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.terms


@_cached_hash
@dataclass(frozen=True, eq=True)
class Mul(Expr):
    """A product of two or more factors."""

    factors: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.factors


@_cached_hash
@dataclass(frozen=True, eq=True)
class Div(Expr):
    """The quotient ``num / den``."""

    num: Expr
    den: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.num, self.den)


@_cached_hash
@dataclass(frozen=True, eq=True)
class Pow(Expr):
    """The power ``base ** exponent``."""

    base: Expr
    exponent: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.base, self.exponent)


@_cached_hash
@dataclass(frozen=True, eq=True)
class Func(Expr):
    """An elementary function of one argument: ``exp``, ``log``, ``pos`` or ``step``."""

    name: str
    arg: Expr

    def __post_init__(self) -> None:
        if self.name not in FUNCTIONS:
            raise ValueError(f"`Func` name must be one of {FUNCTIONS}, got {self.name!r}")

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)


@_cached_hash
@dataclass(frozen=True, eq=True)
class Gate(Expr):
    """``value if cond >= 0 else 0`` (``cond > 0`` when *strict*); the unselected branch
    never leaks inf or nan.

    Derivatives of ``pos(x) ** n`` are gated by ``x``: ``pos(x) ** (n - 1)`` is infinite for
    ``x < 0`` when ``n < 1``, and the true derivative there is 0; at ``x = 0`` the one-sided
    slope (1 for ``n = 1``) is kept. The ``log(pos(x))`` of a derivative by ``n`` is gated
    strictly, since ``x ** n log x`` tends to 0 at 0.
    """

    cond: Expr
    value: Expr
    strict: bool = False

    def children(self) -> tuple[Expr, ...]:
        return (self.cond, self.value)


ZERO = Const(0.0)
ONE = Const(1.0)


def as_expr(value: Operand) -> Expr:
    """Return *value* as an expression: numbers become :class:`Const`."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected an Expr or a number, got {type(value).__name__}: {value!r}")
    return Const(float(value))


def _is_const(e: Expr, value: float | None = None) -> bool:
    return isinstance(e, Const) and (value is None or e.value == value)


def add(*terms: Operand) -> Expr:
    """Sum of *terms*, flattened, with constants folded and zeros dropped."""
    flat: list[Expr] = []
    constant = 0.0
    for term in map(as_expr, terms):
        for t in term.terms if isinstance(term, Add) else (term,):
            if isinstance(t, Const):
                constant += t.value
            else:
                flat.append(t)
    if constant != 0.0 or not flat:
        flat.insert(0, Const(constant))
    return flat[0] if len(flat) == 1 else Add(tuple(flat))


def mul(*factors: Operand) -> Expr:
    """Product of *factors*, flattened, with constants folded, ones dropped, zero absorbing."""
    flat: list[Expr] = []
    constant = 1.0
    for factor in map(as_expr, factors):
        for f in factor.factors if isinstance(factor, Mul) else (factor,):
            if isinstance(f, Const):
                constant *= f.value
            else:
                flat.append(f)
    if constant == 0.0:
        return ZERO
    if constant != 1.0 or not flat:
        flat.insert(0, Const(constant))
    return flat[0] if len(flat) == 1 else Mul(tuple(flat))


def neg(x: Operand) -> Expr:
    """``-x``."""
    return mul(-1.0, x)


def sub(a: Operand, b: Operand) -> Expr:
    """``a - b``."""
    return add(a, neg(b))


def div(num: Operand, den: Operand) -> Expr:
    """``num / den``; folds constants, ``0 / x`` and ``x / 1``."""
    num, den = as_expr(num), as_expr(den)
    if _is_const(den, 0.0):
        raise ZeroDivisionError("division of an expression by the constant 0")
    if _is_const(num, 0.0) or _is_const(den, 1.0):
        return num
    if isinstance(num, Const) and isinstance(den, Const):
        return Const(num.value / den.value)
    return Div(num, den)


def power(base: Operand, exponent: Operand) -> Expr:
    """``base ** exponent``; folds ``x ** 0``, ``x ** 1``, ``1 ** x`` and constants."""
    base, exponent = as_expr(base), as_expr(exponent)
    if _is_const(exponent, 0.0) or _is_const(base, 1.0):
        return ONE
    if _is_const(exponent, 1.0):
        return base
    if isinstance(base, Const) and isinstance(exponent, Const):
        try:
            return Const(math.pow(base.value, exponent.value))
        except (ValueError, OverflowError) as err:
            raise ValueError(f"cannot fold {base.value!r} ** {exponent.value!r}: {err}") from err
    return Pow(base, exponent)


def _func(name: str, x: Operand, fold: Callable[[float], float]) -> Expr:
    x = as_expr(x)
    if isinstance(x, Const):
        return Const(fold(x.value))
    return Func(name, x)


def exp(x: Operand) -> Expr:
    """``exp(x)``."""
    return _func("exp", x, math.exp)


def log(x: Operand) -> Expr:
    """Natural logarithm ``log(x)``."""
    return _func("log", x, math.log)


def pos(x: Operand) -> Expr:
    """Positive part ``max(x, 0)``; keeps fractional Hill powers defined at tiny negative states."""
    x = as_expr(x)
    if isinstance(x, Func) and x.name in ("pos", "exp"):
        return x
    return _func("pos", x, lambda v: max(v, 0.0))


def step(x: Operand) -> Expr:
    """Heaviside step ``1 if x >= 0 else 0``: the derivative of :func:`pos`, one-sided at 0."""
    return _func("step", x, lambda v: 1.0 if v >= 0.0 else 0.0)


def gate(cond: Operand, value: Operand, strict: bool = False) -> Expr:
    """``value`` where ``cond >= 0`` (``> 0`` if *strict*), else 0 (see :class:`Gate`)."""
    cond, value = as_expr(cond), as_expr(value)
    if _is_const(value, 0.0):
        return ZERO
    if isinstance(cond, Const):
        selected = cond.value > 0.0 if strict else cond.value >= 0.0
        return value if selected else ZERO
    return Gate(cond, value, bool(strict))


def hill_up(x: Operand, k: Operand, n: Operand) -> Expr:
    """Increasing Hill function ``x^n / (K^n + x^n)`` of the positive part of *x*."""
    xn = power(pos(x), n)
    return div(xn, add(power(k, n), xn))


def hill_down(x: Operand, k: Operand, n: Operand) -> Expr:
    """Decreasing Hill function ``K^n / (K^n + x^n)`` of the positive part of *x*."""
    kn = power(k, n)
    return div(kn, add(kn, power(pos(x), n)))


def state_dependencies(e: Expr, known: MutableMapping[Expr, frozenset[int]] | None = None
                       ) -> MutableMapping[Expr, frozenset[int]]:
    """For every node of *e*, the indices of the states it depends on (one pass, children
    first): lets :func:`diff` skip the subtrees that cannot depend on a state. *known* (from
    earlier calls) is extended in place, and its nodes are not visited again."""
    out: MutableMapping[Expr, frozenset[int]] = {} if known is None else known
    for node in e.walk(skip=out):
        if isinstance(node, State):
            out[node] = frozenset((node.index,))
        else:
            children = node.children()
            out[node] = frozenset().union(*(out[c] for c in children)) if children else (
                frozenset())
    return out


def diff(e: Expr, var: State | Param,
         dependencies: Mapping[Expr, frozenset[int]] | None = None) -> Expr:
    """Exact derivative of *e* with respect to a state or a parameter.

    Parameters
    ----------
    e : Expr
        The expression; it must contain no unresolved :class:`Symbol`.
    var : State or Param
        The variable to differentiate by.
    dependencies : mapping, optional
        :func:`state_dependencies` of *e*, for a state *var*: subtrees without it are 0
        (the same result, faster when one expression is differentiated by many states).

    Returns
    -------
    Expr
        The simplified derivative (``Const(0.0)`` when *e* does not depend on *var*).
    """
    memo: dict[Expr, Expr] = {}
    skip = dependencies is not None and isinstance(var, State)

    def d(node: Expr) -> Expr:
        if node in memo:
            return memo[node]
        if skip and var.index not in dependencies[node]:  # type: ignore[index]
            return ZERO
        result = _derivative(node, var, d)
        memo[node] = result
        return result

    return d(e)


def _derivative(node: Expr, var: Expr, d: Callable[[Expr], Expr]) -> Expr:
    if isinstance(node, State | Param):
        return ONE if node == var else ZERO
    if isinstance(node, Const | Time):
        return ZERO
    if isinstance(node, Symbol):
        raise ValueError(f"cannot differentiate the unresolved name {node.name!r}")
    if isinstance(node, Add):
        return add(*(d(t) for t in node.terms))
    if isinstance(node, Mul):
        parts = []
        for i, f in enumerate(node.factors):
            df = d(f)
            if not _is_const(df, 0.0):
                parts.append(mul(*node.factors[:i], df, *node.factors[i + 1 :]))
        return add(*parts)
    if isinstance(node, Div):
        dn, dd = d(node.num), d(node.den)
        if _is_const(dd, 0.0):
            return div(dn, node.den)
        return div(sub(mul(dn, node.den), mul(node.num, dd)), power(node.den, 2.0))
    if isinstance(node, Pow):
        db, de = d(node.base), d(node.exponent)
        term_base = mul(node.exponent, power(node.base, sub(node.exponent, 1.0)), db)
        term_exponent = ZERO if _is_const(de, 0.0) else mul(node, log(node.base), de)
        if isinstance(node.base, Func) and node.base.name == "pos":
            # x**(n-1) is infinite for x < 0 (n < 1) and log(x) at x <= 0: gate them
            u = node.base.arg
            return add(gate(u, term_base), gate(u, term_exponent, strict=True))
        return add(term_base, term_exponent)
    if isinstance(node, Gate):
        return gate(node.cond, d(node.value), node.strict)
    if isinstance(node, Func):
        da = d(node.arg)
        if _is_const(da, 0.0):
            return ZERO
        outer = {"exp": lambda: node, "log": lambda: div(1.0, node.arg),
                 "pos": lambda: step(node.arg), "step": lambda: ZERO}[node.name]()
        return mul(outer, da)
    raise TypeError(f"unknown expression node {type(node).__name__}")


def substitute(e: Expr, mapping: Mapping[Expr, Expr] | Callable[[Expr], Expr | None]) -> Expr:
    """Rebuild *e* with nodes replaced, e.g. :class:`Symbol` names by states and parameters.

    *mapping* is a dict from node to replacement, or a callable returning the replacement
    or None to keep (and recurse into) the node. Constructors re-simplify the result.
    """
    lookup = mapping.get if isinstance(mapping, Mapping) else mapping
    memo: dict[Expr, Expr] = {}

    def rebuild(node: Expr) -> Expr:
        if node in memo:
            return memo[node]
        replaced = lookup(node)
        if replaced is not None:
            out = replaced
        elif isinstance(node, Add):
            out = add(*map(rebuild, node.terms))
        elif isinstance(node, Mul):
            out = mul(*map(rebuild, node.factors))
        elif isinstance(node, Div):
            out = div(rebuild(node.num), rebuild(node.den))
        elif isinstance(node, Pow):
            out = power(rebuild(node.base), rebuild(node.exponent))
        elif isinstance(node, Func):
            out = {"exp": exp, "log": log, "pos": pos, "step": step}[node.name](rebuild(node.arg))
        elif isinstance(node, Gate):
            out = gate(rebuild(node.cond), rebuild(node.value), node.strict)
        else:
            out = node
        memo[node] = out
        return out

    return rebuild(e)
