"""Tests for cytosim._emit (source generation) and cytosim._jit (numba kernels).

The generated source must mention indices only, compute shared subexpressions once,
evaluate whole ensembles exactly like member-by-member calls, and compile with numba to
the same numbers as the numpy dialect.
"""

from __future__ import annotations

import io
import math
import re
import tokenize

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cytosim import _jit
from cytosim._emit import build_functions, emit_function
from cytosim.exceptions import MissingDependencyError
from cytosim.expr import (
    Add,
    Const,
    Div,
    Expr,
    Func,
    Gate,
    Mul,
    Param,
    Pow,
    State,
    Symbol,
    Time,
    add,
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


def build(outputs, dialect="numpy", name="f"):
    return build_functions(emit_function(name, outputs, dialect), [name])[name]


# --------------------------------------------------------------------------------------
# A reference evaluator, independent of the code generator
# --------------------------------------------------------------------------------------


evaluate = reference_evaluate


# --------------------------------------------------------------------------------------
# Random trees
# --------------------------------------------------------------------------------------


def bounded(a: Expr) -> Expr:
    return div(a, add(1.0, mul(a, a)))


def positive(a: Expr) -> Expr:
    return exp(bounded(a))


constants = st.one_of(
    st.sampled_from([-2.5, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0]),
    st.floats(-3.0, 3.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
).map(Const)
state_index = st.integers(0, N_STATES - 1)


def leaves_over(states, params):
    return st.one_of(states, params, st.just(Time()), constants)


def extend_all(children):
    """Every node kind; finite-valued for states of any sign (pos/step may have kinks)."""
    pairs = st.tuples(children, children)
    return st.one_of(
        pairs.map(lambda ab: add(*ab)),
        pairs.map(lambda ab: sub(*ab)),
        pairs.map(lambda ab: mul(*ab)),
        pairs.map(lambda ab: div(ab[0], add(1.0, mul(ab[1], ab[1])))),
        children.map(neg),
        children.map(lambda a: exp(bounded(a))),
        children.map(lambda a: log(add(1.0, mul(a, a)))),
        children.map(pos),
        children.map(step),
        st.tuples(children, st.sampled_from([-1.5, -1.0, 0.5, 2.0, 3.0])).map(
            lambda a: power(positive(a[0]), a[1])
        ),
        pairs.map(lambda ab: power(positive(ab[0]), ab[1])),
        st.tuples(children, children, st.sampled_from([1.0, 2.0, 2.5])).map(
            lambda a: hill_up(a[0], positive(a[1]), a[2])
        ),
        st.tuples(children, children, children).map(
            lambda a: hill_down(a[0], positive(a[1]), positive(a[2]))
        ),
    )


def extend_exact(children):
    """Only operations that are single correctly rounded IEEE operations."""
    pairs = st.tuples(children, children)
    return st.one_of(
        pairs.map(lambda ab: add(*ab)),
        pairs.map(lambda ab: sub(*ab)),
        pairs.map(lambda ab: mul(*ab)),
        pairs.filter(lambda ab: ab[1] != Const(0.0)).map(lambda ab: div(*ab)),
        children.map(neg),
        children.map(pos),
        children.map(step),
        children.map(lambda a: power(a, 2.0)),  # emitted as a * a
    )


index_leaves = leaves_over(state_index.map(State), st.integers(0, N_PARAMS - 1).map(Param))
trees = st.recursive(index_leaves, extend_all, max_leaves=8)
exact_trees = st.recursive(index_leaves, extend_exact, max_leaves=8)

USER_NAMES = ["TNF", "IL-10", "IL6", "M.secretes.TNF.rate", "a.secretes.b:2.rate", "Kd_TNF"]
USER_PARAMS = ["TNF.rate", "IL-10.rate", "hill_n"]
named_trees = st.recursive(
    leaves_over(st.sampled_from(USER_NAMES).map(Symbol), st.sampled_from(USER_PARAMS).map(Symbol)),
    extend_all,
    max_leaves=8,
)


def resolve(e: Expr) -> Expr:
    """Replace the user names of `named_trees` by states and parameters."""
    mapping = {Symbol(n): State(i) for i, n in enumerate(USER_NAMES)}
    mapping.update({Symbol(n): Param(i) for i, n in enumerate(USER_PARAMS)})
    return substitute(e, mapping)


# --------------------------------------------------------------------------------------
# The source mentions indices only
# --------------------------------------------------------------------------------------

_TOKEN = (
    r"y\[\d+\]|p\[\d+\]|v\d+|t\b"
    r"|\(-?\d+\.\d+(?:e[+-]\d+)?\)|\(-?\d+e[+-]\d+\)|\d+\.\d+(?:e[+-]\d+)?|\d+e[+-]\d+"
    r"|np\.(?:exp|log|maximum|greater_equal|greater|where)\(|math\.(?:exp|log)\(|max\("
    r"|\bif\b|\belse\b|\*\*|>=|[-+*/(),>]"
)
_RHS = re.compile(rf"(?:\s*(?:{_TOKEN}))+\s*")
_ASSIGN = re.compile(r" {4}(?:v\d+|out\[\d+\]) = (.+)")
_ALLOWED_NAMES = {
    "def", "f", "t", "y", "p", "out", "return", "pass", "np", "math",
    "exp", "log", "maximum", "greater", "greater_equal", "where", "max", "if", "else",
}  # fmt: skip


def assert_indices_only(source: str, name: str = "f") -> None:
    lines = source.splitlines()
    assert lines[0] == f"def {name}(t, y, p, out):"
    assert lines[-1] == "    return out"
    for line in lines[1:-1]:
        if line == "    pass":
            continue
        m = _ASSIGN.fullmatch(line)
        assert m is not None, line
        assert _RHS.fullmatch(m.group(1)), line
    names = {
        tok.string
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.NAME
    }
    assert {n for n in names if not re.fullmatch(r"v\d+", n)} <= _ALLOWED_NAMES | {name}


def test_source_of_a_substituted_formula_has_no_user_names():
    e = mul(Symbol("TNF.rate"), Symbol("TNF")) / add(Symbol("Kd_TNF"), Symbol("IL-10"))
    e = e + hill_up(Symbol("IL-10"), Symbol("M.secretes.TNF.rate"), 2.0)
    resolved = resolve(
        substitute(e, {Symbol("Kd_TNF"): Symbol("hill_n")})
    )
    for dialect in ("numpy", "numba"):
        source = emit_function("f", [resolved, diff(resolved, State(1))], dialect)
        for word in ("TNF", "IL", "rate", "secretes", "Kd", "hill"):
            assert word not in source
        assert_indices_only(source)


@settings(max_examples=60, deadline=None)
@given(outputs=st.lists(named_trees, min_size=1, max_size=3))
def test_source_matches_whitelist(outputs):
    resolved = [resolve(e) for e in outputs]
    for dialect in ("numpy", "numba"):
        source = emit_function("f", resolved, dialect)
        assert_indices_only(source)
        for n in USER_NAMES + USER_PARAMS:
            assert n not in source
        compile(source, "<test>", "exec")  # syntactically valid


@pytest.mark.parametrize("dialect", ["numpy", "numba"])
def test_unresolved_symbol_raises(dialect):
    with pytest.raises(ValueError, match="'TNF' was not resolved"):
        emit_function("f", [add(X, exp(mul(K, Symbol("TNF"))))], dialect)
    with pytest.raises(ValueError, match="not resolved"):
        emit_function("f", [X, Symbol("IL-10")], dialect)


@pytest.mark.parametrize("name", ["", "1f", "f-g", "f g", "f(", "rhs; import os", "f\n"])
def test_name_must_be_an_identifier(name):
    with pytest.raises(ValueError, match="identifier"):
        emit_function(name, [X])


@pytest.mark.parametrize("name", ["lambda", "def", "return"])
def test_keyword_names_are_rejected(name):
    with pytest.raises(ValueError, match="identifier"):
        emit_function(name, [X])


def test_empty_outputs_and_leaf_outputs():
    source = emit_function("f", [])
    assert source == "def f(t, y, p, out):\n    pass\n    return out\n"
    out = np.full(2, 7.0)
    assert build([])(0.0, np.ones(1), np.ones(1), out) is out
    f = build([X, K, Time(), Const(-2.5)])
    np.testing.assert_array_equal(f(4.0, [3.0], [5.0], np.empty(4)), [3.0, 5.0, 4.0, -2.5])


def test_negative_constants_are_parenthesised():
    f = build([power(Const(-2.0), X), mul(Const(-3.0), power(X, 2.0)), sub(X, Const(-1.5))])
    # exact: (-2)^3, -3 * 9 and 3 + 1.5 are exactly representable
    np.testing.assert_array_equal(f(0.0, [3.0], [], np.empty(3)), [-8.0, -27.0, 4.5])
    np.testing.assert_array_equal(f(0.0, [2.0], [], np.empty(3)), [4.0, -12.0, 3.5])


def test_negative_zero_constant_base():
    base = div(-1e-300, 1e300)
    assert base == Const(0.0) and math.copysign(1.0, base.value) < 0  # folding gives -0.0
    f = build([power(base, X)])
    with np.errstate(all="ignore"):
        got = f(0.0, np.array([-2.0]), np.zeros(0), np.empty(1))[0]
        assert got == np.float64(-0.0) ** np.float64(-2.0) == math.inf


def test_square_is_emitted_as_a_product():
    source = emit_function("f", [power(add(X, 1.0), 2.0)])
    assert "**" not in source
    assert re.search(r"(v\d+) \* \1", source)
    assert "**" in emit_function("f", [power(X, 3.0)])


# --------------------------------------------------------------------------------------
# Common subexpressions
# --------------------------------------------------------------------------------------


def _assignments(source: str) -> list[str]:
    return [line for line in source.splitlines() if re.match(r" {4}v\d+ = ", line)]


def test_repeated_subexpression_is_computed_once():
    # two separately built but equal copies of exp(y0 * p0)
    def inner():
        return exp(mul(X, K))

    e = add(inner(), mul(Y, inner()))
    assert inner() is not inner()
    source = emit_function("f", [e])
    # y0*p0, exp(.), y1*exp(.), sum: four distinct non-leaf nodes, four lines
    assert len(_assignments(source)) == 4
    assert source.count("np.exp(") == 1
    assert source.count("y[0] * p[0]") == 1


def test_subexpressions_are_shared_across_outputs():
    h = hill_up(X, K, N)
    outputs = [h, mul(Y, h), diff(h, X), diff(h, K)]
    source = emit_function("f", outputs)
    distinct = {node for e in outputs for node in e.walk()}
    non_leaves = [n for n in distinct if isinstance(n, Add | Mul | Div | Pow | Func | Gate)]
    assert len(_assignments(source)) == len(non_leaves)
    assert source.count("np.maximum(y[0], 0.0)") == 1
    # each output row is written once
    for k in range(len(outputs)):
        assert source.count(f"out[{k}] = ") == 1


# --------------------------------------------------------------------------------------
# numpy dialect against the reference evaluator
# --------------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    e=trees,
    t=st.floats(0.0, 5.0),
    y=st.lists(st.floats(-2.0, 3.0), min_size=N_STATES, max_size=N_STATES),
    p=st.lists(st.floats(0.25, 2.0), min_size=N_PARAMS, max_size=N_PARAMS),
)
def test_numpy_dialect_matches_reference_evaluator(e, t, y, p):
    f = build([e])
    got = f(t, np.array(y), np.array(p), np.empty(1))[0]
    want, biggest = evaluate(e, t, y, p)
    # libm (math) and numpy may differ by an ulp or two per exp/log/pow, and the evaluator
    # sums in the same order as the generated code; errors are bounded by a few dozen ulp
    # of the largest intermediate value: 1e-12 relative to it is a generous bound.
    assert abs(got - want) <= 1e-12 * max(1.0, biggest), (e, got, want)


# --------------------------------------------------------------------------------------
# Ensembles: exactness of the vectorised numpy dialect
# --------------------------------------------------------------------------------------


def _ensemble(seed: int, m: int):
    rng = np.random.default_rng(seed)
    t = float(rng.uniform(0.0, 5.0))
    y = rng.uniform(-2.0, 3.0, size=(N_STATES, m))
    # include parameter values numpy treats specially as exponents (0.5, 2, -1)
    p = rng.choice([0.5, 2.0, -1.0, 1.0, 0.3, 1.7], size=(N_PARAMS, m))
    return t, y, p


@settings(max_examples=60, deadline=None)
@given(
    outputs=st.lists(trees, min_size=1, max_size=3),
    seed=st.integers(0, 2**32 - 1),
    m=st.integers(1, 7),
)
def test_ensemble_equals_member_by_member(outputs, seed, m):
    f = build(outputs)
    t, y, p = _ensemble(seed, m)
    k = len(outputs)
    with np.errstate(all="ignore"):
        full = f(t, y, p, np.empty((k, m)))
        # p 1-D shared by every member, broadcast against y (n, m)
        shared = f(t, y, p[:, 0], np.empty((k, m)))
        for j in range(m):
            col = np.ascontiguousarray(y[:, j : j + 1])
            one = f(t, col, np.ascontiguousarray(p[:, j : j + 1]), np.empty((k, 1)))
            # EXACT: every operation is elementwise, so member j of the vectorised call
            # goes through the same IEEE operations as a call on that member alone.
            assert np.array_equal(full[:, j : j + 1], one, equal_nan=True)
            one_shared = f(t, col, p[:, 0], np.empty((k, 1)))
            assert np.array_equal(shared[:, j : j + 1], one_shared, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(
    outputs=st.lists(exact_trees, min_size=1, max_size=3),
    seed=st.integers(0, 2**32 - 1),
    m=st.integers(1, 7),
)
def test_ensemble_equals_scalar_calls_for_ieee_operations(outputs, seed, m):
    # With 1-D members, y[i] are numpy scalars, which may take different code paths than
    # arrays for exp/log/pow (SIMD vs libm on some CPUs). For trees made only of
    # + - * / max and comparisons (single correctly rounded IEEE operations) the scalar
    # and vectorised paths must still agree EXACTLY.
    f = build(outputs)
    t, y, p = _ensemble(seed, m)
    k = len(outputs)
    with np.errstate(all="ignore"):
        full = f(t, y, p, np.empty((k, m)))
        for j in range(m):
            one = f(t, y[:, j].copy(), p[:, j].copy(), np.empty(k))
            assert np.array_equal(full[:, j], one, equal_nan=True)


# --------------------------------------------------------------------------------------
# numba dialect through cytosim._jit
# --------------------------------------------------------------------------------------

FIXED = [
    hill_up(X, K, N),
    hill_down(Y, 2.0, 2.5),
    mul(K, X, exp(mul(-0.3, Time()))),
    log(add(1.0, mul(X, X))),
    pos(sub(X, Y)),
    mul(step(sub(X, 1.0)), Y),
    power(add(X, 3.0), 2.0),
    div(power(add(1.0, mul(Z, Z)), Y), add(K, mul(X, X))),
    sub(exp(X), power(add(mul(Z, Z), 1.0), -1.5)),
    Const(3.0),
    K,
    Time(),
]
FIXED_D = [diff(e, X) for e in FIXED] + [diff(e, K) for e in FIXED]
POINTS = [
    (0.0, [1.0, 0.5, 2.0], [1.0, 2.0]),
    (1.5, [0.3, 2.5, -1.0], [0.7, 1.0]),
    (4.0, [-0.5, -2.0, 0.1], [2.0, 1.5]),  # x <= 0 only with n >= 1 (see test_expr)
    (2.0, [2.7, 1.3, 0.0], [1.3, 3.5]),
]
KERNEL_SOURCE = emit_function("f", FIXED, "numba") + "\n\n" + emit_function("g", FIXED_D, "numba")


def _check_kernels(kernels):
    ref_f, ref_g = build(FIXED), build(FIXED_D)
    for t, y, p in POINTS:
        y, p = np.array(y), np.array(p)
        for kernel, ref, n in ((kernels["f"], ref_f, len(FIXED)), (kernels["g"], ref_g,
                                                                   len(FIXED_D))):
            got = kernel(t, y, p, np.empty(n))
            want = ref(t, y, p, np.empty(n))
            assert np.all(np.isfinite(want))
            # rtol 1e-13: numba calls LLVM/libm exp, log and pow, numpy its own loops;
            # these may differ by a few ulp and the fixed trees have no cancellation.
            # atol 1e-15 for outputs that are exactly or nearly 0.
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    return kernels


@pytest.mark.skipif(not _jit.numba_available(), reason="numba not available")
def test_numba_kernels_with_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CYTOSIM_CACHE_DIR", str(tmp_path))
    assert _jit.cache_directory() == tmp_path
    kernels = _check_kernels(_jit.load_kernels(KERNEL_SOURCE, ("f", "g")))
    # the kernel module is written to the cache directory, indices only
    modules = list(tmp_path.glob("k_*.py"))
    assert len(modules) == 1 and re.fullmatch(r"k_[0-9a-f]{32}\.py", modules[0].name)
    text = modules[0].read_text()
    assert "@njit(cache=True" in text
    for source in (emit_function("f", FIXED, "numba"), emit_function("g", FIXED_D, "numba")):
        assert source.split("\n", 1)[1] in text  # the body, below the decorator
    # numba saved the machine code next to it (unless NUMBA_CACHE_DIR sends it elsewhere)
    import numba

    if not numba.config.CACHE_DIR:
        assert list(tmp_path.glob("__pycache__/*.nbi"))
        assert list(tmp_path.glob("__pycache__/*.nbc"))
    # a second load in the same process is memoised
    assert _jit.load_kernels(KERNEL_SOURCE, ("f", "g"))["f"] is kernels["f"]
    # bypassing the memo (as a new process would) loads the machine code from disk
    reloaded = _check_kernels(_jit._load.__wrapped__(KERNEL_SOURCE, ("f", "g"), str(tmp_path)))
    assert reloaded["f"] is not kernels["f"]
    for name in ("f", "g"):
        stats = reloaded[name].stats
        assert sum(stats.cache_hits.values()) == 1
        assert sum(stats.cache_misses.values()) == 0


@pytest.mark.skipif(not _jit.numba_available(), reason="numba not available")
def test_numba_kernels_without_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CYTOSIM_CACHE_DIR", "off")
    monkeypatch.chdir(tmp_path)  # anything written would land here
    assert _jit.cache_directory() is None
    kernels = _check_kernels(_jit.load_kernels(KERNEL_SOURCE, ("f", "g")))
    assert list(tmp_path.iterdir()) == []
    assert kernels["f"].__module__ != "cytosim_kernel_" + _jit.kernel_key(KERNEL_SOURCE)


def test_load_kernels_respects_disable_switch(monkeypatch):
    monkeypatch.setenv("CYTOSIM_DISABLE_NUMBA", "1")
    assert not _jit.numba_available()
    with pytest.raises(MissingDependencyError, match="CYTOSIM_DISABLE_NUMBA"):
        _jit.load_kernels(KERNEL_SOURCE, ("f", "g"))


def test_kernel_source_is_indices_only():
    for part in KERNEL_SOURCE.split("\n\n\n"):
        name = part.split("(", 1)[0].removeprefix("def ")
        assert_indices_only(part, name)
