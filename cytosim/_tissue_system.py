"""Compile a tissue network by its structure: one site's model, looped over sites, plus diffusion.

A network made by :func:`cytosim.tissue` is the same local model on every site of a graph,
coupled only by diffusive ``transfers`` edges. Compiling it flat (one expression tree per
state) generates code proportional to the number of sites: megabytes of source for a
1,000-site grid, which numba takes longer to compile than any simulation takes to run.
Here the local model is compiled once and the tissue's functions are written around it:

- numpy: the local right-hand side evaluated for every site at once (sites as the member
  axis), gathered from and scattered to the flat state vector by index arrays; diffusion
  as vectorised gathers over the edge list, ``np.bincount`` for the sums;
- numba: the local functions renamed ``site_rhs``, ``site_jac``, ``site_obs`` and a loop
  over sites and edges with the index arrays as module constants.

State, parameter and observable names and their order are the flat compile's, and so are
the values: every site reads its own parameters (``P__0_3.growth_rate``), so a tissue whose
sites were given different values after :func:`~cytosim.tissue` still compiles this way.
Infusion inputs on its nodes (added by dosing) are added site by site. Nodes, elements and
observables added afterwards (a plasma compartment exchanging a drug with every site, a
total over the sites) are compiled term by term, as in the flat compile, and added to the
sites' functions: only they cost code in proportion to their number. A tissue that lost
a node, element or observable, or gained a competitive antagonist of a site's node (which
changes the signals the sites' own rate laws see), compiles flat.

The diffusion term is the ``transfers`` rate law written out (see
:func:`cytosim.kinetics._transfers` and :func:`cytosim._assemble.contribution_scale`): the
amount flowing from ``S`` (site *a*) to ``T`` (site *b*) is ``F = D * pos(amount(S))`` per
time, with ``amount(S) = y_S * V_a`` for a concentration state; ``y_S`` loses ``F`` and
``y_T`` gains it, each divided by its own compartment volume when it is a concentration.
The tests compare both engines with the flat compile on grids with unequal volumes.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .expr import Add, Const, Div, Expr, Mul, add, div, mul

if TYPE_CHECKING:
    from .compiler import OdeSystem
    from .network import Network

__all__ = ["TissueLayout", "compile_tissue", "layout_of"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
EXTRA_CHUNK = 64  # pieces per generated function of the added part (numba dialect)


@dataclass(frozen=True, eq=False)
class TissueLayout:
    """What :func:`cytosim.tissue` built: the local model, the site labels, the diffusion edges.

    *skeleton* is the tissue network's structure without values when it was built
    (:func:`skeleton`); the structured compile applies only while it is unchanged.
    """

    local: Network
    labels: tuple[str, ...]
    edges: tuple[tuple[str, str, Any], ...]  # (source, target, key) of each diffusion edge
    skeleton: tuple[Any, ...]


def skeleton(network: Network) -> tuple[Any, ...]:
    """Nodes, elements (with kinds), observables and compartments: the structure, no values."""
    graph = network._graph
    return (tuple(graph.nodes),
            tuple((u, v, k, d["kind"]) for u, v, k, d in graph.edges(keys=True, data=True)),
            tuple(graph.graph["observables"]), tuple(graph.graph["compartments"]))


def layout_of(network: Network) -> TissueLayout | None:
    """The network's tissue layout if it still describes the network, else None.

    Nodes, elements, observables and compartments added after :func:`cytosim.tissue` keep
    the layout (:func:`compile_tissue` adds them, see :func:`extra_elements`), unless an
    added element is an ``antagonizes`` edge onto a site's node; anything removed does
    not.
    """
    from .kinetics import DEFAULT_KINDS

    layout: TissueLayout | None = getattr(network, "_tissue", None)
    if layout is None or network.kinds is not layout.local.kinds or any(
            network.kinds[kind] is not DEFAULT_KINDS[kind] for kind in ("transfers", "infusion")):
        return None  # the diffusion and input terms are the built-in laws written out
    now = skeleton(network)
    if now == layout.skeleton:
        return layout
    nodes, elements, observables, compartments = now
    old_nodes, old_elements, old_observables, old_compartments = layout.skeleton
    before = set(old_elements)
    extra = [e for e in elements if e not in before]
    kept = all(part[:len(old)] == old for part, old in (
        (nodes, old_nodes), (observables, old_observables), (compartments, old_compartments)))
    sites = set(old_nodes)
    if not kept or len(elements) - len(extra) != len(before) or any(
            kind == "antagonizes" and v in sites for _, v, _, kind in extra):
        return None  # an antagonist of a site's node changes what the site's laws see
    return layout


def extra_elements(network: Network, layout: TissueLayout
                   ) -> tuple[list[tuple[str, Any]], frozenset[tuple[str, str, Any]]]:
    """The elements the network has beyond its layout: the infusion processes on site
    nodes ``(node, key)`` (dosing inputs, added site by site) and the others
    ``(source, target, key)`` (compiled term by term)."""
    before = set(layout.skeleton[1])
    sites = set(layout.skeleton[0])
    inputs: list[tuple[str, Any]] = []
    others: list[tuple[str, str, Any]] = []
    for u, v, k, d in network._graph.edges(keys=True, data=True):
        if (u, v, k, d["kind"]) in before:
            continue
        if u == v and u in sites and d["kind"] == "infusion":
            inputs.append((u, k))
        else:
            others.append((u, v, k))
    return inputs, frozenset(others)


@dataclass(frozen=True)
class _Indices:
    """Index arrays of the structured functions (all int64)."""

    site_y: IntArray  # (n_sites, n_local_states): flat state index
    site_p: IntArray  # (n_sites, n_local_params)
    site_o: IntArray  # (n_sites, n_local_observables)
    src: IntArray  # per diffusion edge: source state, target state, rate parameter,
    dst: IntArray  # the source's and the target's compartment volume parameters
    rate: IntArray
    v_src: IntArray
    v_dst: IntArray
    conc_src: FloatArray  # 1.0 for a concentration state (divide by volume), else 0.0
    conc_dst: FloatArray
    jac_local: IntArray  # (n_sites, nnz_local): position in the flat Jacobian values
    jac_ss: IntArray  # per edge: position of d(source)/d(source), d(target)/d(source)
    jac_ts: IntArray
    in_state: IntArray  # per infusion input: its node, its rate parameter and the divisor
    in_rate: IntArray  # (the node's volume parameter for a concentration, else -1: 1)
    in_volume: IntArray
    extra_state: IntArray  # the states, Jacobian positions and observables of the part
    extra_jac: IntArray  # added after cs.tissue() (see _Extra)
    extra_obs: IntArray
    free: IntArray  # the states of no site (nodes added after cs.tissue())


@dataclass(frozen=True)
class _Extra:
    """What was added to the tissue after :func:`cytosim.tissue` (nodes, elements other
    than dosing inputs on sites, observables), as expression trees with the network's
    indices: the sum of the added elements' terms for each state they change, the
    Jacobian entries of those sums and the added observables."""

    states: tuple[int, ...]
    derivatives: tuple[Expr, ...]
    entries: tuple[tuple[int, int, Expr], ...]
    observables: tuple[int, ...]
    observable_exprs: tuple[Expr, ...]

    @staticmethod
    def of(network: Network, elements: frozenset[tuple[str, str, Any]],
           observables: tuple[str, ...], states: tuple[str, ...],
           params: tuple[str, ...]) -> _Extra:
        from ._assemble import assemble
        from .compiler import jacobian_entries

        if not elements and not observables:
            return _Extra((), (), (), (), ())
        assembly = assemble(network, only=elements)
        if assembly.states != states or assembly.params != params:
            raise RuntimeError("the tissue's index maps differ from its assembly's")
        changed = [i for i, d in enumerate(assembly.derivatives)
                   if not (isinstance(d, Const) and d.value == 0.0)]
        formulas = dict(assembly.observables)
        index = {name: i for i, (name, _) in enumerate(assembly.observables)}
        return _Extra(tuple(changed), tuple(assembly.derivatives[i] for i in changed),
                      tuple(jacobian_entries(assembly.derivatives)),
                      tuple(index[o] for o in observables),
                      tuple(formulas[o] for o in observables))

    def sources(self, dialect: str) -> str:
        """``extra_rhs``, ``extra_jac`` and ``extra_obs`` (see :func:`emit_function`).

        In the numba dialect, where compile time grows faster than a function's length, each
        is cut into functions of at most ``EXTRA_CHUNK`` pieces, a piece being an output
        or, for a sum of more terms, a partial sum of ``EXTRA_CHUNK`` terms; each function
        writes its pieces into a buffer, which is then summed into the outputs (sums in
        another order: equal to rounding). A plasma compartment exchanging a cytokine with
        each site of a 25 x 40 grid (2,000 added edges): the solver kernel compiles in
        3.5 minutes (12.5 uncut, 4.3 in pieces of 256); the numpy functions in 4 s.
        """
        from ._emit import emit_function

        parts = []
        for name, outputs in (("extra_rhs", self.derivatives),
                              ("extra_jac", [e[2] for e in self.entries]),
                              ("extra_obs", self.observable_exprs)):
            if dialect != "numba":
                parts.append(emit_function(name, outputs, dialect))
                continue
            pieces: list[Expr] = []
            owners: list[int] = []
            for k, output in enumerate(outputs):
                split = _partial_sums(output, EXTRA_CHUNK)
                pieces += split
                owners += [k] * len(split)
            lines = [f"def {name}(t, y, p, out):",
                     f"    pieces = np.empty({len(pieces)})"]
            for c, start in enumerate(range(0, len(pieces), EXTRA_CHUNK)):
                stop = min(start + EXTRA_CHUNK, len(pieces))
                parts.append(emit_function(f"{name}_{c}", pieces[start:stop], dialect))
                lines.append(f"    {name}_{c}(t, y, p, pieces[{start}:{stop}])")
            owner_name = f"{name.upper()}_OWNERS"
            lines += ["    out[:] = 0.0",
                      f"    for k in range({owner_name}.shape[0]):",
                      f"        out[{owner_name}[k]] += pieces[k]",
                      "    return out"]
            parts.append(_constant(owner_name, np.array(owners, dtype=np.int64)))
            parts.append("\n".join(lines) + "\n")
        return "\n\n".join(parts)


def _partial_sums(output: Expr, size: int) -> list[Expr]:
    """*output* as terms that add up to it, none a sum of more than *size* terms: a sum cut
    into partial sums, and a product or quotient of one long sum (an average over the
    sites) distributed over its partial sums."""
    if isinstance(output, Add) and len(output.terms) > size:
        return [add(*output.terms[i:i + size]) for i in range(0, len(output.terms), size)]
    if isinstance(output, Mul):
        sums = [f for f in output.factors if isinstance(f, Add) and len(f.terms) > size]
        if len(sums) == 1:
            rest = [f for f in output.factors if f is not sums[0]]
            return [mul(*rest, part) for part in _partial_sums(sums[0], size)]
    if isinstance(output, Div) and isinstance(output.num, Add) and len(output.num.terms) > size:
        return [div(part, output.den) for part in _partial_sums(output.num, size)]
    return [output]


def compile_tissue(network: Network, layout: TissueLayout) -> OdeSystem:
    """The structured :class:`OdeSystem` of a tissue network (see the module docstring)."""
    from ._assemble import parameter_specs
    from .compiler import OdeSystem, _readonly, compile_network, network_fields
    from .tissue import site_name

    local = compile_network(layout.local)
    graph = network._graph
    states = tuple(graph.nodes)
    state_index = {n: i for i, n in enumerate(states)}
    table = network.parameters()
    params = tuple(table.index)
    param_index = {n: i for i, n in enumerate(params)}
    observables = tuple(graph.graph["observables"])
    obs_index = {n: i for i, n in enumerate(observables)}
    local_graph = layout.local._graph
    nodes, compartments = set(local_graph.nodes), set(local_graph.graph["compartments"])
    labels = layout.labels

    site_y = np.array([[state_index[f"{s}__{label}"] for s in local.state_names]
                       for label in labels], dtype=np.int64)
    site_p = np.array([[param_index[site_name(q, label, nodes, compartments)]
                        for q in local.param_names] for label in labels], dtype=np.int64)
    site_o = np.array([[obs_index[f"{o}__{label}"] for o in local.observable_names]
                       for label in labels], dtype=np.int64).reshape(
        len(labels), len(local.observable_names))

    src: list[int] = []
    dst: list[int] = []
    rate: list[int] = []
    v_src: list[int] = []
    v_dst: list[int] = []
    conc_src: list[float] = []
    conc_dst: list[float] = []
    for u, v, key in layout.edges:
        src.append(state_index[u])
        dst.append(state_index[v])
        rate.append(param_index[f"{network.element_prefix(u, v, key)}.rate"])
        for node, volumes, conc in ((u, v_src, conc_src), (v, v_dst, conc_dst)):
            volumes.append(param_index[f"{graph.nodes[node]['compartment']}.volume"])
            conc.append(0.0 if graph.nodes[node]["quantity"] == "amount" else 1.0)

    # infusion inputs (the ``infusion`` law: infusion_rate / V into a concentration, the rate
    # itself into an amount); they add no Jacobian entry
    inputs, others = extra_elements(network, layout)
    extra = _Extra.of(network, others, observables[len(layout.skeleton[2]):], states, params)
    in_state = [state_index[node] for node, _ in inputs]
    in_rate = [param_index[f"{network.element_prefix(node, node, key)}.infusion_rate"]
               for node, key in inputs]
    in_volume = [-1 if graph.nodes[node]["quantity"] == "amount" else
                 param_index[f"{graph.nodes[node]['compartment']}.volume"] for node, _ in inputs]

    # the Jacobian pattern: every site's local entries, two entries per edge and the added
    # part's, CSC order
    n = len(states)
    local_rows, local_cols = site_y[:, local.rows], site_y[:, local.cols]
    src_a, dst_a = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)
    extra_rows = np.array([e[0] for e in extra.entries], dtype=np.int64)
    extra_cols = np.array([e[1] for e in extra.entries], dtype=np.int64)
    all_rows = np.concatenate([local_rows.ravel(), src_a, dst_a, extra_rows])
    all_cols = np.concatenate([local_cols.ravel(), src_a, src_a, extra_cols])
    keys, position = np.unique(all_cols * n + all_rows, return_inverse=True)
    position = position.astype(np.int64)
    n_local = local_rows.size
    n_edges = len(src)
    ix = _Indices(
        site_y=site_y, site_p=site_p, site_o=site_o, src=src_a, dst=dst_a,
        rate=np.array(rate, dtype=np.int64), v_src=np.array(v_src, dtype=np.int64),
        v_dst=np.array(v_dst, dtype=np.int64), conc_src=np.array(conc_src),
        conc_dst=np.array(conc_dst), jac_local=position[:n_local].reshape(local_rows.shape),
        jac_ss=position[n_local:n_local + n_edges],
        jac_ts=position[n_local + n_edges:n_local + 2 * n_edges],
        in_state=np.array(in_state, dtype=np.int64), in_rate=np.array(in_rate, dtype=np.int64),
        in_volume=np.array(in_volume, dtype=np.int64),
        extra_state=np.array(extra.states, dtype=np.int64),
        extra_jac=position[n_local + 2 * n_edges:],
        extra_obs=np.array(extra.observables, dtype=np.int64),
        free=np.setdiff1d(np.arange(n, dtype=np.int64), site_y.ravel()))

    specs, derived = parameter_specs(network, params)
    numba_source = _numba_source(local, ix, extra)
    extra_numpy = extra.sources("numpy")
    return OdeSystem(
        **network_fields(network, table, states, observables),
        param_names=params,
        default_params=_readonly(table["value"].to_numpy(dtype=float)),
        default_initial=_readonly([float(graph.nodes[s]["initial"]) for s in states]),
        rows=_readonly(keys % n, np.int64),
        cols=_readonly(keys // n, np.int64),
        derivatives=(),
        jacobian=(),
        observable_exprs=(),
        param_specs=specs,
        derived_params=derived,
        structure_key=hashlib.sha256(numba_source.encode()).hexdigest()[:32],
        sources={"numba": numba_source,
                 "numpy": f"# tissue of {len(labels)} sites; the local model:\n"
                          + local.sources["numpy"] + "\n\n# added to it:\n" + extra_numpy},
        _numpy=_numpy_functions(local, ix, n, len(keys), len(observables), extra_numpy),
    )


def _aligned(y: FloatArray, p: FloatArray) -> tuple[FloatArray, FloatArray]:
    """*y* and *p* with singleton axes inserted after the first, so that their trailing
    (member, time...) axes broadcast after any gather along the first axis."""
    members = np.broadcast_shapes(y.shape[1:], p.shape[1:])

    def expand(a: FloatArray) -> FloatArray:
        return a.reshape(a.shape[0], *([1] * (len(members) - a.ndim + 1)), *a.shape[1:])

    return expand(y), expand(p)


def _diffusion_flow(y: FloatArray, p: FloatArray, ix: _Indices) -> tuple[FloatArray, ...]:
    """Per edge (rows; members on trailing axes): the amount flow, the source's amount and
    the divisors of the source's and the target's change (aligned *y* and *p*)."""
    shape = (-1, *([1] * (y.ndim - 1)))
    v_src = np.where(ix.conc_src.reshape(shape) > 0, p[ix.v_src], 1.0)
    v_dst = np.where(ix.conc_dst.reshape(shape) > 0, p[ix.v_dst], 1.0)
    amount = y[ix.src] * v_src
    return p[ix.rate] * np.maximum(amount, 0.0), amount, v_src, v_dst


def _numpy_functions(local: OdeSystem, ix: _Indices, n: int, nnz: int, n_obs: int,
                     extra_source: str) -> dict[str, Any]:
    from ._emit import build_functions

    site_rhs, site_jac, site_obs = (local._numpy[k] for k in ("rhs", "jac", "obs"))
    added = build_functions(extra_source, ("extra_rhs", "extra_jac", "extra_obs"))

    def extra_values(name: str, t: Any, y: FloatArray, p: FloatArray, out: FloatArray,
                     index: IntArray) -> FloatArray:
        return added[name](t, y, p, np.empty((len(index), *out.shape[1:])))  # type: ignore[no-any-return]

    t_y, t_p, t_o = ix.site_y.T, ix.site_p.T, ix.site_o.T
    to_src, to_dst = _scatter(ix.src, n), _scatter(ix.dst, n)
    to_local = _scatter(ix.jac_local.T.ravel(), nnz)
    to_ss, to_ts = _scatter(ix.jac_ss, nnz), _scatter(ix.jac_ts, nnz)
    to_inputs = _scatter(ix.in_state, n)

    def sites(y: FloatArray, p: FloatArray, rows: int) -> tuple[FloatArray, ...]:
        ys, ps = y[t_y], p[t_p]  # (local states or parameters, sites, members...)
        return ys, ps, np.empty((rows, *np.broadcast_shapes(ys.shape[1:], ps.shape[1:])))

    def rhs(t: Any, y: FloatArray, p: FloatArray, out: FloatArray) -> FloatArray:
        y, p = _aligned(y, p)
        out[ix.free] = 0.0
        out[t_y] = site_rhs(t, *sites(y, p, t_y.shape[0]))
        flow, _, v_src, v_dst = _diffusion_flow(y, p, ix)
        out -= to_src(flow / v_src)
        out += to_dst(flow / v_dst)
        if len(ix.in_state):
            shape = (-1, *([1] * (p.ndim - 1)))
            divisor = np.where(ix.in_volume.reshape(shape) >= 0, p[ix.in_volume], 1.0)
            out += to_inputs(p[ix.in_rate] / divisor)
        if len(ix.extra_state):
            out[ix.extra_state] += extra_values("extra_rhs", t, y, p, out, ix.extra_state)
        return out

    def jac(t: Any, y: FloatArray, p: FloatArray, out: FloatArray) -> FloatArray:
        y, p = _aligned(y, p)
        values = site_jac(t, *sites(y, p, local.nnz))  # (nnz_local, sites, members...)
        out[...] = to_local(values.reshape(values.shape[0] * values.shape[1],
                                           *values.shape[2:]))
        _, amount, v_src, v_dst = _diffusion_flow(y, p, ix)
        slope = p[ix.rate] * (amount >= 0.0) * v_src  # d flow / d y_source
        out -= to_ss(slope / v_src)
        out += to_ts(slope / v_dst)
        if len(ix.extra_jac):
            out[ix.extra_jac] += extra_values("extra_jac", t, y, p, out, ix.extra_jac)
        return out

    def obs(t: Any, y: FloatArray, p: FloatArray, out: FloatArray) -> FloatArray:
        if n_obs:
            y, p = _aligned(y, p)
            if t_o.shape[0]:
                out[t_o] = site_obs(t, *sites(y, p, t_o.shape[0]))
            if len(ix.extra_obs):
                out[ix.extra_obs] = extra_values("extra_obs", t, y, p, out, ix.extra_obs)
        return out

    return {"rhs": rhs, "jac": jac, "obs": obs}


def _scatter(index: IntArray, size: int) -> Any:
    """``f(values)``: ``out[index[k]] += values[k]`` into *size* rows (members on trailing
    axes), as a product with a sparse 0/1 matrix (summing repeated indices)."""
    matrix = sp.csr_matrix((np.ones(len(index)), (index, np.arange(len(index)))),
                           shape=(size, len(index)))

    def scatter(values: FloatArray) -> FloatArray:
        if values.ndim == 1:
            return matrix @ values  # type: ignore[no-any-return]
        return (matrix @ values.reshape(values.shape[0], math.prod(values.shape[1:]))).reshape(  # type: ignore[no-any-return]
            size, *values.shape[1:])

    return scatter


_LOCAL_DEF = re.compile(r"^def (rhs|jac|obs)\(", flags=re.MULTILINE)


def _constant(name: str, values: NDArray[Any]) -> str:
    dtype = "np.int64" if values.dtype.kind == "i" else "np.float64"
    flat = ", ".join(repr(v) for v in values.ravel().tolist())
    return f"{name} = np.array([{flat}], dtype={dtype}).reshape({values.shape!r})"


def _numba_source(local: OdeSystem, ix: _Indices, extra: _Extra) -> str:
    """Scalar ``rhs``, ``jac`` and ``obs`` (numba dialect) looping over sites and edges,
    then adding the part added after :func:`cytosim.tissue`."""
    renamed = _LOCAL_DEF.sub(lambda m: f"def site_{m.group(1)}(", local.sources["numba"])
    constants = "\n".join(_constant(name.upper(), getattr(ix, name)) for name in (
        "site_y", "site_p", "site_o", "src", "dst", "rate", "v_src", "v_dst", "conc_src",
        "conc_dst", "jac_local", "jac_ss", "jac_ts", "in_state", "in_rate", "in_volume",
        "extra_state", "extra_jac", "extra_obs", "free"))
    ns, n_params, n_local_obs = ix.site_y.shape[1], ix.site_p.shape[1], ix.site_o.shape[1]

    def added(function: str, index: str, operation: str) -> str:
        size = len(getattr(ix, index.lower()))
        if not size:
            return ""
        return (f"    values = np.empty({size})\n    {function}(t, y, p, values)\n"
                f"    for k in range({size}):\n        out[{index}[k]] {operation} values[k]\n")

    return f"""{renamed}


