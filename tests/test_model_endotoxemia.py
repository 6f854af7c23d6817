"""The endotoxemia reference model (models/endotoxemia.toml): Windoloski et al. 2024.

Windoloski KA et al., Exp Physiol 2024, doi:10.1113/EP091552; code and fitted parameters:
github.com/KristenWindoloski/InflammationModel_BolusContinuous @ e7d2f66 ("the authors'
code" below): bolus_model_RHS.m, bolus_model_pars.m, bolus_model_ic.m, cts_model_*.m,
MeanBolusOptPars.mat, MeanCtsOptPars.mat, BolusDataCorrectedSD.mat,
CTSmeanSDNOOutlierdata.mat. Reference numbers not stored in the authors' files (peaks,
no-feedback table) are from the project's notes, /work/shared/reference/endotoxemia.md
("the notes"), which re-implemented the model in scipy.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

import cytosim as cs

DATA_FILE = resources.files("cytosim").joinpath("data/endotoxemia_human_2ngkg.csv")
STATES = ["E", "MR", "MA", "TNF", "IL6", "IL8", "IL10"]
CYTOKINES = ["TNF", "IL6", "IL8", "IL10"]
TIGHT = {"method": "Radau", "rtol": 1e-10, "atol": 1e-12}
GRID = np.arange(12001) / 1000.0  # 0-12 h every 0.001 h; i/1000 holds the data times exactly

# --- the authors' values, written here independently of the model file ---------------------
# Fixed values: bolus_model_pars.m (scale factors sT = s8 = 0.71, s10 = 1.12); fitted values
# (kMA, kTNF, kTNFM, k8, k8M, k10M): exp(optpars) of MeanBolusOptPars.mat; baselines: the t = 0
# data means of BolusDataCorrectedSD.mat over the same scale factors (bolus_model_pars.m).
P = {
    "kE": 1.01, "kMR": 0.006, "kMA": 2.6738236573429925, "kMTNF": 8.6497, "kM": 0.0414,
    "xME": 3.3, "xM10": 4.35 / 1.12, "xMTNF": 100 / 0.71, "hME": 1.0, "hM10": 0.3,
    "hMTNF": 3.16, "Mmax": 30000.0,
    "kTNF": 1.3951036081610577, "kTNFM": 0.99797859764544, "xTNF10": 17.4 / 1.12,
    "xTNF6": 560.0, "hTNF10": 3.0, "hTNF6": 2.0, "wTNF": 6.2427274519151545 / 0.71,
    "k6": 0.66, "k6M": 0.81, "k6TNF": 0.81, "x610": 34.8 / 1.12, "x66": 560.0,
    "x6TNF": 185 / 0.71, "h610": 4.0, "h66": 1.0, "h6TNF": 2.0, "w6": 0.6097346953571077,
    "k8": 0.6863673859684131, "k8M": 0.7457272662652895, "k8TNF": 0.56 / 0.71,
    "x810": 17.4 / 1.12, "x8TNF": 185 / 0.71, "h810": 1.5, "h8TNF": 3.0,
    "w8": 2.964296492700405 / 0.71,
    "k10": 0.8, "k10M": 0.015044918544479183, "k106": 0.0191 / 1.12, "x106": 560.0,
    "h106": 3.68, "w10": 4.196790526026027 / 1.12,
}
# The continuous-infusion set: exp(optpars) of MeanCtsOptPars.mat, i.e. cts_model_pars.m
# (sT = 0.45, s8 = 1.1, s10 = 0.99; baselines from the t = 0 means of
# CTSmeanSDNOOutlierdata.mat) with kMA, kTNF, kTNFM, k8, k8M, k10M fitted. Only the values
# that differ from the bolus set are listed.
P_CTS = {**P,
         "kMA": 3.4913083774599616, "kMTNF": 9.0, "xME": 2.0, "xM10": 4.35 / 0.99,
         "xMTNF": 100 / 0.45, "kTNF": 0.4229857534257181, "kTNFM": 1.391127155034667,
         "xTNF10": 17.4 / 0.99, "wTNF": 6.242727451915156 / 0.45, "x610": 34.8 / 0.99,
         "x6TNF": 185 / 0.45, "h610": 1.0, "k8": 0.3861865032499514,
         "k8M": 0.6127105344832059, "k8TNF": 0.56 / 1.1, "x810": 17.4 / 0.99,
         "x8TNF": 185 / 0.45, "w8": 2.9642964927004045 / 1.1, "k10": 0.4,
         "k10M": 0.03645676189414004, "k106": 0.0191 / 0.99, "w10": 4.196790526026026 / 0.99}

# Paper symbol -> cytosim stable name (README "Names"), and the per-edge copies of the symbols
# the paper shares between two terms of a sum.
ALIAS = {
    "kE": "E.rate", "kMR": "MR.growth_rate", "Mmax": "MR.capacity", "kMA": "MA.rate",
    "kM": "MR.activates.MA.rate", "xME": "MR.activates.MA.E.K", "hME": "MR.activates.MA.E.n",
    "xM10": "MR.activates.MA.IL10.K", "hM10": "MR.activates.MA.IL10.n",
    "kMTNF": "MR.activates.MA:2.rate", "xMTNF": "MR.activates.MA:2.TNF.K",
    "hMTNF": "MR.activates.MA:2.TNF.n",
    "kTNFM": "MA.secretes.TNF.rate", "xTNF6": "MA.secretes.TNF.IL6.K",
    "hTNF6": "MA.secretes.TNF.IL6.n", "xTNF10": "MA.secretes.TNF.IL10.K",
    "hTNF10": "MA.secretes.TNF.IL10.n", "kTNF": "TNF.rate", "wTNF": "TNF.baseline",
    "k6M": "MA.secretes.IL6.rate", "x66": "MA.secretes.IL6.IL6.K", "h66": "MA.secretes.IL6.IL6.n",
    "x610": "MA.secretes.IL6.IL10.K", "h610": "MA.secretes.IL6.IL10.n",
    "k6TNF": "MA.secretes.IL6:2.rate", "x6TNF": "MA.secretes.IL6:2.TNF.K",
    "h6TNF": "MA.secretes.IL6:2.TNF.n", "k6": "IL6.rate", "w6": "IL6.baseline",
    "k8M": "MA.secretes.IL8.rate", "x810": "MA.secretes.IL8.IL10.K",
    "h810": "MA.secretes.IL8.IL10.n", "k8TNF": "MA.secretes.IL8:2.rate",
    "x8TNF": "MA.secretes.IL8:2.TNF.K", "h8TNF": "MA.secretes.IL8:2.TNF.n", "k8": "IL8.rate",
    "w8": "IL8.baseline", "k10M": "MA.secretes.IL10.rate", "k106": "MA.secretes.IL10:2.rate",
    "x106": "MA.secretes.IL10:2.IL6.K", "h106": "MA.secretes.IL10:2.IL6.n", "k10": "IL10.rate",
    "w10": "IL10.baseline",
}
COPIES = {
    "MR.activates.MA:2.E.K": "xME", "MR.activates.MA:2.E.n": "hME",
    "MR.activates.MA:2.IL10.K": "xM10", "MR.activates.MA:2.IL10.n": "hM10",
    "MA.secretes.IL6:2.IL6.K": "x66", "MA.secretes.IL6:2.IL6.n": "h66",
    "MA.secretes.IL6:2.IL10.K": "x610", "MA.secretes.IL6:2.IL10.n": "h610",
    "MA.secretes.IL8:2.IL10.K": "x810", "MA.secretes.IL8:2.IL10.n": "h810",
}
IL10_FEEDBACK = ("xM10", "xTNF10", "x610", "x810")

# The authors' stored fit residuals `rout` (MeanBolusOptPars.mat), order TNF, IL-6, IL-8,
# IL-10 x the 8 data times, and their stored costs J.
ROUT_BOLUS = np.array([
    2.7238250795e-03, -7.4899174269e-02, -5.2502485198e-02, 6.9065143327e-03,
    1.1124577120e-02, -1.6618192502e-03, -6.2702336402e-03, -8.2445084550e-03,
    0.0, 1.7614426665e-02, 4.3992383461e-02, 2.2563661778e-02,
    -4.7343649852e-02, 2.3947586865e-02, 4.8571877546e-02, 3.1637470059e-02,
    5.9947260713e-04, 1.6204317104e-02, 3.3899225643e-02, 1.0348274027e-02,
    -6.7471985266e-02, 4.5296227861e-02, 2.0772164118e-02, -1.7962608849e-05,
    -3.6493597915e-03, -2.5472435791e-02, -3.9180692081e-02, 2.8857946598e-02,
    -4.2523241976e-02, -6.5685581835e-03, 6.9889190137e-04, -9.3076470161e-03])
J_BOLUS = 0.03110855063774008  # MeanBolusOptPars.mat, J
J_CTS = 0.05471530177853853  # MeanCtsOptPars.mat, J
# Mean data of the continuous-infusion study (CTSmeanSDNOOutlierdata.mat: time, TNFm, IL6m,
# IL8m, IL10m), the data the continuous fit J_CTS was computed against.
CTS_TIMES = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 6.0])
CTS_DATA = {
    "TNF": [6.242727451915156, 14.020651341536396, 208.42283779124895, 531.691410473,
            362.1930345838162, 87.36186118818014],
    "IL6": [0.6097346953571077, 0.9979826468134627, 25.621480038135658, 347.60541649902973,
            706.995907458172, 123.16116698624744],
    "IL8": [2.9642964927004045, 2.816545771961551, 39.134786471982906, 367.72780233666697,
            456.17469476019585, 171.44820420966147],
    "IL10": [4.196790526026026, 5.261454505355858, 19.446895229145788, 84.68421489104362,
             136.09702618147742, 94.45842351624577],
}

# Why the J tolerance: the authors solved with ode15s at RelTol = AbsTol = 1e-8
# (bolus_model_solver.m); our residuals (Radau, rtol 1e-10) differ from their stored `rout`
# by at most 1.2e-7 (bolus) and 4e-8 (continuous), all of it the error of their solve, and
# their J by 3e-9 and 7e-9. 2e-8 is twice the solver tolerance of the stored run.
J_TOL = 2e-8


# --- the paper's equations in numpy (bolus_model_RHS.m, cts_model_RHS.m) --------------------
def up(s, x, h):
    return s**h / (s**h + x**h)


def down(s, x, h):
    return x**h / (s**h + x**h)


def rhs(t, y, p, u=0.0):
    """bolus_model_RHS.m; with u > 0 the dE/dt of cts_model_RHS.m while the infusion runs."""
    e, mr, ma, tnf, il6, il8, il10 = y
    act = (up(e, p["xME"], p["hME"]) * (p["kM"] + p["kMTNF"] * up(tnf, p["xMTNF"], p["hMTNF"]))
           * down(il10, p["xM10"], p["hM10"]) * mr)
    return [
        u - p["kE"] * e,
        p["kMR"] * mr * (1 - mr / p["Mmax"]) - act,
        act - p["kMA"] * ma,
        p["kTNFM"] * down(il6, p["xTNF6"], p["hTNF6"]) * down(il10, p["xTNF10"], p["hTNF10"]) * ma
        - p["kTNF"] * (tnf - p["wTNF"]),
        (p["k6M"] + p["k6TNF"] * up(tnf, p["x6TNF"], p["h6TNF"])) * down(il6, p["x66"], p["h66"])
        * down(il10, p["x610"], p["h610"]) * ma - p["k6"] * (il6 - p["w6"]),
        ma * (p["k8M"] + p["k8TNF"] * up(tnf, p["x8TNF"], p["h8TNF"]))
        * down(il10, p["x810"], p["h810"]) - p["k8"] * (il8 - p["w8"]),
        (p["k10M"] + p["k106"] * up(il6, p["x106"], p["h106"])) * ma - p["k10"] * (il10 - p["w10"]),
    ]


def initial_state(p, e0):
    """bolus_model_ic.m (E0 = 2) and cts_model_ic.m (E0 = 0): cytokines at their baselines."""
    return [e0, 28200.0, 0.0, p["wTNF"], p["w6"], p["w8"], p["w10"]]


def reference(p, e0, t, infusion=None):
    """scipy Radau on the numpy equations; an infusion (rate, end) is solved in two exact
    segments, [0, end] with the rate and [end, t_end] without, so no discontinuity is crossed."""
    kw = {"method": "Radau", "rtol": 1e-10, "atol": 1e-12, "dense_output": True}
    if infusion is None:
        return solve_ivp(rhs, (0, t[-1]), initial_state(p, e0), args=(p,), **kw).sol(t)
    rate, end = infusion
    first = solve_ivp(rhs, (0, end), initial_state(p, e0), args=(p, rate), **kw)
    second = solve_ivp(rhs, (end, t[-1]), first.y[:, -1], args=(p, 0.0), **kw)
    return np.where(t <= end, first.sol(np.minimum(t, end)), second.sol(np.maximum(t, end)))


def states(tc: cs.TimeCourse) -> np.ndarray:
    return np.array([tc[name] for name in STATES])


def assert_close_to_reference(y: np.ndarray, ref: np.ndarray, rel: float = 1e-6) -> None:
    """|difference| <= rel * (|y| + scale of that state) at every output time."""
    scale = np.max(np.abs(ref), axis=1, keepdims=True)
    bound = rel * (np.abs(ref) + scale)
    worst = np.max(np.abs(y - ref) / bound)
    assert worst <= 1.0, f"difference reaches {worst:.3g} x the bound"


def cost(values: dict[str, np.ndarray], data: dict[str, np.ndarray]) -> tuple[float, np.ndarray]:
    """The authors' residuals (model - data)/max(data)/sqrt(n_times), TNF, IL-6, IL-8, IL-10."""
    r = np.concatenate([(np.asarray(values[c]) - np.asarray(data[c])) / np.max(data[c])
                        / np.sqrt(len(data[c])) for c in CYTOKINES])
    return float(r @ r), r


