"""simulate() against analytic solutions, failure reporting and the TimeCourse result."""

from __future__ import annotations

import math

import numpy as np
import pytest

import cytosim as cs
from cytosim._builtin_models import lps_macrophage

TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def test_first_order_decay_matches_exp() -> None:
    net = cs.Network()
    net.add_cytokine("X", initial=5.0, decay_rate=0.7, use_catalogue=False)
    tc = cs.simulate(net, t_end=10.0, n_points=51, engine="numpy", **TIGHT)
    exact = 5.0 * np.exp(-0.7 * tc.t)
    # global error of BDF at rtol 1e-10 stays well below 1e-7 relative over 7 time constants
    np.testing.assert_allclose(tc["X"], exact, rtol=1e-7, atol=1e-11)


def test_secretion_decay_transient_and_steady_state() -> None:
    k, n_cells, delta, c0 = 2.5, 40.0, 0.9, 3.0
    net = cs.Network()
    net.add_cell("M", initial=n_cells)
    net.add_cytokine("C", initial=c0, decay_rate=delta, use_catalogue=False)
    net.add_edge("M", "secretes", "C", rate=k)
    tc = cs.simulate(net, t_end=30.0, n_points=121, engine="numpy", **TIGHT)
    steady = k * n_cells / delta
    exact = steady + (c0 - steady) * np.exp(-delta * tc.t)
    np.testing.assert_allclose(tc["C"], exact, rtol=1e-7)
    assert tc["C"][-1] == pytest.approx(steady, rel=1e-7)


def binding_network(kon: float, koff: float, d0: float, c0: float) -> cs.Network:
    net = cs.Network()
    net.add_drug("D", initial=d0)
    net.add_cytokine("C", initial=c0, use_catalogue=False)
    net.add_complex("DC")
    net.add_edge("D", "binds", "C", kon=kon, koff=koff, complex="DC")
    net.add_observable("total_drug", "D + DC")
    net.add_observable("total_cytokine", "C + DC")
    return net


def test_reversible_binding_conserves_totals_and_reaches_kd_equilibrium() -> None:
    kon, koff, d0, c0 = 2.0, 0.5, 3.0, 1.2
    tc = cs.simulate(binding_network(kon, koff, d0, c0), t_end=40.0, engine="numpy", **TIGHT)
    # conservation holds to the solver's local error (atol 1e-12 per step)
    np.testing.assert_allclose(tc["total_drug"], d0, rtol=1e-9)
    np.testing.assert_allclose(tc["total_cytokine"], c0, rtol=1e-9)
    kd = koff / kon
    b = d0 + c0 + kd
    complex_eq = (b - math.sqrt(b * b - 4 * d0 * c0)) / 2  # root of kon(D0-X)(C0-X) = koff X
    assert tc["DC"][-1] == pytest.approx(complex_eq, rel=1e-8)
    assert tc["D"][-1] * tc["C"][-1] / tc["DC"][-1] == pytest.approx(kd, rel=1e-7)


def test_numba_and_numpy_engines_agree() -> None:
    net = lps_macrophage()
    a = cs.simulate(net, t_end=24.0, engine="numpy", **TIGHT)
    b = cs.simulate(net, t_end=24.0, engine="numba", **TIGHT)
    # kernels differ by ulps; the solver amplifies that at most to its tolerance
    np.testing.assert_allclose(a.values, b.values, rtol=1e-7, atol=1e-9)
    assert b.provenance["engine"] == "numba"


def test_methods_agree_on_the_demo_network() -> None:
    net = lps_macrophage()
    reference = cs.simulate(net, t_end=12.0, method="Radau", engine="numpy", **TIGHT)
    for method in ("BDF", "LSODA", "DOP853"):
        tc = cs.simulate(net, t_end=12.0, method=method, engine="numpy", rtol=1e-8, atol=1e-10)
        # each at rtol 1e-8: agreement to ~1e-6 relative leaves room for error growth
        np.testing.assert_allclose(tc.values, reference.values, rtol=2e-6, atol=1e-6,
                                   err_msg=method)


def test_continuing_from_a_time_course_equals_one_run() -> None:
    net = lps_macrophage()
    whole = cs.simulate(net, t_end=10.0, t_eval=[10.0], engine="numpy", **TIGHT)
    first = cs.simulate(net, t_end=4.0, engine="numpy", **TIGHT)
    second = cs.simulate(net, t_start=4.0, t_end=10.0, t_eval=[10.0], initial=first,
                         engine="numpy", **TIGHT)
    np.testing.assert_allclose(second.values[-1], whole.values[-1], rtol=1e-7)


