"""Exposure metrics against closed-form pharmacokinetics.

Reference solutions (standard linear PK; the multiple-bolus geometric series with
R = exp(-k tau), the concentration at the start of the n-th interval
C1 (1 + R + ... + R**(n-1)) and at its end that times R, as in D. Bourne, Basic
Pharmacokinetics ch. 14 "Multiple IV bolus dose administration" (boomer.org) and the Stanford
MIPS notes "Repetitive intravenous dosing"; Cmin at steady state is the concentration right
before a dose and AUC_tau at steady state equals F Dose / CL, as on e-pharmacokinetics.com,
"average concentration" (each read through the search tool)): one compartment, elimination
k = CL/V, dose D every tau, r = exp(-k tau). After the n-th bolus
Cmax_n = (D/V)(1 - r**n)/(1 - r) (superposition), the trough before the next dose is
Cmax_n r, and the area over that interval is D/CL (1 - r**n); at steady state
Cmax = D/V/(1 - r), Ctrough = Cmax r, AUC_tau = D/CL.
Constant-rate infusion R0 for T: C = R0/CL (1 - exp(-k t)) during, C(T) exp(-k (t - T))
after. Binding with the drug in large excess is pseudo-first order: occupancy
f (1 - exp(-lambda t)) with lambda = kon D + koff, f = kon D / lambda.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import cytosim as cs
from cytosim import AreaUnderCurve, exposure, sampling_times

TIGHT: dict[str, Any] = {"engine": "numpy", "rtol": 1e-10, "atol": 1e-12}
V, CL = 3.0, 0.3  # L, L/h: k = 0.1 / h
K = CL / V


def one_compartment() -> cs.Network:
    return cs.pk_compartments(cs.Network("pk"), "mAb", volume=V, clearance=CL)


def repeated_bolus(n_doses: int = 10, dose: float = 30.0, tau: float = 12.0,
                   auc_state: bool = True, n_points: int = 601) -> tuple[cs.TimeCourse,
                                                                         cs.Dose]:
    regimen = cs.Dose("mAb", amount=dose, ii=tau, addl=n_doses - 1)
    t_end = n_doses * tau
    extra = [AreaUnderCurve("mAb_conc")] if auc_state else []
    tc = cs.simulate(one_compartment(), t_end=t_end,
                     t_eval=sampling_times(regimen, t_end, n_points=n_points),
                     interventions=[regimen, *extra], **TIGHT)
    return tc, regimen


def test_repeated_bolus_matches_superposition_interval_by_interval() -> None:
    dose, tau, n_doses = 30.0, 12.0, 10
    tc, regimen = repeated_bolus(n_doses, dose, tau)
    ex = exposure(tc, "mAb_conc", dose_times=regimen, interval=tau)
    assert ex.auc_method == "state"
    r = math.exp(-K * tau)
    table = ex.intervals
    assert len(table) == n_doses and table["complete"].all()
    for i, row in table.iterrows():
        m = int(i) + 1  # doses given so far
        cmax = dose / V * (1 - r**m) / (1 - r)
        # the solver is run at rtol 1e-10; the pre-dose row sits 1.2e-7 h before the dose,
        # where the concentration is higher by k * 1.2e-7 = 1.2e-8 relative
        assert row["Cmax"] == pytest.approx(cmax, rel=1e-8)
        assert row["Tmax"] == 0.0  # a bolus peaks at its dose
        assert row["Ctrough"] == pytest.approx(cmax * r, rel=1e-7)
        assert row["AUC_tau"] == pytest.approx(dose / CL * (1 - r**m), rel=1e-8)
    # steady state: after 10 doses r**10 = 6e-6 of the way remains, so the closed forms hold
    # to 1e-5 relative (and the finite-n values above to solver accuracy)
    assert ex["Cmax_ss"] == pytest.approx(dose / V / (1 - r), rel=1e-5)
    assert ex["Ctrough_ss"] == pytest.approx(dose / V / (1 - r) * r, rel=1e-5)
    assert ex["AUC_tau"] == pytest.approx(dose / CL, rel=1e-5)
    assert ex["Cavg_ss"] == pytest.approx(dose / CL / tau, rel=1e-5)
    assert ex["Cmin"] == pytest.approx(dose / V * r, rel=1e-7)  # the first trough
    total = sum(dose / CL * (1 - math.exp(-K * (n_doses * tau - j * tau)))
                for j in range(n_doses))
    assert ex["AUC"] == pytest.approx(total, rel=1e-8)
    assert ex.unit("AUC_tau") == "mg/L*h" and ex.unit("Cmax") == "mg/L"
    assert ex.intervals.attrs["units"]["Ctrough"] == "mg/L"
    tidy = ex.to_pandas()
    assert tidy.loc["Ctrough_ss", "unit"] == "mg/L"


def test_trapezoidal_auc_is_within_its_error_bound() -> None:
    tc, regimen = repeated_bolus(auc_state=False, n_points=601)
    ex = exposure(tc, "mAb_conc", dose_times=regimen, interval=12.0)
    assert ex.auc_method == "trapezoid"
    r = math.exp(-K * 12.0)
    exact = 30.0 / CL * (1 - r**10)
    # trapezoid on an exponential with step h overestimates by (k h)**2 / 12 relative:
    # h = 0.2 h, k = 0.1 / h -> 3.3e-5
    error = ex["AUC_tau"] / exact - 1
    assert 0 < error < 1.1 * (K * 0.2) ** 2 / 12
    assert error == pytest.approx((K * 0.2) ** 2 / 12, rel=0.05)


def test_constant_rate_infusion_and_time_above_threshold() -> None:
    rate, duration, t_end, level = 6.0, 10.0, 60.0, 5.0  # mg/h over 10 h
    regimen = cs.Dose("mAb", amount=rate * duration, duration=duration)
    t = sampling_times(regimen, t_end, n_points=2001)
    tc = cs.simulate(one_compartment(), t_end=t_end, t_eval=t, interventions=[regimen], **TIGHT)
    ex = exposure(tc, "mAb_conc", dose_times=regimen, threshold=level)
    c_end = rate / CL * (1 - math.exp(-K * duration))
    assert ex["Cmax"] == pytest.approx(c_end, rel=1e-8)  # sampled at the infusion's end
    assert ex["t_Cmax"] == pytest.approx(duration, abs=1e-12)
    assert ex.intervals["Tmax"].iloc[0] == pytest.approx(duration, abs=1e-12)
    up = -math.log(1 - level * CL / rate) / K
    down = duration + math.log(c_end / level) / K
    # linear interpolation of a crossing errs by at most h**2 |C''| / (8 |C'|) = h**2 k / 8
    # with h = 0.03 h: 1.1e-5 h per crossing
    assert ex["time_above"] == pytest.approx(down - up, abs=2.5e-5)
    assert ex["fraction_above"] == pytest.approx((down - up) / t_end, abs=2.5e-5 / t_end)
    auc = (rate / CL * (duration - (1 - math.exp(-K * duration)) / K)
           + c_end / K * (1 - math.exp(-K * (t_end - duration))))
    # trapezoid with h = 0.03 h: (k h)**2 / 12 = 7.5e-7 relative
    assert ex["AUC"] == pytest.approx(auc, rel=1e-6)
    assert not ex.intervals["complete"].iloc[0]  # no interval given: open-ended
    assert math.isnan(ex["AUC_tau"]) and math.isnan(ex["Ctrough_ss"])


def binding_network(drug: float) -> cs.Network:
    net = cs.Network("binding")
    net.add_drug("D", initial=drug, unit="nM")
    net.add_cytokine("T", initial=1e-3, unit="nM", use_catalogue=False)
    net.add_complex("D_T_complex", unit="nM")
    net.add_edge("D", "binds", "T", kon=0.2, koff=0.5, complex="D_T_complex")
    return net


def test_occupancy_and_free_target_reduction_with_pseudo_first_order_binding() -> None:
    kon, koff, drug, t_end = 0.2, 0.5, 1e4, 0.05  # drug 1e7 times the target
    t = np.linspace(0.0, t_end, 4001)
    tc = cs.simulate(binding_network(drug), t_end=t_end, t_eval=t, **TIGHT)
    untreated = cs.simulate(binding_network(0.0), t_end=t_end, t_eval=t, **TIGHT)
    ex = exposure(tc, "D", target="T", complex="D_T_complex", reference=untreated)
    lam = kon * drug + koff
    f = kon * drug / lam
    mean = f * (1 - (1 - math.exp(-lam * t_end)) / (lam * t_end))
    # drug depletion changes kon D by 1e-7 relative; the trapezoid of occupancy on h =
    # 1.25e-5 errs by (lambda h)**2 / 12 = 8e-7 of the rising part
    assert ex["occupancy_mean"] == pytest.approx(mean, rel=2e-6)
    assert ex["occupancy_min"] == 0.0  # unbound at t = 0
    assert ex["AUC_target_reference"] == pytest.approx(1e-3 * t_end, rel=1e-9)
    assert ex["target_reduction"] == pytest.approx(mean, rel=2e-6)
    # the free target's area is small (1% of the untreated one), so the trapezoid's error
    # on the binding transient, (lambda h)**2 / 12 of that transient's area T0 f / lambda,
    # is the bound, absolute
    h = t_end / 4000
    bound = (lam * h) ** 2 / 12 * 1e-3 * f / lam
    assert ex["AUC_target"] == pytest.approx(1e-3 * t_end * (1 - mean), abs=1.2 * bound)
    assert ex.unit("AUC_target") == "nM*h" and ex.unit("occupancy_mean") == "1"


def test_occupancy_at_the_steady_state_trough_of_a_dosed_binding_drug() -> None:
    net = binding_network(0.0)
    net.add_process("D", "decay", rate=0.1)
    regimen = cs.Dose("D", amount=5.0, ii=24.0, addl=3, unit="nM")
    t = sampling_times(regimen, 96.0, n_points=97)
    tc = cs.simulate(net, t_end=96.0, t_eval=t, interventions=[regimen], **TIGHT)
    ex = exposure(tc, "D", dose_times=regimen, interval=24.0, target="T",
                  complex="D_T_complex")
    row = ex.intervals.iloc[-1]
    j = int(np.searchsorted(tc.t, row["t_trough"]))
    occupancy = tc["D_T_complex"][j] / (tc["D_T_complex"][j] + tc["T"][j])
    assert ex["occupancy_trough"] == pytest.approx(occupancy, rel=1e-12)
    # unbound at the first dose (the complex has not formed yet), partly bound at troughs
    assert ex["occupancy_min"] == 0.0 < ex["occupancy_trough"] < 1.0
    # the trough before the 4th dose is the last row before t = 72
    trough = ex.intervals.iloc[2]
    assert 72.0 - 1e-6 < trough["t_trough"] < 72.0


def test_bad_input() -> None:
    tc, regimen = repeated_bolus(n_doses=2, auc_state=False, n_points=11)
    with pytest.raises(cs.ModelError, match="no state or observable named 'mAb_cnc'"):
        exposure(tc, "mAb_cnc")
    with pytest.raises(cs.ParameterError, match="needs the free `target`"):
        exposure(tc, "mAb_conc", complex="mAb")
    with pytest.raises(cs.ParameterError, match="same unit"):
        exposure(tc, "mAb_conc", target="mAb_conc", complex="mAb")
    with pytest.raises(cs.ParameterError, match="`interval` must be a positive number"):
        exposure(tc, "mAb_conc", dose_times=regimen, interval=0.0)
    with pytest.raises(cs.ParameterError, match="`dose_times` must be"):
        exposure(tc, "mAb_conc", dose_times=["soon"])
    with pytest.raises(cs.ParameterError, match="no exposure metric 'Cmx'"):
        exposure(tc, "mAb_conc")["Cmx"]
    with pytest.raises(cs.ModelError, match="unknown column 'nope'"):
        cs.simulate(one_compartment(), t_end=1.0, interventions=[AreaUnderCurve("nope")])
    failed = cs.TimeCourse(t=np.array([0.0, 1.0]), values=np.ones((2, 1)), names=("X",),
                           units=("",), n_states=1, time_unit="h", status=-1,
                           message="The integration failed.")
    with pytest.raises(cs.ParameterError, match="did not reach t_end"):
        exposure(failed, "X")
    with pytest.raises(cs.ParameterError, match="`n_points`"):
        sampling_times(regimen, 10.0, n_points=1)


def test_therapy_preset_schedule_gives_dose_times_in_the_model_unit() -> None:
    from cytosim.therapies import adalimumab

    therapy = adalimumab(n_doses=4)
    net = cs.Network(time_unit="day")
    schedule = therapy.schedule("day")
    t = sampling_times(schedule, 56.0, n_points=57)
    tc = cs.simulate(net, t_end=56.0, t_eval=t, interventions=[therapy], **TIGHT)
    ex = exposure(tc, "adalimumab_conc", dose_times=schedule, interval=14.0)
    assert list(ex.intervals["start"]) == [0.0, 14.0, 28.0, 42.0]
    # subcutaneous: the concentration rises after each injection, so Tmax > 0 and the
    # troughs (just before each injection) increase towards steady state
    assert (ex.intervals["Tmax"] > 0).all()
    assert np.all(np.diff(ex.intervals["Ctrough"]) > 0)
    assert ex.unit("AUC") == "mg/L*day"
