"""treg_il2: REDUCED form of spQSP-IO (Gong et al. 2021, Cancers 13:3751), lymph-node T cell / IL-2.

Source of equations and values: the authors' code popellab/SPQSP_IO at commit
eca3ea55ec2f75b0db5d58da09500ddffabc001d:

- SPQSP_IO/NSCLC/SP_QSP_NSCLC/ode/ODE_system.cpp: reaction fluxes 47-50 (IL-2 release,
  degradation, consumption by activated Tregs and activated CD8+ cells), 53-57 (CD8+ priming,
  division, expansion, death, egress), 68-72 (Treg priming, division, expansion, death,
  egress) and the assignment rules n_aT_prolif_IL2 = n_aT_prolif_IL20 x/(x + K_IL2_Teff) +
  0.001, n_Treg_prolif_IL2 = n_Treg_prolif_IL20 x/(x + K_IL2_Treg), with x = LN.IL2 / f_vol_LN.
- SPQSP_IO/NSCLC/NSCLC_single/resource/param_all.xml: the values below (SOURCE_VALUES), in the
  units the generated code's conversion factors imply (e.g. k_IL2_rel x 167281721944.444 =
  nmol/cell/h -> 1/s per mole of cells; k_IL2_deg x 1/60 = 1/min -> 1/s), and the recorded
  state (LN_aT_1_0, LN_aTreg_CD4, LN_IL2).

The equations are written out again here (source_rhs) from those fluxes, with the raw
param_all.xml numbers and their unit factors, independently of the model file. The reduction
(priming fluxes 53 and 68 held constant; cytosim's LN IL-2 input s_IL2) is described in the
model file. The issue's two outcomes are tested qualitatively with LN IL-2 input rates, an
assumption: no clinical aldesleukin dose can be mapped onto the LN in this parameterisation
(test_aldesleukin_is_small_against_the_lymph_node_il2_sink).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

import cytosim as cs

STATES = ("aT", "Teff", "aTreg", "Treg", "IL2")
RUN = {"method": "LSODA", "rtol": 1e-8, "atol": 1e-6}
HOURS_PER_DAY, MINUTES_PER_DAY = 24.0, 1440.0

# param_all.xml values with their units as the generated code converts them.
SOURCE_VALUES = {
    "k_aT_prolif": 1.0,  # 1/day
    "k_aTreg_prolif": 1.0,  # 1/day
    "n_aT_prolif_TCR0": 2.0,
    "n_aT_prolif_Coestim0": 3.0,
    "n_aT_prolif_IL20": 11.0,
    "n_Treg_prolif_IL2": 11.0,  # at saturating IL-2 = the rule's maximum
    "K_IL2_Teff": 0.32,  # nM
    "K_IL2_Treg": 0.0032,  # nM
    "k_IL2_rel": 3e-5,  # nmol/cell/h
    "k_IL2_consump": 6e-6,  # nmol/cell/h
    "k_IL2_deg": 0.2,  # 1/min
    "f_vol_LN": 0.1,
    "vol_LN": 0.021,  # L
    "k_Teff_death": 0.01,  # 1/day
    "k_Teff_egress": 1.0,  # 1/h
    "k_Treg_death": 0.01,  # 1/day
    "k_Treg_egress": 24.0,  # 1/day
}
RECORDED = {"LN_aT_1_0": 6.63218e6, "LN_aTreg_CD4": 1.42396e7, "LN_IL2": 292.616,
            "LN_Teff_1_0": 1.13127e9, "LN_Treg": 1.10418e8}


def source_rhs(y: np.ndarray, p_cd8: float, p_treg: float, s_il2: float = 0.0) -> np.ndarray:
    """Fluxes 47-50, 53-57, 68-72 of ODE_system.cpp with priming held constant (per day)."""
    v = SOURCE_VALUES
    a_t, teff, a_treg, treg, il2 = y
    x = il2 / v["f_vol_LN"]
    n_teff = (v["n_aT_prolif_TCR0"] + v["n_aT_prolif_Coestim0"]
              + v["n_aT_prolif_IL20"] * x / (x + v["K_IL2_Teff"]) + 0.001)
    n_treg = v["n_Treg_prolif_IL2"] * x / (x + v["K_IL2_Treg"])
    rel = v["k_IL2_rel"] * HOURS_PER_DAY
    cons = v["k_IL2_consump"] * HOURS_PER_DAY
    return np.array([
        p_cd8 - v["k_aT_prolif"] * a_t,
        v["k_aT_prolif"] * 2.0 ** n_teff * a_t
        - (v["k_Teff_death"] + v["k_Teff_egress"] * HOURS_PER_DAY) * teff,
        p_treg - v["k_aTreg_prolif"] * a_treg,
        v["k_aTreg_prolif"] * 2.0 ** n_treg * a_treg
        - (v["k_Treg_death"] + v["k_Treg_egress"]) * treg,
        (rel * a_t - cons * a_treg * x / (v["K_IL2_Treg"] + x)
         - cons * a_t * x / (v["K_IL2_Teff"] + x)) / v["vol_LN"]
        - v["k_IL2_deg"] * MINUTES_PER_DAY * il2 + s_il2,
    ])


def quasi_steady_il2(a_t: float, a_treg: float, s_il2: float = 0.0) -> float:
    """The IL-2 equation's root at fixed activated-cell numbers (it is monotone in IL2)."""
    return brentq(lambda il2: source_rhs(np.array([a_t, 0.0, a_treg, 0.0, il2]), a_t,
                                         a_treg, s_il2)[4], 0.0, 1e6, xtol=1e-16, rtol=1e-14)


