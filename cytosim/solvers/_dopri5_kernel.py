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
step.

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

from ._shared_kernel import (  # noqa: F401 (also compiled in front of this text)
    EPS,
    MAX_STEPS_REACHED,
    NON_FINITE,
    STEP_SIZE_TOO_SMALL,
    SUCCESS,
    all_finite,
    initial_step,
)


def rhs(t, y, p, out):  # stand-in: the loader puts the model's rhs in its place
    raise NotImplementedError("compile the kernel with cytosim.solvers._loader")


prange = range  # stand-in: the loader imports numba's prange

# ---- KERNEL: everything below is compiled with the model's functions ----

# Butcher tableau of RK5(4)7M (Dormand & Prince 1980). C[s] is the time of
# stage s as a fraction of the step; A[s, r] weights stage r in stage s; B are the
# 5th-order weights (equal to the last row of A, hence FSAL); E = B - B_hat are the
# weights of the error estimate, B_hat being the embedded 4th-order weights.
N_STAGES = 7
C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
A = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1 / 5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3 / 40, 9 / 40, 0.0, 0.0, 0.0, 0.0, 0.0],
    [44 / 45, -56 / 15, 32 / 9, 0.0, 0.0, 0.0, 0.0],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0.0, 0.0, 0.0],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0.0, 0.0],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0],
])
B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0])
E = np.array([71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40])

