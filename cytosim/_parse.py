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
Functions: ``exp``, ``log``, ``sqrt``, ``pos`` (positive part), ``step`` (1 where the argument
is >= 0), ``gate(c, v)`` (``v`` where ``c >= 0``, else 0), ``gate_strict(c, v)`` (``c > 0``),
``hill_up(x, K, n)`` (alias ``hill``) and ``hill_down(x, K, n)``. ``min`` and ``max`` are
not offered: they have no derivative where their arguments cross. :func:`to_text` prints a
tree back as a formula that parses to the same tree.
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
    "step": (1, ex.step),
    "gate": (2, ex.gate),
    "gate_strict": (2, lambda c, v: ex.gate(c, v, strict=True)),
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
        if not ch.isascii():
            raise _error(text, i, f"unexpected character {ch!r} (formulas are ASCII)", where)
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
    except RecursionError:
        raise _error(text, 0, "the formula is nested too deeply", where) from None
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        if isinstance(err, ModelError):
            raise
        raise _error(text, 0, str(err), where) from err
    if peek()[0] != "end":
        raise _error(text, peek()[2], f"unexpected {peek()[1]!r}", where)
    return result


def to_text(tree: ex.Expr) -> str:
    """Print a tree of names (:class:`~cytosim.expr.Symbol`) as a fully parenthesised formula.

    ``parse(to_text(tree), names)`` rebuilds an equal tree, so models built in code can be
    saved as text. States and parameters given by index cannot be printed.

    >>> to_text(parse("a * (b + 2) ^ 3"))
    'a * (2.0 + b) ^ 3.0'
    """

    def show(node: ex.Expr, parent: int) -> str:
        if isinstance(node, ex.Const):
            text = repr(node.value)
            own = 0 if text.startswith("-") else 4  # -0.0 too
        elif isinstance(node, ex.Symbol):
            text, own = node.name, 4
        elif isinstance(node, ex.Time):
            text, own = "t", 4
        elif isinstance(node, ex.Add):
            text, own = " + ".join(show(t, 1) for t in node.terms), 1
        elif isinstance(node, ex.Mul):
            text, own = " * ".join(show(f, 2) for f in node.factors), 2
        elif isinstance(node, ex.Div):
            text, own = f"{show(node.num, 1)} / {show(node.den, 2)}", 2
        elif isinstance(node, ex.Pow):
            text, own = f"{show(node.base, 3)} ^ {show(node.exponent, 2)}", 3
        elif isinstance(node, ex.Func):
            text, own = f"{node.name}({show(node.arg, 0)})", 4
        elif isinstance(node, ex.Gate):
            name = "gate_strict" if node.strict else "gate"
            text, own = f"{name}({show(node.cond, 0)}, {show(node.value, 0)})", 4
        else:
            raise ValueError(f"cannot print {type(node).__name__} nodes as a formula; "
                             "build formulas from names, not indices")
        return f"({text})" if own <= parent else text

    return show(tree, 0)
