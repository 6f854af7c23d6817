"""Properties of random networks (hypothesis), on the numpy path.

Random networks mix every edge kind with random modulators and parameters. For each:
the analytic Jacobian equals finite differences, ensemble evaluation equals
member-by-member evaluation exactly, and simulated concentrations stay non-negative.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cytosim as cs

from .helpers import finite_difference_jacobian

rates = st.floats(0.01, 1.0)
levels = st.floats(0.1, 10.0)


@st.composite
def hill(draw: st.DrawFn, nodes: list[str]) -> cs.Hill:
    return cs.Hill(draw(st.sampled_from(nodes)), K=draw(levels), n=draw(st.floats(0.5, 4.0)),
                   kind=draw(st.sampled_from(["up", "down"])),
                   basal=draw(st.none() | st.floats(0.0, 1.0)))


@st.composite
def networks(draw: st.DrawFn) -> cs.Network:
    net = cs.Network("random")
    cells = [f"C{i}" for i in range(draw(st.integers(1, 3)))]
    cytokines = [f"K{i}" for i in range(draw(st.integers(1, 3)))]
    for c in cells:
        net.add_cell(c, initial=draw(levels), death_rate=draw(rates))
        if draw(st.booleans()):
            net.add_process(c, "logistic", growth_rate=draw(rates), capacity=draw(levels))
    for k in cytokines:
        if draw(st.booleans()):
            net.add_cytokine(k, initial=draw(levels), decay_rate=draw(rates),
                             use_catalogue=False)
        else:
            net.add_cytokine(k, initial=draw(levels), decay_rate=draw(rates),
                             baseline=draw(levels), use_catalogue=False)
    net.add_stimulus("S", initial=draw(levels), decay_rate=draw(rates))
    if draw(st.booleans()):
        net.add_drug("D", initial=draw(levels), decay_rate=draw(rates))
        net.add_complex("DK", decay_rate=draw(rates))
        net.add_edge("D", "binds", draw(st.sampled_from(cytokines)), kon=draw(rates),
                     koff=draw(rates), complex="DK")
    regulators = [*cytokines, "S"]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["secretes", "activates", "proliferates", "recruits",
                                     "kills", "consumes"]))
        mods = draw(st.lists(hill(regulators), max_size=2, unique_by=lambda h: h.node))
        if kind in ("secretes", "consumes"):
            src, tgt = draw(st.sampled_from(cells)), draw(st.sampled_from(cytokines))
        elif kind in ("activates", "kills"):
            src, tgt = draw(st.sampled_from(cells)), draw(st.sampled_from(cells))
        else:
            src, tgt = draw(st.sampled_from(regulators)), draw(st.sampled_from(cells))
        extra: dict[str, object] = {}
        if kind in ("kills", "consumes"):
            extra["K"] = draw(levels)
        if kind in ("proliferates", "recruits"):
            response = draw(st.sampled_from(["linear", "saturating", "hill"]))
            extra["response"] = response
            if response != "linear":
                extra["K"] = draw(levels)
            if response == "hill":
                extra["n"] = draw(st.floats(0.5, 4.0))
        if kind == "activates" and src == tgt:
            continue
        net.add_edge(src, kind, tgt, rate=draw(rates), modulators=mods, **extra)
    return net


PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(net=networks(), seed=st.integers(0, 2**32 - 1))
def test_jacobian_equals_finite_differences(net: cs.Network, seed: int) -> None:
    system = cs.compile_network(net)
    rng = np.random.default_rng(seed)
    # away from 0: Hill exponents below 1 have unbounded slopes there
    y = rng.uniform(0.5, 5.0, system.n_states)
    exact = system.jac_dense(0.0, y)
    approx = finite_difference_jacobian(system, y, system.default_params)
    # central differences: relative truncation+rounding error ~1e-9 here; 1e-5 is a safe bound
    np.testing.assert_allclose(exact, approx, rtol=1e-5, atol=1e-7)


@PROPERTY
@given(net=networks(), seed=st.integers(0, 2**32 - 1))
def test_ensemble_equals_member_by_member(net: cs.Network, seed: int) -> None:
    system = cs.compile_network(net)
    rng = np.random.default_rng(seed)
    y = rng.uniform(0.0, 5.0, (system.n_states, 5))
    p = system.default_params[:, None] * rng.uniform(0.5, 2.0, (system.n_params, 5))
    p[[i for i, n in enumerate(system.param_names) if n.endswith(".basal")]] = 0.5
    rhs, jac = system.rhs(0.0, y, p), system.jac(0.0, y, p)
    for m in range(5):  # to rounding: numpy's SIMD power may round with the array's length
        np.testing.assert_allclose(rhs[:, m], system.rhs(0.0, y[:, m], p[:, m]), rtol=1e-13,
                                   atol=1e-13)
        np.testing.assert_allclose(jac[:, m], system.jac(0.0, y[:, m], p[:, m]), rtol=1e-13,
                                   atol=1e-13)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks())
def test_simulated_concentrations_stay_non_negative(net: cs.Network) -> None:
    atol = 1e-9
    tc = cs.simulate(net, t_end=5.0, engine="numpy", atol=atol, rtol=1e-6,
                     raise_on_failure=False)
    # positive feedback (say, a cytokine driving proliferation of its own producer) can
    # blow up in finite time: that is the model's behaviour, not a sign error, so the rows
    # computed before such a failure are what is checked
    assert len(tc.t) > 1, tc.message
    assert tc.values[:, : tc.n_states].min() > -10 * atol


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(), seed=st.integers(0, 2**32 - 1))
def test_derivative_at_zero_is_non_negative(net: cs.Network, seed: int) -> None:
    system = cs.compile_network(net)
    y = np.random.default_rng(seed).uniform(0.0, 5.0, system.n_states)
    for i in range(system.n_states):
        at_zero = y.copy()
        at_zero[i] = 0.0
        assert system.rhs(0.0, at_zero)[i] >= 0.0, system.state_names[i]
