"""Explicit Dormand-Prince 5(4) integration of a parameter ensemble, one member at a time.

Every member (a row of initial values and parameters) is integrated independently with
its own step sizes and error control, in compiled code, on all of numba's threads. Output
times are filled by dense output, so they never shorten a step, and a failing member
records its status without disturbing the others. Member ``j``'s result depends only on
``y0[j]`` and ``p[j]``: it is bit-identical whatever the ensemble's size, order or
thread count.

The method (tableau, step-size control, first step, continuous extension) is described
and cited in :mod:`cytosim.solvers._dopri5_kernel`. An explicit method suits non-stiff
members; a stiff member still succeeds but takes many small, stability-limited steps
(its ``n_steps`` shows it), and a very stiff one stops at ``max_steps``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..compiler import OdeSystem
from ..exceptions import ParameterError
from . import _dopri5_kernel as kernel
from ._loader import load_solver, parallel_chunks

__all__ = ["MESSAGES", "STATUS", "EnsembleResult", "integrate_ensemble"]

STATUS = {
    kernel.SUCCESS: "success",
    kernel.MAX_STEPS_REACHED: "max_steps",
    kernel.STEP_SIZE_TOO_SMALL: "step_size_too_small",
    kernel.NON_FINITE: "non_finite",
}
MESSAGES = {
    kernel.SUCCESS: "The solver successfully reached the end of the integration interval.",
    kernel.MAX_STEPS_REACHED: "The maximum number of steps was reached. Try increasing "
                              "`max_steps`, or use a stiff method (BDF) if the member is "
                              "stiff.",
    kernel.STEP_SIZE_TOO_SMALL: "The step size became smaller than the spacing of floating-"
                                "point numbers near t: the solution may blow up in finite "
                                "time. Check the member's parameters, or use a stiff method "
                                "(BDF).",
    kernel.NON_FINITE: "The right-hand side or the state was not finite (NaN or inf) at "
                       "every step size tried. Check the member's parameters and initial "
                       "values for a division by zero, an overflow or a negative base "
                       "raised to a fractional power.",
}
MIN_RTOL = 100 * kernel.EPS
MEMBERS_PER_CHUNK = 4  # members handed to a thread at a time (members differ in cost)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class EnsembleResult:
    """Trajectories and solver statistics of an ensemble, one row per member.

    Attributes
    ----------
    y : ndarray, shape (m, k, n_states)
        ``y[j, i]`` is member ``j``'s state at output time ``t_out[i]``; rows after a
        failure are NaN.
    status : ndarray of int8, shape (m,)
        Keys of :data:`STATUS` and :data:`MESSAGES`; 0 is success.
    n_steps, n_rejected : ndarray of int64, shape (m,)
        Accepted and rejected steps.
    n_rhs : ndarray of int64, shape (m,)
        Evaluations of the right-hand side.
    t_reached : ndarray, shape (m,)
        Time of the last accepted step (``t1`` on success), in the model's time unit.

    All arrays are read-only.
    """

    y: FloatArray
    status: NDArray[np.int8]
    n_steps: NDArray[np.int64]
    n_rejected: NDArray[np.int64]
    n_rhs: NDArray[np.int64]
    t_reached: FloatArray

    @property
    def success(self) -> NDArray[np.bool_]:
        """``status == 0`` per member."""
        return self.status == kernel.SUCCESS


def integrate_ensemble(system: OdeSystem, t0: float, t1: float, y0: ArrayLike, p: ArrayLike,
                       t_out: ArrayLike, *, rtol: float = 1e-6, atol: float = 1e-9,
                       max_steps: int = 100_000, h_max: float = np.inf) -> EnsembleResult:
    """Integrate ``m`` members of *system* from *t0* to *t1* with DOPRI5, independently.

    Parameters
    ----------
    system : OdeSystem
        The compiled model; its kernel is compiled with numba on first use and cached on
        disk (see :mod:`cytosim._jit`).
    t0, t1 : float
        Start and end times in the model's time unit, ``t1 > t0``.
    y0 : array_like, shape (m, n_states)
        Initial values, one row per member.
    p : array_like, shape (m, n_params)
        Parameters, one row per member (columns in ``system.param_names`` order).
    t_out : array_like, shape (k,)
        Output times, strictly increasing within ``[t0, t1]``. A time equal to *t0* gives
        ``y0`` exactly; a time equal to *t1* gives the end state.
    rtol, atol : float
        Relative and absolute tolerances of the local error, per state.
    max_steps : int
        Trial steps (accepted or rejected) allowed per member.
    h_max : float
        Largest step, in the model's time unit.

    Returns
    -------
    EnsembleResult
        Failures are recorded per member in ``status``, never raised.

    Raises
    ------
    TypeError
        When *system* is not an :class:`~cytosim.OdeSystem`.
    ParameterError
        For arrays of the wrong shape, output times out of order or outside the interval,
        or invalid settings (a ``ValueError``).
    MissingDependencyError
        When numba is not installed.

    Examples
    --------
    >>> import numpy as np, cytosim as cs
    >>> from cytosim.solvers import integrate_ensemble
    >>> net = cs.Network()
    >>> net.add_cytokine("X", initial=1.0, decay_rate=0.5, use_catalogue=False)
    >>> system = cs.compile_network(net)
    >>> p = np.array([system.param_vector({"X.rate": r}) for r in (0.5, 1.0, 2.0)])
    >>> result = integrate_ensemble(system, 0.0, 2.0, np.ones((3, 1)), p, [0.0, 1.0, 2.0])
    >>> np.round(result.y[:, -1, 0], 4)  # exp(-2 * rate)
    array([0.3679, 0.1353, 0.0183])
    >>> result.status
    array([0, 0, 0], dtype=int8)
    """
    if not isinstance(system, OdeSystem):
        raise TypeError(f"`system` must be an OdeSystem: pass cs.compile_network(network), "
                        f"got {type(system).__name__}")
    t0 = _time(t0, "t0")
    t1 = _time(t1, "t1")
    if not t1 > t0:
        _fail(f"`t1` ({t1:g}) must be greater than `t0` ({t0:g})")
    y0 = _members(y0, "y0", None, system.n_states)
    m = y0.shape[0]
    p = _members(p, "p", m, system.n_params)
    t_out = _output_times(t_out, t0, t1)
    rtol = _positive(rtol, "rtol", MIN_RTOL)
    atol = _positive(atol, "atol", 0.0)
    max_steps = _max_steps(max_steps)
    h_max = _h_max(h_max)

    functions = load_solver("_dopri5_kernel", system.sources["numba"], ("dopri5_ensemble",),
                            parallel=("dopri5_ensemble",))
    y = np.empty((m, t_out.shape[0], system.n_states))
    status = np.empty(m, dtype=np.int8)
    n_steps = np.empty(m, dtype=np.int64)
    n_rejected = np.empty(m, dtype=np.int64)
    n_rhs = np.empty(m, dtype=np.int64)
    t_reached = np.empty(m)
    if m:
        with parallel_chunks(MEMBERS_PER_CHUNK):
            functions["dopri5_ensemble"](t0, t1, y0, p, t_out, rtol, atol, max_steps, h_max,
                                         y, status, n_steps, n_rejected, n_rhs, t_reached)
    for array in (y, status, n_steps, n_rejected, n_rhs, t_reached):
        array.setflags(write=False)
    return EnsembleResult(y=y, status=status, n_steps=n_steps, n_rejected=n_rejected,
                          n_rhs=n_rhs, t_reached=t_reached)


# -------------------------------------------------------------------- validation
def _fail(message: str) -> NoReturn:
    raise ParameterError(message)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_)


def _time(value: Any, name: str) -> float:
    if not _is_number(value) or not math.isfinite(value):
        _fail(f"`{name}` must be a finite number, got {value!r}")
    return float(value)


def _members(values: ArrayLike, name: str, m: int | None, columns: int) -> FloatArray:
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != columns or (m is not None and array.shape[0] != m):
        rows = "m" if m is None else str(m)
        _fail(f"`{name}` is expected to have shape ({rows}, {columns}), but has shape "
              f"{array.shape}")
    return array


def _output_times(values: ArrayLike, t0: float, t1: float) -> FloatArray:
    t_out = np.ascontiguousarray(values, dtype=np.float64)
    if t_out.ndim != 1 or t_out.size == 0:
        _fail(f"`t_out` is expected to have shape (k,) with k >= 1, but has shape "
              f"{t_out.shape}")
    if not np.all(np.isfinite(t_out)):
        i = int(np.flatnonzero(~np.isfinite(t_out))[0])
        _fail(f"`t_out` must be finite, but t_out[{i}] = {float(t_out[i])!r}")
    steps = np.diff(t_out)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0]) + 1
        _fail(f"`t_out` must be strictly increasing, but t_out[{i}] = {t_out[i]:g} follows "
              f"t_out[{i - 1}] = {t_out[i - 1]:g}")
    if t_out[0] < t0 or t_out[-1] > t1:
        i = 0 if t_out[0] < t0 else t_out.size - 1
        _fail(f"`t_out` must lie within [t0, t1] = [{t0:g}, {t1:g}], but t_out[{i}] = "
              f"{t_out[i]:g}")
    return t_out


def _positive(value: Any, name: str, minimum: float) -> float:
    if not _is_number(value) or not math.isfinite(value) or value <= 0 or value < minimum:
        least = f"at least {minimum:.2g} (100 machine epsilons)" if minimum else "positive"
        _fail(f"`{name}` must be a finite number, {least}, got {value!r}")
    return float(value)


def _max_steps(value: Any) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        _fail(f"`max_steps` must be a positive integer, got {value!r}")
    return int(value)


def _h_max(value: Any) -> float:
    if not _is_number(value) or math.isnan(value) or value <= 0:
        _fail(f"`h_max` must be a positive number (np.inf for no limit), got {value!r}")
    return float(value)
