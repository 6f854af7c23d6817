"""Tests for cytosim.expr: constructors, structural equality, derivatives, substitution.

Numerical checks use a small reference evaluator written here (plain Python floats and
:mod:`math`), independent of :mod:`cytosim._emit`, so the symbolic derivative is checked
against finite differences without trusting the code generator.
"""

# ruff: noqa: SIM300  (X, Y, Z are State nodes, not constants: `X + 1 == ...` is intended)

from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cytosim.expr as ex
from cytosim.expr import (
    Add,
    Const,
    Div,
    Expr,
    Func,
    Mul,
    Param,
    Pow,
    State,
    Symbol,
    Time,
    add,
    as_expr,
    diff,
    div,
    exp,
    hill_down,
    hill_up,
    log,
    mul,
    neg,
    pos,
    power,
    step,
    sub,
    substitute,
)

from .helpers import reference_evaluate

X, Y, Z = State(0), State(1), State(2)
K, N = Param(0), Param(1)
N_STATES, N_PARAMS = 3, 2


# --------------------------------------------------------------------------------------
# A reference evaluator, independent of the code generator
# --------------------------------------------------------------------------------------


evaluate = reference_evaluate


def value(e: Expr, t: float = 0.0, y=(), p=(), names=None) -> float:
    return evaluate(e, t, y, p, names)[0]


# --------------------------------------------------------------------------------------
# Random smooth expression trees
# --------------------------------------------------------------------------------------
# States are sampled in [0.2, 3], parameters in [0.5, 2] and t in [0, 5]. Every
# operation that needs a positive or bounded argument gets one through a smooth wrapper,
# so trees are finite and differentiable (no kinks of pos/step) at every sampled point.


def bounded(a: Expr) -> Expr:
    """a / (1 + a^2), smooth with values in [-1/2, 1/2]."""
    return div(a, add(1.0, mul(a, a)))


def positive(a: Expr) -> Expr:
    """exp(bounded(a)), smooth with values in [e^-1/2, e^1/2]."""
    return exp(bounded(a))


