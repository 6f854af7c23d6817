"""Therapy presets: half-lives in simulation against their sources, regimens in hours and
days, exposure against label numbers, bad input.

Reference numbers are written out here (not read from the module) with their source, so a
wrong value in a preset cannot pass by being compared with itself. Status words follow the
project's research note pk.md (verified / verified (2nd) / recalled / derived).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import cytosim as cs
from cytosim.therapies import (
    Therapy,
    adalimumab,
    aldesleukin,
    anakinra,
    etanercept,
    il10,
    infliximab,
    terminal_half_life,
)

TIGHT: dict[str, Any] = {"engine": "numpy", "rtol": 1e-10, "atol": 1e-12}
# a terminal phase is followed down to tiny amounts: an absolute tolerance far below them
FIT: dict[str, Any] = {"engine": "numpy", "rtol": 1e-10, "atol": 1e-20}
LN2 = math.log(2.0)
IU_PER_MG = 18e6 / 1.1  # Proleukin label: 18 MIU = 1.1 mg (pk.md section 4, verified)


def fitted_half_life(therapy: Therapy, time_unit: str, start: float, stop: float) -> float:
    """Simulate the therapy (one dose) on an empty network and fit the log-linear terminal
    slope of the central amount over [start, stop] (in *time_unit*)."""
    t = np.linspace(start, stop, 41)
    tc = cs.simulate(cs.Network(time_unit=time_unit), t_end=stop, t_eval=t,
                     interventions=[therapy], **FIT)
    log_amount = np.log(tc[therapy.drug])
    slope, intercept = np.polyfit(t, log_amount, 1)
    # the window is terminal: the other exponentials have died out (log-linear to 1e-4)
    assert np.max(np.abs(log_amount - (slope * t + intercept))) < 1e-4
    return LN2 / -slope


def within_source(value: float, *, point: float | None = None,
                  low: float | None = None, high: float | None = None) -> bool:
    """Issue 5: within 10% of the source's value; for a range, of its midpoint, and the whole
    range is allowed."""
    if point is not None:
        return abs(value / point - 1.0) <= 0.10
    assert low is not None and high is not None
    mid = 0.5 * (low + high)
    return abs(value / mid - 1.0) <= 0.10 or low <= value <= high


# (preset with one dose, time unit, fit window, source value or range in that unit)
HALF_LIVES: list[tuple[str, Callable[[], Therapy], str, tuple[float, float], dict[str, float]]] = [
    # infliximab: 8-12 days in RA, Fasanmade 2009 introduction citing RA data (verified (2nd))
    ("infliximab", lambda: infliximab(weeks=(0.0,), n_maintenance=0), "day", (40.0, 120.0),
     {"low": 8.0, "high": 12.0}),
    # adalimumab: Ternant 2015 typical values, ln 2 x 10.8 L / 0.32 L/day = 23.4 days
    # (pk.md: derived from verified V/F and CL/F); the label's 10-20 days disagrees (below)
    ("adalimumab", lambda: adalimumab(n_doses=1), "day", (80.0, 200.0), {"point": 23.4}),
    # etanercept: 102 h in RA after a single 25 mg SC, Enbrel US PI 2005 (verified (2nd))
    ("etanercept", lambda: etanercept(n_doses=1), "h", (300.0, 800.0), {"point": 102.0}),
    # aldesleukin IV: 85 min terminal phase after an IV bolus, Konrad 1990 (verified)
    ("aldesleukin_iv", lambda: aldesleukin(n_doses=1), "min", (360.0, 720.0),
     {"point": 85.0}),
    # aldesleukin SC: 3.3 +/- 0.9 h after SC, Piscitelli (abstract read; HIV patients)
    ("aldesleukin_sc", lambda: aldesleukin("low_dose", n_doses=1), "h", (40.0, 80.0),
     {"point": 3.3}),
    # anakinra: 3.76 +/- 1 h after 1 mg/kg SC in RA, Pharmacol Res 2004 (verified); the
    # Kineret label's 4-6 h is slightly longer (below)
    ("anakinra", lambda: anakinra(n_doses=1), "h", (80.0, 140.0), {"point": 3.76}),
    # IL-10 IV: 1.94 h after 25 ug/kg IV, Radwanski 1998 (abstract read); Huhn 1996 reports
    # 2.3-3.7 h (below)
    ("il10_iv", lambda: il10(route="iv"), "h", (12.0, 30.0), {"point": 1.94}),
    # IL-10 SC: 2.7-4.5 h after 1-50 ug/kg SC, Huhn 1997 (verified)
    ("il10_sc", lambda: il10(route="sc"), "h", (80.0, 120.0), {"low": 2.7, "high": 4.5}),
]


@pytest.mark.parametrize(("label", "make", "unit", "window", "source"), HALF_LIVES,
                         ids=[h[0] for h in HALF_LIVES])
def test_terminal_half_life_in_simulation_matches_its_source(
        label: str, make: Callable[[], Therapy], unit: str, window: tuple[float, float],
        source: dict[str, float]) -> None:
    therapy = make()
    simulated = fitted_half_life(therapy, unit, *window)
    assert within_source(simulated, **source), (label, simulated, source)
    # the analytic helper agrees with the simulated slope
    assert terminal_half_life(therapy, unit) == pytest.approx(simulated, rel=1e-4)
    assert "half-life" in " ".join(dict(therapy.sources)) and therapy.half_life_source


def test_documented_half_life_disagreements() -> None:
    # pinned so the docstrings stay true: change a preset and these tell you to update them
    ada = terminal_half_life(adalimumab(), "day")
    assert ada > 20.0 * 1.1  # Humira label "about 2 weeks (10-20 days)" (verified (2nd))
    ana = terminal_half_life(anakinra(), "h")
    assert 0.9 * 4.0 < ana < 4.0  # Kineret label 4-6 h (verified (2nd)): 6% below its low end
    il10_iv = terminal_half_life(il10(), "h")
    assert il10_iv < 2.3  # Huhn 1996 IV 2.3-3.7 h and Fuchs 1996 3.18 h (verified)
    # infliximab with the AS-model Q, V2 instead (pk.md: derived 8.7 days) would also pass
    assert terminal_half_life(infliximab(), "day") == pytest.approx(10.0, abs=0.05)


# ----------------------------------------------------------------- hours vs days
EQUIVALENCE: list[tuple[str, Callable[[], Therapy], float]] = [
    ("infliximab", lambda: infliximab(n_maintenance=1), 20 * 168.0),
    ("adalimumab", lambda: adalimumab(n_doses=4), 10 * 168.0),
    ("etanercept", lambda: etanercept(dose_mg=25.0, every_weeks=0.5, n_doses=6), 5 * 168.0),
    ("aldesleukin_high", lambda: aldesleukin(), 5 * 24.0),
    ("aldesleukin_low", lambda: aldesleukin("low_dose"), 7 * 24.0),
    ("anakinra", lambda: anakinra(n_doses=5), 7 * 24.0),
    ("il10_iv", lambda: il10(n_doses=3, every_hours=12.0), 48.0),
    ("il10_sc", lambda: il10(route="sc", n_doses=3, every_hours=12.0), 48.0),
]


@pytest.mark.parametrize(("label", "make", "hours"), EQUIVALENCE,
                         ids=[e[0] for e in EQUIVALENCE])
def test_same_concentrations_in_hours_and_in_days(label: str, make: Callable[[], Therapy],
                                                  hours: float) -> None:
    therapy = make()
    t_h = np.linspace(0.0, hours, 97)
    in_hours = cs.simulate(cs.Network(time_unit="h"), t_end=hours, t_eval=t_h,
                           interventions=[therapy], **TIGHT)
    in_days = cs.simulate(cs.Network(time_unit="day"), t_end=hours / 24.0, t_eval=t_h / 24.0,
                          interventions=[therapy], **TIGHT)
    conc = f"{therapy.drug}_conc"
    assert in_hours.unit_of(conc) == in_days.unit_of(conc) == "mg/L"
    scale = float(np.max(in_hours[conc]))
    np.testing.assert_allclose(in_days[conc], in_hours[conc], rtol=1e-6, atol=1e-9 * scale)
    # the rate constants themselves were converted: per day = 24 x per hour
    rate = f"{therapy.drug}.rate"
    per_hour = therapy.prepare(cs.Network(time_unit="h"))[0].parameter_values()[rate]
    per_day = therapy.prepare(cs.Network(time_unit="day"))[0].parameter_values()[rate]
    assert per_day == pytest.approx(24.0 * per_hour, rel=1e-12)


def test_the_original_network_is_unchanged_and_other_nodes_are_untouched() -> None:
    from cytosim._builtin_models import lps_macrophage

    base = lps_macrophage()
    nodes = list(base.nodes)
    one_infusion = infliximab(weeks=(0.0,), n_maintenance=0)
    treated = cs.simulate(base, t_end=24.0, interventions=[one_infusion], **TIGHT)
    untreated = cs.simulate(base, t_end=24.0, **TIGHT)
    assert base.nodes == nodes  # PK added to a copy only
    # no target binding in this slice: TNF is exactly as without the drug
    # (to solver accuracy: the run with the drug is integrated piecewise around t = 2 h)
    np.testing.assert_allclose(treated["TNF"], untreated["TNF"], rtol=1e-7)
    assert treated["infliximab_conc"].max() > 50.0  # 210 mg into 2.3 L, minus distribution


# ----------------------------------------------------------------- regimens
def amounts(schedule: cs.DosingSchedule) -> list[float]:
    return [d.amount_in_unit() for d in schedule.doses for _ in d.times()]


def test_infliximab_regimen() -> None:
    therapy = infliximab()
    weeks = [0, 2, 6, 14, 22, 30, 38, 46, 54]  # label: 0, 2, 6, then every 8 weeks
    for unit, per_week in (("h", 168.0), ("day", 7.0)):
        schedule = therapy.prepare(cs.Network(time_unit=unit))[1][0]
        assert schedule.dose_times() == pytest.approx([w * per_week for w in weeks])
        assert all(d.duration == pytest.approx(2.0 * per_week / 168.0) for d in schedule.doses)
    schedule = therapy.schedule("h")
    assert amounts(schedule) == pytest.approx([210.0] * 9)  # 3 mg/kg x 70 kg
    assert {d.target for d in schedule.doses} == {"infliximab"}  # IV: the central amount
    # a 2 h infusion at 105 mg/h, on and off
    first = [e for e in schedule.events(t_end=1.0e4) if e.time < 3.0]
    assert [e.time for e in first] == pytest.approx([0.0, 2.0])
    assert [e.rate_change for e in first] == pytest.approx([105.0, -105.0])
    heavier = infliximab(dose_mg_per_kg=5.0, weight_kg=80.0, weeks=(0.0,), n_maintenance=0)
    assert amounts(heavier.schedule("h")) == pytest.approx([400.0])


def test_subcutaneous_regimens() -> None:
    ada = adalimumab().schedule("h")
    assert ada.dose_times() == pytest.approx([336.0 * i for i in range(26)])
    assert amounts(ada) == pytest.approx([40.0] * 26)
    [dose] = ada.doses
    assert (dose.target, dose.bioavailability) == ("adalimumab_depot", 0.64)
    etn = etanercept().schedule("day")
    assert etn.dose_times() == pytest.approx([7.0 * i for i in range(52)])
    assert amounts(etn) == pytest.approx([50.0] * 52)
    ana = anakinra().schedule("h")
    assert ana.dose_times() == pytest.approx([24.0 * i for i in range(28)])
    assert amounts(ana) == pytest.approx([100.0] * 28)
    assert ana.doses[0].bioavailability == 0.95  # Kineret label


def test_aldesleukin_regimens() -> None:
    high = aldesleukin().schedule("h")
    assert high.dose_times() == pytest.approx([8.0 * i for i in range(14)])
    # 600,000 IU/kg x 70 kg at 18 MIU per 1.1 mg = 2.567 mg per dose (label: 0.037 mg/kg)
    assert amounts(high) == pytest.approx([600000 * 70 / IU_PER_MG] * 14, rel=1e-12)
    assert amounts(high)[0] == pytest.approx(2.567, abs=5e-4)
    assert high.doses[0].duration == pytest.approx(0.25)
    in_days = aldesleukin().schedule("day")
    assert in_days.dose_times() == pytest.approx([i / 3.0 for i in range(14)])
    low = aldesleukin("low_dose").schedule("day")
    assert low.dose_times() == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0])
    assert amounts(low) == pytest.approx([1e6 / IU_PER_MG] * 5)  # 1 MIU = 0.0611 mg
    assert low.doses[0].target == "aldesleukin_depot"
    assert 0.31 <= low.doses[0].bioavailability <= 0.47  # EU SmPC SC F 31-47%
    assert amounts(il10().schedule("h")) == pytest.approx([1.75])  # 25 ug/kg x 70 kg


# ----------------------------------------------------------------- exposure vs labels
def steady_state(therapy: Therapy, interval_h: float, n_doses: int) -> tuple[float, float,
                                                                              float]:
    """(Cmax, Cmin, AUC) of the last dosing interval, concentrations in mg/L, from a
    simulation in hours sampled every hour."""
    end = interval_h * n_doses
    t = np.arange(0.0, end + 0.5, 1.0)
    tc = cs.simulate(cs.Network(time_unit="h"), t_end=end, t_eval=t,
                     interventions=[therapy], **TIGHT)
    last = tc[f"{therapy.drug}_conc"][t >= end - interval_h]
    return float(last.max()), float(last.min()), float(np.trapezoid(last, dx=1.0))


# Population typical values against label means of other study populations: a tolerance of
# 35% (about one inter-individual SD of these antibodies' clearance, 17-37% in the sources)
LABEL_TOLERANCE = 0.35


def test_adalimumab_steady_state_trough() -> None:
    _, trough, _ = steady_state(adalimumab(), 336.0, 26)
    # Humira label (verified (2nd)): mean steady-state trough 8-9 ug/mL with methotrexate
    assert trough == pytest.approx(8.5, rel=LABEL_TOLERANCE)
    # and about 5 ug/mL without: Ternant 2015's typical values give 60% more (disagreement,
    # stated in the docstring; their methotrexate fraction is not in the abstract)
    assert 1.4 < trough / 5.0 < 1.8


@pytest.mark.parametrize(("dose", "every_weeks", "n_doses", "cmax", "cmin", "auc"), [
    (50.0, 1.0, 8, 2.4, 1.2, 297.0),    # Enbrel SmPC, RA steady state (verified)
    (25.0, 0.5, 16, 2.6, 1.4, 316.0),   # AUC over a week: twice the 3.5-day interval's
])
def test_etanercept_steady_state_exposure(dose: float, every_weeks: float, n_doses: int,
                                          cmax: float, cmin: float, auc: float) -> None:
    interval = 168.0 * every_weeks
    high, low, area = steady_state(etanercept(dose_mg=dose, every_weeks=every_weeks,
                                              n_doses=n_doses), interval, n_doses)
    assert high == pytest.approx(cmax, rel=LABEL_TOLERANCE)
    assert low == pytest.approx(cmin, rel=LABEL_TOLERANCE)
    assert area * 168.0 / interval == pytest.approx(auc, rel=0.10)  # AUC fixes CL/F


def single_dose(therapy: Therapy, hours: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0.0, hours + step / 2, step)
    tc = cs.simulate(cs.Network(time_unit="h"), t_end=hours, t_eval=t, interventions=[therapy],
                     **TIGHT)
    return t, tc[f"{therapy.drug}_conc"]


def test_anakinra_single_dose_peak() -> None:
    t, conc = single_dose(anakinra(dose_mg=70.0, n_doses=1), 24.0, 0.01)  # 1 mg/kg x 70 kg
    # Pharmacol Res 2004 (verified): Cmax 687 +/- 197 ng/mL, Tmax 2-6 h after 1 mg/kg SC
    assert conc.max() * 1000.0 == pytest.approx(687.0, rel=0.30)
    # Kineret label (verified (2nd)): Tmax 3-7 h in RA
    assert 3.0 <= t[np.argmax(conc)] <= 7.0


def test_aldesleukin_subcutaneous_level_is_about_two_percent_of_the_iv_bolus_level() -> None:
    low = aldesleukin("low_dose", n_doses=1)
    t, conc = single_dose(low, 24.0, 0.01)
    bolus_level = low.regimen[0].amount_in_unit() / low.volume.to("L").magnitude
    # Konrad 1990 (verified): SC levels are about 2% of the level right after an IV bolus
    assert conc.max() / bolus_level == pytest.approx(0.02, rel=LABEL_TOLERANCE)
    # the peak comes earlier than the SmPC's 2-6 h (first-order absorption, no lag; stated)
    assert t[np.argmax(conc)] < 2.0


def test_il10_subcutaneous_apparent_volume() -> None:
    therapy = il10(route="sc")
    t, conc = single_dose(therapy, 150.0, 0.05)
    dose = therapy.regimen[0].amount_in_unit()  # mg
    slope = np.polyfit(t[t > 80], np.log(conc[t > 80]), 1)[0]
    auc = np.trapezoid(conc, t) + conc[-1] / -slope
    apparent_volume = dose / auc / -slope / 70.0  # (CL/F) / lambda_z, L/kg
    # Huhn 1997 (verified): apparent volume of distribution 0.70-1.35 L/kg after SC
    assert 0.70 <= apparent_volume <= 1.35


# ----------------------------------------------------------------- sources, assumptions
ALL = [infliximab(), adalimumab(), etanercept(), aldesleukin(), aldesleukin("low_dose"),
       anakinra(), il10(), il10(route="sc")]


@pytest.mark.parametrize("therapy", ALL, ids=[t.name for t in ALL])
def test_sources_and_assumptions_are_stated(therapy: Therapy) -> None:
    topics = [topic for topic, _ in therapy.sources]
    assert topics.count("terminal half-life") == 1
    text = " ".join(therapy.assumptions)
    for needed in ("inter-individual variability", "anti-drug antibodies",
                   "target-mediated clearance", "population", "kg"):
        assert needed in text, needed
    net, timed = therapy.prepare(cs.Network(time_unit="h"))
    assert isinstance(timed[0], cs.DosingSchedule)
    assert net.parameters().loc[f"{therapy.drug}.rate", "unit"] == "1/h"


def test_infliximab_states_the_borrowed_parameters() -> None:
    therapy = infliximab()
    assert any("borrowed" in topic for topic, _ in therapy.sources)
    assert any("ulcerative colitis" in a for a in therapy.assumptions)
    assert any("2 h" in a for a in therapy.assumptions)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(("call", "match"), [
    (lambda: infliximab(dose_mg_per_kg=-3.0), r"`dose_mg_per_kg` must be > 0, got -3.0"),
    (lambda: adalimumab(dose_mg=-40.0), r"`dose_mg` must be > 0, got -40.0"),
    (lambda: etanercept(dose_mg=-1.0), r"`dose_mg` must be > 0, got -1.0"),
    (lambda: anakinra(dose_mg=-100.0), r"`dose_mg` must be > 0, got -100.0"),
    (lambda: il10(dose_ug_per_kg=-5.0), r"`dose_ug_per_kg` must be > 0, got -5.0"),
    (lambda: aldesleukin("low_dose", daily_miu=-1.0), r"`daily_miu` must be > 0"),
    (lambda: aldesleukin(weight_kg=0.0), r"`weight_kg` must be > 0"),
    (lambda: aldesleukin("medium"),
     r"unknown aldesleukin regimen 'medium'; valid: 'high_dose', 'low_dose'"),
    (lambda: il10(route="im"), r"unknown IL-10 route 'im'; valid: 'iv', 'sc'"),
    (lambda: aldesleukin(n_doses=15), r"the label allows at most 14 high-dose doses"),
    (lambda: adalimumab(n_doses=0), r"`n_doses` must be an integer >= 1, got 0"),
    (lambda: infliximab(weeks=(0.0, 6.0, 2.0)), r"`weeks` must be increasing"),
    (lambda: etanercept(bioavailability=1.5), r"`bioavailability` must be <= 1"),
    (lambda: aldesleukin(bsa_m2=1.0), r"no two-compartment model has these half-lives"),
])
def test_bad_input_is_refused(call: Callable[[], Any], match: str) -> None:
    with pytest.raises(cs.ParameterError, match=match):
        call()


def test_a_therapy_needs_one_half_life_source_and_units() -> None:
    base = infliximab()
    fields = {name: getattr(base, name) for name in base.__dataclass_fields__}
    with pytest.raises(cs.ParameterError, match=r"exactly one 'terminal half-life' source"):
        Therapy(**{**fields, "sources": (("V1", "somewhere"),)})
    with pytest.raises(cs.ParameterError, match=r"`clearance` must be a pint quantity"):
        Therapy(**{**fields, "clearance": 0.019})
    with pytest.raises(cs.ParameterError, match=r"unknown route 'oral'"):
        Therapy(**{**fields, "route": "oral"})
    with pytest.raises(cs.ParameterError, match=r"is not a unit of \[time\]"):
        base.prepare(cs.Network(time_unit="kg"))
    net = base.prepare(cs.Network())[0]
    with pytest.raises(cs.ModelError):
        base.prepare(net)  # the drug's nodes are there already
