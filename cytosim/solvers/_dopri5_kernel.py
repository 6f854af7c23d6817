"""Dormand-Prince 5(4) kernel source: compiled together with one model's functions.

This file is *source text* for :mod:`cytosim.solvers._loader`. Everything below the
``KERNEL`` marker line is appended to the model's generated scalar functions
(``rhs(t, y, p, out)``, ``jac``, ``obs``) in one generated module, decorated with
``numba.njit`` and compiled; the kernel calls the global ``rhs`` it does not define, so
numba sees a plain global function and can cache the machine code on disk (a jitted
function passed as an argument or closure cannot be cached). The stand-ins above the
marker only let this file import and lint on its own; they never reach the compiled
module.

Method
------
The explicit Runge-Kutta pair RK5(4)7M of Dormand & Prince (1980): seven stages, the
last evaluated at the new solution and reused as the first stage of the next step
("first same as last", FSAL), local extrapolation (the 5th-order solution is propagated),
and the embedded 4th-order solution used only for the error estimate. Step-size control
follows Hairer, Norsett & Wanner (1993), sec. II.4: the error norm is

    err = sqrt(mean((e_i / (atol + rtol * max(|y_i|, |y_new_i|)))**2))

and the next step is ``h * min(MAX_FACTOR, max(MIN_FACTOR, SAFETY * err**(-1/5)))``,
with no growth on the step accepted right after a rejection. The first step is chosen by
the algorithm of the same section. Output times are filled by the 4th-order continuous
extension of Shampine (1986) between accepted steps, so output times never shorten a
step. The functions below take several members side by side ("lanes", the rows of their
arrays); the step loop that drives them, with its control, rejections and statuses, is
``ensemble_members`` in :mod:`cytosim.solvers._ensemble_kernel`.

References
----------
J. R. Dormand and P. J. Prince, "A family of embedded Runge-Kutta formulae", J. Comput.
Appl. Math. 6 (1980) 19-26.
L. F. Shampine, "Some practical Runge-Kutta formulas", Math. Comp. 46 (1986) 135-150.
E. Hairer, S. P. Norsett and G. Wanner, "Solving Ordinary Differential Equations I:
Nonstiff Problems", 2nd ed., Springer (1993), sec. II.4-II.6.
"""

import math

import numpy as np

from ._shared_kernel import n_states  # noqa: F401 (also compiled in front of this text)


def rhs(t, y, p, out):  # stand-in: the loader puts the model's rhs in its place
    raise NotImplementedError("compile the kernel with cytosim.solvers._loader")



# ---- KERNEL: everything below is compiled with the model's functions ----

# Butcher tableau of RK5(4)7M (Dormand & Prince 1980), names prefixed DOPRI5_ (the module
# is compiled with the Rodas5P kernel). C[s] is the time of stage s as a fraction of the
# step; A[s, r] weights stage r in stage s; B are the 5th-order weights (equal to the last
# row of A, hence FSAL); E = B - B_hat are the weights of the error estimate, B_hat being
# the embedded 4th-order weights.
DOPRI5_N_STAGES = 7
DOPRI5_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
DOPRI5_A = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1 / 5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3 / 40, 9 / 40, 0.0, 0.0, 0.0, 0.0, 0.0],
    [44 / 45, -56 / 15, 32 / 9, 0.0, 0.0, 0.0, 0.0],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0.0, 0.0, 0.0],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0.0, 0.0],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0],
])
DOPRI5_B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0])
DOPRI5_E = np.array([71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40])

