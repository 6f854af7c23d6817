"""What every ensemble method shares: status codes, the result type, validation, the run.

A method module (:mod:`~cytosim.solvers.dopri5`, :mod:`~cytosim.solvers.rodas`,
:mod:`~cytosim.solvers.auto`) validates its arguments with :func:`validate_ensemble` and
hands them to :func:`run_ensemble` with the method of every member; it loads the model's
compiled kernel (one per model, holding every method), allocates the outputs, runs ranges
of members on threads and returns a read-only :class:`EnsembleResult`. The kernel mirrors
the status and method codes below in its own constants (it is compiled on its own, so it
cannot import them); the tests check that they agree.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._jit import numba_disabled
from ..compiler import OdeSystem
from ..exceptions import ParameterError
from ._loader import ENTRY, load_solver, model_source

__all__ = ["MESSAGES", "METHODS", "STATUS", "EnsembleInputs", "EnsembleResult",
           "run_ensemble", "validate_ensemble"]

# Member status codes (int8), mirrored by the constants of every kernel.
SUCCESS = 0
MAX_STEPS_REACHED = 1
STEP_SIZE_TOO_SMALL = 2
NON_FINITE = 3

STATUS = {
    SUCCESS: "success",
    MAX_STEPS_REACHED: "max_steps",
    STEP_SIZE_TOO_SMALL: "step_size_too_small",
    NON_FINITE: "non_finite",
}
MESSAGES = {
    SUCCESS: "The solver successfully reached the end of the integration interval.",
    MAX_STEPS_REACHED: "The maximum number of steps was reached. Try increasing `max_steps`; "
                       "a stiff member integrated with the explicit DOPRI5 needs the stiff "
                       "method (cytosim.solvers.rodas).",
    STEP_SIZE_TOO_SMALL: "The step size became smaller than the spacing of floating-point "
                         "numbers near t: the solution may blow up in finite time. Check "
                         "the member's parameters; with DOPRI5, try the stiff method "
                         "(cytosim.solvers.rodas).",
    NON_FINITE: "The right-hand side, its Jacobian or the state was not finite (NaN or "
                "inf), at the current state or at every step size tried. Check the "
                "member's parameters and initial values for a division by zero, an "
                "overflow or a negative base raised to a fractional power.",
}
# Per-member methods (int8), mirrored by the kernel's METHOD_* constants.
METHODS = {"dopri5": 0, "rodas5p": 1, "auto": 2}
# Metrics the kernel computes, mirrored by its METRIC_* constants.
METRIC_KINDS = {"peak": 0, "time_of_peak": 1, "trough": 2, "auc": 3, "final": 4,
                "value_at": 5, "below": 6, "above": 7}

EPS = 2.0 ** -52  # float64 machine epsilon
MIN_RTOL = 100 * EPS
MAX_MEMBERS_PER_TASK = 64  # members differ in cost: threads take ranges as they go
MIN_MEMBERS_PER_TASK = 4

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
    t_switch : ndarray, shape (m,)
        Time at which the automatic method (:mod:`~cytosim.solvers.auto`) found the member
        stiff and went on with Rodas5P; NaN when it did not (always, for the other
        methods).

    All arrays are read-only.
    """

    y: FloatArray
    status: NDArray[np.int8]
    n_steps: NDArray[np.int64]
    n_rejected: NDArray[np.int64]
    n_rhs: NDArray[np.int64]
    t_reached: FloatArray
    t_switch: FloatArray

    @property
    def success(self) -> NDArray[np.bool_]:
        """``status == 0`` per member."""
        return self.status == SUCCESS

    @property
    def switched(self) -> NDArray[np.bool_]:
        """True for the members that the automatic method finished with Rodas5P."""
        return ~np.isnan(self.t_switch)


@dataclass(frozen=True, eq=False)
class EnsembleInputs:
    """The validated arguments of an ensemble integration (see :func:`validate_ensemble`)."""

    t0: float
    t1: float
    y0: FloatArray
    p: FloatArray
    t_out: FloatArray
    rtol: float
    atol: float
    max_steps: int
    h_max: float