constants = st.one_of(
    st.sampled_from([-2.5, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0]),
    st.floats(-3.0, 3.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
).map(Const)

leaves = st.one_of(
    st.integers(0, N_STATES - 1).map(State),
    st.integers(0, N_PARAMS - 1).map(Param),
    st.just(Time()),
    constants,
)
state_index = st.integers(0, N_STATES - 1)
hill_exponent = st.sampled_from([1.0, 2.0, 2.5, 0.5])


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    pairs = st.tuples(children, children)
    return st.one_of(
        pairs.map(lambda ab: add(*ab)),
        pairs.map(lambda ab: sub(*ab)),
        pairs.map(lambda ab: mul(*ab)),
        pairs.map(lambda ab: div(ab[0], add(1.0, mul(ab[1], ab[1])))),
        st.tuples(children, state_index).map(lambda a: div(a[0], State(a[1]))),
        children.map(neg),
        children.map(lambda a: exp(bounded(a))),
        children.map(lambda a: log(add(1.0, mul(a, a)))),
        st.tuples(children, st.sampled_from([-1.5, 0.5, 2.0, 3.0])).map(
            lambda a: power(positive(a[0]), a[1])
        ),
        pairs.map(lambda ab: power(positive(ab[0]), bounded(ab[1]))),
        st.tuples(state_index, children, hill_exponent).map(
            lambda a: hill_up(State(a[0]), positive(a[1]), a[2])
        ),
        st.tuples(state_index, children, hill_exponent).map(
            lambda a: hill_down(State(a[0]), positive(a[1]), a[2])
        ),
        # pos and step of quantities that stay positive: smooth at the sampled points
        st.tuples(state_index, children).map(lambda a: mul(pos(State(a[0])), a[1])),
        children.map(lambda a: mul(step(positive(a)), a)),
    )


trees = st.recursive(leaves, _extend, max_leaves=8)
points = st.tuples(
    st.floats(0.0, 5.0),
    st.lists(st.floats(0.2, 3.0), min_size=N_STATES, max_size=N_STATES),
    st.lists(st.floats(0.5, 2.0), min_size=N_PARAMS, max_size=N_PARAMS),
)


def central_difference(e: Expr, var: State | Param, t: float, y, p) -> tuple[float, float]:
    """Central difference of *e* by *var* and the largest intermediate magnitude seen."""
    y, p = list(y), list(p)
    vec = y if isinstance(var, State) else p
    x0 = vec[var.index]
    h = 1e-6 * max(1.0, abs(x0))
    vec[var.index] = x0 + h
    up, big_up = evaluate(e, t, y, p)
    vec[var.index] = x0 - h
    down, big_down = evaluate(e, t, y, p)
    # divide by the step actually taken ((x0 + h) - (x0 - h) is exact in binary)
    return (up - down) / ((x0 + h) - (x0 - h)), max(big_up, big_down)


# --------------------------------------------------------------------------------------
# Node validation
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_const_rejects_non_finite(bad):
    with pytest.raises(ValueError, match="finite"):
        Const(bad)


def test_const_normalises_to_float():
    assert Const(2) == Const(2.0)
    assert type(Const(2).value) is float


@pytest.mark.parametrize("cls", [State, Param])
@pytest.mark.parametrize("bad", [-1, -7, 1.0, 0.5, True, False, "0", None])
def test_index_nodes_reject_bad_index(cls, bad):
    with pytest.raises(ValueError, match="non-negative int"):
        cls(bad)


@pytest.mark.parametrize("cls", [State, Param])
def test_index_nodes_accept_non_negative_int(cls):
    assert cls(0).index == 0
    assert cls(12).index == 12


@pytest.mark.parametrize("name", ["sin", "sqrt", "Exp", "", "max"])
def test_func_rejects_unknown_names(name):
    with pytest.raises(ValueError, match="must be one of"):
        Func(name, X)


@pytest.mark.parametrize("name", ["exp", "log", "pos", "step"])
def test_func_accepts_known_names(name):
    assert Func(name, X).arg == X


@pytest.mark.parametrize("bad", ["", None, 3])
def test_symbol_rejects_bad_names(bad):
    with pytest.raises(ValueError, match="non-empty name"):
        Symbol(bad)


def test_nodes_are_immutable():
    with pytest.raises(AttributeError):
        X.index = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        Const(1.0).value = 2.0  # type: ignore[misc]


@pytest.mark.parametrize("bad", [True, "1", None, [1.0], complex(1, 0)])
def test_as_expr_rejects_non_numbers(bad):
    with pytest.raises(TypeError):
        as_expr(bad)


def test_as_expr():
    assert as_expr(2) == Const(2.0)
    assert as_expr(2.5) == Const(2.5)
    assert as_expr(X) is X


# --------------------------------------------------------------------------------------
# Smart constructors
# --------------------------------------------------------------------------------------


def test_add_drops_zero():
    assert add(X, 0) == X
    assert add(0.0, X) == X
    assert add(X, Const(0.0)) == X
    assert X + 0 == X
    assert 0 + X == X


def test_mul_drops_one_and_zero_absorbs():
    assert mul(X, 1) == X
    assert mul(1.0, X) == X
    assert X * 1 == X
    assert mul(X, 0) == Const(0.0)
    assert mul(0.0, X, Y) == Const(0.0)
    assert X * 0 == Const(0.0)


def test_power_simplifications():
    assert power(X, 1) == X
    assert power(X, 0) == Const(1.0)
    assert power(1.0, X) == Const(1.0)
    assert X**1 == X
    assert X**0 == Const(1.0)
    assert power(X, 2) == Pow(X, Const(2.0))


def test_constant_folding():
    assert add(1, 2, 3.5) == Const(6.5)
    assert mul(2, 3, 0.5) == Const(3.0)
    assert sub(5, 2) == Const(3.0)
    assert neg(2.0) == Const(-2.0)
    assert div(6, 4) == Const(1.5)
    assert power(2.0, 3.0) == Const(8.0)
    assert power(4.0, 0.5) == Const(2.0)
    assert exp(0.0) == Const(1.0)
    assert log(1.0) == Const(0.0)
    assert pos(-2.0) == Const(0.0)
    assert pos(2.0) == Const(2.0)
    assert step(2.0) == Const(1.0)
    assert step(0.0) == Const(1.0)  # one-sided: the slope of pos(x) at 0 from the right
    assert step(-1e-300) == Const(0.0)
    assert step(-1.0) == Const(0.0)
    # constants gathered into one leading term, other terms kept in order
    assert add(X, 1.0, Y, 2.0) == Add((Const(3.0), X, Y))
    assert mul(X, 2.0, Y, 3.0) == Mul((Const(6.0), X, Y))


def test_empty_sum_and_product():
    assert add() == Const(0.0)
    assert mul() == Const(1.0)


def test_flattening_of_nested_sums_and_products():
    assert add(add(X, Y), add(Z, 1.0), 2.0) == Add((Const(3.0), X, Y, Z))
    assert add(X, add(Y, add(Z, K))) == Add((X, Y, Z, K))
    assert mul(mul(2.0, X), mul(Y, 3.0)) == Mul((Const(6.0), X, Y))
    assert mul(X, mul(Y, mul(Z, K))) == Mul((X, Y, Z, K))
    # a product inside a sum is not flattened into the sum
    assert add(mul(X, Y), Z) == Add((Mul((X, Y)), Z))


def test_div_simplifications():
    assert div(0, X) == Const(0.0)
    assert div(Const(0.0), add(X, Y)) == Const(0.0)
    assert div(X, 1) == X
    assert div(X, Y) == Div(X, Y)
    assert X / 1 == X
    assert 0 / X == Const(0.0)


@pytest.mark.parametrize("num", [X, Const(1.0), Const(0.0), add(X, Y)])
def test_division_by_constant_zero_raises(num):
    with pytest.raises(ZeroDivisionError):
        div(num, 0)
    with pytest.raises(ZeroDivisionError):
        div(num, Const(0.0))
    with pytest.raises(ZeroDivisionError):
        num / 0


def test_division_by_expression_that_folds_to_zero_raises():
    with pytest.raises(ZeroDivisionError):
        X / (Y * 0)


def test_pos_is_idempotent_and_trusts_exp():
    assert pos(pos(X)) == pos(X)
    assert pos(exp(X)) == exp(X)
    assert pos(X) == Func("pos", X)


def test_constant_folding_overflow_and_domain_errors_raise():
    # no silent inf/nan constants: folding a non-finite result raises
    with pytest.raises(ValueError):
        add(1e308, 1e308)
    with pytest.raises(OverflowError):
        exp(1000.0)
    with pytest.raises(ValueError):
        log(-1.0)
    with pytest.raises(ValueError):
        log(0.0)


def test_power_folding_errors_raise_value_error():
    # a negative base to a fractional power has no real value; overflow is not finite
    with pytest.raises(ValueError):
        power(-8.0, 1.0 / 3.0)
    with pytest.raises(ValueError):
        power(10.0, 400.0)
    assert power(-2.0, 3.0) == Const(-8.0)


# --------------------------------------------------------------------------------------
# Structural equality, hashing, operators
# --------------------------------------------------------------------------------------


def _rate():
    return mul(K, X, hill_down(Y, 2.0, N)) + exp(neg(Time()))


def test_structural_equality_and_hash():
    a, b = _rate(), _rate()
    assert a is not b
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    table = {a: "rate"}
    assert table[b] == "rate"
    assert table.get(_rate() + 1.0) is None


def test_nodes_of_different_kinds_are_not_equal():
    assert State(0) != Param(0)
    assert State(0) != Const(0.0)
    assert Add((X, Y)) != Mul((X, Y))
    assert Time() == Time()
    assert Symbol("a") == Symbol("a")
    assert Symbol("a") != Symbol("b")
    assert len({State(0), Param(0), Const(0.0), Time(), Symbol("x")}) == 5


def test_equal_after_hashing_subtrees():
    # the cached hash must not leak into equality
    a = _rate()
    hash(a)
    for node in a.walk():
        hash(node)
    assert a == _rate()
    assert repr(a) == repr(_rate())


def test_pickled_nodes_hash_like_fresh_nodes_in_another_process():
    # The hash of a Symbol or Func depends on the process's string-hash seed, so a hash
    # cached in one process must not travel with the pickle.
    # The child imports cytosim/expr.py alone (fast: no site-packages, no cytosim/__init__)
    # under fixed hash seeds.
    child = (
        "import importlib.util, pickle, sys, types\n"
        "sys.modules['cytosim'] = types.ModuleType('cytosim')\n"
        f"spec = importlib.util.spec_from_file_location('cytosim.expr', {ex.__file__!r})\n"
        "m = importlib.util.module_from_spec(spec)\n"
        "sys.modules['cytosim.expr'] = m\n"
        "spec.loader.exec_module(m)\n"
        "nodes = (m.Symbol('TNF'), m.exp(m.State(0)))\n"
        "[hash(n) for n in nodes]\n"
        "sys.stdout.buffer.write(pickle.dumps(nodes))\n"
    )
    fresh = (Symbol("TNF"), exp(X))
    for seed in ("1", "2"):  # at least one of them differs from this process's seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        blob = subprocess.run(
            [sys.executable, "-S", "-c", child], env=env, capture_output=True, check=True
        ).stdout
        loaded = pickle.loads(blob)
        assert loaded == fresh
        assert [hash(n) for n in loaded] == [hash(n) for n in fresh]


