"""cytosim against a libRoadRunner loop and a scipy loop: the measurements of issue 6, in one run.

Sections (``--only`` picks some; all by default), each printing seconds per simulation, the
ratio against libRoadRunner measured in the same run, and every tool's worst error on
``N_CHECK`` points against a tight scipy reference, in units of the requested tolerance
(``max |y - ref| / (atol + rtol |ref|)`` over states and output times):

``acute``
    The Reynolds 2006 model (``acute_inflammation``; libRoadRunner runs the curated BioModels
    SBML, BIOMD0000000714), a Sobol sweep over k_pg and k_cn (factor 3 either side of the
    published values), 0-160 h, 801 output rows, rtol 1e-6 / atol 1e-9: cytosim metrics
    only and with the 801 rows kept, on 1 and 2 threads, *points* and 10 x *points* points;
    a libRoadRunner loop (CVODE) and a ``solve_ivp`` LSODA loop (numpy right-hand side).
``stiff``
    The same sweep with the anti-inflammatory mediator's turnover 1000 times faster (mu_c,
    s_c and k_cn x 1000: CA relaxes in 36 s), cytosim ``method="auto"`` and ``"rodas5p"``
    against the libRoadRunner loop on the curated SBML with the same changes.
``endotoxemia``
    The issue's example: ``endotoxemia``, TNF half-life (0.3-2 h, log) and IL-10 decay rate
    (0.4-1.6 per hour), 0-12 h, 201 rows, metrics peak:TNF, time_of_peak:IL6, auc:IL10,
    final:MA, below:TNF<20; libRoadRunner runs the model's own equations written as SBML
    rate rules (benchmarks/_sbml.py: cytosim has no SBML export yet).
``single``
    One simulation of acute_inflammation (0-160 h, 801 rows): cytosim ``simulate()``
    (scipy BDF, its default) and the compiled ensemble with one member, against
    libRoadRunner's ``simulate`` (model loaded once, reset before each run).
``tissue``
    acute_inflammation on ``nx.grid_2d_graph(25, 40)`` (1,000 sites, 4,000 states) with
    diffusion of P and Nstar (0.5 per hour between neighbours), 0-24 h, 97 rows, one thread:
    ``simulate()`` with cytosim's compiled DOPRI5 and with scipy's BDF (sparse analytic
    Jacobian) and LSODA on the numba engine (the tissue compiles by its structure: the local
    model once, looped over sites), against libRoadRunner's RK45 and CVODE on the same
    equations as SBML rate rules (model loaded once; loading a 20 MB SBML takes long).
``million``
    A 1,000,000-point metrics-only sweep of acute_inflammation (the ``acute`` setting), in
    a fresh process: wall time and peak resident memory.

Run: ``python benchmarks/sweep_benchmark.py [--points 1000] [--only acute,stiff]`` (needs
libroadrunner; set ``CYTOSIM_CACHE_DIR`` to reuse compiled kernels). Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numba
import numpy as np
from scipy.integrate import solve_ivp

import cytosim as cs
from cytosim.solvers import dopri5

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sbml import sbml, tissue_sbml  # noqa: E402 (the benchmarks folder is not a package)

SBML = Path(__file__).resolve().parents[1] / "tests" / "data" / "sbml" / "reynolds2006.xml"
RTOL, ATOL = 1e-6, 1e-9
N_CHECK = 20
ACUTE = {"k_pg": cs.Range(0.1, 0.9, "log"), "k_cn": cs.Range(0.04 / 3, 0.12, "log")}
ACUTE_RUN = {"t_end": 160.0, "n_points": 801, "metrics": ["peak:P", "final:D", "auc:Nstar"]}
FAST, FASTER = 1000.0, ("mu_c", "s_c", "k_cn")
ENDOTOXEMIA = {"TNF.half_life": cs.Range(0.3, 2.0, scale="log"), "IL10.rate": cs.Range(0.4, 1.6)}
ENDOTOXEMIA_RUN = {"t_end": 12.0, "n_points": 201,
                   "metrics": ["peak:TNF", "time_of_peak:IL6", "auc:IL10", "final:MA",
                               "below:TNF<20"]}

ratios: list[str] = []  # the summary printed at the end


def best_time(function: Callable[[], object], repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def scaled_error(y: np.ndarray, ref: np.ndarray, rtol: float = RTOL, atol: float = ATOL
                 ) -> float:
    return float(np.max(np.abs(y - ref) / (atol + rtol * np.abs(ref))))


def report(title: str, costs: dict[str, float], rr_key: str | None) -> None:
    print(f"\n{title}")
    for name, seconds in costs.items():
        print(f"  {name:58s} {seconds * 1e6:11.1f} us/simulation")
    if rr_key is None or rr_key not in costs:
        return
    for name, seconds in costs.items():
        if name.startswith("cytosim"):
            line = f"{title.split(':')[0]}: {name}: {costs[rr_key] / seconds:7.1f}x libRoadRunner"
            print("  " + line.split(": ", 1)[1])
            ratios.append(line)


def reference(system: cs.OdeSystem, p: np.ndarray, y0: np.ndarray, t_end: float,
              t_out: np.ndarray) -> np.ndarray:
    """scipy's Radau at rtol 1e-12 with the analytic Jacobian (an independent method)."""
    sol = solve_ivp(lambda t, y: system.rhs(t, y, p), (0.0, t_end), y0, method="Radau",
                    t_eval=t_out, rtol=1e-12, atol=1e-15,
                    jac=lambda t, y: system.jac_dense(t, y, p))
    assert sol.success, sol.message
    return np.asarray(sol.y.T)