def validate_ensemble(system: Any, t0: Any, t1: Any, y0: ArrayLike, p: ArrayLike,
                      t_out: ArrayLike, rtol: Any, atol: Any, max_steps: Any,
                      h_max: Any) -> EnsembleInputs:
    """Check the arguments of ``integrate_ensemble`` once, at the boundary.

    Raises
    ------
    TypeError
        When *system* is not an :class:`~cytosim.OdeSystem`.
    ParameterError
        For arrays of the wrong shape, output times out of order or outside the interval,
        or invalid settings.
    """
    if not isinstance(system, OdeSystem):
        raise TypeError(f"`system` must be an OdeSystem: pass cs.compile_network(network), "
                        f"got {type(system).__name__}")
    t0 = _time(t0, "t0")
    t1 = _time(t1, "t1")
    if not t1 > t0:
        _fail(f"`t1` ({t1:g}) must be greater than `t0` ({t0:g})")
    y0 = _members(y0, "y0", None, system.n_states)
    p = _members(p, "p", y0.shape[0], system.n_params)
    return EnsembleInputs(t0=t0, t1=t1, y0=y0, p=p, t_out=_output_times(t_out, t0, t1),
                          rtol=_positive(rtol, "rtol", MIN_RTOL),
                          atol=_positive(atol, "atol", 0.0),
                          max_steps=_max_steps(max_steps), h_max=_h_max(h_max))


def run_ensemble(system: OdeSystem, inputs: EnsembleInputs, methods: NDArray[np.int8]
                 ) -> EnsembleResult:
    """Integrate every member of *inputs* with its method and return the read-only result.

    *methods* holds one of the :data:`METHODS` codes per member. The model's kernel is
    compiled (or loaded from the disk cache) on first use. Members are run in ranges on
    ``numba.get_num_threads()`` threads, each range on one thread in compiled code
    without the GIL; the ranges are disjoint and every member writes only its own rows,
    so the result does not depend on the threads.
    """
    return run_members(system, inputs, methods)[0]


@dataclass(frozen=True, eq=False)
class MetricSpec:
    """Metrics for the kernel to compute per member (see ``member_metrics`` in
    :mod:`cytosim.solvers._ensemble_kernel`): one entry per metric."""

    kinds: NDArray[np.int64]  # METRIC_KINDS codes
    columns: NDArray[np.int64]  # state index, or n_states + observable index
    numbers: FloatArray  # crossing levels (NaN for the others)
    rows: NDArray[np.int64]  # output row of value_at (0 for the others)


NO_METRICS = MetricSpec(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0),
                        np.zeros(0, np.int64))


def run_members(system: OdeSystem, inputs: EnsembleInputs, methods: NDArray[np.int8], *,
                keep: bool = True, metrics: MetricSpec = NO_METRICS
                ) -> tuple[EnsembleResult, FloatArray]:
    """:func:`run_ensemble` with metrics computed in the kernel, shape ``(m, n_metrics)``.

    Without *keep* no trajectories are stored (``result.y`` has no rows): each member's
    goes to a scratch array, so memory and time do not go into copies of trajectories
    that only feed the metrics.
    """
    source, n_q = model_source(system)
    entry = load_solver(source)[ENTRY]
    m, k, n = inputs.y0.shape[0], inputs.t_out.shape[0], system.n_states
    y = np.empty((m, k if keep else 0, n))
    values = np.empty((m, len(metrics.kinds)))
    status = np.empty(m, dtype=np.int8)
    n_steps = np.empty(m, dtype=np.int64)
    n_rejected = np.empty(m, dtype=np.int64)
    n_rhs = np.empty(m, dtype=np.int64)
    t_reached = np.empty(m)
    t_switch = np.empty(m)
    methods = np.ascontiguousarray(methods, dtype=np.int8)
    rodas = bool(np.any(methods != METHODS["dopri5"]))
    arguments = (methods, inputs.t0, inputs.t1, inputs.y0, inputs.p, n_q, inputs.t_out,
                 inputs.rtol, inputs.atol, inputs.max_steps, inputs.h_max,
                 is_autonomous(system) if rodas else True, _pattern(system.rows),
                 _pattern(system.cols), keep, metrics.kinds, metrics.columns, metrics.numbers,
                 metrics.rows, len(system.observable_names), y, values, status, n_steps,
                 n_rejected, n_rhs, t_reached, t_switch)
    threads = 1 if numba_disabled() else _numba_threads()
    if threads == 1 or m < 2 * MIN_MEMBERS_PER_TASK:
        entry(0, m, *arguments)
    else:
        _on_threads(entry, arguments, _ranges(m, threads), threads)
    for array in (y, status, n_steps, n_rejected, n_rhs, t_reached, t_switch):
        array.setflags(write=False)
    return EnsembleResult(y=y, status=status, n_steps=n_steps, n_rejected=n_rejected,
                          n_rhs=n_rhs, t_reached=t_reached, t_switch=t_switch), values