def test_pint_times_are_converted() -> None:
    ureg = cs._units.registry()
    net = cs.Network(time_unit="h")
    net.add_cytokine("X", initial=1.0, decay_rate=0.1, use_catalogue=False)
    tc = cs.simulate(net, t_end=ureg.Quantity(1, "day"), engine="numpy")
    assert tc.t[-1] == 24.0
    with pytest.raises(cs.ParameterError, match=r"`t_end`.*cannot be converted"):
        cs.simulate(net, t_end=ureg.Quantity(1, "meter"), engine="numpy")


def test_blow_up_is_reported_with_time_and_state() -> None:
    net = cs.Network()
    net.add_cytokine("X", initial=1.0, use_catalogue=False)
    net.add_cytokine("Y", initial=1.0, decay_rate=1.0, use_catalogue=False)
    net.add_term("X", "k * X^2", params={"k": 1.0})  # X = 1/(1-t): infinite at t = 1
    with pytest.raises(cs.SolverError, match=r"stopped at t = 0\.99\d* h.*offending states: X"
                       ) as info:
        cs.simulate(net, t_end=2.0, engine="numpy")
    assert 0.99 < info.value.t < 1.0
    assert "X" in info.value.states
    partial = cs.simulate(net, t_end=2.0, engine="numpy", raise_on_failure=False)
    assert partial.status == -1 and not partial.success
    assert partial.t[-1] < 1.0 and np.all(np.isfinite(partial.values))
    assert "t = 0.99" in partial.message


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"t_end": 0.0}, r"`t_end` \(0\) must be greater than `t_start` \(0\)"),
    ({"t_end": 1.0, "t_eval": [0.5, 0.2]}, r"`t_eval` must be strictly increasing"),
    ({"t_end": 1.0, "t_eval": [0.5, 2.0]}, r"`t_eval` must lie within \[t_start, t_end\]"),
    ({"t_end": 1.0, "method": "Euler"}, r"`method` must be one of"),
    ({"t_end": 1.0, "engine": "gpu"}, r"`engine` must be one of"),
    ({"t_end": 1.0, "rtol": -1.0}, r"`rtol` must be a positive number"),
    ({"t_end": 1.0, "n_points": 1}, r"`n_points` must be an integer >= 2"),
    ({"t_end": float("nan")}, r"`t_end` must be a finite number"),
    ({"t_end": 1.0, "params": {"X.rat": 1.0}}, r"unknown parameter 'X.rat'.*'X.rate'"),
    ({"t_end": 1.0, "initial": {"X": -1.0}}, r"initial value of 'X' must be .* >= 0"),
])
def test_bad_settings_are_refused(kwargs, match) -> None:  # type: ignore[no-untyped-def]
    net = cs.Network()
    net.add_cytokine("X", initial=1.0, decay_rate=0.1, use_catalogue=False)
    with pytest.raises(cs.ParameterError, match=match):
        cs.simulate(net, **{"engine": "numpy", **kwargs})


def test_time_course_views_and_provenance() -> None:
    net = lps_macrophage()
    tc = cs.simulate(net, t_end=12.0, n_points=25, params={"IL10.rate": 1.0}, engine="numpy")
    assert tc.names[: tc.n_states] == tuple(net.nodes)
    assert tc.unit_of("TNF") == "pg/mL" and tc.time_unit == "h"
    frame = tc.to_pandas()
    assert list(frame.columns) == list(tc.names) and frame.index.name == "time"
    assert frame.attrs["units"]["MA"] == "noc"
    ds = tc.to_xarray()
    assert ds["TNF"].attrs["units"] == "pg/mL" and ds["time"].attrs["units"] == "h"
    assert tc.provenance["parameters"]["IL10.rate"] == 1.0
    assert tc.provenance["model"] == "lps_macrophage"
    assert tc.provenance["rtol"] == 1e-6 and tc.provenance["cytosim_version"]
    with pytest.raises(ValueError):
        tc.values[0, 0] = 1.0  # read-only
    with pytest.raises(cs.ModelError, match=r"no state or observable named 'TNFa'.*'TNF'"):
        tc["TNFa"]
    import matplotlib

    matplotlib.use("Agg")
    ax = tc.plot(["TNF", "IL10"])
    assert [line.get_label() for line in ax.get_lines()] == ["TNF [pg/mL]", "IL10 [pg/mL]"]


