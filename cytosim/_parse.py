"""A safe parser for formulas written as text (observables, expression terms, model files).

Formulas are parsed by a small recursive-descent parser into :mod:`cytosim.expr` trees;
nothing is ever evaluated as Python. Grammar::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("-" | "+") unary | power
    power  := atom (("^" | "**") unary)?
    atom   := number | name | name "(" expr ("," expr)* ")" | "(" expr ")"

Names are node names (``TNF``, ``IL-10``), parameter names (``TNF.rate``,
``M.secretes.TNF.rate``) or ``t``. Because node names may contain hyphens, the longest
*known* name is matched first; write spaces around a minus sign between names.
Functions: ``exp``, ``log``, ``sqrt``, ``pos``, ``hill_up(x, K, n)`` (alias ``hill``),
``hill_down(x, K, n)``, ``min``/``max`` are not offered (they are not differentiable).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from . import expr as ex
from .exceptions import ModelError

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[.:][A-Za-z0-9_]+)*")
_OPERATORS = ("**", "+", "-", "*", "/", "^", "(", ")", ",")
_NAME_TAIL = re.compile(r"[A-Za-z0-9_.:]")

FUNCTIONS: dict[str, tuple[int, Callable[..., ex.Expr]]] = {
    "exp": (1, ex.exp),
    "log": (1, ex.log),
    "sqrt": (1, lambda x: ex.power(x, 0.5)),
    "pos": (1, ex.pos),
    "hill_up": (3, ex.hill_up),
    "hill": (3, ex.hill_up),
    "hill_down": (3, ex.hill_down),
}


def _tokenize(text: str, known: list[str], where: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch.isdigit() or (ch == "." and i + 1 < len(text) and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            assert m is not None
            tokens.append(("num", m.group(0), i))
            i = m.end()
            continue
        if ch.isalpha():
            match = next(
                (
                    k
                    for k in known
                    if text.startswith(k, i)
                    and (i + len(k) == len(text) or not _NAME_TAIL.match(text[i + len(k)]))
                ),
                None,
            )
            if match is None:
                m = _NAME.match(text, i)
                assert m is not None
                match = m.group(0)
            tokens.append(("name", match, i))
            i += len(match)
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is None:
            raise _error(text, i, f"unexpected character {ch!r}", where)
        tokens.append(("op", op, i))
        i += len(op)
    tokens.append(("end", "", len(text)))
    return tokens


def _error(text: str, position: int, problem: str, where: str) -> ModelError:
    prefix = f"{where}: " if where else ""
    return ModelError(f"{prefix}cannot parse formula {text!r}: {problem} at position {position}")


def parse(text: str, known_names: Collection[str] = (), *, where: str = "") -> ex.Expr:
    """Parse *text* into an expression whose names are :class:`~cytosim.expr.Symbol` nodes.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"TNF / (TNF + K) * IL-10.rate"``.
    known_names : collection of str
        Names to match greedily (needed for names containing ``-``).
    where : str
        Context for error messages (file, key or observable name).

    Raises
    ------
    ModelError
        With the position of the problem.

    Examples
    --------
    >>> parse("2 * TNF^2 / (K + TNF)").symbols() == {"TNF", "K"}
    True
    """
    if not isinstance(text, str) or not text.strip():
        raise ModelError(f"{where + ': ' if where else ''}a formula must be a non-empty string, "
                         f"got {text!r}")
    known = sorted(known_names, key=len, reverse=True)
    tokens = _tokenize(text, known, where)
    pos = 0

    def peek() -> tuple[str, str, int]:
        return tokens[pos]

    def take(value: str | None = None) -> tuple[str, str, int]:
        nonlocal pos
        token = tokens[pos]
        if value is not None and token[1] != value:
            raise _error(text, token[2], f"expected {value!r} but found {token[1] or 'the end'!r}",
                         where)
        pos += 1
        return token

    def expression() -> ex.Expr:
        node = term()
        while peek()[1] in ("+", "-") and peek()[0] == "op":
            op = take()[1]
            node = ex.add(node, term()) if op == "+" else ex.sub(node, term())
        return node

    def term() -> ex.Expr:
        node = unary()
        while peek()[1] in ("*", "/") and peek()[0] == "op":
            op = take()[1]
            node = ex.mul(node, unary()) if op == "*" else ex.div(node, unary())
        return node

    def unary() -> ex.Expr:
        if peek()[0] == "op" and peek()[1] in ("-", "+"):
            op = take()[1]
            operand = unary()
            return ex.neg(operand) if op == "-" else operand
        return power_()

    def power_() -> ex.Expr:
        base = atom()
        if peek()[0] == "op" and peek()[1] in ("^", "**"):
            take()
            return ex.power(base, unary())
        return base

    def atom() -> ex.Expr:
        kind, value, at = take()
        if kind == "num":
            return ex.Const(float(value))
        if kind == "name":
            if peek()[1] == "(" and peek()[0] == "op":
                return call(value, at)
            return ex.Time() if value == "t" else ex.Symbol(value)
        if value == "(":
            node = expression()
            take(")")
            return node
        raise _error(text, at, f"unexpected {value or 'end of formula'!r}", where)

    def call(name: str, at: int) -> ex.Expr:
        if name not in FUNCTIONS:
            raise _error(text, at, f"unknown function {name!r} (known: {', '.join(FUNCTIONS)})",
                         where)
        arity, build = FUNCTIONS[name]
        take("(")
        args = [expression()]
        while peek()[1] == ",":
            take()
            args.append(expression())
        take(")")
        if len(args) != arity:
            raise _error(text, at, f"{name}() takes {arity} argument(s), got {len(args)}", where)
        try:
            return build(*args)
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            raise _error(text, at, str(err), where) from err

    try:
        result = expression()
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        if isinstance(err, ModelError):
            raise
        raise _error(text, 0, str(err), where) from err
    if peek()[0] != "end":
        raise _error(text, peek()[2], f"unexpected {peek()[1]!r}", where)
    return result