def peak(tc: cs.TimeCourse, name: str) -> tuple[float, float]:
    k = int(np.argmax(tc[name]))
    return float(tc[name][k]), float(tc.t[k])


# --- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def net() -> cs.Network:
    return cs.load_model("endotoxemia")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    with resources.as_file(DATA_FILE) as path:
        return pd.read_csv(path, comment="#")


@pytest.fixture(scope="module")
def bolus(net: cs.Network) -> cs.TimeCourse:
    return cs.simulate(net, t_end=12.0, t_eval=GRID, engine="numpy", **TIGHT)


# --- tests -----------------------------------------------------------------------------------
def test_parameters_are_the_authors(net: cs.Network) -> None:
    # Values: bolus_model_pars.m and MeanBolusOptPars.mat (see P); each paper symbol is the
    # alias of exactly one parameter, its copies on second edges carry the same value.
    table = net.parameters()
    aliases = table["alias"].dropna()
    assert aliases.is_unique
    assert dict(zip(aliases, aliases.index, strict=True)) == ALIAS
    assert len(ALIAS) == 43
    for symbol, name in ALIAS.items():
        assert table.loc[name, "value"] == pytest.approx(P[symbol], rel=1e-12), symbol
    for name, symbol in COPIES.items():
        assert table.loc[name, "value"] == table.loc[ALIAS[symbol], "value"], name
        assert f"same value as {symbol}" in table.loc[name, "description"]
    assert table.loc["E.u_inf", "value"] == 0.0  # the infusion is off in the bolus model
    own = table.drop(index="body.volume")
    assert (own["unit"] != "").all() and (own["source"] != "user").all()
    assert net.initial_values() == pytest.approx(dict(zip(STATES, initial_state(P, 2.0),
                                                          strict=True)), rel=1e-14)


