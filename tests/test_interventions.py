"""Dosing and PK: closed-form pharmacokinetics, dose units, output conventions, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import cytosim as cs

TIGHT = {"engine": "numpy", "rtol": 1e-10, "atol": 1e-12}
# relative agreement asked by issue 5: 1e-6; BDF at rtol 1e-10 is well inside it


def one_compartment(**extra: float) -> cs.Network:
    return cs.pk_compartments(cs.Network("pk"), "drug", volume=3.0, clearance=0.3, **extra)


def test_repeated_iv_bolus_is_the_superposition_of_single_doses() -> None:
    net = one_compartment()
    t = np.linspace(0.0, 100.0, 201)
    dose = cs.Dose("drug", amount=100.0, time=2.0, ii=24.0, addl=3)
    tc = cs.simulate(net, t_end=100.0, t_eval=t, interventions=[dose], **TIGHT)
    k = 0.3 / 3.0
    exact = sum(100.0 * np.exp(-k * (t - td)) * (t >= td) for td in (2.0, 26.0, 50.0, 74.0))
    np.testing.assert_allclose(tc["drug"], exact, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(tc["drug_conc"], exact / 3.0, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("form", [{"duration": 6.0}, {"rate": 10.0}])
def test_constant_rate_infusion(form: dict[str, float]) -> None:
    net = one_compartment()
    t = np.linspace(0.0, 24.0, 97)
    tc = cs.simulate(net, t_end=24.0, t_eval=t, interventions=[
        cs.Dose("drug", amount=60.0, time=0.0, **form)], **TIGHT)
    k, rate, stop = 0.1, 10.0, 6.0
    exact = np.where(t <= stop, rate / k * (1 - np.exp(-k * t)),
                     rate / k * (1 - np.exp(-k * stop)) * np.exp(-k * (t - stop)))
    np.testing.assert_allclose(tc["drug"], exact, rtol=1e-6, atol=1e-9)


def test_subcutaneous_depot_follows_the_bateman_function() -> None:
    net = one_compartment(absorption_rate=0.5)
    t = np.linspace(0.0, 48.0, 97)
    tc = cs.simulate(net, t_end=48.0, t_eval=t, interventions=[
        cs.Dose("drug_depot", amount=40.0, bioavailability=0.64)], **TIGHT)
    ka, k, dose, f = 0.5, 0.1, 40.0, 0.64
    exact = f * dose * ka / (ka - k) * (np.exp(-k * t) - np.exp(-ka * t))
    np.testing.assert_allclose(tc["drug"], exact, rtol=1e-6, atol=1e-9)


def test_two_compartment_bolus_is_biexponential() -> None:
    v1, v2, cl, q, dose = 3.0, 4.0, 0.3, 0.7, 100.0
    net = one_compartment(peripheral_volume=v2, intercompartmental_clearance=q)
    t = np.linspace(0.0, 200.0, 201)
    tc = cs.simulate(net, t_end=200.0, t_eval=t, interventions=[cs.Dose("drug", amount=dose)],
                     **TIGHT)
    k10, k12, k21 = cl / v1, q / v1, q / v2
    total = k10 + k12 + k21
    root = math.sqrt(total**2 - 4 * k10 * k21)
    alpha, beta = (total + root) / 2, (total - root) / 2
    exact = dose / (alpha - beta) * ((alpha - k21) * np.exp(-alpha * t)
                                     + (k21 - beta) * np.exp(-beta * t))
    np.testing.assert_allclose(tc["drug"], exact, rtol=1e-6, atol=1e-9)
    # amount is conserved between the compartments apart from elimination (CL * AUC, exact)
    end = t[-1]
    auc = dose / (alpha - beta) * ((alpha - k21) * (1 - math.exp(-alpha * end)) / alpha
                                   + (k21 - beta) * (1 - math.exp(-beta * end)) / beta)
    remaining = tc["drug"][-1] + tc["drug_periph"][-1]
    assert remaining + k10 * auc == pytest.approx(dose, rel=1e-6)


def test_rows_are_right_continuous_and_doses_apply_once() -> None:
    net = one_compartment()
    doses = cs.Dose("drug", amount=10.0, time=0.0) + cs.Dose("drug", amount=5.0, time=12.0) \
        + cs.Dose("drug", amount=7.0, time=24.0)
    tc = cs.simulate(net, t_end=24.0, t_eval=[0.0, 12.0, 24.0], interventions=[doses], **TIGHT)
    k = 0.1
    assert tc["drug"][0] == pytest.approx(10.0, rel=1e-12)  # the row at t=0 is after the dose
    after_second = 10.0 * math.exp(-12 * k) + 5.0
    assert tc["drug"][1] == pytest.approx(after_second, rel=1e-7)
    assert tc["drug"][2] == pytest.approx(after_second * math.exp(-12 * k) + 7.0, rel=1e-7)


def test_dose_units_are_converted_with_pint() -> None:
    assert cs.Dose("d", amount="3 mg/kg", weight=80.0).amount_in_unit() == pytest.approx(240.0)
    assert cs.Dose("d", amount="1 g").amount_in_unit() == pytest.approx(1000.0)
    assert cs.Dose("d", amount="2 mg/m**2", bsa=1.8).amount_in_unit() == pytest.approx(3.6)
    # aldesleukin: 18 million IU per 1.1 mg (Proleukin label, pk.md section 4)
    activity = 18e6 / 1.1
    high_dose = cs.Dose("d", amount="600000 IU/kg", weight=70.0, specific_activity=activity)
    assert high_dose.amount_in_unit() == pytest.approx(600000 * 70 / activity, rel=1e-12)
    assert high_dose.amount_in_unit() / 70.0 == pytest.approx(0.037, rel=0.02)  # label: mg/kg
    assert cs.Dose("d", amount="250 ug", unit="ug").amount_in_unit() == pytest.approx(250.0)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"amount": -1.0}, r"`amount` must be >= 0, got -1.0"),
    ({"amount": 1.0, "addl": 2}, r"`ii` \(the interval\) must be > 0 when `addl` = 2"),
    ({"amount": 1.0, "rate": 1.0, "duration": 2.0}, r"give an infusion `rate` or `duration`"),
    ({"amount": 1.0, "bioavailability": 1.5}, r"`bioavailability` must be <= 1"),
    ({"amount": "100 IU"}, r"needs the product's `specific_activity` in IU per mg"),
    ({"amount": "1 mg/m**2"}, r"needs `bsa` in m\*\*2"),
    ({"amount": "1 mL"}, r"cannot convert the dose 1 milliliter to 'mg'"),
])
def test_bad_doses_are_refused(kwargs, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(cs.ParameterError, match=match):
        cs.Dose("drug", **kwargs)


def test_unknown_target_and_late_doses() -> None:
    net = one_compartment()
    with pytest.raises(cs.ModelError, match=r"a dose targets unknown node 'drugs'.*'drug'"):
        cs.simulate(net, t_end=5.0, interventions=[cs.Dose("drugs", amount=1.0)], **TIGHT)
    with pytest.warns(UserWarning, match=r"a dosing schedule starting at t = 50 lies after "
                                         r"t_end = 5: none of its doses is given"):
        cs.simulate(net, t_end=5.0, interventions=[cs.Dose("drug", amount=1.0, time=50.0)],
                    **TIGHT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # repeats and later records past t_end: silent
        tc = cs.simulate(net, t_end=30.0, interventions=[
            cs.Dose("drug", amount=1.0, ii=24.0, addl=10) + cs.Dose("drug", amount=1.0,
                                                                      time=100.0)], **TIGHT)
    assert tc.success


def test_the_original_network_is_unchanged_by_pk_and_infusions() -> None:
    base = cs.Network("base")
    base.add_cytokine("TNF", initial=1.0, decay_rate=1.0, use_catalogue=False)
    net = cs.pk_compartments(base, "mAb", volume=3.0, clearance=0.02)
    assert base.nodes == ["TNF"]
    cs.simulate(net, t_end=10.0, interventions=[cs.Dose("mAb", amount=5.0, duration=2.0)],
                **TIGHT)
    assert "mAb.infusion_rate" not in net.parameter_values()  # added to a copy only


def test_set_parameter_is_a_step_change_at_its_time() -> None:
    net = cs.Network()
    net.add_cytokine("X", initial=4.0, decay_rate=0.5, use_catalogue=False)
    t = np.linspace(0.0, 10.0, 11)
    tc = cs.simulate(net, t_end=10.0, t_eval=t, interventions=[
        cs.interventions.SetParameter("X.rate", 0.1, from_time=4.0)], **TIGHT)
    exact = np.where(t < 4.0, 4.0 * np.exp(-0.5 * t),
                     4.0 * np.exp(-0.5 * 4.0) * np.exp(-0.1 * (t - 4.0)))
    np.testing.assert_allclose(tc["X"], exact, rtol=1e-7)
    with pytest.raises(cs.ParameterError, match=r"unknown parameter 'X.rat'.*'X.rate'"):
        cs.simulate(net, t_end=1.0, interventions=[cs.interventions.SetParameter("X.rat", 1.0)])


def test_knockout_and_block() -> None:
    from cytosim._builtin_models import lps_macrophage

    net = lps_macrophage()
    base = cs.simulate(net, t_end=12.0, **TIGHT)
    knockout = cs.simulate(net, t_end=12.0, interventions=[cs.interventions.Knockout("IL10")],
                           **TIGHT)
    assert np.all(knockout["IL10"] == 0.0)
    assert knockout["TNF"].max() > 2 * base["TNF"].max()  # IL-10 feedback removed
    by_hand = cs.simulate(net, t_end=12.0, params={"MA.secretes.IL10.rate": 0.0,
                                                   "IL10.baseline": 0.0},
                          initial={"IL10": 0.0}, **TIGHT)
    np.testing.assert_allclose(knockout["TNF"], by_hand["TNF"], rtol=1e-6)
    blocked = cs.simulate(net, t_end=12.0, interventions=[
        cs.interventions.Block("MA.secretes.TNF", 1.0)], **TIGHT)
    np.testing.assert_allclose(blocked["TNF"], 8.792573, rtol=1e-8)  # stays at its baseline
    half = cs.simulate(net, t_end=12.0, interventions=[
        cs.interventions.Block("MA.secretes.TNF", 0.5)], **TIGHT)
    assert base["TNF"].max() > half["TNF"].max() > blocked["TNF"].max()
    with pytest.raises(cs.ModelError, match=r"cannot knock out unknown node 'IL-10'.*'IL10'"):
        cs.simulate(net, t_end=1.0, interventions=[cs.interventions.Knockout("IL-10")])
    with pytest.raises(cs.ParameterError, match=r"`fraction` must be within \[0, 1\]"):
        cs.simulate(net, t_end=1.0, interventions=[cs.interventions.Block("MA.secretes.TNF",
                                                                          2.0)])


# ------------------------------------------------------------------ conditional dosing
def conditional_network() -> cs.Network:
    net = cs.Network("conditional", time_unit="h")
    net.add_drug("X", unit="mg", half_life=24.0)
    net.add_observable("X_ug", "1000 * X", unit="ug")
    return net


def test_conditional_doses_are_tested_before_each_dose() -> None:
    """Half-life 24 h, 1 mg every 24 h given only while X < 0.6 mg: by hand the level before
    the doses at 24, 48, 72 and 96 h is 0.5 (give), 0.75 (skip), 0.375 (give), 0.6875 (skip)."""
    dose = cs.Dose("X", 1.0, ii=24.0, addl=4, only_if="X < 0.6")
    tc = cs.simulate(conditional_network(), t_end=120.0, interventions=[dose],
                     t_eval=np.linspace(0.0, 120.0, 121), rtol=1e-10, atol=1e-12)
    assert tc.provenance["skipped_doses"] == [(48.0, "X"), (96.0, "X")]
    given = [0.0, 24.0, 72.0]
    expected = sum(0.5 ** ((120.0 - t) / 24.0) for t in given)
    assert tc["X"][-1] == pytest.approx(expected, rel=1e-8)
    # an observable works the same (X_ug = 1000 X); a dose at t_end is tested too
    dose_obs = cs.Dose("X", 1.0, ii=24.0, addl=5, only_if=cs.Condition("X_ug", "<", 600.0))
    tc_obs = cs.simulate(conditional_network(), t_end=120.0, interventions=[dose_obs],
                         rtol=1e-10, atol=1e-12)
    assert tc_obs.provenance["skipped_doses"] == [(48.0, "X"), (96.0, "X")]
    # before the dose at t_end = 120 h the level is 0.34375 < 0.6: given, in the last row
    assert tc_obs["X"][-1] == pytest.approx(expected + 1.0, rel=1e-8)


def test_a_skipped_infusion_is_skipped_whole() -> None:
    net = conditional_network()
    first = cs.Dose("X", 2.0, time=0.0, duration=2.0)
    second = cs.Dose("X", 2.0, time=10.0, duration=2.0, only_if="X > 5")
    tc = cs.simulate(net, t_end=30.0, interventions=[first + second],
                     rtol=1e-10, atol=1e-12)
    assert tc.provenance["skipped_doses"] == [(10.0, "X")]
    alone = cs.simulate(net, t_end=30.0, interventions=[first], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tc["X"], alone["X"], rtol=1e-9, atol=1e-12)
    assert tc.provenance["parameters"]["X.infusion_rate"] == 0.0


def test_bad_conditions_are_refused() -> None:
    with pytest.raises(cs.ParameterError, match="cannot read the condition"):
        cs.Dose("X", 1.0, only_if="X is large")
    with pytest.raises(cs.ParameterError, match="operator"):
        cs.Condition("X", "!=", 1.0)
    with pytest.raises(cs.ParameterError, match="only_if"):
        cs.Dose("X", 1.0, only_if=3.0)
    with pytest.raises(cs.ModelError, match="'Y'.*not a node or observable"):
        cs.simulate(conditional_network(), t_end=10.0,
                    interventions=[cs.Dose("X", 1.0, only_if="Y > 1")])


def test_iu_doses_into_an_iu_node_need_no_specific_activity() -> None:
    # 600,000 IU/kg x 70 kg = 4.2e7 IU, straight into a node counted in IU
    assert cs.Dose("IL", "600000 IU/kg", unit="IU", weight=70.0).amount_in_unit() == (
        pytest.approx(4.2e7, rel=1e-12))
    net = cs.Network()
    net.add_cytokine("X", initial=1.0, half_life=1.0, use_catalogue=False)
    assert cs.simulate(net, t_end=1.0, interventions=None).status == 0


def test_observables_read_the_parameters_in_force_after_a_step() -> None:
    """A SetParameter step changes what observables read from its time on: here the central
    volume doubles at 2 h, so the concentration is amount / 3 L before and amount / 6 L from
    the step on, in simulate and in a sweep alike."""
    net = cs.pk_compartments(cs.Network("pk"), "drug", volume=3.0, clearance=0.3)
    steps = [cs.Dose("drug", 100.0), cs.SetParameter("drug_central.volume", 6.0, from_time=2.0)]
    tc = cs.simulate(net, t_end=5.0, n_points=6, interventions=steps, method="LSODA")
    volume = np.where(tc.t >= 2.0, 6.0, 3.0)
    np.testing.assert_allclose(tc["drug_conc"], tc["drug"] / volume, rtol=1e-14)
    ds = cs.sweep(net, {"drug.rate": cs.Values([0.1, 0.2])}, design="grid", t_end=5.0,
                  n_points=6, metrics=["final:drug_conc", "final:drug"], interventions=steps,
                  method="LSODA", progress=False)
    np.testing.assert_allclose(ds["final:drug_conc"], ds["final:drug"] / 6.0, rtol=1e-14)
