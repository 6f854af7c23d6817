"""viral_interferon: Pawelek et al. 2012 (PLoS Comput Biol 8:e1002588), equine influenza with IFN.

Checks: the file holds the transcribed values and the verified initial state; cytosim's compiled
graph equals the paper's Eq. (1) with the adaptive delta(t) written out in numpy (right-hand
side and whole trajectories, with and without exogenous IFN); the published features of the
infection appear; removing IFN gives a higher viral load and near-total target-cell loss;
exogenous IFN at challenge aborts the infection while the same doses after the peak only shorten
shedding; a saved copy loads back identical.

Where the published features come from (the paper's Tables could not be read):

- [P12-abs] the paper's abstract (stored PLoS page, doi:10.1371/journal.pcbi.1002588): "the
  rapid and substantial viral decline (about 2 to 4 logs within 1 day) after the peak can be
  explained by the killing of infected cells mediated by interferon activated cells, such as
  natural killer cells"; the loss of the IFN-induced antiviral effect and the return of target
  cells "can explain the observed short phase of viral plateau ... or even a minor second peak";
  "An adaptive immune response is needed in our model to explain the eventual viral clearance."
- [P12-text] the paper's text as quoted in a public close reading of it: nasal-secretion viral
  RNA measured daily for 10 days, IFN (fold change over the day before challenge) on days 1-5;
  viral load peaks at day 2; "The level of IFN peaked around day 2 and then declined rapidly";
  detection limit 100 RNA copies/mL; Model 2 is Eq. (1) with kappa = 0 and Model 1 is preferred
  over it for every pony; quoting Saenz et al. 2010: "up to 5% of bronchiole cells were infected
  at any one time, yielding an estimated total cell loss of about 27% by the end of the
  infection", which "suggests mechanisms for viral control in addition to target cell depletion".
- [S10-abs] Saenz et al. 2010, J Virol 84:3974, abstract (stored page): innate immunity plays "a
  powerful role ... in controlling the rapid peak in virus shedding. As a corollary, cells are much
  less depleted than suggested by a model of" target-cell depletion.

No numeric viral peak titre or IFN fold change of the paper could be verified; where a test pins
a number it says it is a regression value of the transcribed parameter set, not a published one.
The parameter values are one transcription (see the model file header), so the published
features are the targets, each with its tolerance defended where it is asserted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import cytosim as cs

# The one public transcription of the paper's estimates that the model file holds (paper symbol:
# value), with the units of the model file: beta mL/day, p 1/mL/cell/day, q 1/cell/day, tau day,
# the others 1/day.
TRANSCRIBED = {"beta": 8.3e-6, "phi": 6.9e-2, "rho": 1.0e-2, "delta": 2.0, "kappa": 1.6,
               "p": 7.7e-5, "c": 20.0, "q": 6.1e-10, "d": 0.85, "alpha": 1.0, "tau": 7.0}
INITIAL = {"T": 3.5e11, "I": 0.0, "R": 0.0, "V": 100.0, "F": 1.0}  # V0 = 100 is the assumption
STATES = ("T", "I", "R", "V", "F")
T0 = INITIAL["T"]
DETECTION = 100.0  # RNA copies/mL of nasal secretion [P12-text]
# LSODA at rtol 1e-10 agrees with the numpy reference below to ~2e-9 pointwise over days 0-10
# (measured), far inside every tolerance used here, and takes ~0.2 s a run.
SETTINGS = {"method": "LSODA", "rtol": 1e-10, "atol": 1e-12, "engine": "numpy"}
GRID = np.linspace(0.0, 12.0, 1201)  # days, every 0.01 day
# Exogenous IFN: three daily boluses of 5 fold-change units (the endogenous peak is ~5.5-fold).
# ASSUMPTION (model file header): doses act as endogenous IFN; no regimen is mapped to this scale.
IFN_BOLUS = 5.0


def paper_rhs(t: float, y: np.ndarray, p: dict[str, float]) -> list[float]:
    """Pawelek et al. 2012 Eq. (1) with delta(t), written out directly."""
    target, infected, refractory, virus, ifn = y
    delta = p["delta"] * (np.exp(p["alpha"] * (t - p["tau"])) if t >= p["tau"] else 1.0)
    return [
        -p["beta"] * virus * target - p["phi"] * ifn * target + p["rho"] * refractory,
        p["beta"] * virus * target - delta * infected - p["kappa"] * infected * ifn,
        p["phi"] * ifn * target - p["rho"] * refractory,
        p["p"] * infected - p["c"] * virus,
        p["q"] * infected - p["d"] * ifn,
    ]


def paper_solution(p: dict[str, float], y0: dict[str, float], t: np.ndarray,
                   ifn_doses: tuple[tuple[float, float], ...] = ()) -> np.ndarray:
    """Reference trajectories, shape (5, len(t)): DOP853 at rtol 1e-12, restarted at tau (where
    delta(t) has a kink) and at every dose (a jump in F), independent of cytosim's solvers."""
    breaks = sorted({0.0, p["tau"], float(t[-1]), *(time for time, _ in ifn_doses)})
    breaks = [b for b in breaks if b <= t[-1]]
    y = np.array([y0[s] for s in STATES], dtype=float)
    out = np.empty((len(STATES), len(t)))
    for start, stop in zip(breaks[:-1], breaks[1:], strict=True):
        y[4] += sum(amount for time, amount in ifn_doses if time == start)
        sol = solve_ivp(paper_rhs, (start, stop), y, args=(p,), method="DOP853", rtol=1e-12,
                        atol=1e-12 * np.maximum(np.abs(y), 1.0), dense_output=True)
        assert sol.success, sol.message
        inside = (t >= start) & (t < stop) if stop < t[-1] else (t >= start)
        out[:, inside] = sol.sol(t[inside])
        y = sol.y[:, -1].copy()
    return out