def rr_loop(model: str, settings: list[dict[str, float]], t_end: float, rows: int,
            rtol: float = RTOL, atol: float = ATOL, integrator: str = "cvode"
            ) -> tuple[float, list[np.ndarray]]:
    """A libRoadRunner loop: reset, set the point's parameters, simulate; seconds per run."""
    import roadrunner

    rr = roadrunner.RoadRunner(model)
    rr.setIntegrator(integrator)
    rr.integrator.relative_tolerance, rr.integrator.absolute_tolerance = rtol, atol
    if integrator == "cvode":
        rr.integrator.maximum_num_steps = 100_000
    out = []
    start = time.perf_counter()
    for values in settings:
        rr.resetAll()
        for name, value in values.items():
            rr[name] = value
        out.append(np.asarray(rr.simulate(0.0, t_end, rows))[:, 1:])
    return (time.perf_counter() - start) / len(settings), out


# ------------------------------------------------------------------------------ sections
def acute(n: int) -> None:
    net = cs.load_model("acute_inflammation")
    system = cs.compile_network(net)
    aliases = net.parameter_aliases()
    cs.sweep(net, ACUTE, n=16, progress=False, **ACUTE_RUN)  # load the kernel once

    def run(points: int, trajectories: bool) -> object:
        return cs.sweep(net, ACUTE, n=points, seed=1, rtol=RTOL, atol=ATOL, progress=False,
                        trajectories=trajectories, **ACUTE_RUN)

    costs = {}
    for threads in (1, 2):
        numba.set_num_threads(threads)
        costs[f"cytosim auto, metrics only, {threads} thread(s)"] = best_time(
            lambda: run(n, False)) / n
        costs[f"cytosim auto, 801 rows kept, {threads} thread(s)"] = best_time(
            lambda: run(n, True)) / n
        costs[f"cytosim auto, metrics only, {10 * n} points, {threads} thread(s)"] = best_time(
            lambda: run(10 * n, False), repeats=1) / (10 * n)
    ds = run(n, True)
    points = np.column_stack([ds[a].values for a in ACUTE])
    rr_cost, rr_out = rr_loop(str(SBML), [dict(zip(ACUTE, row, strict=True)) for row in points],
                              160.0, 801)
    costs["libRoadRunner loop (CVODE), curated SBML"] = rr_cost
    index = [system.param_names.index(aliases[a]) for a in ACUTE]
    p = np.tile(system.default_params, (len(points), 1))
    p[:, index] = points
    t_out = np.linspace(0.0, 160.0, 801)
    m = min(n, 100)

    def scipy_loop() -> None:
        for row in p[:m]:
            solve_ivp(lambda t, y, row=row: system.rhs(t, y, row), (0.0, 160.0),
                      system.default_initial, method="LSODA", t_eval=t_out, rtol=RTOL,
                      atol=ATOL)

    costs[f"scipy solve_ivp(LSODA) loop, numpy rhs ({m} points)"] = best_time(
        scipy_loop, repeats=1) / m
    report(f"acute: acute_inflammation sweep, {n} points, 0-160 h, 801 rows, rtol {RTOL:g}, "
           f"atol {ATOL:g}", costs, "libRoadRunner loop (CVODE), curated SBML")
    ours, theirs = [], []
    for i in range(N_CHECK):
        ref = reference(system, p[i], system.default_initial, 160.0, t_out)
        ours.append(scaled_error(ds["trajectory"].values[i, :, :4], ref))
        theirs.append(scaled_error(rr_out[i][:, :4], ref))
    print(f"  worst error / tolerance over {N_CHECK} points: cytosim {max(ours):.1f}, "
          f"libRoadRunner {max(theirs):.1f}; members where cytosim's is larger: "
          f"{sum(a > b for a, b in zip(ours, theirs, strict=True))}")