def test_pickle_round_trip_in_process():
    a = _rate()
    b = pickle.loads(pickle.dumps(a))
    assert b == a
    assert hash(b) == hash(a)


def test_operators_with_numbers():
    assert X + 1 == add(X, 1.0)
    assert 1 + X == add(1.0, X)
    assert X - 2 == add(X, -2.0)
    assert 2 - X == Add((Const(2.0), Mul((Const(-1.0), X))))
    assert X * 3 == Mul((Const(3.0), X))
    assert 3 * X == Mul((Const(3.0), X))
    assert X / 2 == Div(X, Const(2.0))
    assert 2 / X == Div(Const(2.0), X)
    assert X**2 == Pow(X, Const(2.0))
    assert 2**X == Pow(Const(2.0), X)
    assert -X == Mul((Const(-1.0), X))
    minus_x = -X
    assert -minus_x == X
    assert X - X == Add((X, Mul((Const(-1.0), X))))  # no cancellation, only folding


def test_operators_between_expressions():
    assert X + Y == Add((X, Y))
    assert X * Y == Mul((X, Y))
    assert X / Y == Div(X, Y)
    assert X**Y == Pow(X, Y)
    assert X - Y == Add((X, Mul((Const(-1.0), Y))))


def test_operators_reject_other_types():
    with pytest.raises(TypeError):
        X + "a"  # type: ignore[operator]
    with pytest.raises(TypeError):
        X * None  # type: ignore[operator]


