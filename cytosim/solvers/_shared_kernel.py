"""Kernel pieces shared by every ensemble method (plain source, compiled with each kernel).

The loader puts the text below the marker in front of a method's own kernel text, so these
functions and constants are compiled into the same module as the model's functions. They
also import as plain Python, for the kernels' uncompiled path and for tests.
"""

import math


def rhs(t, y, p, out):  # stand-in: the loader puts the model's rhs in its place
    raise NotImplementedError("compile the kernel with cytosim.solvers._loader")


# N_STATES, set by the loader in front of the kernel, is the model's number of states when
# it is small (0 otherwise): the loops over the states then have a length known when the
# module compiles, which the compiler unrolls and runs several states at once
# (``n = n_states(y.shape[0])``, the test being decided at compile time).
N_STATES = 0  # stand-in


# ---- KERNEL: everything below is compiled with the model's functions ----

EPS = 2.0 ** -52  # float64 machine epsilon; steps below 10 * EPS * |t| are meaningless

# Member status codes, mirrored by cytosim.solvers._common.
SUCCESS = 0
MAX_STEPS_REACHED = 1
STEP_SIZE_TOO_SMALL = 2
NON_FINITE = 3


def n_states(length):
    """The number of states: ``N_STATES`` when the loader fixed it, else *length* (an
    array's), decided when the module compiles."""
    return N_STATES if N_STATES else length


def all_finite(v):
    """True when every entry of the 1-D array *v* is finite."""
    for i in range(v.shape[0]):  # noqa: SIM110 (a plain loop compiles to the tightest code)
        if not math.isfinite(v[i]):
            return False
    return True


def initial_step(t0, y0, f0, p, rtol, atol, interval, h_max, y1, f1, error_exponent):
    """First step size by Hairer, Norsett & Wanner (1993), sec. II.4, "starting step size".

    Uses one extra evaluation of ``rhs`` (an explicit Euler probe written to *y1*, *f1*);
    *error_exponent* is ``-1 / (order of the method's error estimate + 1)``. A probe that is
    not finite leaves the first step at the probe's own size; the step controller then
    shrinks it as needed.
    """
    n = n_states(y0.shape[0])
    d0 = 0.0
    d1 = 0.0
    for i in range(n):
        scale = atol + rtol * abs(y0[i])
        d0 += (y0[i] / scale) ** 2
        d1 += (f0[i] / scale) ** 2
    d0 = math.sqrt(d0 / n)
    d1 = math.sqrt(d1 / n)
    if d0 < 1e-5 or d1 < 1e-5:
        h0 = 1e-6
    else:
        h0 = 0.01 * d0 / d1
    h0 = min(h0, interval)
    for i in range(n):
        y1[i] = y0[i] + h0 * f0[i]
    rhs(t0 + h0, y1, p, f1)
    d2 = 0.0
    for i in range(n):
        scale = atol + rtol * abs(y0[i])
        d2 += ((f1[i] - f0[i]) / scale) ** 2
    d2 = math.sqrt(d2 / n) / h0
    if not math.isfinite(d2):
        return min(h0, h_max)
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (-error_exponent)
    return min(100.0 * h0, h1, interval, h_max)
