"""Cost and accuracy of the compiled DOPRI5 ensemble on the acute-inflammation model.

A sweep of 1,000 members over the bacterial growth rate ``k_pg`` and the anti-inflammatory
production rate ``k_cn`` (the paper's symbols; drawn log-uniformly within a factor
``SPREAD`` of their published values), 0-160 h with 801 output times, rtol 1e-6 and
atol 1e-9. Prints

- the per-member cost of :func:`cytosim.solvers.integrate_ensemble` on 1 and 2 threads,
  against a Python loop of scipy ``solve_ivp(method="RK45")`` (the same method) over
  ``N_SCIPY`` members, and the ratio;
- for ``N_CHECK`` members, the worst error against scipy DOP853 at rtol 1e-12, scaled by
  the requested tolerance (``|y - ref| / (atol + rtol * |ref|)``) and relative to each
  state's largest value (``max|y - ref| / max|ref|``), and the steps taken
  against the steps the explicit method's stability alone would need at the final state
  (``|lambda_max| * T / 3.3``; a ratio near 1 means the member is stiff there).

Run: ``python benchmarks/bench_dopri5.py`` (set ``CYTOSIM_CACHE_DIR`` to reuse compiled
kernels).
"""

from __future__ import annotations

import time

import numba
import numpy as np
from scipy.integrate import solve_ivp

import cytosim as cs
from cytosim.solvers import STATUS, integrate_ensemble

N_MEMBERS = 1_000
N_SCIPY = 100
N_CHECK = 20
SPREAD = 3.0  # parameters drawn log-uniformly in [value / SPREAD, value * SPREAD]
SWEPT = ("k_pg", "k_cn")
T_END_HOURS = 160.0
N_OUTPUT = 801
RTOL, ATOL = 1e-6, 1e-9
REPEATS = 3
DOPRI5_STABILITY = 3.3  # the stability region of DOPRI5 reaches about -3.3 on the real axis


def ensemble(seed: int = 0) -> tuple[cs.OdeSystem, np.ndarray, np.ndarray]:
    net = cs.load_model("acute_inflammation")
    system = cs.compile_network(net)
    aliases = net.parameter_aliases()
    rng = np.random.default_rng(seed)
    p = np.tile(system.default_params, (N_MEMBERS, 1))
    for alias in SWEPT:
        j = system.param_names.index(aliases[alias])
        p[:, j] *= np.exp(rng.uniform(-np.log(SPREAD), np.log(SPREAD), N_MEMBERS))
    y0 = np.tile(system.default_initial, (N_MEMBERS, 1))
    return system, y0, p


def best_time(function, repeats: int = REPEATS) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    system, y0, p = ensemble()
    t_out = np.linspace(0.0, T_END_HOURS, N_OUTPUT)

    def dopri5(members: slice = slice(None)):  # type: ignore[no-untyped-def]
        return integrate_ensemble(system, 0.0, T_END_HOURS, y0[members], p[members], t_out,
                                  rtol=RTOL, atol=ATOL)

    start = time.perf_counter()
    dopri5(slice(0, 2))
    print(f"first call (compile or load from cache): {time.perf_counter() - start:.2f} s")
    result = dopri5()
    counts = {STATUS[s]: int(n) for s, n in enumerate(np.bincount(result.status)) if n}
    print(f"{N_MEMBERS} members, status {counts}; steps per member: min "
          f"{result.n_steps.min()}, median {np.median(result.n_steps):.0f}, max "
          f"{result.n_steps.max()}; rejected: median {np.median(result.n_rejected):.0f}, "
          f"max {result.n_rejected.max()}; rhs evaluations: median "
          f"{np.median(result.n_rhs):.0f}")

    threads_before = numba.get_num_threads()
    per_member = {}
    try:
        for threads in (1, 2):
            if threads > numba.config.NUMBA_NUM_THREADS:
                continue
            numba.set_num_threads(threads)
            per_member[threads] = best_time(dopri5) / N_MEMBERS * 1e6
            print(f"integrate_ensemble, {threads} thread(s): {per_member[threads]:.1f} us "
                  "per member")
    finally:
        numba.set_num_threads(threads_before)

    def scipy_loop() -> None:
        for j in range(N_SCIPY):
            solve_ivp(lambda t, y, j=j: system.rhs(t, y, p[j]), (0.0, T_END_HOURS), y0[j],
                      method="RK45", t_eval=t_out, rtol=RTOL, atol=ATOL)

    scipy_us = best_time(scipy_loop, repeats=1) / N_SCIPY * 1e6
    print(f"scipy solve_ivp(RK45) loop over {N_SCIPY} members: {scipy_us:.0f} us per member")
    for threads, us in per_member.items():
        print(f"  speed-up on {threads} thread(s): {scipy_us / us:.0f}x")

    print(f"\nworst error of {N_CHECK} members against DOP853 (rtol 1e-12), in units of "
          "atol + rtol*|ref|; steps vs stability-limited steps at 160 h:")
    check = np.linspace(0, N_MEMBERS - 1, N_CHECK).astype(int)
    for j in check:
        reference = solve_ivp(lambda t, y, j=j: system.rhs(t, y, p[j]), (0.0, T_END_HOURS),
                              y0[j], method="DOP853", t_eval=t_out, rtol=1e-12,
                              atol=1e-14).y.T
        error = np.abs(result.y[j] - reference)
        scaled = error / (ATOL + RTOL * np.abs(reference))
        i, k = np.unravel_index(np.argmax(scaled), scaled.shape)
        relative = np.max(error / np.max(np.abs(reference), axis=0))
        eigenvalues = np.linalg.eigvals(system.jac_dense(T_END_HOURS, result.y[j, -1], p[j]))
        stable_steps = np.max(np.abs(eigenvalues)) * T_END_HOURS / DOPRI5_STABILITY
        values = ", ".join(f"{a}={p[j, system.param_names.index(n)]:.3g}"
                           for a, n in zip(SWEPT, ("P.growth_rate", "CA.k_cn"), strict=True))
        print(f"  member {j:4d} ({values}): worst {scaled[i, k]:5.1f} at t={t_out[i]:5.1f} h "
              f"in {system.state_names[k]} (max|error| / max|y| {relative:.1e}); steps "
              f"{result.n_steps[j]} (stability alone: {stable_steps:.0f})")


if __name__ == "__main__":
    main()