def test_operator_values():
    # exact: each check is a single IEEE operation on the same floats
    t, y, p = 0.0, [1.5, -2.0, 0.25], [3.0, 0.5]
    assert value(X + Y, t, y, p) == 1.5 + -2.0
    assert value(X - Y, t, y, p) == 1.5 - -2.0
    assert value(X * Y, t, y, p) == 1.5 * -2.0
    assert value(X / Y, t, y, p) == 1.5 / -2.0
    assert value(X**K, t, y, p) == 1.5**3.0
    assert value(-Z, t, y, p) == -0.25


# --------------------------------------------------------------------------------------
# states(), params(), symbols(), walk()
# --------------------------------------------------------------------------------------


def test_states_params_symbols():
    e = mul(K, X, hill_up(Z, Param(3), 2.0)) + Symbol("IL-10") * Time() + Symbol("TNF")
    assert e.states() == frozenset({0, 2})
    assert e.params() == frozenset({0, 3})
    assert e.symbols() == frozenset({"IL-10", "TNF"})
    assert Const(1.0).states() == frozenset()
    assert Time().params() == frozenset()
    assert X.symbols() == frozenset()


def test_walk_yields_children_before_parents_once():
    shared = exp(X)
    e = add(mul(shared, Y), shared)
    nodes = list(e.walk())
    assert nodes[-1] is e
    assert len(nodes) == len({id(n) for n in nodes})
    position = {id(n): i for i, n in enumerate(nodes)}
    for node in nodes:
        for child in node.children():
            assert position[id(child)] < position[id(node)]