def symbols(net: cs.Network) -> dict[str, float]:
    """The network's parameter values under the paper's symbols."""
    values = net.parameter_values()
    return {alias: values[name] for alias, name in net.parameter_aliases().items()}


def run(net: cs.Network, interventions: list[object] | None = None, t_end: float = 12.0,
        initial: dict[str, float] | None = None) -> cs.TimeCourse:
    t = GRID[: int(round(t_end / 0.01)) + 1]
    return cs.simulate(net, t_end=t_end, t_eval=t, interventions=interventions or [],
                       initial=initial, **SETTINGS)


def log10_viral_load(tc: cs.TimeCourse) -> np.ndarray:
    # late values fall to ~1e-10 copies/mL and may round to tiny negatives: floor for the log
    return np.log10(np.maximum(tc["V"], 1e-30))


def at_days(tc: cs.TimeCourse, name: str, days: range) -> np.ndarray:
    return np.array([tc[name][np.argmin(np.abs(tc.t - d))] for d in days])


def cell_loss(tc: cs.TimeCourse) -> float:
    """Fraction of the initial epithelial cells dead at the end (T + I + R fall only by death)."""
    return float(1.0 - (tc["T"][-1] + tc["I"][-1] + tc["R"][-1]) / T0)


def last_day_detectable(tc: cs.TimeCourse) -> float:
    return float(tc.t[tc["V"] >= DETECTION].max(initial=0.0))


@pytest.fixture(scope="module")
def model() -> cs.Network:
    return cs.load_model("viral_interferon")


@pytest.fixture(scope="module")
def base(model: cs.Network) -> cs.TimeCourse:
    return run(model)


# ------------------------------------------------------------------------ transcription
def test_values_are_the_transcribed_set_with_sources(model: cs.Network) -> None:
    assert symbols(model) == TRANSCRIBED  # exact: copied, not computed
    table = model.parameters()
    for name in model.parameter_aliases().values():
        assert "Pawelek" in table.loc[name, "source"], name  # every value cites its source
    assert "[single transcription]" in table.loc["T.transitions.I.rate", "source"]
    assert model.metadata["source"]["doi"] == "10.1371/journal.pcbi.1002588"