def test_matches_the_equations_written_in_numpy(net: cs.Network, bolus: cs.TimeCourse) -> None:
    # bolus_model_RHS.m transcribed above, integrated by scipy, against cytosim's compiled
    # model (numpy engine); the observable is total monocytes.
    ref = reference(P, 2.0, GRID[::100])
    assert_close_to_reference(states(bolus)[:, ::100], ref)
    assert np.allclose(bolus["monocytes"], bolus["MR"] + bolus["MA"], rtol=1e-14)


def test_reproduces_the_authors_fit_cost(net: cs.Network, data: pd.DataFrame) -> None:
    # J and rout of MeanBolusOptPars.mat; data = BolusDataCorrectedSD.mat means (shipped CSV).
    assert list(data.columns) == ["time_h", *CYTOKINES] and len(data) == 8
    tc = cs.simulate(net, t_end=6.0, t_eval=data["time_h"].to_numpy(), **TIGHT)
    j, residuals = cost({c: tc[c] for c in CYTOKINES}, {c: data[c].to_numpy() for c in CYTOKINES})
    assert abs(j - J_BOLUS) <= J_TOL
    assert np.max(np.abs(residuals - ROUT_BOLUS)) <= 3e-7  # observed 1.2e-7: their ode15s error


def test_peak_values_and_times(bolus: cs.TimeCourse) -> None:
    # The notes, section 4 (scipy re-implementation): TNF 365.7 pg/mL at 1.70 h, IL-6 749.0 at
    # 2.05 h, IL-8 747.0 at 2.13 h, IL-10 42.2 at 2.57 h; 0.05 pg/mL and 0.005 h are the
    # rounding of those numbers, plus the 0.001 h output grid.
    expected = {"TNF": (365.7, 1.70), "IL6": (749.0, 2.05), "IL8": (747.0, 2.13),
                "IL10": (42.2, 2.57)}
    times = []
    for name, (value, time) in expected.items():
        got_value, got_time = peak(bolus, name)
        assert abs(got_value - value) <= 0.05, name
        assert abs(got_time - time) <= 0.006, name
        times.append(got_time)
    assert times == sorted(times)  # TNF, then IL-6, IL-8, IL-10