# --------------------------------------------------------------------------------------
# Derivatives
# --------------------------------------------------------------------------------------


def test_diff_of_leaves():
    assert diff(X, X) == Const(1.0)
    assert diff(X, Y) == Const(0.0)
    assert diff(K, K) == Const(1.0)
    assert diff(K, State(0)) == Const(0.0)  # Param(0) is not State(0)
    assert diff(Const(3.0), X) == Const(0.0)
    assert diff(Time(), X) == Const(0.0)


def test_diff_simple_rules():
    assert diff(mul(3.0, X), X) == Const(3.0)
    assert diff(add(X, Y, 2.0), X) == Const(1.0)
    assert diff(exp(X), X) == exp(X)
    assert diff(log(X), X) == div(1.0, X)
    assert diff(pos(X), X) == step(X)
    assert diff(step(X), X) == Const(0.0)
    assert diff(power(X, 3.0), X) == mul(3.0, power(X, 2.0))
    assert diff(mul(X, Y), X) == Y


def test_diff_of_time_dependent_expression_wrt_state_is_zero():
    e = exp(mul(-0.5, Time())) * K + power(Time(), 2.0)
    assert diff(e, X) == Const(0.0)
    assert diff(e, Param(7)) == Const(0.0)


def test_diff_raises_on_unresolved_symbol():
    with pytest.raises(ValueError, match="unresolved name 'TNF'"):
        diff(mul(X, Symbol("TNF")), X)


def test_diff_of_hill_up_by_its_threshold_parameter():
    e = hill_up(X, K, N)
    dk = diff(e, K)
    assert dk.params() == {0, 1}
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, k, n = rng.uniform(0.2, 3.0), rng.uniform(0.5, 2.0), rng.uniform(0.5, 3.0)
        exact = -n * k ** (n - 1) * x**n / (k**n + x**n) ** 2
        got = value(dk, 0.0, [x], [k, n])
        # rtol 1e-12: both sides are a handful of correctly-rounded-ish libm operations on
        # O(1) values; different but algebraically equal formulas agree to ~10 ulp.
        assert got == pytest.approx(exact, rel=1e-12)


def test_diff_of_hill_down_by_its_state():
    e = hill_down(X, K, N)
    dx = diff(e, X)
    for x, k, n in [(0.3, 1.0, 2.0), (2.0, 0.7, 1.0), (1.3, 1.9, 0.5)]:
        exact = -n * k**n * x ** (n - 1) / (k**n + x**n) ** 2
        # rtol 1e-12: as above, a few O(1) floating-point operations
        assert value(dx, 0.0, [x], [k, n]) == pytest.approx(exact, rel=1e-12)


def test_diff_of_pow_with_variable_exponent():
    e = power(X, K)  # d/dK x^K = x^K log x
    x, k = 1.7, 2.3
    # rtol 1e-13: three libm calls on O(1) values, a few ulp each
    assert value(diff(e, K), 0.0, [x], [k]) == pytest.approx(x**k * math.log(x), rel=1e-13)
    assert value(diff(e, X), 0.0, [x], [k]) == pytest.approx(k * x ** (k - 1), rel=1e-13)


def test_diff_memoises_shared_subtrees():
    # a deep chain that reuses each level twice: 2**40 paths, cheap only with memoisation
    e = X
    for _ in range(40):
        e = add(mul(e, e), 1.0)
    d = diff(e, X)
    assert d.states() == {0}


