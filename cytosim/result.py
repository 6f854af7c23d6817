"""The result of a simulation: :class:`TimeCourse`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._names import suggest
from .exceptions import ModelError

if TYPE_CHECKING:
    import matplotlib.axes
    import pandas as pd
    import xarray as xr

__all__ = ["TimeCourse"]

STATUS_MESSAGES = {
    0: "The integration reached t_end.",
    -1: "The integration failed.",
}


@dataclass(frozen=True, eq=False)
class TimeCourse:
    """Trajectories of states and observables, with units and provenance.

    Attributes
    ----------
    t : ndarray, shape (n_times,)
        Output times, in :attr:`time_unit`.
    values : ndarray, shape (n_times, n_columns)
        States first, then observables (read-only).
    names : tuple of str
        Column names: state names then observable names.
    units : tuple of str
        Unit of each column.
    n_states : int
        How many leading columns are states.
    time_unit : str
        Unit of ``t``.
    status : int
        0 on success, -1 when the solver failed (the rows stop where it failed).
    message : str
        Why the integration stopped.
    provenance : mapping
        Model name and hashes, parameter and initial values, solver, tolerances, engine and
        cytosim version.
    stats : mapping
        Solver statistics (``nfev``, ``njev``, ``nlu``).

    Examples
    --------
    >>> import cytosim as cs
    >>> net = cs.Network()
    >>> net.add_cytokine("X", initial=1.0, decay_rate=1.0, use_catalogue=False)
    >>> tc = cs.simulate(net, t_end=1.0, n_points=3, engine="numpy")
    >>> tc["X"].round(3).tolist()
    [1.0, 0.607, 0.368]
    """

    t: NDArray[np.float64]
    values: NDArray[np.float64]
    names: tuple[str, ...]
    units: tuple[str, ...]
    n_states: int
    time_unit: str
    status: int = 0
    message: str = STATUS_MESSAGES[0]
    provenance: Mapping[str, Any] = field(default_factory=dict)
    stats: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for array in (self.t, self.values):
            array.setflags(write=False)

    @property
    def success(self) -> bool:
        """True when the integration reached the end."""
        return self.status >= 0

    @property
    def state_names(self) -> tuple[str, ...]:
        return self.names[: self.n_states]

    @property
    def observable_names(self) -> tuple[str, ...]:
        return self.names[self.n_states :]

    def _column(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise ModelError(f"no state or observable named {name!r} in this time course. "
                             f"{suggest(str(name), self.names)}") from None

    def __getitem__(self, name: str) -> NDArray[np.float64]:
        """The trajectory of one state or observable, shape ``(n_times,)``."""
        return self.values[:, self._column(name)]

    def unit_of(self, name: str) -> str:
        """The unit of one column."""
        return self.units[self._column(name)]

    def final_state(self) -> dict[str, float]:
        """``{state: value}`` at the last time point (to continue a simulation from)."""
        if len(self.t) == 0:
            raise ModelError("this time course has no rows")
        return {n: float(v) for n, v in zip(self.state_names, self.values[-1, : self.n_states],
                                            strict=True)}

    def to_pandas(self) -> pd.DataFrame:
        """A time-indexed DataFrame, one column per state and observable.

        The index is named ``time``; units are in ``df.attrs["units"]`` and
        ``df.attrs["time_unit"]``.
        """
        import pandas as pd

        frame = pd.DataFrame(np.array(self.values), columns=list(self.names),
                             index=pd.Index(np.array(self.t), name="time"))
        frame.attrs.update(units=dict(zip(self.names, self.units, strict=True)),
                           time_unit=self.time_unit, status=self.status, message=self.message)
        return frame

    def to_xarray(self) -> xr.Dataset:
        """An ``xarray.Dataset`` with a ``time`` dimension, one variable per column."""
        import xarray as xr

        data = {name: ("time", np.array(self.values[:, i]), {"units": unit})
                for i, (name, unit) in enumerate(zip(self.names, self.units, strict=True))}
        attrs = {k: (v if isinstance(v, str | int | float) else repr(v))
                 for k, v in self.provenance.items()}
        attrs.update(status=self.status, message=self.message)
        return xr.Dataset(data, coords={"time": ("time", np.array(self.t),
                                                  {"units": self.time_unit})}, attrs=attrs)

    def plot(self, names: Sequence[str] | None = None, *, ax: matplotlib.axes.Axes | None = None,
             logy: bool = False, **line_kwargs: Any) -> matplotlib.axes.Axes:
        """Plot trajectories (all states and observables by default) and return the Axes.

        Columns with different units are labelled with their unit in the legend.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
        for name in names if names is not None else self.names:
            unit = self.unit_of(name)
            ax.plot(self.t, self[name], label=f"{name} [{unit}]" if unit else name,
                    **line_kwargs)
        ax.set_xlabel(f"time [{self.time_unit}]")
        if logy:
            ax.set_yscale("log")
        ax.legend(frameon=False, fontsize="small")
        title = self.provenance.get("model")
        if title:
            ax.set_title(str(title))
        return ax

    def __repr__(self) -> str:
        span = f"{self.t[0]:g}-{self.t[-1]:g} {self.time_unit}" if len(self.t) else "empty"
        return (f"<TimeCourse {self.provenance.get('model', '')!r}: {len(self.t)} times "
                f"({span}), {len(self.names)} columns, status {self.status}>")
