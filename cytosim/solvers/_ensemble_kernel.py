"""Ensemble kernel source: the entry that runs members, each with its method (DOPRI5,
Rodas5P or automatic).

This file is *source text* for :mod:`cytosim.solvers._loader`, compiled after the shared
pieces and the DOPRI5 and Rodas5P kernels in one module with one model's functions, so a
model compiles one kernel whatever the method: the method is a per-member argument.
DOPRI5 advances several members side by side on one thread (``LANES``), each lane taking
the next member when its own ends; Rodas5P runs a member on its own.

Automatic stiffness switching
-----------------------------
With ``METHOD_AUTO`` a member starts with the explicit DOPRI5, which is the cheaper method
while the member is not stiff, and watches its steps with the stiffness detection of
Hairer's ``dopri5.f`` (Hairer, Norsett & Wanner 1993, sec. II.10; see
``dopri5_stiff_step``). Once DOPRI5 finds the member stiff, the member goes on from its
last accepted step with the L-stable Rosenbrock method Rodas5P until the end, starting
from DOPRI5's next step size (Rodas5P's controller then grows it, by up to 6 per step,
to what accuracy allows). The switch is one-way, as in the codes that switch between an
explicit and a stiff method (LSODA switches both ways), because a member that became
stiff once usually stays so in the models this is for (a fast species near its
quasi-steady state), and Rodas5P stays accurate, if dearer, when it no longer is. Output
times already filled by DOPRI5 are kept; Rodas5P fills the rest.

References
----------
E. Hairer, S. P. Norsett and G. Wanner, "Solving Ordinary Differential Equations I:
Nonstiff Problems", 2nd ed., Springer (1993), sec. II.10 (stiffness detection), and the
authors' code ``dopri5.f``.
L. R. Petzold, "Automatic selection of methods for solving stiff and nonstiff systems of
ordinary differential equations", SIAM J. Sci. Stat. Comput. 4 (1983) 136-148 (LSODA).
"""

import math

import numpy as np