def stiff(n: int) -> None:
    net = cs.load_model("acute_inflammation")
    system = cs.compile_network(net)
    aliases = net.parameter_aliases()
    base = {a: float(system.default_params[system.param_names.index(aliases[a])])
            for a in FASTER}
    fixed = {a: FAST * value for a, value in base.items()}
    space = {"k_pg": cs.Range(0.1, 0.9, "log"), "k_cn": cs.Range(FAST * 0.04 / 3,
                                                                   FAST * 0.12, "log")}
    costs, results = {}, {}
    for method in ("auto", "rodas5p"):
        def run(method: str = method, trajectories: bool = False) -> object:
            return cs.sweep(net, space, n=n, seed=1, rtol=RTOL, atol=ATOL, params=fixed,
                            method=method, progress=False, trajectories=trajectories,
                            **ACUTE_RUN)

        run()
        for threads in (1, 2):
            numba.set_num_threads(threads)
            costs[f"cytosim {method}, metrics only, {threads} thread(s)"] = best_time(run) / n
        results[method] = run(trajectories=True)
    ds = results["auto"]
    print(f"\n  (auto: {int((ds['solver'] == 'rodas5p').sum())} of {n} points switched to "
          f"Rodas5P, median at t = {float(np.nanmedian(ds['t_switch'])):.2f} h)")
    points = np.column_stack([ds[a].values for a in space])
    settings = [{**fixed, **dict(zip(space, row, strict=True))} for row in points]
    rr_cost, rr_out = rr_loop(str(SBML), settings, 160.0, 801)
    costs["libRoadRunner loop (CVODE), curated SBML"] = rr_cost
    report(f"stiff: acute_inflammation x{FAST:g} CA turnover, {n} points, 0-160 h, 801 rows",
           costs, "libRoadRunner loop (CVODE), curated SBML")
    t_out = np.linspace(0.0, 160.0, 801)
    errors: dict[str, list[float]] = {"auto": [], "rodas5p": [], "libRoadRunner": []}
    for i in range(N_CHECK):
        p = system.param_vector({**settings[i]}, aliases=aliases)
        ref = reference(system, p, system.default_initial, 160.0, t_out)
        for method in ("auto", "rodas5p"):
            errors[method].append(scaled_error(results[method]["trajectory"].values[i, :, :4],
                                               ref))
        errors["libRoadRunner"].append(scaled_error(rr_out[i][:, :4], ref))
    print("  worst error / tolerance over 20 points: " + ", ".join(
        f"{k} {max(v):.1f}" for k, v in errors.items()))


def endotoxemia(n: int) -> None:
    net = cs.load_model("endotoxemia")
    system = cs.compile_network(net)

    def run(trajectories: bool = False) -> object:
        return cs.sweep(net, ENDOTOXEMIA, n=n, seed=1, rtol=RTOL, atol=ATOL, progress=False,
                        trajectories=trajectories, **ENDOTOXEMIA_RUN)

    run()
    costs = {}
    for threads in (1, 2):
        numba.set_num_threads(threads)
        costs[f"cytosim auto, metrics only, {threads} thread(s)"] = best_time(run) / n
    ds = run(trajectories=True)
    rate = system.param_names.index("TNF.rate")
    decay = system.param_names.index("IL10.rate")
    settings = [{f"p{rate}": np.log(2) / h, f"p{decay}": r}
                for h, r in zip(ds["TNF.half_life"].values, ds["IL10.rate"].values,
                                strict=True)]
    rr_cost, rr_out = rr_loop(sbml(system), settings, 12.0, 201)
    costs["libRoadRunner loop (CVODE), same equations as SBML"] = rr_cost
    report(f"endotoxemia: endotoxemia sweep, {n} points, 0-12 h, 201 rows, 5 metrics", costs,
           "libRoadRunner loop (CVODE), same equations as SBML")
    t_out = np.linspace(0.0, 12.0, 201)
    ours, theirs = [], []
    n_states = system.n_states
    for i in range(N_CHECK):
        p = system.default_params.copy()
        p[rate], p[decay] = settings[i][f"p{rate}"], settings[i][f"p{decay}"]
        ref = reference(system, p, system.default_initial, 12.0, t_out)
        ours.append(scaled_error(ds["trajectory"].values[i, :, :n_states], ref))
        theirs.append(scaled_error(rr_out[i], ref))
    print(f"  worst error / tolerance over {N_CHECK} points: cytosim {max(ours):.1f}, "
          f"libRoadRunner {max(theirs):.1f}")


