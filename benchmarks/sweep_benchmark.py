"""Sweep throughput of cytosim against a libRoadRunner loop and a scipy loop, in one run.

The setting of issue 6: the Reynolds 2006 model (`acute_inflammation`; libRoadRunner runs the
curated BioModels SBML of the same model, BIOMD0000000714), a Sobol sweep over k_pg and k_cn
(factor 3 either side of the published values), 0-160 h, 801 output rows, rtol 1e-6 /
atol 1e-9. For each tool it prints the cost per simulation; for cytosim the ratio against
libRoadRunner; and for 20 points every tool's worst error against a tight scipy reference
(DOP853, rtol 1e-12), scaled by the requested tolerance.

Run: ``python benchmarks/sweep_benchmark.py [--points 1000]`` (needs libroadrunner:
``pip install libroadrunner``). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numba
import numpy as np
from scipy.integrate import solve_ivp

import cytosim as cs

SBML = Path(__file__).resolve().parents[1] / "tests" / "data" / "sbml" / "reynolds2006.xml"
T_END, ROWS, RTOL, ATOL = 160.0, 801, 1e-6, 1e-9
SPACE = {"k_pg": cs.Range(0.1, 0.9, "log"), "k_cn": cs.Range(0.04 / 3, 0.12, "log")}


def cytosim_sweep(net: cs.Network, n: int, *, trajectories: bool, repeats: int = 3
                  ) -> tuple[float, object]:
    """Best of *repeats* wall-clock times (the first call also loads the kernel)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        ds = cs.sweep(net, SPACE, n=n, seed=1, t_end=T_END, n_points=ROWS, rtol=RTOL,
                      atol=ATOL, metrics=["peak:P", "final:D", "auc:Nstar"],
                      trajectories=trajectories, progress=False)
        best = min(best, time.perf_counter() - start)
    return best, ds


def roadrunner_loop(points: np.ndarray) -> tuple[float, list[np.ndarray]]:
    import roadrunner

    rr = roadrunner.RoadRunner(str(SBML))
    rr.integrator.relative_tolerance, rr.integrator.absolute_tolerance = RTOL, ATOL
    out = []
    start = time.perf_counter()
    for k_pg, k_cn in points:
        rr.resetAll()
        rr["k_pg"], rr["k_cn"] = k_pg, k_cn
        out.append(np.asarray(rr.simulate(0.0, T_END, ROWS)))
    return time.perf_counter() - start, out


def scipy_loop(system: cs.OdeSystem, p: np.ndarray, method: str = "LSODA") -> float:
    t_out = np.linspace(0.0, T_END, ROWS)
    start = time.perf_counter()
    for row in p:
        solve_ivp(lambda t, y, row=row: system.rhs(t, y, row), (0.0, T_END),
                  system.default_initial, method=method, t_eval=t_out, rtol=RTOL, atol=ATOL)
    return time.perf_counter() - start


def worst_scaled_error(y: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(y - ref) / (ATOL + RTOL * np.abs(ref))))


def main(n: int) -> None:
    net = cs.load_model("acute_inflammation")
    system = cs.compile_network(net)
    aliases = net.parameter_aliases()
    index = [system.param_names.index(aliases[a]) for a in SPACE]

    cytosim_sweep(net, 16, trajectories=False)  # compile (or load from cache) once
    results = {}
    for threads in (1, 2):
        numba.set_num_threads(threads)
        elapsed, ds = cytosim_sweep(net, n, trajectories=False)
        results[f"cytosim, metrics only, {threads} thread(s)"] = elapsed / n
        elapsed, ds = cytosim_sweep(net, n, trajectories=True)
        results[f"cytosim, 801 rows kept, {threads} thread(s)"] = elapsed / n
    points = np.column_stack([ds[a].values for a in SPACE])

    try:
        rr_time, rr_out = roadrunner_loop(points)
        results["libRoadRunner loop (CVODE)"] = rr_time / n
    except ImportError:
        rr_out = None
        print("libroadrunner is not installed: pip install libroadrunner")
    p = np.tile(system.default_params, (min(n, 100), 1))
    p[:, index] = points[: len(p)]
    results["scipy solve_ivp(LSODA) loop (numpy rhs)"] = scipy_loop(system, p) / len(p)

    print(f"acute_inflammation, {n} points, 0-{T_END:g} h, {ROWS} rows, rtol {RTOL:g}, "
          f"atol {ATOL:g}, {numba.config.NUMBA_NUM_THREADS} cores")
    for name, seconds in results.items():
        print(f"  {name:45s} {seconds * 1e6:10.1f} us/simulation")
    if rr_out is not None:
        rr_cost = results["libRoadRunner loop (CVODE)"]
        for threads in (1, 2):
            for kind in ("metrics only", "801 rows kept"):
                key = f"cytosim, {kind}, {threads} thread(s)"
                print(f"  speed-up vs libRoadRunner, {kind}, {threads} thread(s): "
                      f"{rr_cost / results[key]:6.1f}x")

    t_out = np.linspace(0.0, T_END, ROWS)
    ours, theirs = [], []
    for i in range(20):
        row = system.default_params.copy()
        row[index] = points[i]
        ref = solve_ivp(lambda t, y, row=row: system.rhs(t, y, row), (0.0, T_END),
                        system.default_initial, method="DOP853", t_eval=t_out, rtol=1e-12,
                        atol=1e-14).y.T
        ours.append(worst_scaled_error(ds["trajectory"].values[i, :, :4], ref))
        if rr_out is not None:
            theirs.append(worst_scaled_error(rr_out[i][:, 1:5], ref))
    print(f"  worst error / (atol + rtol |y|), 20 points: cytosim {max(ours):.2f}"
          + (f", libRoadRunner {max(theirs):.2f}" if theirs else ""))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    main(parser.parse_args().points)
