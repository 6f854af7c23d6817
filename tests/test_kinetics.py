"""Every rate-law kind: exact Jacobian, structural non-negativity, formulas as documented."""

from __future__ import annotations

import numpy as np
import pytest

import cytosim as cs
from cytosim._assemble import assemble
from cytosim._emit import build_functions, emit_function
from cytosim.kinetics import DEFAULT_KINDS

from .helpers import every_kind_network, finite_difference_jacobian

RNG = np.random.default_rng(20261125)


def evaluate(exprs, y, p, t=0.0):  # type: ignore[no-untyped-def]
    f = build_functions(emit_function("f", list(exprs)), ["f"])["f"]
    return f(t, y, p, np.empty(len(exprs)))


def test_the_test_network_uses_every_registered_kind() -> None:
    kinds = {DEFAULT_KINDS.canonical(d["kind"]) for *_, d in every_kind_network().elements()}
    assert kinds == set(DEFAULT_KINDS)


def test_analytic_jacobian_equals_finite_differences_for_every_kind() -> None:
    system = cs.compile_network(every_kind_network())
    for _ in range(5):
        # states kept in [0.5, 5]: a Hill exponent below 1 (0.7 here) has an unbounded slope
        # at 0, where finite differences are meaningless
        y = RNG.uniform(0.5, 5.0, system.n_states)
        p = system.default_params
        exact = system.jac_dense(0.0, y, p)
        approx = finite_difference_jacobian(system, y, p)
        # central differences with h = 1e-6*|y|: truncation ~h^2*f''' and rounding
        # ~eps*|f|/h ~ 1e-10 relative; 1e-6 leaves a wide margin
        np.testing.assert_allclose(exact, approx, rtol=1e-6, atol=1e-8)


def test_every_loss_term_vanishes_when_its_own_state_is_zero() -> None:
    assembly = assemble(every_kind_network())
    p = np.asarray(assembly.param_values)
    checked = 0
    for element in assembly.elements:
        for flux in element.fluxes:
            for i, change in flux.changes.items():
                if change >= 0:
                    continue
                y = RNG.uniform(0.1, 10.0, len(assembly.states))
                y[i] = 0.0
                rate = evaluate([flux.rate], y, p)[0]
                assert rate == 0.0, f"{element.label}: removes {assembly.states[i]} at 0"
                checked += 1
    assert checked >= 12


def test_derivative_is_nonnegative_at_zero_for_every_state() -> None:
    system = cs.compile_network(every_kind_network())
    for _ in range(20):
        y = RNG.uniform(0.0, 10.0, system.n_states)
        for i in range(system.n_states):
            at_zero = y.copy()
            at_zero[i] = 0.0
            assert system.rhs(0.0, at_zero)[i] >= 0.0, system.state_names[i]


@pytest.mark.parametrize(("kind", "formula"), [
    ("secretes", lambda c, x, k: k["rate"] * c),
    ("kills", lambda c, x, k: -k["rate"] * c * x / (k["K"] + x)),
    ("consumes", lambda c, x, k: -k["rate"] * c * x / (k["K"] + x)),
])
def test_edge_rates_match_their_documented_formula(kind, formula) -> None:  # type: ignore[no-untyped-def]
    net = cs.Network()
    net.add_cell("C", initial=3.0)
    net.add_cytokine("X", initial=2.0, use_catalogue=False)
    values = {"rate": 0.7} | ({"K": 4.0} if kind != "secretes" else {})
    net.add_edge("C", kind, "X", **values)
    system = cs.compile_network(net)
    # same arithmetic up to operation order: equal to a few ulp
    assert system.rhs(0.0, [3.0, 2.0])[1] == pytest.approx(formula(3.0, 2.0, values),
                                                           rel=1e-14)


def test_hill_modulators_with_basal_and_combination() -> None:
    net = cs.Network()
    net.add_cell("M", initial=2.0)
    net.add_stimulus("LPS", initial=1.5)
    net.add_cytokine("IL10", initial=3.0, use_catalogue=False)
    net.add_cytokine("TNF", use_catalogue=False)
    net.add_edge("M", "secretes", "TNF", rate=5.0,
                 modulators=[cs.Hill("LPS", K=1.0, n=2.0),
                             cs.Hill("IL10", K=2.0, n=1.5, kind="down", basal=0.25)])
    system = cs.compile_network(net)
    up = 1.5**2 / (1.0 + 1.5**2)
    down = 0.25 + 0.75 * 2.0**1.5 / (2.0**1.5 + 3.0**1.5)
    assert system.rhs(0.0, system.default_initial)[3] == pytest.approx(5.0 * 2.0 * up * down,
                                                                        rel=1e-14)


def test_amount_states_use_their_compartment_volume() -> None:
    net = cs.Network()
    net.add_compartment("plasma", volume=4.0)
    net.add_drug("D", initial=8.0, compartment="plasma", quantity="amount", decay_rate=0.5)
    net.add_cytokine("X", initial=1.0, compartment="plasma", use_catalogue=False)
    net.add_complex("DX", compartment="plasma")
    net.add_edge("D", "binds", "X", kon=0.3, koff=0.0, complex="DX")
    system = cs.compile_network(net)
    dy = system.rhs(0.0, system.default_initial)
    conc = 8.0 / 4.0
    # amount: d(amount)/dt = V * (rate in concentration units)
    assert dy[0] == pytest.approx(4.0 * (-0.5 * conc - 0.3 * conc * 1.0), rel=1e-14)
    assert dy[1] == pytest.approx(-0.3 * conc * 1.0, rel=1e-14)


def test_transfers_conserve_amount_across_compartments() -> None:
    net = cs.Network()
    net.add_compartment("depot", volume=0.2)
    net.add_compartment("plasma", volume=3.0)
    net.add_drug("A", initial=5.0, compartment="depot", quantity="amount")
    net.add_drug("B", compartment="plasma", quantity="amount")
    net.add_cytokine("C", initial=1.0, compartment="depot", use_catalogue=False)
    net.add_edge("A", "transfers", "B", rate=0.7)
    net.add_edge("C", "transfers", "B", rate=0.1)  # a concentration moves as an amount
    system = cs.compile_network(net)
    dy = system.rhs(0.0, system.default_initial)
    assert dy[0] == pytest.approx(-0.7 * 5.0, rel=1e-14)  # amount per time out of the depot
    assert dy[1] == pytest.approx(0.7 * 5.0 + 0.1 * 1.0 * 0.2, rel=1e-14)  # all of it arrives
    assert dy[2] == pytest.approx(-0.1 * 1.0, rel=1e-14)  # C's concentration falls at rate k
    net.add_process("B", "infusion", infusion_rate=2.0)
    assert cs.compile_network(net).rhs(0.0, system.default_initial)[1] == pytest.approx(
        dy[1] + 2.0, rel=1e-14)  # amount per time, whatever the volume
