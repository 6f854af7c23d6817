"""Rodas5P kernel source: compiled together with one model's functions.

This file is *source text* for :mod:`cytosim.solvers._loader`, like the DOPRI5 kernel:
everything below the ``KERNEL`` marker line is appended to the model's generated scalar
functions (``rhs(t, y, p, out)``, ``jac(t, y, p, out)``, ``obs``) in one generated module,
decorated with ``numba.njit`` and compiled. ``jac`` writes the Jacobian's values on the
model's sparsity pattern (``OdeSystem.rows``, ``OdeSystem.cols``), which the ensemble entry
point receives as arrays. The stand-ins above the marker only let this file import and lint
on its own; they never reach the compiled module.

Method
------
The linearly implicit (Rosenbrock-Wanner) method Rodas5P of Steinebach (2023): eight
stages, order 5 with an embedded order-4 solution, L-stable and stiffly accurate (the last
stage inputs are the embedded and the new solution), of the RODAS family of Hairer & Wanner
(1996, sec. VI.4) and written in their implementation form (sec. IV.7), in which every stage
solves one linear system with the same matrix::

    (I / (gamma h) - J) u_s = f(t + c_s h, y + sum_r a_sr u_r) + sum_r (g_sr / h) u_r
                              + d_s h df/dt,

with ``J = df/dy(t, y)`` evaluated once per step (and kept when a step is rejected),
``I / (gamma h) - J`` factorised once per trial step by LU with partial pivoting and reused
by all eight stages, and ``df/dt`` taken by a forward difference (as in Hairer & Wanner's
``rodas.f``) only for models whose right-hand side depends on ``t``. The solution is
``y + sum_s b_s u_s``; the error estimate is the last solve (the solution minus the
embedded solution).

Rodas5P rather than Hairer & Wanner's own RODAS (Rodas4, same structure with six
stages): on stiff problems the continuous extension of RODAS drops to order 2 (on the
Prothero-Robinson equation with lambda = -1e6 and h = 0.4 its error between the step ends
is 3e-4 while the step ends are exact to 2e-9), whereas that of Rodas5P keeps a local error
of order h**4 there (2e-6 at h = 0.4), as the tests check.

The error norm is the RMS norm of DOPRI5 (``atol + rtol * max(|y_i|, |y_new_i|)``); the
next step is ``h * min(6, max(0.2, 0.9 * err**(-1/5)))``, reduced further on accepted steps
by the predictive controller of Gustafsson (1994) in the form ``rodas.f`` uses, with no
growth right after a rejection (Hairer & Wanner 1996, sec. IV.8). The first step is chosen
by the algorithm of Hairer, Norsett & Wanner (1993), sec. II.4. Output times are filled by
the continuous extension::

    y(t + s h) = (1 - s) y + s (y_new + (1 - s) (q_1 + s (q_2 + s q_3))),
    q_k = sum_s DENSE[k, s] u_s,

so output times never shorten a step.

References
----------
G. Steinebach, "Construction of Rosenbrock-Wanner method Rodas5P and numerical benchmarks
within the Julia Differential Equations package", BIT Numer. Math. 63 (2023) 27,
doi:10.1007/s10543-023-00967-x. The coefficients below are transcribed, to 16-17 digits,
from ``Rodas5PTableau`` of OrdinaryDiffEq.jl (the Julia package the paper benchmarks in),
and checked against the order conditions, L-stability and the orders of the solution,
embedded solution and continuous extension in tests/test_stiff_solvers.py.
E. Hairer and G. Wanner, "Solving Ordinary Differential Equations II: Stiff and
Differential-Algebraic Problems", 2nd ed., Springer (1996), sec. IV.7 (Rosenbrock methods,
order conditions, implementation form), IV.8 (step-size control), VI.4 (RODAS), and the
authors' Fortran code ``rodas.f`` (step-size control, ``df/dt``, singular matrices).
K. Gustafsson, "Control-theoretic techniques for stepsize selection in implicit Runge-Kutta
methods", ACM Trans. Math. Software 20 (1994) 496-517.
E. Hairer, S. P. Norsett and G. Wanner, "Solving Ordinary Differential Equations I:
Nonstiff Problems", 2nd ed., Springer (1993), sec. II.4.
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
    n_states,
)


def rhs(t, y, p, out):  # stand-in: the loader puts the model's rhs in its place
    raise NotImplementedError("compile the kernel with cytosim.solvers._loader")


def jac(t, y, p, out):  # stand-in: the loader puts the model's jac in its place
    raise NotImplementedError("compile the kernel with cytosim.solvers._loader")



# ---- KERNEL: everything below is compiled with the model's functions ----

# Coefficients of Rodas5P (Steinebach 2023) in the implementation form of Hairer & Wanner
# (1996), sec. IV.7, indices from 0, names prefixed RODAS_ (the module is compiled with the
# DOPRI5 kernel). C[s] is the time of stage s as a fraction of the step; A[s, r] weights the
# solve u_r in the input of stage s; COUPLING[s, r] / h weights u_r in the right-hand side of
# stage s (the c_sr of the implementation form); D[s] * h weights df/dt in stage s (gamma_s,
# the row sums of Gamma); GAMMA is the diagonal of Gamma. B weights the new solution; E = B -
# B_hat, so the embedded solution (the input of the last stage: stiffly accurate) differs by
# u_7 alone.
RODAS_N_STAGES = 8
RODAS_GAMMA = 0.21193756319429014
RODAS_C = np.array([0.0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716,
              0.4288403609558664, 1.0, 1.0, 1.0])
RODAS_D = np.array([0.21193756319429014, -0.42387512638858027, -0.3384627126235924,
              1.8046452872882734, 2.325825639765069, 0.0, 0.0, 0.0])
_RODAS_A6 = [-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256,
       0.030198172008377946]
RODAS_A = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [2.849394379747939, 0.45842242204463923, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [-6.954028509809101, 2.489845061869568, -10.358996098473584, 0.0, 0.0, 0.0, 0.0, 0.0],
    [2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641, 0.0,
     0.0, 0.0, 0.0],
    [*_RODAS_A6, 0.0, 0.0, 0.0],
    [*_RODAS_A6, 1.0, 0.0, 0.0],
    [*_RODAS_A6, 1.0, 1.0, 0.0],
])
RODAS_COUPLING = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [-14.155112264123755, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [-17.97296035885952, -2.859693295451294, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [147.12150275711716, -1.41221402718213, 71.68940251302358, 0.0, 0.0, 0.0, 0.0, 0.0],
    [165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306, 0.0,
     0.0, 0.0, 0.0],
    [24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125,
     -0.6610691825249471, 0.0, 0.0, 0.0],
    [30.91273214028599, -3.1208243349937974, 77.79954646070892, 34.28646028294783,
     -19.097331116725623, -28.087943162872662, 0.0, 0.0],
    [37.80277123390563, -3.2571969029072276, 112.26918849496327, 66.9347231244047,
     -40.06618937091002, -54.66780262877968, -9.48861652309627, 0.0],
])
RODAS_B = np.array([*_RODAS_A6, 1.0, 1.0, 1.0])
RODAS_E = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
# Continuous extension of order 4: q_k = sum_s DENSE[k, s] u_s.
RODAS_N_DENSE = 3
RODAS_DENSE = np.array([
    [25.948786856663858, -2.5579724845846235, 10.433815404888879, -2.3679251022685204,
     0.524948541321073, 1.1241088310450404, 0.4272876194431874, -0.17202221070155493],
    [-9.91568850695171, -0.9689944594115154, 3.0438037242978453, -24.495224566215796,
     20.176138334709044, 15.98066361424651, -6.789040303419874, -6.710236069923372],
    [11.419903575922262, 2.8879645146136994, 72.92137995996029, 80.12511834622643,
     -52.072871366152654, -59.78993625266729, -0.15582684282751913, 4.883087185713722],
])

# Step-size controller of rodas.f (Hairer & Wanner 1996, sec. IV.8): the step changes by
# a factor within [RODAS_MIN_FACTOR, RODAS_MAX_FACTOR] ("fac1 = 5, fac2 = 1/6" there).
RODAS_SAFETY = 0.9
RODAS_MIN_FACTOR = 0.2
RODAS_MAX_FACTOR = 6.0
RODAS_SINGULAR_FACTOR = 0.5  # step factor after a singular iteration matrix (rodas.f)
RODAS_ERROR_EXPONENT = -1.0 / 5.0  # -1 / (order of the error estimate + 1)
RODAS_MIN_ERROR_MEMORY = 1e-2  # floor of the previous error in the predictive controller
RODAS_LAST_STEP_STRETCH = 1.0001  # a step within this factor of t1 goes to t1 (rodas.f)



def rodas_factor(jac_values, rows, cols, diagonal, lu, pivot):
    """Write ``diagonal * I - J`` into *lu* and factor it in place: ``P M = L U``.

    *J* has the values *jac_values* at ``(rows[k], cols[k])`` and zeros elsewhere. Gaussian
    elimination with partial pivoting, swapping whole rows; the unit lower factor's
    multipliers are stored below the diagonal, and the diagonal holds the inverses of the
    pivots (the solve multiplies by them: a multiplication waits less than a division).
    ``pivot[k]`` is the row swapped with row ``k`` at elimination step ``k``. Returns False
    when a pivot is zero (singular).
    """
    n = n_states(lu.shape[0])
    for i in range(n):
        for j in range(n):
            lu[i, j] = 0.0
        lu[i, i] = diagonal
    for k in range(jac_values.shape[0]):
        lu[rows[k], cols[k]] -= jac_values[k]
    for k in range(n):
        best = k
        largest = abs(lu[k, k])
        for i in range(k + 1, n):
            if abs(lu[i, k]) > largest:
                best = i
                largest = abs(lu[i, k])
        pivot[k] = best
        if not largest > 0.0:
            return False
        if best != k:
            for j in range(n):
                swap = lu[k, j]
                lu[k, j] = lu[best, j]
                lu[best, j] = swap
        inverse = 1.0 / lu[k, k]
        for i in range(k + 1, n):
            multiplier = lu[i, k] * inverse
            lu[i, k] = multiplier
            if multiplier != 0.0:  # the Jacobians of reaction networks are sparse
                for j in range(k + 1, n):
                    lu[i, j] -= multiplier * lu[k, j]
        lu[k, k] = inverse
    return True


def rodas_solve(lu, pivot, b):
    """Overwrite *b* with the solution of ``M x = b``, *lu* and *pivot* from ``rodas_factor``."""
    n = n_states(b.shape[0])
    for k in range(n):
        swap = b[k]
        b[k] = b[pivot[k]]
        b[pivot[k]] = swap
    for i in range(1, n):
        acc = b[i]
        for k in range(i):
            acc -= lu[i, k] * b[k]
        b[i] = acc
    for i in range(n - 1, -1, -1):
        acc = b[i]
        for j in range(i + 1, n):
            acc -= lu[i, j] * b[j]
        b[i] = acc * lu[i, i]  # the pivot's inverse


def rodas_stages(t, y, h, p, f0, dfdt, lu, pivot, u, y_stage, f_stage, y_new):
    """One trial step from ``(t, y)`` with ``f0 = rhs(t, y)`` and the factored matrix.

    Writes the eight solves ``u[s]`` and the new solution *y_new*. Seven evaluations of
    ``rhs`` (stage 0 uses *f0*).
    """
    n = n_states(y.shape[0])
    inverse_h = 1.0 / h
    for s in range(RODAS_N_STAGES):
        if s == 0:
            for i in range(n):
                f_stage[i] = f0[i]
        else:
            for i in range(n):
                acc = 0.0
                for r in range(s):
                    acc += RODAS_A[s, r] * u[r, i]
                y_stage[i] = y[i] + acc
            rhs(t + RODAS_C[s] * h, y_stage, p, f_stage)
        for i in range(n):
            acc = 0.0
            for r in range(s):
                acc += RODAS_COUPLING[s, r] * u[r, i]
            u[s, i] = f_stage[i] + acc * inverse_h + RODAS_D[s] * h * dfdt[i]
        rodas_solve(lu, pivot, u[s])
    for i in range(n):
        acc = 0.0
        for s in range(RODAS_N_STAGES):
            acc += RODAS_B[s] * u[s, i]
        y_new[i] = y[i] + acc


def rodas_error_norm(y, y_new, u, rtol, atol):
    """RMS norm of the embedded error estimate, scaled by the tolerances (<= 1 accepts).

    The method is stiffly accurate: the estimate is the last solve alone (``RODAS_E`` is
    its unit vector), read directly rather than summed with zero weights (a solve that is
    not finite still shows, in *y_new*).
    """
    n = n_states(y.shape[0])
    total = 0.0
    for i in range(n):
        scale = atol + rtol * max(abs(y[i]), abs(y_new[i]))
        ratio = u[RODAS_N_STAGES - 1, i] / scale
        total += ratio * ratio
    return math.sqrt(total / n)


def rodas_step_factor(err):
    """Factor for the next step size from the error norm of the current trial step."""
    if err == 0.0:
        return RODAS_MAX_FACTOR
    return min(RODAS_MAX_FACTOR, max(RODAS_MIN_FACTOR, RODAS_SAFETY * err ** RODAS_ERROR_EXPONENT))


def rodas_predictive_factor(h, err, h_previous, err_previous):
    """Gustafsson's predictive factor from this and the previous accepted step (rodas.f)."""
    if err == 0.0:
        return RODAS_MAX_FACTOR
    ratio = err_previous / (err * err)
    factor = (h / h_previous) * RODAS_SAFETY * ratio ** (-RODAS_ERROR_EXPONENT)
    return min(RODAS_MAX_FACTOR, max(RODAS_MIN_FACTOR, factor))