def test_output_row_at_t_start_is_the_initial_state() -> None:
    net = lps_macrophage()
    tc = cs.simulate(net, t_end=1.0, engine="numpy")
    assert np.array_equal(tc.values[0, : tc.n_states], np.array(list(
        net.initial_values().values())))


def test_demo_network_shows_the_expected_cytokine_order() -> None:
    """Qualitative: TNF and IL-1beta peak before IL-10, all within hours (as after an LPS
    bolus in humans, where TNF peaks ~1-2 h and IL-10 later; see models.md section 5)."""
    tc = cs.simulate(lps_macrophage(), t_end=24.0, n_points=481, engine="numpy")
    peak_time = {name: tc.t[np.argmax(tc[name])] for name in ("TNF", "IL1B", "IL10")}
    assert 1.0 < peak_time["TNF"] < 3.0
    assert peak_time["TNF"] < peak_time["IL10"]
    assert tc["TNF"][-1] == pytest.approx(8.792573, rel=0.05)  # back to its baseline


# ----------------------------------------------------------- cytosim's compiled solvers
@pytest.mark.parametrize("method", ["auto", "dopri5", "rodas5p"])
def test_compiled_solvers_agree_with_a_tight_reference(method: str) -> None:
    """The sweeps' per-point kernels for one simulation: within the tolerance of Radau at
    rtol 1e-11 (rtol 1e-8 asked; errors measured against each state's scale)."""
    net = cs.load_model("acute_inflammation")
    t_eval = np.linspace(0.0, 160.0, 161)
    ref = cs.simulate(net, t_end=160.0, t_eval=t_eval, method="Radau", rtol=1e-11,
                      atol=1e-13)
    tc = cs.simulate(net, t_end=160.0, t_eval=t_eval, method=method, rtol=1e-8, atol=1e-10)
    scale = np.max(np.abs(ref.values[:, :4]), axis=0)
    assert np.max(np.abs(tc.values[:, :4] - ref.values[:, :4]) / scale) < 1e-6
    assert tc.provenance["solver"].startswith(f"cytosim.solvers ({method}")


def test_compiled_solver_honours_doses_exactly_once() -> None:
    # the network of the sweep dosing test: its kernel is compiled once for both
    net = cs.pk_compartments(cs.Network("pk"), "drug", volume=3.0, clearance=0.3)
    schedule = cs.Dose("drug", amount=100.0, time=2.0, ii=24.0, addl=3)
    tc = cs.simulate(net, t_end=74.0, t_eval=[0.0, 26.0, 50.0, 74.0], method="auto",
                     interventions=[schedule], rtol=1e-9, atol=1e-11)
    k = 0.1

    def exact(t: float) -> float:
        return sum(100.0 * np.exp(-k * (t - td)) for td in (2.0, 26.0, 50.0, 74.0) if t >= td)

    np.testing.assert_allclose(tc["drug"], [exact(t) for t in (0.0, 26.0, 50.0, 74.0)],
                               rtol=1e-7)


def test_compiled_solver_failures_keep_their_rows_and_say_where() -> None:
    # the blow-up network of the sweep failure test (same kernel): X = 1/(1 - 2 t)
    net = cs.Network("blowup")
    net.add_cytokine("X", initial=1.0, use_catalogue=False)
    net.add_term("X", "k * X^2", params={"k": 2.0})
    tc = cs.simulate(net, t_end=1.0, t_eval=np.linspace(0.0, 1.0, 11), method="auto",
                     raise_on_failure=False)
    assert tc.status < 0 and "Integration stopped at t = 0.5" in tc.message
    # the rows before the blow-up are kept (up to the last step, within rounding of 0.5)
    assert 5 <= len(tc.t) <= 6 and np.all(np.isfinite(tc["X"]))
    before = tc.t < 0.45
    np.testing.assert_allclose(tc["X"][before], 1.0 / (1.0 - 2.0 * tc.t[before]), rtol=1e-4)
    with pytest.raises(cs.SolverError, match="t = 0.5"):
        cs.simulate(net, t_end=1.0, method="auto")