{extra.sources("numba")}


{constants}


def gather(s, y, p, ys, ps):
    for i in range({ns}):
        ys[i] = y[SITE_Y[s, i]]
    for j in range({n_params}):
        ps[j] = p[SITE_P[s, j]]


def edge_volumes(e, p):
    return (p[V_SRC[e]] if CONC_SRC[e] > 0.0 else 1.0,
            p[V_DST[e]] if CONC_DST[e] > 0.0 else 1.0)


def rhs(t, y, p, out):
    ys = np.empty({ns})
    ps = np.empty({n_params})
    outs = np.empty({ns})
    for k in range(FREE.shape[0]):
        out[FREE[k]] = 0.0
    for s in range(SITE_Y.shape[0]):
        gather(s, y, p, ys, ps)
        site_rhs(t, ys, ps, outs)
        for i in range({ns}):
            out[SITE_Y[s, i]] = outs[i]
    for e in range(SRC.shape[0]):
        v_src, v_dst = edge_volumes(e, p)
        flow = p[RATE[e]] * max(y[SRC[e]] * v_src, 0.0)
        out[SRC[e]] -= flow / v_src
        out[DST[e]] += flow / v_dst
    for k in range(IN_STATE.shape[0]):
        out[IN_STATE[k]] += p[IN_RATE[k]] / (p[IN_VOLUME[k]] if IN_VOLUME[k] >= 0 else 1.0)
{added("extra_rhs", "EXTRA_STATE", "+=")}    return out


def jac(t, y, p, out):
    ys = np.empty({ns})
    ps = np.empty({n_params})
    js = np.empty({local.nnz})
    out[:] = 0.0
    for s in range(SITE_Y.shape[0]):
        gather(s, y, p, ys, ps)
        site_jac(t, ys, ps, js)
        for k in range({local.nnz}):
            out[JAC_LOCAL[s, k]] += js[k]
    for e in range(SRC.shape[0]):
        v_src, v_dst = edge_volumes(e, p)
        slope = p[RATE[e]] * v_src if y[SRC[e]] * v_src >= 0.0 else 0.0
        out[JAC_SS[e]] -= slope / v_src
        out[JAC_TS[e]] += slope / v_dst
{added("extra_jac", "EXTRA_JAC", "+=")}    return out


def obs(t, y, p, out):
    ys = np.empty({ns})
    ps = np.empty({n_params})
    outs = np.empty({max(n_local_obs, 1)})
    for s in range(SITE_O.shape[0]):
        gather(s, y, p, ys, ps)
        site_obs(t, ys, ps, outs)
        for i in range({n_local_obs}):
            out[SITE_O[s, i]] = outs[i]
{added("extra_obs", "EXTRA_OBS", "=")}    return out
"""