# Continuous extension of order 4 (Shampine 1986): for 0 <= theta <= 1,
# y(t + theta*h) = y + h * sum_s K[s] * sum_j P[s, j] * theta**(j + 1).
# At theta = 1 the rows sum to B, so the interpolant ends on the step's solution.
P = np.array([
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
SAFETY = 0.9
MIN_FACTOR = 0.2
MAX_FACTOR = 10.0
ERROR_EXPONENT = -1.0 / 5.0  # -1 / (order of the error estimate + 1)



def dopri5_stages(t, y, h, p, k, y_stage, y_new):
    """One trial step from ``(t, y)`` with ``k[0] = rhs(t, y)``.

    Writes stages ``k[1:7]`` and the 5th-order solution *y_new*; ``k[6]`` is
    ``rhs(t + h, y_new)`` because the last row of ``A`` equals ``B``. Six evaluations.
    """
    n = y.shape[0]
    for s in range(1, N_STAGES):
        target = y_new if s == N_STAGES - 1 else y_stage
        for i in range(n):
            acc = 0.0
            for r in range(s):
                acc += A[s, r] * k[r, i]
            target[i] = y[i] + h * acc
        rhs(t + C[s] * h, target, p, k[s])


def dopri5_error_norm(y, y_new, k, h, rtol, atol):
    """RMS norm of the embedded error estimate, scaled by the tolerances (< 1 accepts)."""
    n = y.shape[0]
    total = 0.0
    for i in range(n):
        acc = 0.0
        for s in range(N_STAGES):
            acc += E[s] * k[s, i]
        scale = atol + rtol * max(abs(y[i]), abs(y_new[i]))
        ratio = h * acc / scale
        total += ratio * ratio
    return math.sqrt(total / n)


def dopri5_step_factor(err):
    """Factor for the next step size from the error norm of the current trial step."""
    if err == 0.0:
        return MAX_FACTOR
    return min(MAX_FACTOR, max(MIN_FACTOR, SAFETY * err ** ERROR_EXPONENT))


def dopri5_dense_coefficients(k, q):
    """``q[j, i] = sum_s k[s, i] * P[s, j]``: the interpolant's coefficients for one step."""
    n = k.shape[1]
    for j in range(4):
        for i in range(n):
            acc = 0.0
            for s in range(N_STAGES):
                acc += P[s, j] * k[s, i]
            q[j, i] = acc


def dopri5_dense_row(y, h, theta, q, y_out, row):
    """Write ``y(t + theta*h)`` of the continuous extension into ``y_out[row]`` (Horner)."""
    for i in range(y.shape[0]):
        poly = q[0, i] + theta * (q[1, i] + theta * (q[2, i] + theta * q[3, i]))
        y_out[row, i] = y[i] + h * theta * poly


def dopri5_member(t0, t1, y0, p, t_out, rtol, atol, max_steps, h_max, y_out):
    """Integrate one member from *t0* to *t1*, writing ``y_out[k] = y(t_out[k])``.

    *t_out* is increasing within ``[t0, t1]``. Rows after a failure are NaN. A trial
    step whose stages or solution are not finite is rejected like a step with a large
    error (step size times ``MIN_FACTOR``); if that persists until the step size is
    meaningless the status is ``NON_FINITE``. Trial steps, accepted or rejected, count
    against *max_steps*.

    Returns
    -------
    (status, n_steps, n_rejected, n_rhs, t_reached)
    """
    n = y0.shape[0]
    n_out = t_out.shape[0]
    k = np.empty((N_STAGES, n))
    q = np.empty((4, n))
    y = y0.copy()
    y_new = np.empty(n)
    y_stage = np.empty(n)
    status = SUCCESS
    n_steps = 0
    n_rejected = 0
    t = t0
    i_out = 0
    while i_out < n_out and t_out[i_out] <= t0:
        for i in range(n):
            y_out[i_out, i] = y0[i]
        i_out += 1
    rhs(t, y, p, k[0])
    n_rhs = 1
    h = 0.0
    if all_finite(y) and all_finite(k[0]):
        h = initial_step(t0, y, k[0], p, rtol, atol, t1 - t0, h_max, y_stage, y_new,
                         ERROR_EXPONENT)
        n_rhs += 1
    else:
        status = NON_FINITE
    after_rejection = False
    non_finite = False
    while status == SUCCESS and t < t1:
        if n_steps + n_rejected >= max_steps:
            status = MAX_STEPS_REACHED
            break
        if h < 10.0 * EPS * abs(t) or h <= 0.0:
            status = NON_FINITE if non_finite else STEP_SIZE_TOO_SMALL
            break
        t_new = t + h
        if t_new > t1:
            t_new = t1
        h = t_new - t
        dopri5_stages(t, y, h, p, k, y_stage, y_new)
        n_rhs += N_STAGES - 1
        err = dopri5_error_norm(y, y_new, k, h, rtol, atol)
        non_finite = not (math.isfinite(err) and all_finite(y_new)
                          and all_finite(k[N_STAGES - 1]))
        if non_finite:
            n_rejected += 1
            after_rejection = True
            h *= MIN_FACTOR
            continue
        if err >= 1.0:
            n_rejected += 1
            after_rejection = True
            h *= dopri5_step_factor(err)
            continue
        # accepted: fill the output times this step passed, then move on (FSAL)
        if i_out < n_out and t_out[i_out] < t_new:
            dopri5_dense_coefficients(k, q)
        while i_out < n_out and t_out[i_out] <= t_new:
            if t_out[i_out] == t_new:
                for i in range(n):
                    y_out[i_out, i] = y_new[i]
            else:
                dopri5_dense_row(y, h, (t_out[i_out] - t) / h, q, y_out, i_out)
            i_out += 1
        factor = dopri5_step_factor(err)
        if after_rejection:  # no growth right after a rejection
            factor = min(1.0, factor)
        after_rejection = False
        t = t_new
        for i in range(n):
            y[i] = y_new[i]
            k[0, i] = k[N_STAGES - 1, i]
        n_steps += 1
        h = min(h * factor, h_max)
    while i_out < n_out:
        for i in range(n):
            y_out[i_out, i] = np.nan
        i_out += 1
    return status, n_steps, n_rejected, n_rhs, t


def dopri5_ensemble(t0, t1, y0, p, t_out, rtol, atol, max_steps, h_max,
                    y_out, status, n_steps, n_rejected, n_rhs, t_reached):
    """Integrate every member (row of *y0* and *p*) independently, in parallel.

    Member ``j`` reads only ``y0[j]`` and ``p[j]`` and writes only index ``j`` of the
    outputs, so its result does not depend on the ensemble's size, order or threads.
    """
    for j in prange(y0.shape[0]):
        result = dopri5_member(t0, t1, y0[j], p[j], t_out, rtol, atol, max_steps, h_max,
                               y_out[j])
        status[j] = result[0]
        n_steps[j] = result[1]
        n_rejected[j] = result[2]
        n_rhs[j] = result[3]
        t_reached[j] = result[4]