from ._dopri5_kernel import (  # noqa: F401 (also compiled in front of this text)
    DOPRI5_ERROR_EXPONENT,
    DOPRI5_MIN_FACTOR,
    DOPRI5_N_STAGES,
    STIFF_CHECKS,
    STIFF_RESET,
    dopri5_dense_coefficients,
    dopri5_dense_row,
    dopri5_error_norm,
    dopri5_stages,
    dopri5_step_factor,
    dopri5_stiff_step,
)
from ._rodas_kernel import rodas_run  # noqa: F401
from ._shared_kernel import (  # noqa: F401
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


def obs(t, y, p, out):  # stand-in: the loader puts the model's observables in its place
    raise NotImplementedError("compile the kernel with cytosim.solvers._loader")


def pre(p, q):  # stand-in: the loader puts the model's parameter-only values in its place
    raise NotImplementedError("compile the kernel with cytosim.solvers._loader")


# ---- KERNEL: everything below is compiled with the model's functions ----

# Per-member methods, mirrored by cytosim.solvers._common.
METHOD_DOPRI5 = 0
METHOD_RODAS5P = 1
METHOD_AUTO = 2

# DOPRI5 integrates up to LANES members side by side on one thread (see dopri5_stages):
# one member's stages form a chain of dependent operations that leaves the processor idle
# while it waits for each result, and the lanes' independent chains fill those waits. On
# the 4-state acute-inflammation model one right-hand side evaluation that waits for the
# previous one costs 25 ns, and 13 ns per member with 3 or more lanes (timed over 10**6
# compiled calls, x86-64); a whole 1,000-member integration (automatic method, 0-160 h,
# 801 output rows, 3 metrics) takes 29.7 us per member with 4 lanes, 31.2 with 2 and 37.5
# with one. Systems with more than LANE_MAX_STATES states have enough independent work in
# one member, and their lanes' scratch would grow with the states.
LANES = 4
LANE_MAX_STATES = 32

# Metric kinds computed in the kernel, mirrored by cytosim.solvers._common.METRIC_KINDS
# (the definitions are those of cytosim.sweeps.metrics).
METRIC_PEAK = 0
METRIC_TIME_OF_PEAK = 1
METRIC_TROUGH = 2
METRIC_AUC = 3
METRIC_FINAL = 4
METRIC_VALUE_AT = 5
METRIC_BELOW = 6
METRIC_ABOVE = 7


def member_metrics(t_out, y, p, kinds, columns, numbers, rows, obs_values, out):
    """Metrics of one member from its trajectory ``y[k] = y(t_out[k])``, into *out*.

    Metric ``i`` of kind ``kinds[i]`` reads column ``columns[i]`` (a state, or observable
    ``columns[i] - n_states``, evaluated into *obs_values* when one is asked for), with the
    level or time ``numbers[i]`` (crossings) and output row ``rows[i]`` (``value_at``). A
    column with a value that is not finite (a failed member's rows are NaN) gives NaN,
    as :func:`cytosim.sweeps.metrics.evaluate` does on the trajectories.
    """
    k = t_out.shape[0]
    n = n_states(y.shape[1])
    have_obs = False
    for i in range(kinds.shape[0]):
        if columns[i] >= n and not have_obs:
            for r in range(k):
                obs(t_out[r], y[r], p, obs_values[r])
            have_obs = True
    for i in range(kinds.shape[0]):
        c = columns[i]
        kind = kinds[i]
        finite = True
        for r in range(k):
            x = y[r, c] if c < n else obs_values[r, c - n]
            if not math.isfinite(x):
                finite = False
                break
        if not finite:
            out[i] = np.nan
            continue
        if kind in (METRIC_FINAL, METRIC_VALUE_AT):
            r = k - 1 if kind == METRIC_FINAL else rows[i]
            out[i] = y[r, c] if c < n else obs_values[r, c - n]
        elif kind in (METRIC_PEAK, METRIC_TIME_OF_PEAK, METRIC_TROUGH):
            best = y[0, c] if c < n else obs_values[0, c - n]
            at = 0
            for r in range(1, k):
                x = y[r, c] if c < n else obs_values[r, c - n]
                if (x < best) if kind == METRIC_TROUGH else (x > best):
                    best = x
                    at = r
            out[i] = t_out[at] if kind == METRIC_TIME_OF_PEAK else best
        elif kind == METRIC_AUC:  # trapezoidal rule, summed in time order
            total = 0.0
            before = y[0, c] if c < n else obs_values[0, c - n]
            for r in range(1, k):
                x = y[r, c] if c < n else obs_values[r, c - n]
                total += (t_out[r] - t_out[r - 1]) * (x + before) / 2.0
                before = x
            out[i] = total
        else:  # first crossing of the level, linearly interpolated between output times
            level = numbers[i]
            out[i] = np.nan
            before = 0.0
            for r in range(k):
                x = y[r, c] if c < n else obs_values[r, c - n]
                if (x < level) if kind == METRIC_BELOW else (x > level):
                    if r == 0:
                        out[i] = t_out[0]
                    else:
                        fraction = (level - before) / (x - before)
                        out[i] = t_out[r - 1] + fraction * (t_out[r] - t_out[r - 1])
                    break
                before = x


def ensemble_members(start, stop, methods, t0, t1, y0, p, n_q, t_out, rtol, atol, max_steps,
                     h_max, autonomous, rows, cols, keep, metric_kinds, metric_columns,
                     metric_numbers, metric_rows, n_obs, y_out, metrics, status, n_steps,
                     n_rejected, n_rhs, t_reached, t_switch):
    """Integrate members ``start`` to ``stop - 1``, member ``j`` with ``methods[j]``.

    With *keep*, ``y_out[j, k] = y(t_out[k])`` of member ``j``: rows at or before *t0* get
    ``y0[j]``, rows after a failure are NaN. Without, each member's trajectory goes to its
    lane's scratch array, which the lane's next member reuses (*y_out* is not written), so
    memory does not grow with the members. Either way ``metrics[j]`` receives the member's
    metrics (see ``member_metrics``; none when *metric_kinds* is empty). ``n_steps``,
    ``n_rejected`` and ``n_rhs`` count both methods; ``t_switch[j]`` is the time at which
    an automatic member went over to Rodas5P, NaN if it did not.

    DOPRI5 runs up to ``LANES`` members side by side (see ``dopri5_stages``): each lane
    takes the next member when its own ends, so members that finish or fail early do not
    hold the others. A trial step whose stages or solution are not finite is rejected like
    a step with a large error (step size times ``DOPRI5_MIN_FACTOR``); if that persists
    until the step size is meaningless the status is ``NON_FINITE``. Trial steps, accepted
    or rejected, count against *max_steps*. An automatic member estimates ``h * |lambda|``
    after every accepted step (see ``STIFF_BOUND``); found stiff ``STIFF_CHECKS`` times, it
    goes on from its last accepted step with Rodas5P, started with DOPRI5's next step size.
    The checks only read values, so a member not found stiff gets the result of plain
    DOPRI5. Rodas5P members, and switched ones, run on their own.

    The model functions are called with ``q``, of length *n_q*: the member's parameters
    followed by what ``pre`` computes from them once (values that depend on the
    parameters only).

    Member ``j`` reads only ``methods[j]``, ``y0[j]`` and ``p[j]`` and writes only index
    ``j`` of the outputs, and its arithmetic is the same in any lane, so its result does
    not depend on the ensemble's size, order, lanes or on how members are shared between
    threads (the caller runs disjoint ranges on several threads at once: this function
    releases the GIL).
    """
    n = n_states(y0.shape[1])
    n_out = t_out.shape[0]
    lanes = max(1, min(LANES if n <= LANE_MAX_STATES else 1, stop - start))
    member = np.zeros(lanes, dtype=np.int64)  # the member in each running lane
    running = np.zeros(lanes, dtype=np.bool_)
    after_rejection = np.zeros(lanes, dtype=np.bool_)
    non_finite = np.zeros(lanes, dtype=np.bool_)  # the last trial step was not finite
    stiff_checks = np.zeros(lanes, dtype=np.int64)  # reset by STIFF_RESET negative ones
    non_stiff_checks = np.zeros(lanes, dtype=np.int64)
    counts = np.zeros((lanes, 3), dtype=np.int64)  # n_steps, n_rejected, n_rhs
    i_out = np.zeros(lanes, dtype=np.int64)  # the next output row
    t = np.zeros(lanes)
    t_new = np.zeros(lanes)  # the end of the trial step
    h = np.zeros(lanes)
    q = np.empty((lanes, n_q))
    y = np.empty((lanes, n))
    y_stage = np.empty((lanes, n))
    y_new = np.empty((lanes, n))
    k = np.empty((DOPRI5_N_STAGES, lanes, n))
    coefficients = np.empty((4, n))
    scratch = np.empty((0 if keep else lanes, n_out, n))
    obs_values = np.empty((n_out, n_obs))
    # what member_end reads to compute metrics, and the outputs it writes
    measures = (metric_kinds, metric_columns, metric_numbers, metric_rows, obs_values)
    records = (metrics, status, n_steps, n_rejected, n_rhs, t_reached, t_switch)
    following = start  # the next member to start
    while True:
        # a free lane starts the next members (ones that end at once are done here); a
        # running one checks its next trial step, which may end it
        for lane in range(lanes):
            while True:
                if not running[lane]:
                    if following >= stop:
                        break
                    j = following
                    following += 1
                    out = y_out[j] if keep else scratch[lane]
                    pre(p[j], q[lane])
                    for i in range(n):
                        y[lane, i] = y0[j, i]
                    counts[lane, 0] = 0
                    counts[lane, 1] = 0
                    counts[lane, 2] = 0
                    row = 0
                    while row < n_out and t_out[row] <= t0:
                        for i in range(n):
                            out[row, i] = y0[j, i]
                        row += 1
                    if methods[j] == METHOD_RODAS5P:
                        code, t_end, row = rodas_run(t0, t1, y[lane], q[lane], t_out, row, rtol,
                                                     atol, max_steps, h_max, 0.0, autonomous,
                                                     rows, cols, out, counts[lane])
                        member_end(j, code, t_end, np.nan, row, out, q[lane], counts[lane],
                                   t_out, measures, records)
                        continue
                    rhs(t0, y[lane], q[lane], k[0, lane])
                    counts[lane, 2] = 1
                    if not (all_finite(y[lane]) and all_finite(k[0, lane])):
                        member_end(j, NON_FINITE, t0, np.nan, row, out, q[lane],
                                   counts[lane], t_out, measures, records)
                        continue
                    h[lane] = initial_step(t0, y[lane], k[0, lane], q[lane], rtol, atol,
                                           t1 - t0, h_max, y_stage[lane], y_new[lane],
                                           DOPRI5_ERROR_EXPONENT)
                    counts[lane, 2] = 2
                    member[lane] = j
                    running[lane] = True
                    after_rejection[lane] = False
                    non_finite[lane] = False
                    stiff_checks[lane] = 0
                    non_stiff_checks[lane] = 0
                    t[lane] = t0
                    i_out[lane] = row
                code = SUCCESS
                if not t[lane] < t1:
                    pass  # done
                elif counts[lane, 0] + counts[lane, 1] >= max_steps:
                    code = MAX_STEPS_REACHED
                elif h[lane] < 10.0 * EPS * abs(t[lane]) or h[lane] <= 0.0:
                    code = NON_FINITE if non_finite[lane] else STEP_SIZE_TOO_SMALL
                else:  # a trial step to t_new, not beyond t1
                    t_new[lane] = t[lane] + h[lane]
                    if t_new[lane] > t1:
                        t_new[lane] = t1
                    h[lane] = t_new[lane] - t[lane]
                    break
                j = member[lane]
                member_end(j, code, t[lane], np.nan, i_out[lane],
                           y_out[j] if keep else scratch[lane], q[lane], counts[lane], t_out,
                           measures, records)
                running[lane] = False
        if not np.any(running):
            break
        dopri5_stages(t, y, h, q, k, y_stage, y_new, running)
        for lane in range(lanes):
            if not running[lane]:
                continue
            counts[lane, 2] += DOPRI5_N_STAGES - 1
            err = dopri5_error_norm(y, y_new, k, lane, h[lane], rtol, atol)
            non_finite[lane] = not (math.isfinite(err) and all_finite(y_new[lane])
                                 and all_finite(k[DOPRI5_N_STAGES - 1, lane]))
            if non_finite[lane] or err >= 1.0:  # rejected: the same lane tries a shorter step
                counts[lane, 1] += 1
                after_rejection[lane] = True
                h[lane] *= DOPRI5_MIN_FACTOR if non_finite[lane] else dopri5_step_factor(err)
                continue
            # accepted: fill the output times this step passed, then move on (FSAL)
            j = member[lane]
            out = y_out[j] if keep else scratch[lane]
            row = i_out[lane]
            if row < n_out and t_out[row] < t_new[lane]:
                dopri5_dense_coefficients(k, lane, coefficients)
            while row < n_out and t_out[row] <= t_new[lane]:
                if t_out[row] == t_new[lane]:
                    for i in range(n):
                        out[row, i] = y_new[lane, i]
                else:
                    dopri5_dense_row(y, lane, h[lane], (t_out[row] - t[lane]) / h[lane],
                                     coefficients, out, row)
                row += 1
            i_out[lane] = row
            factor = dopri5_step_factor(err)
            if after_rejection[lane]:  # no growth right after a rejection
                factor = min(1.0, factor)
            after_rejection[lane] = False
            detect = methods[j] == METHOD_AUTO  # automatic members watch for stiffness
            stiff = detect and dopri5_stiff_step(h[lane], k, lane, y_stage, y_new)
            t[lane] = t_new[lane]
            for i in range(n):
                y[lane, i] = y_new[lane, i]
                k[0, lane, i] = k[DOPRI5_N_STAGES - 1, lane, i]
            counts[lane, 0] += 1
            h[lane] = min(h[lane] * factor, h_max)
            if not detect:
                continue
            if not stiff:
                non_stiff_checks[lane] += 1
                if non_stiff_checks[lane] >= STIFF_RESET:
                    stiff_checks[lane] = 0
                continue
            non_stiff_checks[lane] = 0
            stiff_checks[lane] += 1
            if stiff_checks[lane] >= STIFF_CHECKS and t[lane] < t1:  # Rodas5P from here
                switch = t[lane]
                code, t_end, row = rodas_run(switch, t1, y[lane], q[lane], t_out, row, rtol, atol,
                                             max_steps, h_max, h[lane], autonomous, rows, cols,
                                             out, counts[lane])
                member_end(j, code, t_end, switch, row, out, q[lane], counts[lane], t_out,
                           measures, records)
                running[lane] = False


def member_end(j, code, t_end, switch, row, out, q, counts, t_out, measures, records):
    """Record member *j*'s end: NaN in its output rows from *row* on (not reached), its
    metrics, status *code*, counts, time reached *t_end* and switch time *switch*.

    *measures* is ``(metric_kinds, metric_columns, metric_numbers, metric_rows,
    obs_values)`` and *records* ``(metrics, status, n_steps, n_rejected, n_rhs, t_reached,
    t_switch)``, as :func:`ensemble_members` receives them.
    """
    metric_kinds, metric_columns, metric_numbers, metric_rows, obs_values = measures
    metrics, status, n_steps, n_rejected, n_rhs, t_reached, t_switch = records
    for r in range(row, t_out.shape[0]):
        for i in range(n_states(out.shape[1])):
            out[r, i] = np.nan
    if metric_kinds.shape[0]:
        member_metrics(t_out, out, q, metric_kinds, metric_columns, metric_numbers,
                       metric_rows, obs_values, metrics[j])
    status[j] = code
    n_steps[j] = counts[0]
    n_rejected[j] = counts[1]
    n_rhs[j] = counts[2]
    t_reached[j] = t_end
    t_switch[j] = switch