def steady_state(p_cd8: float, p_treg: float) -> np.ndarray:
    """The reduced model's steady state: aT, aTreg from priming, IL2 from its root, then the
    mature pools from expansion = death + egress."""
    a_t, a_treg = p_cd8, p_treg  # k_prolif = 1/day
    il2 = quasi_steady_il2(a_t, a_treg)
    y = np.array([a_t, 1.0, a_treg, 1.0, il2])
    rates = source_rhs(y, p_cd8, p_treg)
    v = SOURCE_VALUES
    loss_teff = v["k_Teff_death"] + v["k_Teff_egress"] * HOURS_PER_DAY
    loss_treg = v["k_Treg_death"] + v["k_Treg_egress"]
    teff = (rates[1] + loss_teff) / loss_teff  # expansion / loss, read from the y[1] = 1 row
    treg = (rates[3] + loss_treg) / loss_treg
    return np.array([a_t, teff, a_treg, treg, il2])


def values(net: cs.Network) -> dict[str, float]:
    table = net.parameter_values()
    return {alias: table[name] for alias, name in net.parameter_aliases().items()}


def ratio_and_teff(net: cs.Network, t_end: float) -> tuple[float, float, float, float, float]:
    tc = cs.simulate(net, t_end=t_end, **RUN)
    return (tc["Treg_Teff_ratio"][0], tc["Treg_Teff_ratio"][-1], tc["Teff"][0], tc["Teff"][-1],
            tc["IL2_interstitial"][-1])


# ------------------------------------------------------------------------ transcription
def test_file_values_are_the_source_values_in_the_file_units() -> None:
    p = values(cs.load_model("treg_il2"))
    v = SOURCE_VALUES
    expected = {
        "k_aT_prolif": v["k_aT_prolif"], "k_aTreg_prolif": v["k_aTreg_prolif"],
        "n_TCR": v["n_aT_prolif_TCR0"], "n_costim": v["n_aT_prolif_Coestim0"],
        "n_IL2_Teff": v["n_aT_prolif_IL20"], "n_IL2_Treg": v["n_Treg_prolif_IL2"],
        "K_IL2_Teff": v["K_IL2_Teff"], "K_IL2_Treg": v["K_IL2_Treg"],
        "k_IL2_rel": v["k_IL2_rel"] * HOURS_PER_DAY,
        "k_IL2_consump": v["k_IL2_consump"] * HOURS_PER_DAY,
        "k_IL2_deg": v["k_IL2_deg"] * MINUTES_PER_DAY, "f_vol_LN": v["f_vol_LN"],
        "V_LN": v["vol_LN"], "k_Teff_death": v["k_Teff_death"],
        "k_Teff_egress": v["k_Teff_egress"] * HOURS_PER_DAY, "k_Treg_death": v["k_Treg_death"],
        "k_Treg_egress": v["k_Treg_egress"],
        # derived: priming that keeps the recorded activated-cell numbers steady
        "P_CD8": v["k_aT_prolif"] * RECORDED["LN_aT_1_0"],
        "P_Treg": v["k_aTreg_prolif"] * RECORDED["LN_aTreg_CD4"],
        "s_IL2": 0.0,
    }
    assert set(p) == set(expected)
    for alias, value in expected.items():
        # unit conversions of exact decimals: equal to rounding
        assert p[alias] == pytest.approx(value, rel=1e-12, abs=0.0), alias