def single() -> None:
    import roadrunner

    net = cs.load_model("acute_inflammation")
    system = cs.compile_network(net)
    t_out = np.linspace(0.0, 160.0, 801)
    y0, p = system.default_initial[None, :], system.default_params[None, :]
    numba.set_num_threads(1)
    costs = {
        "cytosim simulate() (scipy BDF, its default)": best_time(
            lambda: cs.simulate(net, t_end=160.0, n_points=801, rtol=RTOL, atol=ATOL), 5),
        "cytosim simulate(method='LSODA')": best_time(
            lambda: cs.simulate(net, t_end=160.0, n_points=801, rtol=RTOL, atol=ATOL,
                                method="LSODA"), 5),
        "cytosim simulate(method='auto') (compiled)": best_time(
            lambda: cs.simulate(net, t_end=160.0, n_points=801, rtol=RTOL, atol=ATOL,
                                method="auto"), 20),
    }
    for label, module in (("auto", cs.solvers.auto), ("dopri5", dopri5)):
        costs[f"cytosim compiled {label}, one member"] = best_time(
            lambda module=module: module.integrate_ensemble(system, 0.0, 160.0, y0, p, t_out,
                                                            rtol=RTOL, atol=ATOL), 20)
    rr = roadrunner.RoadRunner(str(SBML))
    rr.integrator.relative_tolerance, rr.integrator.absolute_tolerance = RTOL, ATOL

    def rr_once() -> None:
        rr.resetAll()
        rr.simulate(0.0, 160.0, 801)

    costs["libRoadRunner simulate (CVODE), model loaded once"] = best_time(rr_once, 20)
    report("single: one acute_inflammation simulation, 0-160 h, 801 rows", costs,
           "libRoadRunner simulate (CVODE), model loaded once")


def tissue(compiled_kernel: bool) -> None:
    """One 4,000-state simulation: cytosim's structured tissue compile (the local model once,
    looped over sites) against libRoadRunner on the same equations (_sbml.tissue_sbml)."""
    del compiled_kernel  # the structured compile makes the compiled kernel cheap: always run
    start = time.perf_counter()
    net = cs.tissue(cs.load_model("acute_inflammation"), nx.grid_2d_graph(25, 40),
                    diffusion={"P": 0.5, "Nstar": 0.5})
    system = cs.compile_network(net)
    setup = f"build and compile {time.perf_counter() - start:.1f} s"
    t_out = np.linspace(0.0, 24.0, 97)
    y0, p = system.default_initial.copy(), system.default_params.copy()
    y0[0] *= 4.0  # an infected corner: the first site starts with four times the pathogen
    initial = {system.state_names[0]: float(y0[0])}
    numba.set_num_threads(1)
    runs = {"dopri5": None, "BDF": None, "LSODA": None}
    start = time.perf_counter()
    for method in runs:  # load (or compile) the kernels once
        cs.simulate(net, t_end=24.0, n_points=97, rtol=RTOL, atol=ATOL, method=method,
                    initial=initial)
    setup += f", kernels {time.perf_counter() - start:.0f} s"
    costs = {}
    for method in runs:
        def one(method: str = method) -> None:
            runs[method] = cs.simulate(net, t_end=24.0, n_points=97, rtol=RTOL, atol=ATOL,
                                       method=method, initial=initial)

        label = "cytosim simulate(method='dopri5')" if method == "dopri5" else (
            f"cytosim simulate(method='{method}')" + (" (sparse Jacobian)" if method == "BDF"
                                                      else ""))
        costs[label] = best_time(one, 3)
    import roadrunner

    start = time.perf_counter()
    model = roadrunner.RoadRunner(tissue_sbml(net))
    print(f"  (libRoadRunner: SBML written and loaded in {time.perf_counter() - start:.0f} s)")
    model.timeCourseSelections = ["time", *(f"y{i}" for i in range(system.n_states))]
    rr_out, rr_costs = {}, {}
    variants = {"cvode": ("cvode", {"stiff": True}),  # BDF, dense LU of 4,000 x 4,000
                "cvode Adams": ("cvode", {"stiff": False}),  # non-stiff, no Jacobian
                "rk45": ("rk45", {})}  # its tolerance setting is epsilon
    for label, (integrator, settings) in variants.items():
        model.setIntegrator(integrator)
        if integrator == "cvode":
            model.integrator.relative_tolerance = RTOL
            model.integrator.absolute_tolerance = ATOL
            model.integrator.maximum_num_steps = 100_000
        else:
            model.integrator.epsilon = RTOL
        for key, value in settings.items():
            model.integrator.setValue(key, value)

        def rr_run(label: str = label) -> None:
            model.resetAll()
            model["y0"] = float(y0[0])
            rr_out[label] = np.asarray(model.simulate(0.0, 24.0, 97))[:, 1:]

        rr_costs[label] = best_time(rr_run, 2)
        costs[f"libRoadRunner {label}, same equations as SBML"] = rr_costs[label]
    kernels = system.numba()  # the tight reference with the compiled right-hand side
    ref = solve_ivp(lambda t, y: kernels["rhs"](t, y, p, np.empty(len(y))), (0.0, 24.0), y0,
                    method="BDF", t_eval=t_out, rtol=1e-9, atol=1e-12,
                    jac=lambda t, y: system.jac_sparse(t, y, p)).y.T
    errors = {f"cytosim {m}": scaled_error(
        np.column_stack([tc[name] for name in system.state_names]), ref)
        for m, tc in runs.items()}
    errors.update({f"libRoadRunner {k}": scaled_error(v, ref) for k, v in rr_out.items()})
    # the best integrator among those that meet the tolerances about as well as cytosim's
    # (libRoadRunner's rk45, even with epsilon = rtol, misses by orders of magnitude here)
    bar = 100.0 * max(v for k, v in errors.items() if k.startswith("cytosim"))
    accurate = [k for k in rr_costs if errors[f"libRoadRunner {k}"] <= bar]
    best = min(accurate or rr_costs, key=rr_costs.__getitem__)
    costs[f"libRoadRunner best integrator ({best})"] = rr_costs[best]
    report(f"tissue: acute_inflammation on a 25 x 40 grid, {system.n_states} states, 0-24 h, "
           f"97 rows ({setup})", costs, f"libRoadRunner best integrator ({best})")
    print("  worst error / tolerance (reference: scipy BDF at rtol 1e-9; 'best' counts only "
          f"integrators within {bar:.0f}): " + ", ".join(
              f"{k} {v:.1f}" for k, v in errors.items()))


