"""Shared builders for the tests: small networks with known behaviour, a reference evaluator."""

from __future__ import annotations

import math

import numpy as np

import cytosim as cs
from cytosim.expr import Add, Const, Div, Expr, Func, Gate, Mul, Param, Pow, State, Symbol, Time


def finite_difference_jacobian(system: cs.OdeSystem, y: np.ndarray, p: np.ndarray,
                               t: float = 0.0) -> np.ndarray:
    """Central differences, step scaled to each state (truncation O(h^2), rounding eps/h)."""
    n = system.n_states
    jac = np.zeros((n, n))
    for j in range(n):
        h = 1e-6 * max(1.0, abs(y[j]))
        up, down = y.copy(), y.copy()
        up[j] += h
        down[j] -= h
        jac[:, j] = (system.rhs(t, up, p) - system.rhs(t, down, p)) / (2 * h)
    return jac


def every_kind_network() -> cs.Network:
    """One network that uses every built-in kind, each with modulators where allowed."""
    net = cs.Network("every_kind", time_unit="h")
    net.add_compartment("plasma", volume=3.0, unit="L")
    net.add_stimulus("LPS", initial=1.0, half_life=0.7)
    net.add_cell("M", initial=50.0, death_rate=0.01)
    net.add_process("M", "source", source=1.0, modulators=[cs.Hill("LPS", K=0.5, n=2)])
    net.add_cell("MA", initial=5.0)
    net.add_process("MA", "decay_to_baseline", rate=0.3, baseline=1.0)
    net.add_cell("T", initial=20.0)
    net.add_process("T", "logistic", growth_rate=0.2, capacity=100.0)
    net.add_cytokine("TNF", initial=2.0, decay_rate=1.0, use_catalogue=False)
    net.add_cytokine("IL10", initial=1.5, decay_rate=0.5, use_catalogue=False)
    net.add_drug("D", initial=4.0, decay_rate=0.05, compartment="plasma", quantity="amount")
    net.add_complex("DT", initial=0.1, decay_rate=0.2)
    net.add_compartment("depot", volume=0.5)
    net.add_drug("Dsc", initial=3.0, compartment="depot", quantity="amount")
    net.add_edge("Dsc", "transfers", "D", rate=0.3)
    net.add_process("D", "infusion", infusion_rate=0.2)
    net.add_edge("M", "activates", "MA", rate=0.4,
                 modulators=[cs.Hill("LPS", K=0.3, n=1.5), cs.Hill("IL10", K=2.0, n=0.7,
                                                                   kind="down", basal=0.2)])
    net.add_edge("MA", "secretes", "TNF", rate=1.3, modulators=[cs.Linear("LPS")])
    net.add_edge("MA", "secretes", "IL10", rate=0.2)
    net.add_edge("TNF", "proliferates", "T", rate=0.05, response="hill", K=1.0, n=2.0)
    net.add_process("MA", "growth", growth_rate=0.01, modulators=[cs.Hill("TNF", K=1.0)])
    net.add_edge("IL10", "recruits", "M", rate=0.3, response="saturating", K=2.0)
    net.add_edge("MA", "kills", "T", rate=0.02, K=10.0)
    net.add_edge("M", "kills", "T", rate=0.001, saturating=False)
    net.add_edge("M", "consumes", "IL10", rate=0.01, K=3.0)
    net.add_edge("D", "binds", "TNF", kon=0.5, koff=0.1, complex="DT")
    net.add_edge("Dsc", "antagonizes", "TNF", Ki=2.0)
    net.add_edge("TNF", "induces_death", "T", rate=0.1, K=2.0,
                 modulators=[cs.Hill("IL10", K=1.0, kind="down")])
    net.add_term("TNF", "k_x * LPS * T / (1 + T)", name="extra", params={"k_x": 0.3})
    net.add_observable("free_TNF_fraction", "TNF / (TNF + DT)")
    net.add_observable("drug_conc", "D / plasma.volume")
    return net


def require(module: str):  # type: ignore[no-untyped-def]
    """Import an optional test dependency: skip locally when missing, fail in CI (where the
    test extra installs it, so a missing one is a packaging bug)."""
    import importlib
    import os

    import pytest

    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module)


def reference_evaluate(e: Expr, t: float, y, p, names=None) -> tuple[float, float]:
    """Value of *e* and the largest magnitude of any intermediate value (for error bounds).

    Sums and products are accumulated left to right, like the generated code.
    """
    names = names or {}
    memo: dict[int, float] = {}
    biggest = 0.0

    def ev(node: Expr) -> float:
        nonlocal biggest
        key = id(node)
        if key in memo:
            return memo[key]
        if isinstance(node, Const):
            v = node.value
        elif isinstance(node, State):
            v = float(y[node.index])
        elif isinstance(node, Param):
            v = float(p[node.index])
        elif isinstance(node, Time):
            v = float(t)
        elif isinstance(node, Symbol):
            v = float(names[node.name])
        elif isinstance(node, Add):
            v = 0.0
            for i, term in enumerate(node.terms):
                v = ev(term) if i == 0 else v + ev(term)
        elif isinstance(node, Mul):
            v = 1.0
            for i, factor in enumerate(node.factors):
                v = ev(factor) if i == 0 else v * ev(factor)
        elif isinstance(node, Div):
            v = ev(node.num) / ev(node.den)
        elif isinstance(node, Pow):
            v = math.pow(ev(node.base), ev(node.exponent))
        elif isinstance(node, Func):
            a = ev(node.arg)
            v = {
                "exp": math.exp,
                "log": math.log,
                "pos": lambda u: max(u, 0.0),
                "step": lambda u: 1.0 if u >= 0.0 else 0.0,
            }[node.name](a)
        elif isinstance(node, Gate):
            c = ev(node.cond)
            v = ev(node.value) if (c > 0.0 if node.strict else c >= 0.0) else 0.0
        else:  # pragma: no cover - defensive
            raise TypeError(type(node).__name__)
        biggest = max(biggest, abs(v))
        memo[key] = v
        return v

    return ev(e), biggest
