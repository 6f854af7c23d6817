"""Cost and accuracy of the compiled Rodas5P ensemble on a stiff acute-inflammation sweep.

The model is ``cs.load_model("acute_inflammation")`` with a fast anti-inflammatory mediator:
the turnover of CA (its decay ``mu_c``, source ``s_c`` and production ``k_cn``) is
multiplied by ``FAST``, which leaves CA's quasi-steady level unchanged but makes it relax in
``1 / (FAST * mu_c)`` hours, so a CA eigenvalue near ``-FAST * mu_c`` limits an explicit
method's step. The sweep is that of :mod:`benchmarks.bench_dopri5`: 1,000 members over the
bacterial growth rate ``k_pg`` and the anti-inflammatory production rate ``k_cn`` (drawn
log-uniformly within a factor ``SPREAD`` of their published values), 0-160 h with 801 output
times, rtol 1e-6 and atol 1e-9. Prints

- steps, rejections and right-hand-side evaluations per member of Rodas5P (at rtol 1e-6
  and, "tight", at 1e-8) and DOPRI5;
- the per-member cost of the compiled ensembles on 1 and 2 threads, and of Python loops
  of scipy ``solve_ivp`` with ``method="Radau"`` and ``"BDF"`` (analytic Jacobian) over
  ``N_SCIPY`` members;
- for ``N_CHECK`` members, the worst error of each run against scipy Radau at rtol 1e-12
  with the analytic Jacobian, scaled by the run's tolerance (``|y - ref| / (atol + rtol *
  |ref|)``) and relative to each state's largest value. DOPRI5's stability-limited steps
  make it far more accurate than asked on the stiff variant; Rodas5P's accuracy-limited
  steps leave errors of tens of tolerances where the pathogen is cleared (P falls by 1e3
  within hours and its relative error follows the bias of the fast mediator on its
  quasi-steady manifold; scipy's BDF and LSODA show the same);
- the same costs on the unmodified model (``FAST = 1``), where DOPRI5 is the cheaper
  method: what an automatic per-member choice would weigh.

Run: ``python benchmarks/bench_rodas.py`` (set ``CYTOSIM_CACHE_DIR`` to reuse compiled
kernels).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numba
import numpy as np
from scipy.integrate import solve_ivp

import cytosim as cs
from cytosim.solvers import STATUS, dopri5, rodas

N_MEMBERS = 1_000
N_SCIPY = 50
N_CHECK = 20
SPREAD = 3.0  # parameters drawn log-uniformly in [value / SPREAD, value * SPREAD]
SWEPT = ("k_pg", "k_cn")
FAST = 1000.0  # CA's turnover is this many times faster than published
FASTER = ("mu_c", "s_c", "k_cn")
T_END_HOURS = 160.0
N_OUTPUT = 801
RTOL, ATOL = 1e-6, 1e-9
REPEATS = 3
RUNS = [  # label, method, rtol, atol
    ("Rodas5P", rodas, RTOL, ATOL),
    ("Rodas5P tight", rodas, 1e-2 * RTOL, 1e-2 * ATOL),
    ("DOPRI5", dopri5, RTOL, ATOL),
]


def ensemble(fast: float, seed: int = 0) -> tuple[cs.OdeSystem, np.ndarray, np.ndarray]:
    net = cs.load_model("acute_inflammation")
    system = cs.compile_network(net)
    aliases = net.parameter_aliases()
    rng = np.random.default_rng(seed)
    p = np.tile(system.default_params, (N_MEMBERS, 1))
    for alias in FASTER:
        p[:, system.param_names.index(aliases[alias])] *= fast
    for alias in SWEPT:
        j = system.param_names.index(aliases[alias])
        p[:, j] *= np.exp(rng.uniform(-np.log(SPREAD), np.log(SPREAD), N_MEMBERS))
    y0 = np.tile(system.default_initial, (N_MEMBERS, 1))
    return system, y0, p


def best_time(function: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def compare(fast: float, check: bool) -> None:
    system, y0, p = ensemble(fast)
    t_out = np.linspace(0.0, T_END_HOURS, N_OUTPUT)
    print(f"\n=== FAST = {fast:g}: CA relaxes in {60 / (fast * 0.1):.3g} min; "
          f"{N_MEMBERS} members, 0-{T_END_HOURS:g} h, {N_OUTPUT} outputs")

    def runner(method, rtol: float, atol: float,  # type: ignore[no-untyped-def]
               members: slice = slice(None)):
        return lambda: method.integrate_ensemble(system, 0.0, T_END_HOURS, y0[members],
                                                 p[members], t_out, rtol=rtol, atol=atol,
                                                 max_steps=1_000_000)

    results, per_member = {}, {}
    for label, method, rtol, atol in RUNS:
        start = time.perf_counter()
        runner(method, rtol, atol, slice(0, 2))()
        first = time.perf_counter() - start
        result = runner(method, rtol, atol)()
        results[label] = (result, rtol, atol)
        counts = {STATUS[s]: int(n) for s, n in enumerate(np.bincount(result.status)) if n}
        print(f"{label}: first call {first:.2f} s (compile or load from cache); status "
              f"{counts}; steps per member: median {np.median(result.n_steps):.0f} (max "
              f"{result.n_steps.max()}), rejected: median {np.median(result.n_rejected):.0f}, "
              f"rhs evaluations: median {np.median(result.n_rhs):.0f}")
    threads_before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            if threads > numba.config.NUMBA_NUM_THREADS:  # type: ignore[attr-defined]
                continue
            numba.set_num_threads(threads)
            for label, method, rtol, atol in RUNS:
                us = best_time(runner(method, rtol, atol)) / N_MEMBERS * 1e6
                per_member[label, threads] = us
                print(f"{label}, {threads} thread(s): {us:.1f} us per member")
    finally:
        numba.set_num_threads(threads_before)

    reference_label = RUNS[0][0]
    for scipy_method in ("Radau", "BDF"):
        def loop(scipy_method: str = scipy_method) -> None:
            for j in range(N_SCIPY):
                solve_ivp(lambda t, y, j=j: system.rhs(t, y, p[j]), (0.0, T_END_HOURS), y0[j],
                          method=scipy_method, t_eval=t_out, rtol=RTOL, atol=ATOL,
                          jac=lambda t, y, j=j: system.jac_dense(t, y, p[j]))

        us = best_time(loop, repeats=1) / N_SCIPY * 1e6
        print(f"scipy solve_ivp({scipy_method}, rtol {RTOL:g}) loop over {N_SCIPY} members: "
              f"{us:.0f} us per member; {reference_label} is "
              f"{us / per_member[reference_label, 1]:.0f}x faster on 1 thread")
    for label, *_ in RUNS[1:]:
        print(f"{label} / {reference_label} cost on 1 thread: "
              f"{per_member[label, 1] / per_member[reference_label, 1]:.2f}")
    if not check:
        return

    print(f"worst error of {N_CHECK} members against Radau (rtol 1e-12), in units of each "
          "run's atol + rtol*|ref| (and max|error| / max|y| over the states):")
    worst = {label: [0.0, 0.0] for label in results}
    for j in np.linspace(0, N_MEMBERS - 1, N_CHECK).astype(int):
        reference = solve_ivp(lambda t, y, j=j: system.rhs(t, y, p[j]), (0.0, T_END_HOURS),
                              y0[j], method="Radau", t_eval=t_out, rtol=1e-12, atol=1e-14,
                              jac=lambda t, y, j=j: system.jac_dense(t, y, p[j])).y.T
        line = []
        for label, (result, rtol, atol) in results.items():
            error = np.abs(result.y[j] - reference)
            scaled = error / (atol + rtol * np.abs(reference))
            i, k = np.unravel_index(np.argmax(scaled), scaled.shape)
            relative = np.max(error / np.max(np.abs(reference), axis=0))
            worst[label] = [max(worst[label][0], scaled[i, k]), max(worst[label][1], relative)]
            line.append(f"{label} {scaled[i, k]:5.1f} (t={t_out[i]:5.1f} h, "
                        f"{system.state_names[k]}; {relative:.1e})")
        print(f"  member {j:4d}: " + "; ".join(line))
    for label, (scaled_worst, relative_worst) in worst.items():
        print(f"  worst {label}: {scaled_worst:.1f} tolerances, {relative_worst:.1e} of max|y|")


def main() -> None:
    compare(FAST, check=True)
    compare(1.0, check=False)


if __name__ == "__main__":
    main()