def test_removing_il10_feedback_raises_every_peak(net: cs.Network, bolus: cs.TimeCourse) -> None:
    # The notes' table: TNF 730 pg/mL at 1.1 h, IL-6 2021, IL-8 6762, IL-10 137 (integers).
    # Those were computed with the IL-10 levels at 1e12, which with hM10 = 0.3 leaves ~0.1%
    # inhibition; the scenario uses 1e30. Tolerance: 0.5 (rounding) + 0.1% of the value.
    scenario = net.scenarios["no_il10_feedback"]
    assert set(scenario["params"]) == {ALIAS[s] for s in IL10_FEEDBACK} | {
        n for n, s in COPIES.items() if s in IL10_FEEDBACK}
    assert set(scenario["params"].values()) == {1e30} and not scenario["initial"]
    tc = cs.simulate(net.with_scenario("no_il10_feedback"), t_end=8.0, t_eval=GRID[:8001],
                     **TIGHT)
    table = {"TNF": 730.0, "IL6": 2021.0, "IL8": 6762.0, "IL10": 137.0}
    for name, value in table.items():
        got = peak(tc, name)[0]
        assert abs(got - value) <= 0.5 + 1e-3 * value, name
        assert got > 1.5 * peak(bolus, name)[0], name
    assert abs(peak(tc, "TNF")[1] - 1.1) <= 0.05
    # the same levels at 1e12, as in the notes, give their integers to within the rounding
    at_1e12 = cs.simulate(net, t_end=8.0, t_eval=GRID[:8001],
                          params={k: 1e12 for k in scenario["params"]}, **TIGHT)
    for name, value in table.items():
        assert abs(peak(at_1e12, name)[0] - value) <= 0.5, name
    # and 1e30 removes the feedback: the numpy equations with the levels at 1e60, where every
    # down(IL10) factor rounds to exactly 1.0 in double precision
    ref = reference({**P, **{s: 1e60 for s in IL10_FEEDBACK}}, 2.0, GRID[:8001:100])
    assert_close_to_reference(states(tc)[:, ::100], ref)


