"""Ensemble ODE solvers compiled with numba, one method per module.

- :mod:`cytosim.solvers.dopri5`: explicit Dormand-Prince 5(4), each member with its own
  step size, for parameter sweeps of non-stiff models (re-exported here).
- :mod:`cytosim.solvers.rodas`: the linearly implicit Rosenbrock method Rodas5P of the RODAS
  family (Hairer & Wanner; Steinebach), same arguments and result, for stiff members.
- :mod:`cytosim.solvers.auto`: DOPRI5 with Hairer's stiffness detection, each member that
  turns out stiff going on with Rodas5P; same arguments and result.

All three run in one compiled kernel per model (the method is chosen per member).
"""

from . import auto as auto
from . import dopri5 as dopri5
from . import rodas as rodas
from .dopri5 import MESSAGES as MESSAGES
from .dopri5 import STATUS as STATUS
from .dopri5 import EnsembleResult as EnsembleResult
from .dopri5 import integrate_ensemble as integrate_ensemble

__all__ = ["MESSAGES", "STATUS", "EnsembleResult", "auto", "dopri5", "integrate_ensemble",
           "rodas"]
