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
    STIFF,
    SUCCESS,
    all_finite,
    initial_step,
)


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



def dopri5_stages(t, y, h, p, k, y_stage, y_new):
    """One trial step from ``(t, y)`` with ``k[0] = rhs(t, y)``.

    Writes stages ``k[1:7]`` and the 5th-order solution *y_new*; ``k[6]`` is
    ``rhs(t + h, y_new)`` because the last row of ``DOPRI5_A`` equals ``DOPRI5_B``. Six evaluations.
    """
    n = y.shape[0]
    for s in range(1, DOPRI5_N_STAGES):
        target = y_new if s == DOPRI5_N_STAGES - 1 else y_stage
        for i in range(n):
            acc = 0.0
            for r in range(s):
                acc += DOPRI5_A[s, r] * k[r, i]
            target[i] = y[i] + h * acc
        rhs(t + DOPRI5_C[s] * h, target, p, k[s])


def dopri5_error_norm(y, y_new, k, h, rtol, atol):
    """RMS norm of the embedded error estimate, scaled by the tolerances (< 1 accepts)."""
    n = y.shape[0]
    total = 0.0
    for i in range(n):
        acc = 0.0
        for s in range(DOPRI5_N_STAGES):
            acc += DOPRI5_E[s] * k[s, i]
        scale = atol + rtol * max(abs(y[i]), abs(y_new[i]))
        ratio = h * acc / scale
        total += ratio * ratio
    return math.sqrt(total / n)


def dopri5_step_factor(err):
    """Factor for the next step size from the error norm of the current trial step."""
    if err == 0.0:
        return DOPRI5_MAX_FACTOR
    factor = DOPRI5_SAFETY * err ** DOPRI5_ERROR_EXPONENT
    return min(DOPRI5_MAX_FACTOR, max(DOPRI5_MIN_FACTOR, factor))


def dopri5_dense_coefficients(k, q):
    """``q[j, i] = sum_s k[s, i] * DOPRI5_P[s, j]``: the interpolant's coefficients for one step."""
    n = k.shape[1]
    for j in range(4):
        for i in range(n):
            acc = 0.0
            for s in range(DOPRI5_N_STAGES):
                acc += DOPRI5_P[s, j] * k[s, i]
            q[j, i] = acc


def dopri5_dense_row(y, h, theta, q, y_out, row):
    """Write ``y(t + theta*h)`` of the continuous extension into ``y_out[row]`` (Horner)."""
    for i in range(y.shape[0]):
        poly = q[0, i] + theta * (q[1, i] + theta * (q[2, i] + theta * q[3, i]))
        y_out[row, i] = y[i] + h * theta * poly


def dopri5_run(t, t1, y, p, t_out, i_out, rtol, atol, max_steps, h_max, detect_stiffness,
               y_out, counts):
    """Integrate one member from ``(t, y)`` towards *t1*, filling ``y_out[i_out:]``.

    *y* is overwritten with the state reached. Output rows ``t_out[i] <= t`` must already be
    filled (``i < i_out``). A trial step whose stages or solution are not finite is rejected
    like a step with a large error (step size times ``DOPRI5_MIN_FACTOR``); if that
    persists until the step size is meaningless the status is ``NON_FINITE``. Trial steps,
    accepted or rejected, count against *max_steps* together with those already in
    ``counts = [n_steps, n_rejected, n_rhs]``, which is updated in place.

    With *detect_stiffness*, every accepted step estimates ``h * |lambda|`` (see
    ``STIFF_BOUND``) and the run stops with the internal status ``STIFF`` once the
    member has been found stiff ``STIFF_CHECKS`` times, at the last accepted step, so a
    stiff method can go on from there. The checks only read values: they do not change
    the steps, so a member that is not found stiff gets the same result as without them.

    Returns
    -------
    (status, t, i_out, h)
        The time reached, the next output row and the next step size.
    """
    n = y.shape[0]
    n_out = t_out.shape[0]
    k = np.empty((DOPRI5_N_STAGES, n))
    q = np.empty((4, n))
    y_new = np.empty(n)
    y_stage = np.empty(n)
    status = SUCCESS
    n_steps = counts[0]
    n_rejected = counts[1]
    rhs(t, y, p, k[0])
    n_rhs = counts[2] + 1
    h = 0.0
    if all_finite(y) and all_finite(k[0]):
        h = initial_step(t, y, k[0], p, rtol, atol, t1 - t, h_max, y_stage, y_new,
                         DOPRI5_ERROR_EXPONENT)
        n_rhs += 1
    else:
        status = NON_FINITE
    after_rejection = False
    non_finite = False
    stiff_checks = 0  # positive stiffness checks, reset by STIFF_RESET negative ones
    non_stiff_checks = 0
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
        n_rhs += DOPRI5_N_STAGES - 1
        err = dopri5_error_norm(y, y_new, k, h, rtol, atol)
        non_finite = not (math.isfinite(err) and all_finite(y_new)
                          and all_finite(k[DOPRI5_N_STAGES - 1]))
        if non_finite:
            n_rejected += 1
            after_rejection = True
            h *= DOPRI5_MIN_FACTOR
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
        stiff = detect_stiffness and dopri5_stiff_step(h, k, y_stage, y_new)
        t = t_new
        for i in range(n):
            y[i] = y_new[i]
            k[0, i] = k[DOPRI5_N_STAGES - 1, i]
        n_steps += 1
        h = min(h * factor, h_max)
        if detect_stiffness:
            if stiff:
                non_stiff_checks = 0
                stiff_checks += 1
                if stiff_checks >= STIFF_CHECKS and t < t1:
                    status = STIFF
                    break
            else:
                non_stiff_checks += 1
                if non_stiff_checks >= STIFF_RESET:
                    stiff_checks = 0
    counts[0] = n_steps
    counts[1] = n_rejected
    counts[2] = n_rhs
    return status, t, i_out, h


def dopri5_stiff_step(h, k, y_stage, y_new):
    """True when ``h * |lambda| > STIFF_BOUND`` for the step just accepted.

    The last two stages are evaluated at the same time ``t + h``, at ``y_stage`` and
    ``y_new``, so ``|k[6] - k[5]| / |y_new - y_stage|`` estimates the largest eigenvalue
    ``|lambda|`` of the Jacobian in the direction the step explored (Hairer, Norsett &
    Wanner 1993, sec. II.10; ``dopri5.f``).
    """
    numerator = 0.0
    denominator = 0.0
    for i in range(y_new.shape[0]):
        df = k[DOPRI5_N_STAGES - 1, i] - k[DOPRI5_N_STAGES - 2, i]
        dy = y_new[i] - y_stage[i]
        numerator += df * df
        denominator += dy * dy
    if not denominator > 0.0:
        return False
    return h * math.sqrt(numerator / denominator) > STIFF_BOUND