def test_continuous_infusion(net: cs.Network, bolus: cs.TimeCourse) -> None:
    # cts_model_RHS.m / cts_model_ic.m with MeanCtsOptPars.mat: 0.5 ng/kg/h while t <= 4 h,
    # E(0) = 0. The model's infusion term u*step(t_inf - t) jumps at 4 h inside the right-hand
    # side; the reference integrates [0, 4] and [4, 12] separately (exact). The adaptive solver
    # crosses the jump by rejecting steps; observed error 2e-10 of the bound's scale, so the
    # same 1e-6 criterion as the bolus holds with a wide margin.
    scenario = net.scenarios["continuous_infusion"]
    expected = {ALIAS[s]: v for s, v in P_CTS.items() if v != P[s]}
    expected |= {n: P_CTS[s] for n, s in COPIES.items() if P_CTS[s] != P[s]}
    expected["E.u_inf"] = 0.5
    assert scenario["params"].keys() == expected.keys()
    for name, value in expected.items():
        assert scenario["params"][name] == pytest.approx(value, rel=1e-12), name
    assert scenario["initial"] == pytest.approx(
        {n: v for n, v in zip(STATES, initial_state(P_CTS, 0.0), strict=True)
         if n in ("E", *CYTOKINES)}, rel=1e-12)

    tc = cs.simulate(cs.load_model("endotoxemia", scenario="continuous_infusion"), t_end=12.0,
                     t_eval=GRID, engine="numpy", **TIGHT)
    ref = reference(P_CTS, 0.0, GRID[::50], infusion=(0.5, 4.0))
    assert_close_to_reference(states(tc)[:, ::50], ref)
    assert tc["E"][4000] == pytest.approx(0.5 / 1.01 * (1 - np.exp(-4.04)), rel=1e-8)

    # J of MeanCtsOptPars.mat against the continuous study's means
    at = np.searchsorted(GRID, CTS_TIMES)
    j, _ = cost({c: tc[c][at] for c in CYTOKINES}, CTS_DATA)
    assert abs(j - J_CTS) <= J_TOL

    # the notes, section 4: TNF 491 pg/mL at 2.79 h, IL-6 593 at 3.35 h, IL-8 434 at 3.31 h,
    # IL-10 134 at 4.33 h (rounding: 0.5 pg/mL, 0.005 h, plus the 0.001 h grid)
    for name, (value, time) in {"TNF": (491, 2.79), "IL6": (593, 3.35), "IL8": (434, 3.31),
                                "IL10": (134, 4.33)}.items():
        got_value, got_time = peak(tc, name)
        assert abs(got_value - value) <= 0.5 and abs(got_time - time) <= 0.006, name
        # arXiv:2308.01495 abstract: every peak comes later in the continuous infusion
        assert got_time > peak(bolus, name)[1], name
    # ...the bolus IL-8 peak is higher, the continuous IL-10 peak higher (abstract). TNF rises
    # later (half the bolus level at 1 h) but peaks higher (491 vs 366; the data: 532 vs 331).
    assert peak(bolus, "IL8")[0] > peak(tc, "IL8")[0]
    assert peak(tc, "IL10")[0] > peak(bolus, "IL10")[0]
    assert tc["TNF"][1000] < 0.5 * bolus["TNF"][1000]