def test_initial_state_is_the_source_recorded_state() -> None:
    net = cs.load_model("treg_il2")
    assert net.time_unit == "day"
    assert net.node("IL2")["catalog_id"] == "IL2"
    assert net.initial_values() == {"aT": RECORDED["LN_aT_1_0"], "Teff": RECORDED["LN_Teff_1_0"],
                                    "aTreg": RECORDED["LN_aTreg_CD4"], "Treg": RECORDED["LN_Treg"],
                                    "IL2": RECORDED["LN_IL2"]}
    assert cs.io.check_units(net) > 0


@pytest.mark.parametrize("scenario", [None, "weak_priming_low_il2"])
def test_compiled_rhs_equals_the_source_equations_at_random_states(scenario: str | None) -> None:
    net = cs.load_model("treg_il2", scenario=scenario)
    p = values(net)
    system = cs.compile_network(net)
    assert system.state_names == STATES
    rng = np.random.default_rng(20240611)
    # log-uniform states spanning the regimes: IL-2 from far below K_IL2_Treg to saturating
    lows = np.array([1e3, 1e3, 1e3, 1e3, 1e-6])
    highs = np.array([1e8, 1e11, 1e8, 1e10, 1e3])
    for _ in range(50):
        y = np.exp(rng.uniform(np.log(lows), np.log(highs)))
        expected = source_rhs(y, p["P_CD8"], p["P_Treg"], p["s_IL2"])
        got = system.rhs(0.0, y)
        # the same arithmetic in another order: equal to a few ulps of the largest term
        scale = np.abs(expected) + np.array([p["P_CD8"], 2.0 ** 16 * y[0], p["P_Treg"],
                                             2.0 ** 11 * y[2], 288.0 * y[4] + 1e5])
        np.testing.assert_array_less(np.abs(got - expected), 1e-11 * scale)


# ----------------------------------------------------------------- the source's baseline
def test_recorded_lymph_node_il2_is_the_quasi_steady_state_of_the_il2_equation() -> None:
    """IL-2 relaxes in minutes (k_IL2_deg = 0.2/min), so the source's recorded LN IL-2 must be
    the root of its equation at the recorded activated-cell numbers. It is, to the 6 digits
    the file records (292.616): this checks the unit reading of k_IL2_rel, k_IL2_consump,
    k_IL2_deg, vol_LN and f_vol_LN together."""
    il2 = quasi_steady_il2(RECORDED["LN_aT_1_0"], RECORDED["LN_aTreg_CD4"])
    assert il2 == pytest.approx(RECORDED["LN_IL2"], rel=5e-6)  # 6 significant digits recorded


def test_weak_priming_scenarios_start_at_the_steady_state() -> None:
    net = cs.load_model("treg_il2", scenario="weak_priming")
    p = values(net)
    y0 = np.array([net.initial_values()[s] for s in STATES])
    # the file rounds the computed steady state to 7-8 digits
    np.testing.assert_allclose(y0, steady_state(p["P_CD8"], p["P_Treg"]), rtol=1e-7)
    for scenario in ("weak_priming_low_il2", "weak_priming_high_il2"):
        other = cs.load_model("treg_il2", scenario=scenario)
        assert other.initial_values() == net.initial_values()
        assert values(other)["P_CD8"] == p["P_CD8"] == 0.1 * RECORDED["LN_aT_1_0"]


def test_strong_priming_il2_saturates_both_populations_and_extra_il2_does_nothing() -> None:
    """At the base priming x = IL2 / f_vol_LN ~ 2.9e3 nM, 1e4-fold above 0.32 nM: effectors and
    Tregs already get their 11 IL-2 divisions, so the large input of the high scenario changes
    the expanded pools by less than 0.1% (computed: 0.03%)."""
    base = cs.load_model("treg_il2")
    p = values(base)
    y0 = steady_state(p["P_CD8"], p["P_Treg"])
    assert y0[4] / p["f_vol_LN"] > 1e4 * p["K_IL2_Teff"] / 1.2
    initial = dict(zip(STATES, y0, strict=True))
    without = cs.simulate(base, t_end=5.0, initial=initial, **RUN)
    with_il2 = cs.simulate(base.with_parameters({"IL2.source": 2e5}), t_end=5.0,
                           initial=initial, **RUN)
    for name in ("Teff", "Treg"):
        assert with_il2[name][-1] == pytest.approx(without[name][-1], rel=1e-3), name