MILLION = """
import resource, time, numba, cytosim as cs
numba.set_num_threads(2)
net = cs.load_model("acute_inflammation")
space = {"k_pg": cs.Range(0.1, 0.9, "log"), "k_cn": cs.Range(0.04 / 3, 0.12, "log")}
cs.sweep(net, space, n=16, t_end=160.0, n_points=801, metrics=["peak:P"], progress=False)
start = time.perf_counter()
ds = cs.sweep(net, space, n=%d, seed=1, t_end=160.0, n_points=801, chunk_size=10_000,
              metrics=["peak:P", "final:D", "auc:Nstar"], progress=False)
seconds = time.perf_counter() - start
ok = int((ds["status"] == "ok").sum())
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, ok)
"""


def million(n: int) -> None:
    out = subprocess.run([sys.executable, "-c", MILLION % n], capture_output=True, text=True,
                         check=True)
    seconds, gib, ok = out.stdout.split()
    print(f"\nmillion: {n:,}-point metrics-only acute_inflammation sweep (2 threads, chunks of "
          f"10,000): {float(seconds):.1f} s wall ({float(seconds) / n * 1e6:.1f} us/point), "
          f"peak resident memory {float(gib):.2f} GiB, {int(ok):,} points ok")
    ratios.append(f"million: {float(seconds):.1f} s wall, peak memory {float(gib):.2f} GiB "
                  "(targets: < 60 s, < 2 GiB)")


SECTIONS = ("acute", "stiff", "endotoxemia", "single", "tissue", "million")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--tissue-compiled", action="store_true",
                        help="also compile the 4,000-state model's kernel (many minutes)")
    args = parser.parse_args()
    print(f"cytosim {cs.__version__}, numba {numba.__version__}, "
          f"{numba.config.NUMBA_NUM_THREADS} cores")
    for section in args.only.split(","):
        start = time.perf_counter()
        if section in ("acute", "stiff", "endotoxemia"):
            globals()[section](args.points)
        elif section == "million":
            million(args.million)
        elif section == "tissue":
            tissue(args.tissue_compiled)
        else:
            globals()[section]()
        print(f"  ({section}: {time.perf_counter() - start:.0f} s)")
    print("\nsummary:\n  " + "\n  ".join(ratios))
    print(json.dumps({"ratios": ratios}))


if __name__ == "__main__":
    main()