def test_initial_state_units_and_catalogue_link(model: cs.Network) -> None:
    assert model.initial_values() == INITIAL
    assert model.time_unit == "day"
    # the IFN node is type I interferon, linked to the IFN-alpha entry (the group's equine data
    # measured IFN-alpha; see the model file)
    assert model.node("F")["kind"] == "cytokine"
    assert model.node("F")["catalog_id"] == "IFNA2"
    assert cs.catalogue.lookup_cytokine("IFNA2").family == "interferon"
    # all twelve rate terms declare units and are dimensionally consistent
    assert cs.io.check_units(model) == 12


# ------------------------------------------------------- independent numerical solution
def test_compiled_rhs_equals_the_papers_equations(model: cs.Network) -> None:
    system = cs.compile_network(model)
    assert system.state_names == STATES
    p = symbols(model)
    rng = np.random.default_rng(7)
    for t in (0.0, 3.3, 7.0, 8.5, 11.0):  # both sides of tau, and tau itself
        y = np.array([3.5e11, 2e10, 1e11, 1e5, 6.0]) * rng.uniform(0.1, 1.0, 5)
        # exact up to rounding: same terms, summed in another order
        np.testing.assert_allclose(system.rhs(t, y), paper_rhs(t, y, p), rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("scenario", [None, "no_ifn", "no_nk_killing", "no_antiviral_state",
                                      "no_adaptive_response"])
def test_trajectories_equal_the_papers_equations(model: cs.Network, scenario: str | None
                                                 ) -> None:
    net = model.with_scenario(scenario) if scenario else model
    tc = run(net, t_end=10.0)
    ref = paper_solution(symbols(net), net.initial_values(), tc.t)
    for i, name in enumerate(STATES):
        # 1e-6 relative: both solvers are far tighter (observed ~2e-9); the absolute floor,
        # 1e-9 of the state's range, only matters where V falls ~10 logs below its peak
        np.testing.assert_allclose(tc[name], ref[i], rtol=1e-6,
                                   atol=1e-9 * np.abs(ref[i]).max(), err_msg=name)


def test_exogenous_ifn_doses_equal_jumps_in_f(model: cs.Network) -> None:
    doses = (cs.Dose("F", amount=IFN_BOLUS, time=1.0, ii=1.0, addl=2),)
    tc = run(model, list(doses), t_end=10.0)
    jumps = tuple((1.0 + k, IFN_BOLUS) for k in range(3))
    ref = paper_solution(symbols(model), model.initial_values(), tc.t, jumps)
    for i, name in enumerate(STATES):
        np.testing.assert_allclose(tc[name], ref[i], rtol=1e-6,
                                   atol=1e-9 * np.abs(ref[i]).max(), err_msg=name)


# ------------------------------------------------------------------- published features
def test_viral_load_peaks_on_day_2(base: cs.TimeCourse) -> None:
    """[P12-text]: the viral load peaks at day 2. The data are daily samples, so the sampled
    maximum must fall on day 2 and the continuous peak within half a day of it."""
    daily = at_days(base, "V", range(1, 11))
    assert int(np.argmax(daily)) + 1 == 2
    t_peak = base.t[np.argmax(base["V"])]
    assert 1.5 <= t_peak <= 2.5
    # Magnitude: NOT a published number (none could be verified; the paper reports up to 4 logs
    # of spread between ponies). Regression of the transcribed set: 4.86 log10 copies/mL here,
    # 4.87 in the independent simulation of the project's reference note (V0 = 10); +-0.05 log
    # covers both V0 values and is far below the between-pony spread. The peak is >2 logs above
    # the detection limit, which the published 2-4-log fall within a day requires.
    peak = log10_viral_load(base).max()
    assert peak == pytest.approx(4.86, abs=0.05)
    assert peak - np.log10(DETECTION) > 2.0


def test_rapid_post_peak_decline_needs_nk_killing(model: cs.Network,
                                                  base: cs.TimeCourse) -> None:
    """[P12-abs]: 'about 2 to 4 logs within 1 day' after the peak, explained by killing of
    infected cells by IFN-activated (NK) cells; Model 2 (kappa = 0) is rejected for every pony.
    The transcribed set falls 1.35 logs: faster than a log a day, but below the 2-4 logs of the
    fitted ponies (a limit of the transcription, stated in the model file). Without kappa the
    fall is half as fast (0.7 log), so the test separates the two models at 1 log."""

    def one_day_drop(tc: cs.TimeCourse) -> float:
        lv = log10_viral_load(tc)
        i = int(np.argmax(lv))
        return float(lv[i] - lv[np.argmin(np.abs(tc.t - (tc.t[i] + 1.0)))])

    assert one_day_drop(base) > 1.0
    assert one_day_drop(run(model.with_scenario("no_nk_killing"))) < 1.0


def test_plateau_or_minor_second_peak(model: cs.Network, base: cs.TimeCourse) -> None:
    """[P12-abs]: after the decline, a short plateau or a minor second peak. Here the viral load
    falls to a trough after day 3 and rises again by ~0.5 log before the adaptive response at
    tau = 7 clears it; a 'minor' rise, so it stays below the first peak. Without IFN the decline
    after the peak is monotone (no plateau: the infection is target-cell limited)."""
    lv = log10_viral_load(base)
    window = (base.t >= 3.0) & (base.t <= 7.5)
    trough = int(np.argmin(np.where(window, lv, np.inf)))
    later = lv[trough:][base.t[trough:] <= 7.5]
    assert 3.0 < base.t[trough] < 7.0
    assert 0.3 < later.max() - lv[trough] < lv.max() - lv[trough]
    no_ifn = log10_viral_load(run(model.with_scenario("no_ifn")))
    after = no_ifn[int(np.argmax(no_ifn)):]
    # down to 1e-3 copies/mL, 5 logs below detection and 9 above the solver's absolute tolerance
    assert np.all(np.diff(after[after > -3.0]) < 0)


def test_ifn_peaks_around_day_2_then_declines_rapidly(base: cs.TimeCourse) -> None:
    """[P12-text]: 'The level of IFN peaked around day 2 and then declined rapidly'; IFN was
    measured on days 1-5, so the sampled maximum is on day 2 and the continuous peak within
    half a day of it. The peak magnitude (5.5-fold) is not published; the test only asks that
    IFN rise well above its baseline of 1 and fall to under a quarter of its peak by day 5."""
    daily = at_days(base, "F", range(1, 6))
    assert int(np.argmax(daily)) + 1 == 2
    t_peak = base.t[np.argmax(base["F"])]
    assert 1.5 <= t_peak <= 2.5
    assert base["F"].max() > 2.0
    assert daily[-1] < base["F"].max() / 4


def test_adaptive_response_is_needed_for_clearance(model: cs.Network,
                                                   base: cs.TimeCourse) -> None:
    """[P12-abs]: an adaptive response is needed to explain the eventual clearance. With it the
    viral load is below 1 copy/mL by day 10 (the data: undetectable by days 8-10); without it
    (alpha = 0) it is still above the detection limit at day 12."""
    assert base["V"][np.argmin(np.abs(base.t - 10.0))] < 1.0
    assert run(model.with_scenario("no_adaptive_response"))["V"][-1] > DETECTION


def test_infected_fraction_and_cell_loss_match_saenz(base: cs.TimeCourse) -> None:
    """[P12-text] quoting Saenz et al. 2010: up to 5 % of cells infected at any one time and
    about 27 % total cell loss. These are estimates from lung histology of another study, not
    fitted here, so the test asks for the same size: a peak infected fraction of 3-8 % (5.5 %
    here) and a total loss of 18-40 % (33 % here), i.e. within a factor 1.5 of 27 %."""
    assert 0.03 < base["I"].max() / T0 < 0.08
    assert 0.18 < cell_loss(base) < 0.40


def test_v0_assumption_only_shifts_timing(model: cs.Network, base: cs.TimeCourse) -> None:
    """V0 is an assumption (transcribed values 0.1, 10, 100). The peak height, the fall after it
    and the cell loss must not depend on it: within 0.05 log and 1 % of cells."""
    for v0 in (0.1, 10.0):
        other = run(model, initial={"V": v0})
        assert log10_viral_load(other).max() == pytest.approx(log10_viral_load(base).max(),
                                                              abs=0.05)
        assert cell_loss(other) == pytest.approx(cell_loss(base), abs=0.01)
        assert base.t[np.argmax(base["V"])] < other.t[np.argmax(other["V"])]  # smaller: later


# --------------------------------------------------------------------- removing IFN
def test_removing_ifn_raises_viral_load_and_destroys_target_cells(model: cs.Network,
                                                                  base: cs.TimeCourse) -> None:
    """[S10-abs], [P12-text]: innate (IFN) control limits the viral peak, and cells are much
    less depleted than under target-cell limitation. Without IFN (q = 0, F0 = 0) the peak is
    ~0.9 log higher, the total viral load (AUC) ~11 times larger, and >95 % of the epithelium
    dies against ~33 % with IFN. (Shedding above the detection limit ends ~2 days earlier
    without IFN: the infection burns out by running out of target cells.)"""
    no_ifn = run(model.with_scenario("no_ifn"))
    assert log10_viral_load(no_ifn).max() > log10_viral_load(base).max() + 0.5
    assert np.trapezoid(no_ifn["V"], no_ifn.t) > 5.0 * np.trapezoid(base["V"], base.t)
    assert cell_loss(no_ifn) > 0.95
    assert cell_loss(base) < 0.5
    # the scenario is exactly cytosim's IFN knockout (production removed, initial value 0)
    knockout = run(model, [cs.Knockout("F")])
    np.testing.assert_allclose(knockout.values, no_ifn.values, rtol=1e-12, atol=0.0)


# ------------------------------------------------------- exogenous IFN: early versus late
def test_exogenous_ifn_early_prevents_infection_late_only_shortens_shedding(
        model: cs.Network, base: cs.TimeCourse) -> None:
    """Three daily 5-fold boluses of exogenous IFN (an ASSUMPTION: acts as endogenous IFN, dose
    in fold units; not from the paper). Given from challenge (day 0) they put target cells into
    the antiviral state before the virus spreads: the viral load never rises above the inoculum
    and under 1 % of cells die. The same doses from day 3, after the peak, leave the peak and
    the cell loss as without treatment (within 1 %) but end detectable shedding days earlier."""

    def course(start: float) -> cs.TimeCourse:
        return run(model, [cs.Dose("F", amount=IFN_BOLUS, time=start, ii=1.0, addl=2)])

    early, late = course(0.0), course(3.0)
    assert early["V"].max() == pytest.approx(INITIAL["V"], rel=1e-9)  # never above the inoculum
    assert cell_loss(early) < 0.01
    assert log10_viral_load(late).max() == pytest.approx(log10_viral_load(base).max(), abs=1e-6)
    assert cell_loss(late) == pytest.approx(cell_loss(base), abs=0.01)
    assert last_day_detectable(late) < last_day_detectable(base) - 3.0
    # timing decides: early beats late on every measure of the infection
    assert np.trapezoid(early["V"], early.t) < 0.01 * np.trapezoid(late["V"], late.t)


# ----------------------------------------------------------------------------- file
def test_round_trip_is_identical(model: cs.Network, tmp_path: Path) -> None:
    path = cs.save_model(model, tmp_path / "viral_interferon.toml")
    again = cs.load_model(path)
    assert again.parameters().equals(model.parameters())
    assert again.initial_values() == model.initial_values()
    assert again.scenarios == model.scenarios
    t = np.linspace(0.0, 10.0, 11)
    a = cs.simulate(model, t_end=10.0, t_eval=t, **SETTINGS)
    b = cs.simulate(again, t_end=10.0, t_eval=t, **SETTINGS)
    np.testing.assert_array_equal(a.values, b.values)