# -------------------------------------------------------------------- the outcomes
def test_low_il2_input_raises_the_treg_to_effector_ratio() -> None:
    """Weak priming: Tregs consume nearly all IL-2 (x ~ 1e-3 nM). An input of half their
    consumption capacity lifts x into the window 0.0032 < x < 0.32 nM (computed 0.0093):
    Tregs gain ~6 IL-2 divisions, effectors ~0.3. Computed over 5 days: the ratio goes from
    3.86 to 157 (x40) and Teff rises 21%. Margins: ratio at least x10, Teff within +50%."""
    net = cs.load_model("treg_il2", scenario="weak_priming_low_il2")
    p = values(net)
    r0, r1, teff0, teff1, x = ratio_and_teff(net, 5.0)
    assert p["K_IL2_Treg"] < x < p["K_IL2_Teff"]
    assert r1 > 10.0 * r0
    assert teff0 <= teff1 < 1.5 * teff0
    # without the input nothing moves (the scenario starts at its steady state)
    q0, q1, *_ = ratio_and_teff(cs.load_model("treg_il2", scenario="weak_priming"), 5.0)
    assert q1 == pytest.approx(q0, rel=1e-6)


def test_high_il2_input_expands_effector_cells() -> None:
    """An input above all consumption drives x far above 0.32 nM (computed ~4.2e3 nM):
    effectors gain the full 11 IL-2 divisions, ~2000-fold (computed 2000x over 5 days), and
    the Treg/Teff ratio falls (3.86 -> 0.67). Margins: Teff at least x100, ratio at most half."""
    net = cs.load_model("treg_il2", scenario="weak_priming_high_il2")
    p = values(net)
    r0, r1, teff0, teff1, x = ratio_and_teff(net, 5.0)
    assert x > 100.0 * p["K_IL2_Teff"]
    assert teff1 > 100.0 * teff0
    assert r1 < 0.5 * r0


# --------------------------------------------------------------- dose scale (assumption)
def test_aldesleukin_rates_against_the_lymph_node_il2_sink() -> None:
    """Why the model file maps no aldesleukin dose onto the LN: the activated Tregs' IL-2
    consumption capacity k_IL2_consump x aTreg is 2.05e3 nmol/day at the recorded state; a
    whole high-dose cycle (14 x 600,000 IU/kg x 70 kg = 35.9 mg = 2.35e3 nmol at 15.3 kDa,
    pk.md section 4, over 13 x 8 h plus one infusion) is about a quarter of that per day, and
    the bioavailable low dose ~1300 times less per day."""
    p = values(cs.load_model("treg_il2"))
    capacity = p["k_IL2_consump"] * RECORDED["LN_aTreg_CD4"]  # nmol/day
    assert capacity == pytest.approx(2050.5, rel=1e-4)
    nmol_per_mg = 1e6 / 15300.0
    high = cs.therapies.aldesleukin("high_dose")
    (dose,) = high.schedule("day").doses
    cycle = dose.amount_in_unit() * (dose.addl + 1) * nmol_per_mg  # nmol
    assert cycle == pytest.approx(2349.0, rel=1e-3)
    days = dose.addl * dose.ii + float(dose.duration or 0.0)  # first start to last stop
    assert days == pytest.approx(13 * 8 / 24 + 0.25 / 24, rel=1e-9)
    assert 0.2 < cycle / days / capacity < 0.3
    low = cs.therapies.aldesleukin("low_dose")
    (record,) = low.schedule("day").doses  # 1 MIU SC once a day
    assert record.ii == pytest.approx(1.0)
    daily = record.amount_in_unit() * record.bioavailability  # mg/day reaching the blood
    assert capacity / (daily * nmol_per_mg) > 1000.0


def test_round_trip_is_identical(tmp_path: Path) -> None:
    net = cs.load_model("treg_il2", scenario="weak_priming_low_il2")
    again = cs.load_model(cs.save_model(net, tmp_path / "treg_il2.toml"))
    assert again.parameters().equals(net.parameters())
    a = cs.simulate(net, t_end=1.0, **RUN)
    b = cs.simulate(again, t_end=1.0, **RUN)
    np.testing.assert_array_equal(a.values, b.values)
    assert math.isfinite(float(a["Treg_Teff_ratio"][-1]))
