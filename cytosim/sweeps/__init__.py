"""Parameter sweeps: spaces, designs, metrics, chunked ensemble execution."""

from ._run import sweep as sweep
from ._run import to_dataframe as to_dataframe
from .spaces import Range as Range
from .spaces import Relative as Relative
from .spaces import Values as Values

__all__ = ["Range", "Relative", "Values", "sweep", "to_dataframe"]