@settings(max_examples=150, deadline=None)
@given(e=trees, point=points, which=st.integers(0, N_STATES + N_PARAMS - 1))
def test_diff_matches_central_differences(e, point, which):
    t, y, p = point
    var = State(which) if which < N_STATES else Param(which - N_STATES)
    d = diff(e, var)
    exact, _ = evaluate(d, t, y, p)
    fd, biggest = central_difference(e, var, t, y, p)
    assert math.isfinite(exact)
    # Central differences with h = 1e-6 * max(1, |x|): truncation error O(h^2 |f'''|) is
    # ~1e-12 relative for these smooth O(1)-scaled trees, and rounding error is about
    # n_ops * eps * max|intermediate| / h ~ 30 * 2.2e-16 / 1e-6 ~ 7e-9 of the largest
    # intermediate value. So rtol 1e-5 on the derivative plus 1e-7 of that magnitude.
    tol = 1e-5 * max(1.0, abs(exact)) + 1e-7 * biggest
    assert abs(fd - exact) <= tol, (e, var, exact, fd)


@settings(max_examples=60, deadline=None)
@given(e=trees, which=st.integers(0, N_STATES + N_PARAMS - 1))
def test_diff_depends_only_on_variables_of_the_expression(e, which):
    var = State(which) if which < N_STATES else Param(which - N_STATES)
    d = diff(e, var)
    assert d.states() <= e.states()
    assert d.params() <= e.params()
    if (isinstance(var, State) and which not in e.states()) or (
        isinstance(var, Param) and var.index not in e.params()
    ):
        assert d == Const(0.0)


# --------------------------------------------------------------------------------------
# Hill functions
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0.5, 1.0, 2.0, 3.7])
@pytest.mark.parametrize("k", [0.1, 1.0, 2.5])
def test_hill_values_at_threshold_and_zero(k, n):
    # exact: at x = K both powers are the same computation, a / (a + a) == 0.5 exactly
    assert value(hill_up(X, K, N), 0.0, [k], [k, n]) == 0.5
    assert value(hill_down(X, K, N), 0.0, [k], [k, n]) == 0.5
    # exact: 0^n == 0, so K^n / (K^n + 0) == 1 and 0 / K^n == 0
    assert value(hill_down(X, K, N), 0.0, [0.0], [k, n]) == 1.0
    assert value(hill_up(X, K, N), 0.0, [0.0], [k, n]) == 0.0
    # constant arguments fold to the same numbers
    assert hill_down(0.0, k, n) == Const(1.0)
    assert hill_up(0.0, k, n) == Const(0.0)


@pytest.mark.parametrize("x", [-1.0, -1e-12, -5.0])
def test_hill_clamps_negative_states(x):
    # pos() makes negative states count as zero
    assert value(hill_up(X, 2.0, 2.5), 0.0, [x], []) == 0.0
    assert value(hill_down(X, 2.0, 2.5), 0.0, [x], []) == 1.0
    assert hill_up(x, 2.0, 2.5) == Const(0.0)
    assert hill_down(x, 2.0, 0.5) == Const(1.0)


@settings(max_examples=100)
@given(
    x=st.floats(0.0, 1e3),
    k=st.floats(1e-3, 1e3),
    n=st.floats(0.25, 4.0),
)
def test_hill_up_plus_down_is_one(x, k, n):
    total = add(hill_up(X, K, N), hill_down(X, K, N))
    # a/(a+b) + b/(a+b): two correctly rounded divisions and one addition, so within a
    # few ulp of 1 (abs 1e-15 ~ 4.5 eps).
    assert value(total, 0.0, [x], [k, n]) == pytest.approx(1.0, abs=1e-15)


def _numeric(outputs, x, k, n):
    """Evaluate through the generated numpy code (IEEE inf/nan semantics, no exceptions)."""
    from cytosim._emit import build_functions, emit_function

    f = build_functions(emit_function("f", outputs), ["f"])["f"]
    with np.errstate(all="ignore"):
        return f(0.0, np.array([x]), np.array([k, n]), np.empty(len(outputs)))


@pytest.mark.parametrize("x", [0.5, 2.0])
def test_hill_derivatives_are_finite_for_positive_states(x):
    outs = [diff(hill_up(X, K, N), X), diff(hill_down(X, K, N), X), diff(hill_up(X, K, N), N)]
    assert np.all(np.isfinite(_numeric(outs, x, 1.0, 0.5)))