def test_save_and_load_round_trip(net: cs.Network, tmp_path) -> None:
    path = cs.save_model(net, tmp_path / "endotoxemia.toml")
    again = cs.load_model(path)
    assert again.structure() == net.structure()
    columns = ["value", "unit", "source", "description", "alias"]
    pd.testing.assert_frame_equal(again.parameters()[columns], net.parameters()[columns])
    first = cs.simulate(net, t_end=12.0, n_points=49)
    second = cs.simulate(again, t_end=12.0, n_points=49)
    assert np.array_equal(first.values, second.values)


def test_scenarios_and_parameters_by_the_papers_symbols(net: cs.Network) -> None:
    # A scenario sets both per-edge copies of a shared symbol; set_parameter by the paper's
    # symbol reaches the aliased copy only (the copy is a parameter of its own).
    assert set(net.scenarios) == {"continuous_infusion", "no_il10_feedback"}
    cts = net.with_scenario("continuous_infusion").parameters()["value"]
    for name, symbol in COPIES.items():
        assert cts[name] == cts[ALIAS[symbol]] == pytest.approx(P_CTS[symbol], rel=1e-12)
    copy = net.copy()
    copy.set_parameter("kMTNF", 9.0)
    copy.set_parameter("xME", 2.0)
    values = copy.parameters()["value"]
    assert values["MR.activates.MA:2.rate"] == 9.0
    assert values["MR.activates.MA.E.K"] == 2.0 and values["MR.activates.MA:2.E.K"] == 3.3
    assert net.parameters()["value"]["MR.activates.MA:2.rate"] == 8.6497