def _ranges(m: int, threads: int) -> list[tuple[int, int]]:
    """Ranges of members, shorter towards the end ("guided" scheduling): each holds a
    quarter of a thread's share of the members left, between MIN_ and
    MAX_MEMBERS_PER_TASK, so the threads run out of work at nearly the same time.

    >>> [stop - start for start, stop in _ranges(200, 2)]
    [25, 22, 20, 17, 15, 13, 11, 10, 9, 8, 7, 6, 5, 4, 4, 4, 4, 4, 4, 4, 4]
    """
    ranges = []
    start = 0
    while start < m:
        size = -(-(m - start) // (4 * threads))
        size = min(MAX_MEMBERS_PER_TASK, max(MIN_MEMBERS_PER_TASK, size))
        ranges.append((start, min(start + size, m)))
        start += size
    return ranges


def _on_threads(entry: Any, arguments: tuple[Any, ...], ranges: list[tuple[int, int]],
                threads: int) -> None:
    """Run ``entry(start, stop, *arguments)`` over *ranges* on *threads* threads, the
    calling thread being one of them; each thread takes the next range when it is done.

    The kernel releases the GIL, so the threads run ranges at once. An error of the kernel
    stops the other threads at their next range and is raised here.
    """
    lock = threading.Lock()
    pending = iter(ranges)
    failed: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                task = None if failed else next(pending, None)
            if task is None:
                return
            try:
                entry(task[0], task[1], *arguments)
            except BaseException as error:
                with lock:
                    failed.append(error)
                return

    helpers = [threading.Thread(target=work, daemon=True) for _ in range(threads - 1)]
    for helper in helpers:
        helper.start()
    try:
        work()
        for helper in helpers:
            helper.join()
    except BaseException as error:  # e.g. Ctrl-C: the helpers stop at their next range
        with lock:
            failed.append(error)
        for helper in helpers:
            helper.join()
        raise
    if failed:
        raise failed[0]


def is_autonomous(system: OdeSystem) -> bool:
    """True when no derivative of *system* depends on the time ``t`` explicitly."""
    return _autonomous(system.sources["numba"])


@functools.lru_cache(maxsize=64)
def _autonomous(source: str) -> bool:
    """Whether the generated ``rhs`` in *source* never reads ``t`` (the emitter writes the
    time as the token ``t`` and nothing else so). Cached: a sweep asks once per chunk and
    walking the expression trees of a large model takes longer than integrating it."""
    start = source.index("def rhs(t, y, p, out):\n") + len("def rhs(t, y, p, out):\n")
    end = source.find("\ndef ", start)
    return re.search(r"\bt\b", source[start:end if end >= 0 else len(source)]) is None


def _pattern(indices: NDArray[np.int64]) -> NDArray[np.int64]:
    # a writable copy: numba compiles read-only arrays as a separate signature
    return np.array(indices, dtype=np.int64)


def _numba_threads() -> int:
    import numba

    return int(numba.get_num_threads())


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
