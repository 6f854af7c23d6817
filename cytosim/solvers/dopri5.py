"""Explicit Dormand-Prince 5(4) integration of a parameter ensemble, member by member.

Every member (a row of initial values and parameters) is integrated independently with
its own step sizes and error control, in compiled code, on ``numba.get_num_threads()``
threads (each thread advancing a few members side by side, so that the processor
overlaps their arithmetic). Output times are filled by dense output, so they never
shorten a step, and a failing member records its status without disturbing the others.
Member ``j``'s result depends only on ``y0[j]`` and ``p[j]``: it is bit-identical
whatever the ensemble's size, order or thread count.

The method (tableau, step-size control, first step, continuous extension) is described
and cited in :mod:`cytosim.solvers._dopri5_kernel`. An explicit method suits non-stiff
members; a stiff member still succeeds but takes many small, stability-limited steps
(its ``n_steps`` shows it), and a very stiff one stops at ``max_steps``: integrate those
with :mod:`cytosim.solvers.rodas`, or let :mod:`cytosim.solvers.auto` switch the members
that turn out stiff.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..compiler import OdeSystem
from ._common import MESSAGES as MESSAGES
from ._common import METHODS, run_ensemble, validate_ensemble
from ._common import MIN_RTOL as MIN_RTOL
from ._common import STATUS as STATUS
from ._common import EnsembleResult as EnsembleResult

__all__ = ["MESSAGES", "STATUS", "EnsembleResult", "integrate_ensemble"]


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
    inputs = validate_ensemble(system, t0, t1, y0, p, t_out, rtol, atol, max_steps, h_max)
    methods = np.full(inputs.y0.shape[0], METHODS["dopri5"], dtype=np.int8)
    return run_ensemble(system, inputs, methods)
