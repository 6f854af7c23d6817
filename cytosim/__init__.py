"""cytosim: simulate cytokine signaling networks drawn as graphs.

>>> import cytosim as cs
>>> net = cs.Network("demo")
>>> net.add_cytokine("IL-10", initial=1.0)
>>> net.parameter_values()["IL-10.rate"] > 0   # decay from the catalogue half-life
True
"""

from . import expr as expr
from . import interventions as interventions
from . import kinetics as kinetics
from . import therapies as therapies
from ._exposure import AreaUnderCurve as AreaUnderCurve
from ._exposure import Exposure as Exposure
from ._exposure import exposure as exposure
from ._exposure import sampling_times as sampling_times
from ._version import __version__ as __version__
from .catalogue import catalog as catalog
from .cohorts import Cohort as Cohort
from .cohorts import Covariate as Covariate
from .cohorts import body_weight as body_weight
from .cohorts import virtual_cohort as virtual_cohort
from .compiler import OdeSystem as OdeSystem
from .compiler import compile_network as compile_network
from .exceptions import CytosimError as CytosimError
from .exceptions import MissingDependencyError as MissingDependencyError
from .exceptions import ModelError as ModelError
from .exceptions import ParameterError as ParameterError
from .exceptions import SolverError as SolverError
from .exceptions import StorageError as StorageError
from .exceptions import UntestableCondition as UntestableCondition
from .interventions import Block as Block
from .interventions import Condition as Condition
from .interventions import Dose as Dose
from .interventions import DosingSchedule as DosingSchedule
from .interventions import Knockout as Knockout
from .interventions import SetParameter as SetParameter
from .interventions import pk_compartments as pk_compartments
from .io import list_models as list_models
from .io import load_model as load_model
from .io import save_model as save_model
from .kinetics import Hill as Hill
from .kinetics import Linear as Linear
from .kinetics import RateLaw as RateLaw
from .network import Network as Network
from .result import TimeCourse as TimeCourse
from .simulation import simulate as simulate
from .sweeps import Range as Range
from .sweeps import Relative as Relative
from .sweeps import Values as Values
from .sweeps import sweep as sweep
from .tissue import tissue as tissue

__all__ = [
    "AreaUnderCurve",
    "Block",
    "Cohort",
    "Condition",
    "Covariate",
    "CytosimError",
    "Dose",
    "DosingSchedule",
    "Exposure",
    "Hill",
    "Knockout",
    "Linear",
    "MissingDependencyError",
    "ModelError",
    "Network",
    "OdeSystem",
    "ParameterError",
    "Range",
    "RateLaw",
    "Relative",
    "SetParameter",
    "SolverError",
    "StorageError",
    "TimeCourse",
    "UntestableCondition",
    "Values",
    "__version__",
    "body_weight",
    "catalog",
    "compile_network",
    "exposure",
    "expr",
    "interventions",
    "kinetics",
    "list_models",
    "load_model",
    "pk_compartments",
    "sampling_times",
    "save_model",
    "simulate",
    "sweep",
    "therapies",
    "tissue",
    "virtual_cohort",
]