# Continuous extension of order 4 (Shampine 1986): for 0 <= theta <= 1,
# y(t + theta*h) = y + h * sum_s K[s] * sum_j P[s, j] * theta**(j + 1).
# At theta = 1 the rows sum to B, so the interpolant ends on the step's solution.
DOPRI5_P = np.array([
    [1.0, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
    [0.0, 0.0, 0.0, 0.0],
    [0.0, 131558114200 / 32700410799, -68118460800 / 10900136933,
     87487479700 / 32700410799],
    [0.0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
    [0.0, 127303824393 / 49829197408, -318862633887 / 49829197408,
     701980252875 / 199316789632],
    [0.0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
    [0.0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
])

# Step-size controller (Hairer, Norsett & Wanner 1993, sec. II.4, automatic step size
# control).
DOPRI5_SAFETY = 0.9
DOPRI5_MIN_FACTOR = 0.2
DOPRI5_MAX_FACTOR = 10.0
DOPRI5_ERROR_EXPONENT = -1.0 / 5.0  # -1 / (order of the error estimate + 1)

# Stiffness detection of Hairer's dopri5.f (Hairer, Norsett & Wanner 1993, sec. II.10):
# after every accepted step, h * |lambda| is estimated from the last two stages; a member
# whose steps are found above STIFF_BOUND STIFF_CHECKS times, not interrupted by
# STIFF_RESET checks in a row below it, is stiff (dopri5.f's counts: 15 and 6).
# dopri5.f's bound is 3.25, where DOPRI5's stability region meets the negative real axis
# (-3.3); ours is lower, 2.0, because the step controller holds stability-limited steps
# below that edge: on the stiff acute-inflammation variant of benchmarks/bench_rodas.py
# (|lambda| near 120 per hour) h * |lambda| stayed between 1.8 and 3.25 for 480 steps, so
# 3.25 switched members at t = 9 h after 500 steps where 2.0 switches them at t = 0.5 h
# after 25 (Rodas5P needs 124 steps for the whole run). Accuracy-limited steps of the
# non-stiff test problems (logistic growth, decay, harmonic oscillator, Lotka-Volterra, Van
# der Pol with mu = 1) stay below 2.0 at rtol 1e-3 and 1e-6 (tests/test_sweep_auto.py); a
# member switched wrongly would only cost more, Rodas5P being accurate on any member.
STIFF_BOUND = 2.0
STIFF_CHECKS = 15
STIFF_RESET = 6



def dopri5_stages(t, y, h, p, k, y_stage, y_new, running):
    """One trial step of every running lane ``r`` from ``(t[r], y[r])``, ``k[0, r]`` being
    ``rhs(t[r], y[r])``.

    Lanes are members integrated side by side (rows of *y*, *p*, ``k[s]``...), each with
    its own time, step size ``h[r]`` and parameters ``p[r]``; they share nothing, so a
    lane's values are those its member would get alone, and the processor overlaps the
    lanes' independent arithmetic (one member's stages are a chain of dependent
    operations). Writes stages ``k[1:7, r]`` and the 5th-order solution ``y_new[r]``;
    ``k[6, r]`` is ``rhs(t[r] + h[r], y_new[r])`` because the last row of ``DOPRI5_A``
    equals ``DOPRI5_B``. Six evaluations per lane. The stages are written out one by one,
    the tableau's entries read at constant indices (the compiler folds them into the
    code), each sum in the tableau's column order.
    """
    a = DOPRI5_A
    c = DOPRI5_C
    lanes = y.shape[0]
    n = n_states(y.shape[1])
    for r in range(lanes):
        if running[r]:
            for i in range(n):
                y_stage[r, i] = y[r, i] + h[r] * (a[1, 0] * k[0, r, i])
            rhs(t[r] + c[1] * h[r], y_stage[r], p[r], k[1, r])
    for r in range(lanes):
        if running[r]:
            for i in range(n):
                y_stage[r, i] = y[r, i] + h[r] * (a[2, 0] * k[0, r, i] + a[2, 1] * k[1, r, i])
            rhs(t[r] + c[2] * h[r], y_stage[r], p[r], k[2, r])
    for r in range(lanes):
        if running[r]:
            for i in range(n):
                y_stage[r, i] = y[r, i] + h[r] * (a[3, 0] * k[0, r, i] + a[3, 1] * k[1, r, i]
                                                  + a[3, 2] * k[2, r, i])
            rhs(t[r] + c[3] * h[r], y_stage[r], p[r], k[3, r])
    for r in range(lanes):
        if running[r]:
            for i in range(n):
                y_stage[r, i] = y[r, i] + h[r] * (a[4, 0] * k[0, r, i] + a[4, 1] * k[1, r, i]
                                                  + a[4, 2] * k[2, r, i] + a[4, 3] * k[3, r, i])
            rhs(t[r] + c[4] * h[r], y_stage[r], p[r], k[4, r])
    for r in range(lanes):
        if running[r]:
            for i in range(n):
                y_stage[r, i] = y[r, i] + h[r] * (a[5, 0] * k[0, r, i] + a[5, 1] * k[1, r, i]
                                                  + a[5, 2] * k[2, r, i] + a[5, 3] * k[3, r, i]
                                                  + a[5, 4] * k[4, r, i])
            rhs(t[r] + c[5] * h[r], y_stage[r], p[r], k[5, r])
    for r in range(lanes):
        if running[r]:
            for i in range(n):
                y_new[r, i] = y[r, i] + h[r] * (a[6, 0] * k[0, r, i] + a[6, 1] * k[1, r, i]
                                                + a[6, 2] * k[2, r, i] + a[6, 3] * k[3, r, i]
                                                + a[6, 4] * k[4, r, i] + a[6, 5] * k[5, r, i])
            rhs(t[r] + c[6] * h[r], y_new[r], p[r], k[6, r])


def dopri5_error_norm(y, y_new, k, lane, h, rtol, atol):
    """RMS norm of *lane*'s embedded error estimate, scaled by the tolerances (< 1
    accepts)."""
    e = DOPRI5_E
    n = n_states(y.shape[1])
    total = 0.0
    for i in range(n):
        acc = (e[0] * k[0, lane, i] + e[1] * k[1, lane, i] + e[2] * k[2, lane, i]
               + e[3] * k[3, lane, i] + e[4] * k[4, lane, i] + e[5] * k[5, lane, i]
               + e[6] * k[6, lane, i])
        scale = atol + rtol * max(abs(y[lane, i]), abs(y_new[lane, i]))
        ratio = h * acc / scale
        total += ratio * ratio
    return math.sqrt(total / n)


def dopri5_step_factor(err):
    """Factor for the next step size from the error norm of the current trial step."""
    if err == 0.0:
        return DOPRI5_MAX_FACTOR
    factor = DOPRI5_SAFETY * err ** DOPRI5_ERROR_EXPONENT
    return min(DOPRI5_MAX_FACTOR, max(DOPRI5_MIN_FACTOR, factor))


def dopri5_dense_coefficients(k, lane, q):
    """``q[j, i] = sum_s k[s, lane, i] * DOPRI5_P[s, j]``: the coefficients of *lane*'s
    interpolant for its step (sums in the order of the stages). The second stage's weights
    are all zero, and so are the other stages' in the first column but the first stage's
    (1): those terms are left out, which changes no value (``x + 0 * k == x``)."""
    c = DOPRI5_P
    n = n_states(k.shape[2])
    for i in range(n):
        q[0, i] = k[0, lane, i]
    for j in range(1, 4):
        for i in range(n):
            q[j, i] = (c[0, j] * k[0, lane, i] + c[2, j] * k[2, lane, i]
                       + c[3, j] * k[3, lane, i] + c[4, j] * k[4, lane, i]
                       + c[5, j] * k[5, lane, i] + c[6, j] * k[6, lane, i])


def dopri5_dense_row(y, lane, h, theta, q, y_out, row):
    """Write ``y(t + theta*h)`` of *lane*'s continuous extension into ``y_out[row]``
    (Horner); ``y[lane]`` is the state at the start of the step."""
    for i in range(n_states(y.shape[1])):
        poly = q[0, i] + theta * (q[1, i] + theta * (q[2, i] + theta * q[3, i]))
        y_out[row, i] = y[lane, i] + h * theta * poly


def dopri5_stiff_step(h, k, lane, y_stage, y_new):
    """True when ``h * |lambda| > STIFF_BOUND`` for *lane*'s step just accepted.

    The last two stages are evaluated at the same time ``t + h``, at ``y_stage[lane]`` and
    ``y_new[lane]``, so ``|k[6, lane] - k[5, lane]| / |y_new[lane] - y_stage[lane]|`` estimates the
    largest eigenvalue ``|lambda|`` of the Jacobian in the direction the step explored
    (Hairer, Norsett & Wanner 1993, sec. II.10; ``dopri5.f``).
    """
    numerator = 0.0
    denominator = 0.0
    for i in range(n_states(y_new.shape[1])):
        df = k[DOPRI5_N_STAGES - 1, lane, i] - k[DOPRI5_N_STAGES - 2, lane, i]
        dy = y_new[lane, i] - y_stage[lane, i]
        numerator += df * df
        denominator += dy * dy
    if not denominator > 0.0:
        return False
    return h * math.sqrt(numerator / denominator) > STIFF_BOUND