@pytest.mark.parametrize("x", [-0.5, -1e-12])
def test_hill_state_derivative_is_zero_for_negative_states(x):
    outs = [diff(hill_up(X, K, N), X), diff(hill_down(X, K, N), X)]
    assert list(_numeric(outs, x, 1.0, 0.5)) == [0.0, 0.0]


@pytest.mark.parametrize("x", [0.0, -0.5])
def test_hill_exponent_derivative_is_zero_where_hill_is_zero(x):
    outs = [diff(hill_up(X, K, N), N), diff(hill_down(X, K, N), N)]
    assert list(_numeric(outs, x, 1.0, 2.0)) == [0.0, 0.0]


def test_hill_structure():
    e = hill_up(X, 2.0, 2.0)
    assert e == Div(Pow(pos(X), Const(2.0)), Add((Const(4.0), Pow(pos(X), Const(2.0)))))
    assert hill_up(X, K, 1.0) == Div(pos(X), Add((K, pos(X))))


# --------------------------------------------------------------------------------------
# substitute
# --------------------------------------------------------------------------------------


def test_substitute_resolves_symbols():
    e = mul(Symbol("k"), Symbol("TNF")) / add(Symbol("K"), Symbol("TNF"))
    resolved = substitute(e, {Symbol("k"): K, Symbol("TNF"): X, Symbol("K"): N})
    assert resolved == div(mul(K, X), add(N, X))
    assert resolved.symbols() == frozenset()
    assert resolved.states() == {0}
    assert resolved.params() == {0, 1}
    # untouched input
    assert e.symbols() == {"k", "TNF", "K"}


def test_substitute_resimplifies():
    e = add(mul(Symbol("a"), Symbol("x")), Symbol("b"), power(Symbol("x"), Symbol("n")))
    out = substitute(e, {Symbol("a"): Const(1.0), Symbol("b"): Const(0.0),
                         Symbol("x"): X, Symbol("n"): Const(1.0)})
    assert out == add(X, X)
    assert substitute(mul(Symbol("z"), X), {Symbol("z"): Const(0.0)}) == Const(0.0)
    assert substitute(exp(Symbol("z")), {Symbol("z"): Const(0.0)}) == Const(1.0)
    assert substitute(pos(Symbol("z")), {Symbol("z"): exp(X)}) == exp(X)
    assert substitute(step(Symbol("z")), {Symbol("z"): Const(2.0)}) == Const(1.0)
    assert substitute(log(Symbol("z")), {Symbol("z"): Const(1.0)}) == Const(0.0)
    with pytest.raises(ZeroDivisionError):
        substitute(div(X, Symbol("z")), {Symbol("z"): Const(0.0)})


def test_substitute_with_callable():
    names = {"TNF": X, "IL-10": Y, "rate": K}

    def resolve(node):
        return names.get(node.name) if isinstance(node, Symbol) else None

    e = mul(Symbol("rate"), sub(Symbol("TNF"), Symbol("IL-10")))
    assert substitute(e, resolve) == mul(K, sub(X, Y))
    # leaves other than symbols pass through
    assert substitute(add(Time(), Const(2.0), Z), resolve) == add(Time(), 2.0, Z)


def test_substitute_can_replace_any_node():
    shared = exp(X)
    e = add(shared, mul(shared, Y))
    assert substitute(e, {exp(X): Z}) == add(Z, mul(Z, Y))


@settings(max_examples=60, deadline=None)
@given(e=trees, point=points)
def test_substitute_symbols_round_trip(e, point):
    # replacing states by named symbols and back gives the same tree
    to_names = substitute(e, lambda n: Symbol(f"s{n.index}") if isinstance(n, State) else None)
    assert to_names.states() == frozenset()
    assert to_names.symbols() == {f"s{i}" for i in e.states()}
    back = substitute(
        to_names, lambda n: State(int(n.name[1:])) if isinstance(n, Symbol) else None
    )
    assert back == e
    t, y, p = point
    names = {f"s{i}": v for i, v in enumerate(y)}
    # exact: the same operations in the same order on the same values
    assert value(to_names, t, y, p, names) == value(e, t, y, p)
