"""Compile a :class:`~cytosim.network.Network` into an :class:`OdeSystem`.

The system is compiled once per network structure; parameters are an array argument, so
a sweep of a million parameter sets never recompiles. From one index-based intermediate
form (:mod:`cytosim._assemble`) it emits:

- a vectorised numpy right-hand side, Jacobian (values on a fixed sparsity pattern) and
  observables: ``y`` of shape ``(n_states,)`` or ``(n_states, n_members)`` and ``p`` of
  shape ``(n_params,)`` or ``(n_params, n_members)``, evaluated with no Python loop over
  members or edges;
- the same functions as scalar source for numba (:meth:`OdeSystem.numba`), compiled on
  first use and cached on disk by structure hash (see :mod:`cytosim._jit`).

Examples
--------
>>> import numpy as np, cytosim as cs
>>> net = cs.Network()
>>> net.add_cytokine("X", initial=2.0, decay_rate=0.5, use_catalogue=False)
>>> system = cs.compile_network(net)
>>> system.rhs(0.0, np.array([2.0]))
array([-1.])
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from . import expr as ex
from ._assemble import assemble
from ._emit import build_functions, emit_function
from ._jit import load_kernels
from ._names import suggest
from .exceptions import ParameterError
from .kinetics import ParamSpec

if TYPE_CHECKING:
    from .network import Network

__all__ = ["OdeSystem", "compile_network"]

FloatArray = NDArray[np.float64]


def _readonly(values: ArrayLike, dtype: Any = np.float64) -> NDArray[Any]:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class OdeSystem:
    """A compiled ODE system ``dy/dt = f(t, y, p)`` with its analytic Jacobian.

    Attributes
    ----------
    name : str
        Model name.
    time_unit : str
        Unit of ``t``.
    state_names, param_names, observable_names : tuple of str
        Index maps: ``y[i]`` is ``state_names[i]``, ``p[j]`` is ``param_names[j]``.
    state_units, param_units, observable_units : tuple of str
    default_params : ndarray, shape (n_params,)
        The network's parameter values.
    default_initial : ndarray, shape (n_states,)
        The network's initial values.
    rows, cols : ndarray of int, shape (nnz,)
        Jacobian sparsity pattern, sorted by column then row (CSC order).
    derivatives, jacobian, observable_exprs : tuple of Expr
        The expression trees the functions were generated from.
    structure_key : str
        Hash of the generated code (the model's structure, not its values).
    model_hash : str
        Hash of the model's structure *and* values, for provenance.
    """

    name: str
    time_unit: str
    state_names: tuple[str, ...]
    state_units: tuple[str, ...]
    param_names: tuple[str, ...]
    param_units: tuple[str, ...]
    observable_names: tuple[str, ...]
    observable_units: tuple[str, ...]
    default_params: FloatArray
    default_initial: FloatArray
    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    derivatives: tuple[ex.Expr, ...]
    jacobian: tuple[ex.Expr, ...]
    observable_exprs: tuple[ex.Expr, ...]
    param_specs: tuple[ParamSpec, ...]
    derived_params: Mapping[str, tuple[str, Callable[[float], float]]]
    structure_key: str
    model_hash: str
    sources: Mapping[str, str] = field(repr=False)
    _numpy: Mapping[str, Callable[..., Any]] = field(repr=False)

    @property
    def n_states(self) -> int:
        return len(self.state_names)

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def nnz(self) -> int:
        return len(self.rows)

    # ---------------------------------------------------------------- evaluation
    def _args(self, y: ArrayLike, p: ArrayLike | None, rows: int
              ) -> tuple[FloatArray, FloatArray, FloatArray]:
        y = np.asarray(y, dtype=np.float64)
        p = self.default_params if p is None else np.asarray(p, dtype=np.float64)
        # trailing axes (members, times...) broadcast against each other
        if y.ndim < 1 or y.shape[0] != self.n_states:
            raise ValueError(f"`y` is expected to have shape ({self.n_states},) or "
                             f"({self.n_states}, n_members), but has shape {y.shape}")
        if p.ndim < 1 or p.shape[0] != self.n_params:
            raise ValueError(f"`p` is expected to have shape ({self.n_params},) or "
                             f"({self.n_params}, n_members), but has shape {p.shape}")
        members = np.broadcast_shapes(y.shape[1:], p.shape[1:])
        return y, p, np.empty((rows, *members))

    def rhs(self, t: float, y: ArrayLike, p: ArrayLike | None = None) -> FloatArray:
        """``dy/dt``, shape ``(n_states,)`` or ``(n_states, n_members)``."""
        y, p, out = self._args(y, p, self.n_states)
        return self._numpy["rhs"](t, y, p, out)  # type: ignore[no-any-return]

    def jac(self, t: float, y: ArrayLike, p: ArrayLike | None = None) -> FloatArray:
        """Jacobian values on the sparsity pattern, shape ``(nnz,)`` or ``(nnz, n_members)``."""
        y, p, out = self._args(y, p, self.nnz)
        return self._numpy["jac"](t, y, p, out)  # type: ignore[no-any-return]

    def jac_dense(self, t: float, y: ArrayLike, p: ArrayLike | None = None) -> FloatArray:
        """Dense Jacobian ``J[i, j] = d f_i / d y_j``, shape ``(n, n)`` or ``(n, n, m)``."""
        values = self.jac(t, y, p)
        dense = np.zeros((self.n_states, self.n_states, *values.shape[1:]))
        dense[self.rows, self.cols] = values
        return dense

    def jac_sparse(self, t: float, y: ArrayLike, p: ArrayLike | None = None) -> sp.csc_matrix:
        """Jacobian of one member as a ``scipy.sparse.csc_matrix``."""
        values = self.jac(t, y, p)
        if values.ndim != 1:
            raise ValueError("`jac_sparse` evaluates one member: pass `y` of shape (n_states,) "
                             "and `p` of shape (n_params,)")
        return sp.csc_matrix((values, self.rows, self._indptr()), shape=(self.n_states,) * 2)

    def _indptr(self) -> NDArray[np.int64]:
        return np.searchsorted(self.cols, np.arange(self.n_states + 1)).astype(np.int64)

    def observe(self, t: ArrayLike, y: ArrayLike, p: ArrayLike | None = None) -> FloatArray:
        """Observables, shape ``(n_observables,)`` or ``(n_observables, n_columns)``.

        *y* may hold several time points as columns, with *t* of matching length.
        """
        y, p, out = self._args(y, p, len(self.observable_names))
        return self._numpy["obs"](np.asarray(t, dtype=np.float64), y, p, out)  # type: ignore[no-any-return]

    def numba(self) -> dict[str, Any]:
        """Scalar ``rhs``, ``jac`` and ``obs`` compiled by numba: ``f(t, y, p, out) -> out``.

        ``y``, ``p`` and ``out`` are 1-D float64 arrays of one member. Compiled on first
        call, cached on disk by :attr:`structure_key`.
        """
        return load_kernels(self.sources["numba"], ("rhs", "jac", "obs"))

    # ---------------------------------------------------------------- inputs
    @functools.cached_property
    def param_index(self) -> Mapping[str, int]:
        """``{name: index}`` of the parameters (built once: a tissue has thousands), read-only."""
        return MappingProxyType({n: i for i, n in enumerate(self.param_names)})

    @functools.cached_property
    def state_index(self) -> Mapping[str, int]:
        """``{name: index}`` of the states (built once), read-only."""
        return MappingProxyType({n: i for i, n in enumerate(self.state_names)})

    def param_vector(self, values: Mapping[str, float] | None = None, *,
                     aliases: Mapping[str, str] | None = None) -> FloatArray:
        """The default parameters with *values* applied by stable name or derived alias.

        Raises
        ------
        ParameterError
            For an unknown name (with the nearest valid ones) or an invalid value.
        """
        p = self.default_params.copy()
        if not values:
            return p
        index = self.param_index
        for name, value in values.items():
            name = (aliases or {}).get(name, name)
            if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
                raise ParameterError(f"parameter {name!r} must be a number, got {value!r}")
            value = float(value)
            if name in self.derived_params:
                canonical, transform = self.derived_params[name]
                if not math.isfinite(value) or value <= 0:
                    raise ParameterError(f"parameter {name!r} must be finite and > 0, "
                                         f"got {value!r}")
                name, value = canonical, transform(value)
            if name not in index:
                valid = [*self.param_names, *self.derived_params, *(aliases or {})]
                raise ParameterError(f"unknown parameter {name!r}. {suggest(name, valid)}")
            problem = self.param_specs[index[name]].check(value)
            if problem:
                raise ParameterError(f"parameter {name!r} {problem}, got {value!r}")
            p[index[name]] = value
        return p

    def initial_vector(self, values: Mapping[str, float] | None = None) -> FloatArray:
        """The default initial values with *values* applied by node name."""
        y0 = self.default_initial.copy()
        if not values:
            return y0
        index = self.state_index
        for name, value in values.items():
            if name not in index:
                raise ParameterError(f"unknown node {name!r} in initial values. "
                                     f"{suggest(name, self.state_names)}")
            if isinstance(value, bool) or not isinstance(value, int | float | np.floating) or (
                    not math.isfinite(value)) or value < 0:
                raise ParameterError(f"initial value of {name!r} must be a finite number >= 0, "
                                     f"got {value!r}")
            y0[index[name]] = float(value)
        return y0


def compile_network(network: Network) -> OdeSystem:
    """Compile *network* (cached on the network until it changes).

    Raises
    ------
    ModelError
        If the network does not validate.
    """
    cached = getattr(network, "_compiled", None)
    if cached is not None and cached[0] == network._version:
        return cached[1]  # type: ignore[no-any-return]
    structured = _compile_structured(network)
    system = _compile(network) if structured is None else structured
    network._compiled = (network._version, system)  # type: ignore[attr-defined]
    return system


def _compile_structured(network: Network) -> OdeSystem | None:
    """A tissue network (:func:`cytosim.tissue`) compiled as its local model looped over
    sites; None for any other network."""
    from ._tissue_system import compile_tissue, layout_of

    layout = layout_of(network)
    return None if layout is None else compile_tissue(network, layout)


def jacobian_entries(derivatives: tuple[ex.Expr, ...]) -> list[tuple[int, int, ex.Expr]]:
    """``(row, column, d derivatives[row] / d y[column])`` of every entry that is not
    identically zero, in CSC order (by column, then row)."""
    entries: list[tuple[int, int, ex.Expr]] = []
    dependencies: dict[ex.Expr, frozenset[int]] = {}  # shared: the derivatives share subtrees
    for i, f in enumerate(derivatives):
        ex.state_dependencies(f, dependencies)
        for j in sorted(dependencies[f]):
            d = ex.diff(f, ex.State(j), dependencies)
            if not (isinstance(d, ex.Const) and d.value == 0.0):
                entries.append((i, j, d))
    entries.sort(key=lambda e: (e[1], e[0]))
    return entries


def _compile(network: Network) -> OdeSystem:
    assembly = assemble(network)
    entries = jacobian_entries(assembly.derivatives)
    observables = tuple(e for _, e in assembly.observables)
    sources = {}
    for dialect in ("numpy", "numba"):
        sources[dialect] = "\n\n".join([
            emit_function("rhs", assembly.derivatives, dialect),
            emit_function("jac", [e[2] for e in entries], dialect),
            emit_function("obs", observables, dialect),
        ])
    numpy_functions = build_functions(sources["numpy"], ["rhs", "jac", "obs"])
    return OdeSystem(
        **network_fields(network, network.parameters(), assembly.states,
                         tuple(name for name, _ in assembly.observables)),
        param_names=assembly.params,
        default_params=_readonly(assembly.param_values),
        default_initial=_readonly(assembly.initial),
        rows=_readonly([e[0] for e in entries], np.int64).reshape(-1),
        cols=_readonly([e[1] for e in entries], np.int64).reshape(-1),
        derivatives=assembly.derivatives,
        jacobian=tuple(e[2] for e in entries),
        observable_exprs=observables,
        param_specs=assembly.param_specs,
        derived_params=assembly.derived,
        structure_key=hashlib.sha256(sources["numba"].encode()).hexdigest()[:32],
        sources=sources,
        _numpy=numpy_functions,
    )


def network_fields(network: Network, params_table: Any, states: tuple[str, ...],
                   observables: tuple[str, ...]) -> dict[str, Any]:
    """The :class:`OdeSystem` fields read from the network itself, whatever the compile:
    name, time unit, units of *states*, parameters (*params_table*: ``network.parameters()``)
    and *observables*, and the model hash (structure and values)."""
    graph = network._graph
    structure = json.dumps(network.structure(), sort_keys=True, default=str)
    obs_info = graph.graph["observables"]
    return {"name": network.name, "time_unit": network.time_unit,
            "state_names": states,
            "state_units": tuple(str(graph.nodes[s]["unit"]) for s in states),
            "param_units": tuple(str(u) for u in params_table["unit"]),
            "observable_names": observables,
            "observable_units": tuple(str(obs_info[o]["unit"]) for o in observables),
            "model_hash": hashlib.sha256(structure.encode()).hexdigest()[:32]}
