"""Resolve a network's rate laws into index-based expression trees.

This is the one intermediate form every view is derived from: the compiler emits the ODE
right-hand side, Jacobian and observables from it, and the influence graph reads signs
from it. States are numbered in node order, parameters in :meth:`Network.parameters` order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import expr as ex
from ._molar import molar_factor, volume_ratio
from ._names import suggest
from ._network_checks import _observable_order, element_parameters
from .exceptions import ModelError
from .kinetics import Flux, Hill, Linear, ParamSpec, TermContext

if TYPE_CHECKING:
    from .network import Network


VOLUME = ParamSpec("volume", "compartment volume", positive=True)


@dataclass(frozen=True)
class ElementFluxes:
    """The fluxes of one graph element, with states and parameters as indices."""

    label: str
    kind: str
    source: str
    target: str
    fluxes: tuple[Flux, ...]  # ``changes`` keyed by state index
    compartment: str  # where the rates are concentrations per time (the target's)
    prefix: str = ""  # parameter-name prefix of the element
    molar: bool = False  # rates in nM per time, changes converted per node (``binds``)


@dataclass(frozen=True)
class Assembly:
    """Index maps, per-element fluxes, per-state derivatives and observables."""

    states: tuple[str, ...]
    params: tuple[str, ...]
    param_values: tuple[float, ...]
    initial: tuple[float, ...]
    elements: tuple[ElementFluxes, ...]
    derivatives: tuple[ex.Expr, ...]
    observables: tuple[tuple[str, ex.Expr], ...]
    param_specs: tuple[ParamSpec, ...]
    derived: dict[str, tuple[str, Callable[[float], float]]]


def assemble(net: Network, *, antagonism: bool = True,
             only: frozenset[tuple[str, str, Any]] | None = None) -> Assembly:
    """Resolve every element of *net* into fluxes and sum them into state derivatives.

    ``antagonism=False`` leaves out the ``1 + [A]/Ki`` divisors of competitive antagonists
    (dimensionless by construction; the unit check checks ``Ki`` on its own). With *only*,
    a set of ``(source, target, key)``, just those elements are resolved and summed (the
    states, parameters and observables are the whole network's, and antagonists still
    divide the signals their targets send)."""
    net.validate()
    graph = net._graph
    states = tuple(graph.nodes)
    state_index = {name: i for i, name in enumerate(states)}
    values = net.parameter_values()
    params = tuple(values)
    param_index = {name: i for i, name in enumerate(params)}
    aliases = net.parameter_aliases()
    observables = graph.graph["observables"]
    resolved_obs: dict[str, ex.Expr] = {}

    def volume_of(node: str) -> ex.Expr:
        return ex.Param(param_index[f"{graph.nodes[node]['compartment']}.volume"])

    def conc(node: str) -> ex.Expr:
        state = ex.State(state_index[node])
        if graph.nodes[node]["quantity"] == "amount":
            return ex.div(state, volume_of(node))
        return state

    def amount(node: str) -> ex.Expr:
        state = ex.State(state_index[node])
        if graph.nodes[node]["quantity"] == "amount":
            return state
        return ex.mul(state, volume_of(node))

    def resolver(local: dict[str, ex.Expr]) -> Callable[[ex.Expr], ex.Expr]:
        def lookup(node: ex.Expr) -> ex.Expr | None:
            if not isinstance(node, ex.Symbol):
                return None
            name = node.name
            if name in local:
                return local[name]
            if name in state_index:
                return ex.State(state_index[name])
            if name in resolved_obs:
                return resolved_obs[name]
            name = aliases.get(name, name)
            if name in param_index:
                return ex.Param(param_index[name])
            known = [*state_index, *resolved_obs, *param_index, *aliases, *local]
            raise ModelError(f"unknown name {node.name!r} in a formula. {suggest(name, known)}")

        return lambda tree: ex.substitute(tree, lookup)

    for name in _observable_order(net):
        resolved_obs[name] = resolver({})(observables[name]["formula"])

    blocked: dict[str, list[ex.Expr]] = {}
    for u, v, key, data in graph.edges(keys=True, data=True):
        if data["kind"] == "antagonizes" and antagonism:
            prefix = net.element_prefix(u, v, key)
            factor = molar_factor(graph, u, prefix) if data["options"].get("molar") else 1.0
            blocked.setdefault(v, []).append(ex.div(
                ex.mul(factor, ex.pos(conc(u))), ex.Param(param_index[f"{prefix}.Ki"])))

    def signal(node: str) -> ex.Expr:
        """The node as its receptors see it: competitive antagonists divide it by
        ``1 + sum([A]/Ki)`` (Gaddum)."""
        if node not in blocked:
            return conc(node)
        return ex.div(conc(node), ex.add(1.0, *blocked[node]))

    elements = []
    param_specs, derived = parameter_specs(net, params)
    for u, v, key, data in graph.edges(keys=True, data=True):
        if only is not None and (u, v, key) not in only:
            continue
        prefix = net.element_prefix(u, v, key)
        law = net.kinds[data["kind"]]
        specs = element_parameters(net, u, v, key)
        local: dict[str, ex.Expr] = {s.name: ex.Param(param_index[f"{prefix}.{s.name}"])
                                     for s in specs}
        modulation = ex.mul(*(
            _modulator(record, signal(record["node"]), local) for record in data["modulators"]))
        compartment = graph.nodes[v]["compartment"]
        ctx = TermContext(u, v, data["options"], _param_getter(local, prefix), conc, modulation,
                          resolver(local), amount=amount,
                          volume=ex.Param(param_index[f"{compartment}.volume"]),
                          molar=functools.partial(molar_factor, graph, where=prefix),
                          signal=signal)
        fluxes = law.build(ctx)
        indexed = []
        for flux in fluxes:
            unknown = [n for n in flux.changes if n not in state_index]
            if unknown:
                raise ModelError(f"{prefix} ({data['kind']}): the rate law changes unknown "
                                 f"node(s) {unknown}")
            indexed.append(Flux(flux.rate, {state_index[n]: float(c)
                                            for n, c in flux.changes.items() if c != 0}))
        label = f"{data['kind']} on {u}" if law.applies_to == "node" else (
            f"{u} -{data['kind']}-> {v}")
        elements.append(ElementFluxes(label, data["kind"], u, v, tuple(indexed), compartment,
                                      prefix, bool(data["options"].get("molar", False))))

    terms: list[list[ex.Expr]] = [[] for _ in states]
    for element in elements:
        for flux in element.fluxes:
            for i, coeff in flux.changes.items():
                scale = contribution_scale(graph, states[i], element.compartment, param_index,
                                           molar=element.molar)
                terms[i].append(_scaled(coeff, flux.rate, scale))
    derivatives = tuple(ex.add(*t) for t in terms)
    initial = tuple(float(graph.nodes[n]["initial"]) for n in states)
    return Assembly(states, params, tuple(values.values()), initial, tuple(elements),
                    derivatives, tuple((n, resolved_obs[n]) for n in observables),
                    param_specs, derived)


Derived = dict[str, tuple[str, Callable[[float], float]]]  # alias -> (canonical, transform)


def parameter_specs(net: Network, params: tuple[str, ...]
                    ) -> tuple[tuple[ParamSpec, ...], Derived]:
    """The spec of each of *params* (the network's parameter names, in order) and the derived
    names (``TNF.half_life``) with the canonical parameter and transform each stands for."""
    graph = net._graph
    spec_of = {f"{c}.volume": VOLUME for c in graph.graph["compartments"]}
    derived: Derived = {}
    known = set(params)
    for u, v, key, data in graph.edges(keys=True, data=True):
        prefix = net.element_prefix(u, v, key)
        spec_of.update({f"{prefix}.{s.name}": s for s in element_parameters(net, u, v, key)})
        for alias, (canonical, transform) in net.kinds[data["kind"]].aliases.items():
            if f"{prefix}.{canonical}" in known:
                derived[f"{prefix}.{alias}"] = (f"{prefix}.{canonical}", transform)
    return tuple(spec_of[n] for n in params), derived


def contribution_scale(graph: Any, node: str, compartment: str, param_index: dict[str, int],
                       *, molar: bool = False) -> ex.Expr:
    """Factor turning a rate (concentration per time in *compartment*) into d(node)/dt.

    The amount per time is ``rate * V_reaction``; an amount state takes it whole, a
    concentration state divides it by its own volume (so 1 within one compartment). A molar
    rate law's changes are in the node's concentration unit (per its own volume unit), so the
    reaction volume is converted to that unit when the two are declared differently (mL and
    L); other rate laws are per the reaction volume's own number and need no conversion.
    """
    own = graph.nodes[node]["compartment"]
    reaction: ex.Expr = ex.Param(param_index[f"{compartment}.volume"])
    if molar:
        reaction = ex.mul(volume_ratio(graph, compartment, node), reaction)
    if graph.nodes[node]["quantity"] == "amount":
        return reaction
    if own == compartment:
        return ex.ONE
    return ex.div(reaction, ex.Param(param_index[f"{own}.volume"]))


def _scaled(coeff: float, rate: ex.Expr, scale: ex.Expr) -> ex.Expr:
    """``coeff * rate * scale`` keeping *rate* as one node, so emitted code computes it once
    however many states the flux changes."""
    factor = ex.mul(coeff, scale)
    if isinstance(factor, ex.Const) and factor.value == 1.0:
        return rate
    if isinstance(rate, ex.Const):
        return ex.mul(factor, rate)
    return ex.Mul((*(factor.factors if isinstance(factor, ex.Mul) else (factor,)), rate))


def _param_getter(local: dict[str, ex.Expr], prefix: str) -> Callable[[str], ex.Expr]:
    def param(name: str) -> ex.Expr:
        try:
            return local[name]
        except KeyError:
            raise ModelError(f"{prefix}: the rate law asked for parameter {name!r}, which its "
                             f"kind does not declare") from None

    return param


def _modulator(record: dict[str, Any], x: ex.Expr, local: dict[str, ex.Expr]) -> ex.Expr:
    node = record["node"]
    if record["type"] == "linear":
        return Linear(node).factor(x, {})
    hill = Hill(node, 1.0, 1.0, record["kind"], 0.0 if record.get("basal") else None)
    p = {name: local[f"{node}.{name}"] for name in ("K", "n", "basal") if f"{node}.{name}" in local}
    return hill.factor(x, p)
