"""granulopoiesis: Friberg et al. 2002 (J Clin Oncol 20:4713) with docetaxel, endogenous G-CSF
after Quartino et al. 2014 (Pharm Res 31:3390), and the filgrastim preset.

Checks: the file's values equal the transcribed published ones (written out here, not read from
the file); cytosim's compiled graph equals the published equations written out in numpy; the
baseline count is the steady state; the published docetaxel outcome (nadir depth and time,
recovery, rebound) and the loss of recovery without feedback; G-CSF rises as neutrophils fall;
filgrastim (coupled to the model by a stated assumption) shortens the neutropenia, by about as
much as reported for prophylaxis ([CRAW]) and by less than reported when started at neutropenia
([MAHER]); the preset's half-life, regimen and sources.

Sources of the reference numbers (see the model file's header for the status of each):
- [FRI] Friberg 2002 equations 3-7, identical in radivot/myelo (R/friberg02.R) and DTAT
  (Onoue.Friberg); docetaxel Emax fit "Table 4, row 1" as quoted by DTAT (Emax and EC50 also in
  radivot/myelo inst/doc/fribergPars02.R).
- [BRU] docetaxel PK of Bruno et al. 1996 as transcribed in radivot/myelo.
- [QUA] Quartino 2014 G-CSF kinetics as transcribed in radivot/myelo demo/quartino14.R.
- [FIG4] radivot/myelo demo/friberg02Demo.R: the docetaxel panel of Friberg Fig. 4 digitised
  ("want nadir at 7 days and repeak at 20 day"; points (day, ANC) (0, 5.4) (6, 2) (9, 0.6)
  (13, 1) (16, 1.7) (20, 7) (22, 8.6)): observed data of some patients, not the typical model.
- [NOTE] the project's research note ifn_gcsf.md (B), an independent simulation of the same
  model: nadir 0.885e9/L at day 7.64, recovery to baseline day 15.6, rebound 6.34 at day 19.8.
- [SMPC] filgrastim SmPC 5.2 (verified (2nd)): t1/2 about 3.5 h, V about 150 mL/kg.
- [MAHER] Maher DW et al. Ann Intern Med 1994 (abstract read in two pages: Macquarie University
  research portal, scilit): filgrastim 12 ug/kg/day started at febrile neutropenia shortened
  neutropenia (ANC < 0.5e9/L) from a median 4.0 to 3.0 days.
- [CRAW] Crawford J et al. N Engl J Med 1991;325:164 (PMID 1711156), the placebo-controlled trial
  behind filgrastim's prophylaxis indication (abstract read in two pages: UT Southwestern research
  portal, paperexplained.cn): G-CSF from day 4 through day 17 of a 21-day cycle of cyclophosphamide,
  doxorubicin and etoposide; median duration of grade IV neutropenia (ANC < 0.5e9/L) over all
  cycles 6 days with placebo, 1 day with G-CSF (a reduction by 5/6). The dose is not in the
  abstract; the label's 5 ug/kg/day is used here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import cytosim as cs
from cytosim.therapies import Therapy, terminal_half_life
from cytosim.therapies.filgrastim import filgrastim

HOURS_PER_DAY = 24.0
BSA = 1.8  # m2: an assumption of these tests (the model file says so)
DOSE_MG = 100.0 * BSA  # docetaxel 100 mg/m2, the standard single-agent dose, 1-h infusion
TIGHT: dict[str, Any] = {"method": "Radau", "rtol": 1e-10, "atol": 1e-12, "engine": "numpy"}
# outcome runs: LSODA at rtol 1e-8 resolves the nadir to far below the ranges tested
OUTCOME: dict[str, Any] = {"method": "LSODA", "rtol": 1e-8, "atol": 1e-10}
T_END = 504.0  # h: one 3-week cycle

# published values written out here ([FRI], [BRU], [QUA]); time in hours
PUBLISHED = {
    "Prol.Circ0": 5.05, "Prol.MTT": 89.3, "Prol.gamma": 0.163, "Prol.Emax": 83.9,
    "Prol.EC50": 7.17, "Prol.V1": 7.4, "Prol.mw": 0.808,
    "DTX.rate": 5.2, "DTX.transfers.DTX_p2.rate": 1.06, "DTX_p2.transfers.DTX.rate": 1.51,
    "DTX.transfers.DTX_p3.rate": 1.26, "DTX_p3.transfers.DTX.rate": 0.084,
    "GCSF.ke": 0.592, "GCSF.kANC": 5.64, "GCSF.G0": 24.3,
}
STATES = ("DTX", "DTX_p2", "DTX_p3", "Prol", "Transit1", "Transit2", "Transit3", "Circ", "GCSF")


def published_rhs(t: float, y: np.ndarray, p: dict[str, float], infusion: float) -> np.ndarray:
    """Friberg 2002 eqs. 3-7 with the Emax drug effect, Bruno's docetaxel PK and Quartino's
    G-CSF mass balance, written out directly (time in h, amounts in mg)."""
    a1, a2, a3, prol, t1, t2, t3, circ, g = y
    conc = a1 / p["V1"] / p["mw"]  # uM
    edrug = p["Emax"] * conc / (p["EC50"] + conc)
    ktr = 4.0 / p["MTT"]
    kin = (p["ke"] + p["kANC"] * p["Circ0"]) * p["G0"]
    return np.array([
        infusion - (p["k10"] + p["k12"] + p["k13"]) * a1 + p["k21"] * a2 + p["k31"] * a3,
        p["k12"] * a1 - p["k21"] * a2,
        p["k13"] * a1 - p["k31"] * a3,
        ktr * prol * (1.0 - edrug) * (p["Circ0"] / circ) ** p["gamma"] - ktr * prol,
        ktr * (prol - t1),
        ktr * (t1 - t2),
        ktr * (t2 - t3),
        ktr * (t3 - circ),
        kin - (p["ke"] + p["kANC"] * circ) * g,
    ])


def paper_parameters() -> dict[str, float]:
    return {"Circ0": 5.05, "MTT": 89.3, "gamma": 0.163, "Emax": 83.9, "EC50": 7.17, "V1": 7.4,
            "mw": 0.808, "k10": 5.2, "k12": 1.06, "k21": 1.51, "k13": 1.26, "k31": 0.084,
            "ke": 0.592, "kANC": 5.64, "G0": 24.3}


def solve_published(t_eval: np.ndarray, dose_mg: float) -> np.ndarray:
    """The published system with a 1-h infusion at t = 0, integrated in two pieces so the solver
    never steps over the end of the infusion."""
    p = paper_parameters()
    y0 = np.array([0.0, 0.0, 0.0] + [p["Circ0"]] * 5 + [p["G0"]])
    out = []
    for (a, b), rate in (((0.0, 1.0), dose_mg), ((1.0, float(t_eval[-1])), 0.0)):
        mask = (t_eval >= a) & (t_eval < b) if b < t_eval[-1] else (t_eval >= a)
        sol = solve_ivp(published_rhs, (a, b), y0, args=(p, rate), method="Radau", rtol=1e-11,
                        atol=1e-13, t_eval=t_eval[mask], dense_output=True)
        assert sol.success
        out.append(sol.y)
        y0 = sol.sol(b)
    return np.concatenate(out, axis=1)


def docetaxel(dose_mg: float = DOSE_MG) -> cs.Dose:
    return cs.Dose("DTX", amount=dose_mg, duration=1.0)


def run(net: cs.Network, interventions: list[Any], **settings: Any) -> cs.TimeCourse:
    settings = {**OUTCOME, **settings}
    return cs.simulate(net, t_end=T_END, n_points=int(T_END) * 4 + 1, interventions=interventions,
                       **settings)


def days_below(tc: cs.TimeCourse, threshold: float) -> float:
    """Time (days) with the neutrophil count below *threshold* (1e9/L), on the 15-min grid."""
    return float(np.sum(tc["Circ"][:-1] < threshold) * np.diff(tc.t)[0] / HOURS_PER_DAY)


@pytest.fixture(scope="module")
def model() -> cs.Network:
    return cs.load_model("granulopoiesis")


@pytest.fixture(scope="module")
def treated(model: cs.Network) -> cs.TimeCourse:
    return run(model, [docetaxel()])


# ----------------------------------------------------------------- values and equations
def test_values_are_the_published_ones(model: cs.Network) -> None:
    values = model.parameter_values()
    for name, value in PUBLISHED.items():
        assert values[name] == value, name
    initial = model.initial_values()
    assert initial["GCSF"] == 24.3
    for node in ("Prol", "Transit1", "Transit2", "Transit3", "Circ"):
        assert initial[node] == 5.05  # [FRI]: every compartment starts at Circ0
    assert model.node("GCSF")["catalog_id"] == "CSF3"


def test_baseline_count_is_the_steady_state(model: cs.Network) -> None:
    system = cs.compile_network(model)
    y0 = np.array([model.initial_values()[s] for s in system.state_names])
    p = np.array([model.parameter_values()[n] for n in system.param_names])
    # every term cancels exactly at Circ0 (ratios 1, powers 1): round-off only
    assert np.max(np.abs(system.rhs(0.0, y0, p))) < 1e-12
    tc = cs.simulate(model, t_end=T_END, **TIGHT)
    np.testing.assert_allclose(tc["Circ"], 5.05, rtol=1e-10)
    np.testing.assert_allclose(tc["GCSF"], 24.3, rtol=1e-10)


def test_cytosim_equals_the_published_equations(model: cs.Network) -> None:
    t = np.linspace(0.0, T_END, 337)  # every 1.5 h over 21 days
    tc = cs.simulate(model, t_end=T_END, t_eval=t, interventions=[docetaxel()], **TIGHT)
    reference = solve_published(t, DOSE_MG)
    # both solved at rtol <= 1e-10: agreement to 1e-6 relative leaves 4 orders for error growth
    # through the nadir; drug amounts are compared down to 1e-9 mg (the deep compartment decays
    # to ~1e-2 mg by day 21, well above that floor)
    for i, state in enumerate(STATES):
        np.testing.assert_allclose(tc[state], reference[i], rtol=1e-6, atol=1e-9,
                                   err_msg=state)


# ----------------------------------------------------------------- published outcomes
def test_docetaxel_nadir_recovery_and_rebound(treated: cs.TimeCourse) -> None:
    circ, days = treated["Circ"], treated.t / HOURS_PER_DAY
    i = int(np.argmin(circ))
    # [NOTE] 0.885 at day 7.64 (independent simulation of the same equations and values): the
    # ranges below are those of [FIG4] (nadir between its day-6 and day-9 points) and of the
    # research note's suggested assertions (10-30% of baseline)
    assert 6.5 < days[i] < 9.0
    assert 0.10 * 5.05 < circ[i] < 0.30 * 5.05
    assert circ[i] == pytest.approx(0.885, abs=0.01)  # [NOTE], to its printed precision
    recovered = days[i:][np.argmax(circ[i:] >= 5.05)]
    assert 14.0 < recovered < 18.0  # [NOTE] day 15.6
    j = int(np.argmax(circ[i:])) + i
    assert 17.0 < days[j] <= 21.0  # [FIG4] "repeak at 20 day"
    assert 1.1 * 5.05 < circ[j] < 1.4 * 5.05  # [NOTE] 6.34 = 1.26 x baseline
    # next cycle at day 21 needs ANC >= 1.5e9/L (docetaxel label): satisfied
    assert circ[-1] > 1.5


def test_without_feedback_the_count_never_recovers(model: cs.Network) -> None:
    tc = run(model.with_scenario("no_feedback"), [docetaxel()])
    circ = tc["Circ"]
    # [NOTE]: with gamma = 0 the count falls to 0.54 and stays there (neutrally stable pool)
    assert circ[-1] < 0.15 * 5.05
    assert np.all(np.diff(circ[tc.t > 10 * HOURS_PER_DAY]) <= 1e-9)


def test_gcsf_rises_as_neutrophils_fall(treated: cs.TimeCourse) -> None:
    # [QUA] endogenous G-CSF is inversely related to the neutrophil count: it peaks at the nadir
    i, k = int(np.argmin(treated["Circ"])), int(np.argmax(treated["GCSF"]))
    assert abs(treated.t[k] - treated.t[i]) < 6.0
    # quasi-steady state G = kin / (ke + kANC Circ) at the nadir, to within 1%
    kin = (0.592 + 5.64 * 5.05) * 24.3
    assert treated["GCSF"][k] == pytest.approx(kin / (0.592 + 5.64 * treated["Circ"][i]),
                                               rel=0.01)
    assert treated["GCSF"][k] > 4.0 * 24.3


# ----------------------------------------------------------------- filgrastim on the model
# The coupling is an assumption (no published Friberg-filgrastim link): filgrastim multiplies
# the proliferation rate by 1 + EG C / (EC50G + C), C its plasma concentration in ng/mL; EC50G =
# 3.21 ng/mL is the filgrastim potency of the transcribed Krzyzanski 2010 model, EG = 0.25 is
# chosen so that the label regimen keeps the ANC below the label's 10e9/L stop level (EG was not
# fitted to [CRAW] or [MAHER]). Tested against the sources in direction and rough size only.
#
# Published G-CSF effects tried instead, on a copy of the network, exogenous filgrastim adding to
# the endogenous GCSF state (both in pg/mL), Friberg's equations untouched (numbers: docetaxel
# 100 mg/m2, time below 1e9/L 2.36 days without filgrastim):
# - Quartino 2014 [QUA] (proliferation x F^0.444, every transit rate x F^0.234, F = (GCSF + C) /
#   GCSF, i.e. Quartino's (G/G0)^beta factor with the endogenous part left to Friberg's
#   feedback): the exponents were fitted to endogenous G-CSF, which varies up to ~10-fold, while
#   filgrastim raises G-CSF ~500-fold (12 ng/mL against 24 pg/mL). There the proliferation factor
#   (~16) outgrows the transit factor (~4.3), the precursor pool grows at ~0.5/h and every regimen
#   diverges (Prol > 1e50 within days; the transcription's swapped exponents instead empty the
#   marrow: 11 days below 1e9/L).
# - Krzyzanski 2010 (transcribed in metrumresearchgroup/page-2018-mrgsolve model/gcsf.cpp):
#   proliferation x H1/H1(endogenous), maturation x H2/H2(endogenous), H = 1 + SM C/(3.21 + C),
#   SM1 = 34.3, SM2 = 32.3 (SM3, release, is 0). Fitted in healthy volunteers to a 9-compartment
#   marrow holding ~50 times the blood count; Friberg's marrow holds 4 times. The up to ~20-fold
#   maturation speed-up empties it: label regimen ANC 14.8 at day 5.5, then a second nadir of 0.49
#   at day 15 and 4.7 days below 1e9/L; 12 ug/kg at neutropenia 3.8 days (both longer than
#   without filgrastim).
# Neither reproduces [MAHER] or [CRAW]; the assumed proliferation-only coupling is kept.
COUPLING = ("4 / Prol.MTT * Prol * (1 - Prol.Emax * (DTX / (Prol.V1 * Prol.mw)) / (Prol.EC50 + "
            "DTX / (Prol.V1 * Prol.mw))) * (Prol.Circ0 / Circ) ^ Prol.gamma * EG * "
            "(1000 * filgrastim / filgrastim_central.volume) / (EC50G + 1000 * filgrastim / "
            "filgrastim_central.volume)")


def with_filgrastim(net: cs.Network, therapy: Therapy, gain: float = 0.25) -> tuple[cs.Network,
                                                                                  list[Any]]:
    coupled, schedules = therapy.prepare(net)
    coupled.add_term("Prol", COUPLING, name="filgrastim_stimulation",
                     params={"EG": gain, "EC50G": 3.21}, units={"EC50G": "ng/mL"})
    return coupled, schedules


def test_filgrastim_label_regimen_shortens_the_neutropenia(model: cs.Network,
                                                           treated: cs.TimeCourse) -> None:
    coupled, schedules = with_filgrastim(model, filgrastim())  # 5 ug/kg/day SC x 10 from day 1
    tc = run(coupled, [docetaxel(), *schedules])
    assert days_below(treated, 1.0) > 2.0  # without: grade >= 3 neutropenia for 2.36 days
    assert days_below(tc, 1.0) < days_below(treated, 1.0)
    assert tc["Circ"].min() > treated["Circ"].min()
    assert tc["Circ"].max() < 10.0  # label: stop when ANC > 10,000/mm3
    assert np.all(tc["filgrastim_conc"] > -1e-9)  # mg/L: non-negative to solver tolerance


def test_prophylactic_filgrastim_removes_most_of_the_neutropenia_as_reported(
        model: cs.Network, treated: cs.TimeCourse) -> None:
    # [CRAW]: G-CSF on days 4-17 of the cycle cut the grade IV neutropenia from 6 to 1 day, a
    # reduction by 5/6. The typical model patient never falls below 0.5e9/L, so the relative
    # reduction is compared below 1.0e9/L (grade >= 3). The model removes it entirely (2.36 -> 0
    # days, nadir 0.89 -> 1.04); the bound is the reported 5/6 within a factor 1.5 (the rough
    # agreement the comparison of a different chemotherapy and grade can support). The bound is
    # not automatic: a 1.7-fold weaker coupling (EG = 0.15) still passes (65%), EG = 0.1 fails
    # (40%).
    alone = treated
    # day 1 = chemotherapy, so day 4 starts 72 h later; days 4-17 are 14 daily doses
    coupled, schedules = with_filgrastim(model, filgrastim(5.0, n_doses=14, start_hours=72.0))
    tc = run(coupled, [docetaxel(), *schedules])
    reduction = 1.0 - days_below(tc, 1.0) / days_below(alone, 1.0)
    assert reduction >= (5.0 / 6.0) / 1.5
    assert tc["Circ"].min() > alone["Circ"].min()
    weaker, schedules = with_filgrastim(model, filgrastim(5.0, n_doses=14, start_hours=72.0),
                                        gain=0.1)
    assert 1.0 - days_below(run(weaker, [docetaxel(), *schedules]), 1.0) / days_below(
        alone, 1.0) < (5.0 / 6.0) / 1.5  # the test can fail


def test_filgrastim_at_neutropenia_shortens_it_less_than_reported(model: cs.Network,
                                                              treated: cs.TimeCourse) -> None:
    # [MAHER]: 12 ug/kg/day started at neutropenia shortened it by a median 1 day (4 -> 3 days
    # below 0.5e9/L). The typical model patient never falls below 0.5, so the same comparison is
    # made below 1.0e9/L, starting filgrastim when the count first falls below it (day 6.5).
    start = float(treated.t[np.argmax(treated["Circ"] < 1.0)])
    coupled, schedules = with_filgrastim(model, filgrastim(12.0, n_doses=5, start_hours=start))
    tc = run(coupled, [docetaxel(), *schedules])
    shortened = days_below(treated, 1.0) - days_below(tc, 1.0)
    # the direction holds, but the model gives 0.28 day, 3.6 times short of the reported day
    # (pinned: a documented shortfall, not a reproduction). Why: Friberg's model has no mature
    # marrow reserve for G-CSF to release, so filgrastim started at the nadir acts only through
    # proliferation, whose cells reach the blood one transit time (MTT = 3.7 days) later, after
    # the count has recovered (day 8.9) anyway; even EG = 2 (peak ANC 640e9/L) gives 1.0 day.
    # The sourced alternatives (header of this section) lengthen it instead.
    assert 0.1 < shortened < 1.0 / 1.5


# ----------------------------------------------------------------- the filgrastim preset
def fitted_half_life(therapy: Therapy, start: float, stop: float) -> float:
    """Log-linear terminal slope of the central amount after the first dose (hours)."""
    t = np.linspace(start, stop, 41)
    tc = cs.simulate(cs.Network(time_unit="h"), t_end=stop, t_eval=t, interventions=[therapy],
                     engine="numpy", rtol=1e-10, atol=1e-20)
    log_amount = np.log(tc[therapy.drug])
    slope, intercept = np.polyfit(t, log_amount, 1)
    assert np.max(np.abs(log_amount - (slope * t + intercept))) < 1e-4  # terminal window
    return math.log(2.0) / -slope


@pytest.mark.parametrize("route", ["iv", "sc"])
def test_filgrastim_terminal_half_life_matches_the_smpc(route: str) -> None:
    therapy = filgrastim(route=route, n_doses=1, start_hours=0.0)
    simulated = fitted_half_life(therapy, 30.0, 60.0)  # absorption (ka = 0.642 1/h) gone
    assert abs(simulated / 3.5 - 1.0) <= 0.10  # [SMPC] about 3.5 h
    assert terminal_half_life(therapy) == pytest.approx(simulated, rel=1e-4)
    assert "3.5 h" in therapy.half_life_source


def test_filgrastim_pk_and_regimen() -> None:
    therapy = filgrastim()
    values = therapy.pk_values("h")
    assert values["volume"] == pytest.approx(0.150 * 70.0)  # [SMPC] 150 mL/kg
    # CL = V ln 2 / 3.5 h = 0.495 mL/min/kg: the SmPC's "about 0.6" is 17% higher (documented)
    cl_ml_min_kg = values["clearance"] * 1000.0 / 60.0 / 70.0
    assert cl_ml_min_kg == pytest.approx(0.495, abs=0.001)
    assert 0.8 < cl_ml_min_kg / 0.6 < 0.85
    schedule = therapy.schedule("day")
    assert schedule.dose_times() == pytest.approx([1.0 + i for i in range(10)])
    assert therapy.regimen[0].amount_in_unit() == pytest.approx(0.35)  # mg: 5 ug/kg x 70 kg
    assert therapy.regimen[0].bioavailability == 0.626
    assert filgrastim(route="iv").regimen[0].bioavailability == 1.0


def test_filgrastim_same_concentrations_in_hours_and_in_days() -> None:
    therapy = filgrastim(n_doses=3)
    hours = np.linspace(0.0, 96.0, 49)
    in_h = cs.simulate(cs.Network(time_unit="h"), t_end=96.0, t_eval=hours,
                       interventions=[therapy], engine="numpy", rtol=1e-10, atol=1e-14)
    in_d = cs.simulate(cs.Network(time_unit="day"), t_end=4.0, t_eval=hours / 24.0,
                       interventions=[therapy], engine="numpy", rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(in_d["filgrastim_conc"], in_h["filgrastim_conc"], rtol=1e-6,
                               atol=1e-12)
    # SC 5 ug/kg: a peak of about 12 ng/mL near 2.7 h after each dose (one compartment)
    peak = in_h["filgrastim_conc"][(hours > 24.0) & (hours < 48.0)].max() * 1000.0
    assert 10.0 < peak < 15.0


def test_filgrastim_sources_and_assumptions() -> None:
    therapy = filgrastim()
    topics = [topic for topic, _ in therapy.sources]
    assert topics.count("terminal half-life") == 1
    text = " ".join(therapy.assumptions)
    for needed in ("inter-individual variability", "anti-drug antibodies",
                   "target-mediated clearance", "population", "kg", "linearised"):
        assert needed in text, needed


@pytest.mark.parametrize(("call", "match"), [
    (lambda: filgrastim(dose_ug_per_kg=-5.0), r"`dose_ug_per_kg` must be > 0, got -5.0"),
    (lambda: filgrastim(route="im"), r"unknown filgrastim route 'im'; valid: 'sc', 'iv'"),
    (lambda: filgrastim(n_doses=0), r"`n_doses` must be an integer >= 1, got 0"),
    (lambda: filgrastim(bioavailability=1.5), r"`bioavailability` must be <= 1"),
    (lambda: filgrastim(weight_kg=0.0), r"`weight_kg` must be > 0"),
    (lambda: filgrastim(start_hours=-1.0), r"`start_hours` must be >= 0"),
])
def test_filgrastim_bad_input_is_refused(call: Any, match: str) -> None:
    with pytest.raises(cs.ParameterError, match=match):
        call()


def test_saved_model_loads_back_identical(model: cs.Network, tmp_path: Any) -> None:
    path = cs.save_model(model, tmp_path / "granulopoiesis.toml")
    again = cs.load_model(path)
    assert again.parameter_values() == model.parameter_values()
    assert again.initial_values() == model.initial_values()
    assert again.structure() == model.structure()