def rodas_dense_coefficients(u, q):
    """``q[k, i] = sum_s RODAS_DENSE[k, s] * u[s, i]``: the interpolant's coefficients."""
    n = n_states(u.shape[1])
    for k in range(RODAS_N_DENSE):
        for i in range(n):
            acc = 0.0
            for s in range(RODAS_N_STAGES):
                acc += RODAS_DENSE[k, s] * u[s, i]
            q[k, i] = acc


def rodas_dense_row(y, y_new, theta, q, y_out, row):
    """Write ``y(t + theta*h)`` of the continuous extension into ``y_out[row]``."""
    rest = 1.0 - theta
    for i in range(n_states(y.shape[0])):
        poly = q[0, i] + theta * (q[1, i] + theta * q[2, i])
        y_out[row, i] = rest * y[i] + theta * (y_new[i] + rest * poly)


def rodas_run(t, t1, y, p, t_out, i_out, rtol, atol, max_steps, h_max, h, autonomous,
              rows, cols, y_out, counts):
    """Integrate one member from ``(t, y)`` towards *t1*, filling ``y_out[i_out:]``.

    *y* is overwritten with the state reached. Output rows ``t_out[i] <= t`` must already be
    filled (``i < i_out``). *h* is the first trial step, or 0 to choose it by the algorithm
    of Hairer, Norsett & Wanner. *autonomous* says that ``rhs`` does not depend on ``t``
    (then ``df/dt`` is neither computed nor used). A right-hand side or Jacobian that is
    not finite at an accepted state stops the member (``NON_FINITE``: no step size can
    change it). A trial step whose stages or solution are not finite is rejected (step
    size times ``RODAS_MIN_FACTOR``), and so is one whose iteration matrix is singular
    (times ``RODAS_SINGULAR_FACTOR``); if that persists until the step size is
    meaningless the status is ``NON_FINITE`` or ``STEP_SIZE_TOO_SMALL``. Trial steps,
    accepted or rejected, count against *max_steps* together with those already in
    ``counts = [n_steps, n_rejected, n_rhs]``, which is updated in place.

    Returns
    -------
    (status, t, i_out)
        The time reached and the next output row.
    """
    n = n_states(y.shape[0])
    n_out = t_out.shape[0]
    u = np.empty((RODAS_N_STAGES, n))
    q = np.empty((RODAS_N_DENSE, n))
    jac_values = np.empty(rows.shape[0])
    lu = np.empty((n, n))
    pivot = np.empty(n, dtype=np.int64)
    f0 = np.empty(n)
    dfdt = np.zeros(n)
    y_new = np.empty(n)
    y_stage = np.empty(n)
    f_stage = np.empty(n)
    status = SUCCESS
    n_steps = counts[0]
    n_rejected = counts[1]
    rhs(t, y, p, f0)
    n_rhs = counts[2] + 1
    if not (all_finite(y) and all_finite(f0)):
        status = NON_FINITE
    elif h <= 0.0:
        h = initial_step(t, y, f0, p, rtol, atol, t1 - t, h_max, y_stage, y_new,
                         RODAS_ERROR_EXPONENT)
        n_rhs += 1
    else:
        h = min(h, h_max)
    have_f0 = True  # f0 = rhs(t, y)
    have_jacobian = False  # jac_values = jac(t, y) (and dfdt): kept when a step is rejected
    h_previous = 0.0  # the last accepted step and its error, for the predictive controller
    err_previous = 0.0
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
        if t + RODAS_LAST_STEP_STRETCH * h >= t1:
            t_new = t1
        h = t_new - t
        if not have_jacobian:
            if not have_f0:
                rhs(t, y, p, f0)
                n_rhs += 1
                have_f0 = True
            jac(t, y, p, jac_values)
            if not autonomous:
                delta = math.sqrt(EPS * max(1e-5, abs(t)))
                rhs(t + delta, y, p, f_stage)
                n_rhs += 1
                for i in range(n):
                    dfdt[i] = (f_stage[i] - f0[i]) / delta
            have_jacobian = True
            if not (all_finite(f0) and all_finite(jac_values)
                    and all_finite(dfdt)):
                status = NON_FINITE  # at the current state: no step size can help
                break
        if not rodas_factor(jac_values, rows, cols, 1.0 / (RODAS_GAMMA * h), lu, pivot):
            n_rejected += 1
            after_rejection = True
            non_finite = False
            h *= RODAS_SINGULAR_FACTOR
            continue
        rodas_stages(t, y, h, p, f0, dfdt, lu, pivot, u, y_stage, f_stage, y_new)
        n_rhs += RODAS_N_STAGES - 1
        err = rodas_error_norm(y, y_new, u, rtol, atol)
        non_finite = not (math.isfinite(err) and all_finite(y_new))
        if non_finite:
            n_rejected += 1
            after_rejection = True
            h *= RODAS_MIN_FACTOR
            continue
        factor = rodas_step_factor(err)
        if err > 1.0:
            n_rejected += 1
            after_rejection = True
            h *= factor
            continue
        # accepted: fill the output times this step passed, then move on
        if i_out < n_out and t_out[i_out] < t_new:
            rodas_dense_coefficients(u, q)
        while i_out < n_out and t_out[i_out] <= t_new:
            if t_out[i_out] == t_new:
                for i in range(n):
                    y_out[i_out, i] = y_new[i]
            else:
                rodas_dense_row(y, y_new, (t_out[i_out] - t) / h, q, y_out, i_out)
            i_out += 1
        if h_previous > 0.0:
            factor = min(factor, rodas_predictive_factor(h, err, h_previous, err_previous))
        h_previous = h
        err_previous = max(RODAS_MIN_ERROR_MEMORY, err)
        if after_rejection:  # no growth right after a rejection
            factor = min(1.0, factor)
        after_rejection = False
        t = t_new
        for i in range(n):
            y[i] = y_new[i]
        have_f0 = False
        have_jacobian = False
        n_steps += 1
        h = min(h * factor, h_max)
    counts[0] = n_steps
    counts[1] = n_rejected
    counts[2] = n_rhs
    return status, t, i_out
