"""Ensemble kernel source: one member's method (DOPRI5, Rodas5P or automatic) and the entry.

This file is *source text* for :mod:`cytosim.solvers._loader`, compiled after the shared
pieces and the DOPRI5 and Rodas5P kernels in one module with one model's functions, so a
model compiles one kernel whatever the method: the method is a per-member argument.

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

from ._dopri5_kernel import dopri5_run  # noqa: F401 (also compiled in front of this text)
from ._rodas_kernel import rodas_run  # noqa: F401
from ._shared_kernel import STIFF, SUCCESS  # noqa: F401


def obs(t, y, p, out):  # stand-in: the loader puts the model's observables in its place
    raise NotImplementedError("compile the kernel with cytosim.solvers._loader")


def pre(p, q):  # stand-in: the loader puts the model's parameter-only values in its place
    raise NotImplementedError("compile the kernel with cytosim.solvers._loader")


# ---- KERNEL: everything below is compiled with the model's functions ----

# Per-member methods, mirrored by cytosim.solvers._common.
METHOD_DOPRI5 = 0
METHOD_RODAS5P = 1
METHOD_AUTO = 2

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
    n = y.shape[1]
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
    ``y0[j]``, rows after a failure are NaN. Without, each member's trajectory goes to a
    scratch array that the next member reuses (*y_out* is not written), so memory does not
    grow with the members. Either way ``metrics[j]`` receives the member's metrics (see
    ``member_metrics``; none when *metric_kinds* is empty). ``n_steps``, ``n_rejected``
    and ``n_rhs`` count both methods; ``t_switch[j]`` is the time at which an automatic
    member went over to Rodas5P, NaN if it did not.

    The model functions are called with ``q``, of length *n_q*: the member's parameters
    followed by what ``pre`` computes from them once (values that depend on the
    parameters only).

    Member ``j`` reads only ``methods[j]``, ``y0[j]`` and ``p[j]`` and writes only index
    ``j`` of the outputs, so its result does not depend on the ensemble's size, order or
    on how members are shared between threads (the caller runs disjoint ranges on
    several threads at once: this function releases the GIL).
    """
    n = y0.shape[1]
    n_out = t_out.shape[0]
    counts = np.zeros(3, dtype=np.int64)
    y = np.empty(n)
    scratch = np.empty((0 if keep else n_out, n))
    obs_values = np.empty((n_out, n_obs))
    q = np.empty(n_q)
    for j in range(start, stop):
        out = y_out[j] if keep else scratch
        pre(p[j], q)
        for i in range(n):
            y[i] = y0[j, i]
        counts[0] = 0
        counts[1] = 0
        counts[2] = 0
        i_out = 0
        while i_out < n_out and t_out[i_out] <= t0:
            for i in range(n):
                out[i_out, i] = y0[j, i]
            i_out += 1
        switch = np.nan
        if methods[j] == METHOD_RODAS5P:
            code, t, i_out = rodas_run(t0, t1, y, q, t_out, i_out, rtol, atol, max_steps,
                                       h_max, 0.0, autonomous, rows, cols, out, counts)
        else:
            code, t, i_out, h = dopri5_run(t0, t1, y, q, t_out, i_out, rtol, atol,
                                           max_steps, h_max, methods[j] == METHOD_AUTO, out,
                                           counts)
            if code == STIFF:
                switch = t
                code, t, i_out = rodas_run(t, t1, y, q, t_out, i_out, rtol, atol,
                                           max_steps, h_max, h, autonomous, rows, cols, out,
                                           counts)
        while i_out < n_out:
            for i in range(n):
                out[i_out, i] = np.nan
            i_out += 1
        if metric_kinds.shape[0]:
            member_metrics(t_out, out, q, metric_kinds, metric_columns, metric_numbers,
                           metric_rows, obs_values, metrics[j])
        status[j] = code
        n_steps[j] = counts[0]
        n_rejected[j] = counts[1]
        n_rhs[j] = counts[2]
        t_reached[j] = t
        t_switch[j] = switch
