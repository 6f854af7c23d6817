"""Ensemble integration with automatic stiffness switching: DOPRI5, then Rodas5P if stiff.

Every member (a row of initial values and parameters) starts with the explicit DOPRI5 of
:mod:`cytosim.solvers.dopri5`, which watches its own steps with the stiffness detection of
Hairer's ``dopri5.f``: after every accepted step it estimates ``h * |lambda|``, the step size
times the largest eigenvalue of the Jacobian that the step explored, from its last two stages;
DOPRI5's stability region ends near ``h * |lambda| = 3.3``, so a member whose steps stay above
``STIFF_BOUND`` (15 times, without 6 steps in a row below) is held back by stability, not
accuracy: it is stiff. ``dopri5.f`` uses 3.25; cytosim uses 2.0 (the step controller can hold a
stiff member between 1.8 and 3.25 for hundreds of steps; the reasons and checks are in
:mod:`cytosim.solvers._dopri5_kernel`). That member goes on from its last accepted step with the
Rosenbrock method Rodas5P of :mod:`cytosim.solvers.rodas` until the end; the others finish with
DOPRI5, their results bit for bit those of :func:`cytosim.solvers.dopri5.integrate_ensemble`
(the checks only read values). Each member decides alone (no check looks at other members), so
the result of member ``j`` depends only on ``y0[j]`` and ``p[j]``, whatever the ensemble's size,
order or threads. ``result.t_switch`` says which members switched, and when. The kernel is
described and cited in :mod:`cytosim.solvers._ensemble_kernel`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..compiler import OdeSystem
from ._common import MESSAGES as MESSAGES
from ._common import METHODS, run_ensemble, validate_ensemble
from ._common import STATUS as STATUS
from ._common import EnsembleResult as EnsembleResult

__all__ = ["MESSAGES", "STATUS", "EnsembleResult", "integrate_ensemble"]


def integrate_ensemble(system: OdeSystem, t0: float, t1: float, y0: ArrayLike, p: ArrayLike,
                       t_out: ArrayLike, *, rtol: float = 1e-6, atol: float = 1e-9,
                       max_steps: int = 100_000, h_max: float = np.inf) -> EnsembleResult:
    """Integrate ``m`` members of *system* from *t0* to *t1*, switching stiff ones to Rodas5P.

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
        Output times, strictly increasing within ``[t0, t1]``.
    rtol, atol : float
        Relative and absolute tolerances of the local error, per state.
    max_steps : int
        Trial steps (accepted or rejected, both methods together) allowed per member.
    h_max : float
        Largest step, in the model's time unit.

    Returns
    -------
    EnsembleResult
        ``t_switch`` holds the time at which each member went over to Rodas5P (NaN: it
        finished with DOPRI5). Failures are recorded per member in ``status``, never
        raised.

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
    Decay rates of 0.5 and 10^5 per hour: the slow member stays with DOPRI5, the fast one,
    once DOPRI5's steps are held at its stability limit, goes on with Rodas5P.

    >>> import numpy as np, cytosim as cs
    >>> from cytosim.solvers import auto
    >>> net = cs.Network()
    >>> net.add_cytokine("X", initial=1.0, decay_rate=0.5, use_catalogue=False)
    >>> system = cs.compile_network(net)
    >>> p = np.array([system.param_vector({"X.rate": r}) for r in (0.5, 1e5)])
    >>> result = auto.integrate_ensemble(system, 0.0, 2.0, np.ones((2, 1)), p, [1.0, 2.0])
    >>> round(float(result.y[0, -1, 0]), 4), bool(abs(result.y[1, -1, 0]) < 1e-9)  # exp(-2 rate)
    (0.3679, True)
    >>> result.switched, result.status
    (array([False,  True]), array([0, 0], dtype=int8))
    """
    inputs = validate_ensemble(system, t0, t1, y0, p, t_out, rtol, atol, max_steps, h_max)
    methods = np.full(inputs.y0.shape[0], METHODS["auto"], dtype=np.int8)
    return run_ensemble(system, inputs, methods)
