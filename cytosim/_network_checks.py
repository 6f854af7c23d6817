"""Validation of networks, one element or the whole graph, with errors naming the culprit."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx

from . import expr as ex
from ._molar import molar_factor
from ._names import is_valid_node_name, suggest
from .exceptions import ModelError
from .kinetics import COMPLEX, NODE_KINDS, Hill, KindRegistry, Linear, ParamSpec

if TYPE_CHECKING:
    from .network import Network

QUANTITIES = ("concentration", "amount")
MODULATOR_TYPES = ("hill", "linear")


def _label(net: Network, u: str, v: str, key: Any) -> str:
    kind = net._graph.edges[u, v, key]["kind"]
    if net.kinds[kind].applies_to == "node":
        return f"{kind} process on node {u!r}" + (f" ({key})" if key != kind else "")
    return f"edge {u} -{kind}-> {v}"


def modulator_specs(record: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    """Parameter specs of a stored modulator record, named ``node.K`` etc."""
    if record["type"] == "hill":
        specs = Hill(record["node"], 1.0, 1.0, record["kind"],
                     0.0 if record.get("basal") else None).parameter_specs()
    else:
        specs = Linear(record["node"]).parameter_specs()
    return tuple(ParamSpec(f"{record['node']}.{s.name}", s.description, s.unit, s.default,
                           s.lower, s.upper, s.positive) for s in specs)


def element_parameters(net: Network, u: str, v: str, key: Any) -> tuple[ParamSpec, ...]:
    """Every parameter spec of one element: the kind's own, then its modulators'."""
    data = net._graph.edges[u, v, key]
    law = net.kinds[data["kind"]]
    try:
        specs = law.params(data["options"])
    except (ValueError, TypeError) as err:
        raise ModelError(f"{_label(net, u, v, key)}: {err}") from err
    for record in data["modulators"]:
        specs = (*specs, *modulator_specs(record))
    return specs


def _check_value(value: Any, spec: ParamSpec, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelError(f"{where}: parameter {spec.name!r} must be a number, got {value!r}")
    problem = spec.check(float(value))
    if problem:
        raise ModelError(f"{where}: parameter {spec.name!r} {problem}, got {value!r}")


def check_element(net: Network, u: str, v: str, key: Any, *, full: bool = False,
                  known: set[str] | None = None) -> None:
    """Validate one rate-law element (kind, endpoints, options, modulators, parameters).

    *full* is set when the whole network is checked, so references to parameters of
    elements added later are resolved too.
    """
    graph = net._graph
    data = graph.edges[u, v, key]
    where = _label(net, u, v, key)
    kind = data.get("kind")
    if kind not in net.kinds:
        raise ModelError(f"{where}: unknown kind {kind!r}. {suggest(str(kind), net.kinds.names())}")
    law = net.kinds[kind]
    if law.applies_to == "node" and u != v:
        raise ModelError(f"{where}: {kind!r} is a node process and must be a self-loop")
    if law.applies_to == "edge" and u == v and law.kind in ("proliferates", "recruits"):
        raise ModelError(f"{where}: a node cannot drive its own {law.kind!r}; use the 'growth' "
                         "or 'logistic' process for self-driven proliferation")
    if law.kind == "transfers" and u == v:
        raise ModelError(f"{where}: a node cannot transfer to itself (the flux would cancel "
                         "out of one node and add to it at once)")
    if law.kind == "infusion" and data.get("modulators"):
        raise ModelError(f"{where}: an infusion's rate is set by doses; modulators on it "
                         "would have no effect")
    if law.applies_to == "edge":
        for role, node, allowed in (("source", u, law.sources), ("target", v, law.targets)):
            node_kind = graph.nodes[node]["kind"]
            if node_kind not in allowed:
                raise ModelError(f"{where}: the {role} must be a node of kind "
                                 f"{' or '.join(sorted(allowed))}, but {node!r} is a {node_kind}")
    unknown_options = set(data["options"]) - set(law.options) - {"formula_text"}
    if unknown_options:
        raise ModelError(f"{where}: unknown option(s) {sorted(unknown_options)}; "
                         f"valid options are {sorted(law.options)}")
    _check_options(net, data, where, law.kind, full, known)
    if "molar" in law.options:
        _check_molar_units(graph, u, v, law.kind, data["options"], where)
    seen: set[str] = set()
    for record in data["modulators"]:
        if record.get("type") not in MODULATOR_TYPES:
            raise ModelError(f"{where}: modulator type must be one of {MODULATOR_TYPES}, got "
                             f"{record.get('type')!r}")
        node = record.get("node")
        if node not in graph:
            raise ModelError(f"{where}: modulator names unknown node {node!r}. "
                             f"{suggest(str(node), graph.nodes)}")
        if record["type"] == "hill" and record.get("kind") not in ("up", "down"):
            raise ModelError(f"{where}: Hill modulator on {node!r} needs kind 'up' or 'down', "
                             f"got {record.get('kind')!r}")
        if node in seen:
            raise ModelError(f"{where}: two modulators on the same node {node!r}; combine them")
        seen.add(node)
    specs = {s.name: s for s in element_parameters(net, u, v, key)}
    if law.applies_to == "node":
        for _, _, other, other_data in graph.edges(u, keys=True, data=True):
            if other == key or not graph.has_edge(u, u, other) or _ != u:
                continue
            if net.kinds[other_data["kind"]].applies_to != "node":
                continue
            clash = set(specs) & {s.name for s in element_parameters(net, u, u, other)}
            if clash:
                raise ModelError(f"{where}: parameter name(s) {sorted(clash)} of node {u!r} are "
                                 f"already used by its {other_data['kind']!r} process")
    for local in data["params"]:
        if local not in specs:
            valid = [*specs, *law.options, *law.aliases]
            raise ModelError(f"{where}: unknown parameter or option {local!r}. "
                             f"{suggest(local, valid)}")
    for name, spec in specs.items():
        record = data["params"].get(name)
        value = None if record is None else record["value"]
        if value is None:
            if spec.default is None:
                raise ModelError(f"{where}: missing parameter {name!r} ({spec.description})")
            continue
        _check_value(value, spec, where)


def _check_options(net: Network, data: Mapping[str, Any], where: str, kind: str,
                   full: bool, known: set[str] | None = None) -> None:
    options = data["options"]
    graph = net._graph
    if kind == "binds":
        complex_ = options.get("complex")
        if complex_ not in graph:
            raise ModelError(f"{where}: option `complex` must name an existing node of kind "
                             f"complex, got {complex_!r}. {suggest(str(complex_), graph.nodes)}")
        if graph.nodes[complex_]["kind"] != COMPLEX:
            raise ModelError(f"{where}: option `complex` names {complex_!r}, a "
                             f"{graph.nodes[complex_]['kind']}, not a complex")
        _check_weight(options.get("target_molecular_weight"),
                      f"{where}: option `target_molecular_weight`")
    if kind == "expression":
        formula = options.get("formula")
        if not isinstance(formula, ex.Expr):
            raise ModelError(f"{where}: option `formula` must be an expression, got {formula!r}")
        changes = options.get("changes") or {}
        if not changes:
            raise ModelError(f"{where}: option `changes` must name at least one node")
        for node, coeff in changes.items():
            if node not in graph:
                raise ModelError(f"{where}: `changes` names unknown node {node!r}. "
                                 f"{suggest(str(node), graph.nodes)}")
            if isinstance(coeff, bool) or not isinstance(coeff, int | float) or not math.isfinite(
                    coeff):
                raise ModelError(f"{where}: change of {node!r} must be a finite number, "
                                 f"got {coeff!r}")
        local = set(options.get("parameters", ()))
        _check_symbols(net, formula, where, extra=local, defer_parameters=not full,
                       known=known)


def _check_weight(weight: Any, what: str) -> None:
    """A molar mass, when given, is a finite number > 0 (g/mol)."""
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float)
                               or not math.isfinite(weight) or weight <= 0):
        raise ModelError(f"{what} must be a finite number > 0 (g/mol), got {weight!r}")


def _check_molar_units(graph: Any, u: str, v: str, kind: str, options: Mapping[str, Any],
                       where: str) -> None:
    """The ``molar`` option of ``binds`` and ``antagonizes``: a boolean, and when true every
    node the law reads in nM converts (and a bound node outside the reaction compartment has
    volume units)."""
    molar = options.get("molar", False)
    if not isinstance(molar, bool):
        raise ModelError(f"{where}: option `molar` must be true or false, got {molar!r}")
    if kind == "antagonizes":
        if molar:
            molar_factor(graph, u, where)
        return
    weight = options.get("target_molecular_weight")
    if not molar:
        if weight is not None:
            raise ModelError(f"{where}: option `target_molecular_weight` needs `molar = true`")
        return
    reaction = graph.nodes[v]["compartment"]
    for node in (u, v, options["complex"]):
        molar_factor(graph, node, where, weight if node == v else None)
        _check_reaction_volume(graph, node, reaction, where)


def _check_reaction_volume(graph: Any, node: str, reaction: str, where: str) -> None:
    """A molar law moving a node outside the reaction compartment needs both volumes' units
    (the amount bound is the molar flux times the reaction volume)."""
    own = graph.nodes[node]["compartment"]
    if own == reaction:
        return
    compartments = graph.graph["compartments"]
    for name in (own, reaction):
        if not compartments[name]["volume"].get("unit"):
            raise ModelError(f"{where}: node {node!r} (compartment {own!r}) reacts in "
                             f"compartment {reaction!r}; a molar rate law needs compartment "
                             f"{name!r} to have a volume unit (e.g. 'L')")


def _check_symbols(net: Network, tree: ex.Expr, where: str,
                   extra: Collection[str] = frozenset(), defer_parameters: bool = False,
                   known: set[str] | None = None) -> None:
    """Every name in *tree* must be a node, observable, parameter or alias.

    With *defer_parameters*, dotted names (other elements' parameters) may refer to elements
    added later; :meth:`Network.validate` checks them once the network is complete.
    """
    symbols = tree.symbols()
    graph = net._graph
    unresolved = [s for s in symbols if s not in graph and s not in extra
                  and s not in graph.graph["observables"]
                  and not (defer_parameters and "." in s)]
    if not unresolved:
        return
    # parameter names cost a pass over the network: computed only when needed, and once
    # per whole-network check (*known*)
    names = known if known is not None else set(net._known_names())
    for name in sorted(unresolved):
        if name not in names and name not in extra:
            raise ModelError(f"{where}: the formula names {name!r}, which is not a node, "
                             f"observable or parameter. {suggest(name, [*names, *extra])}")


def _check_node(net: Network, name: str) -> None:
    data = net._graph.nodes[name]
    if not is_valid_node_name(name):
        raise ModelError(f"invalid node name {name!r}: names must match [A-Za-z][A-Za-z0-9_-]*")
    kind = data.get("kind")
    if kind not in NODE_KINDS:
        raise ModelError(f"node {name!r}: unknown kind {kind!r}. {suggest(str(kind), NODE_KINDS)}")
    compartments = net._graph.graph["compartments"]
    if data.get("compartment") not in compartments:
        raise ModelError(f"node {name!r}: unknown compartment {data.get('compartment')!r}. "
                         f"{suggest(str(data.get('compartment')), compartments)}")
    if data.get("quantity") not in QUANTITIES:
        raise ModelError(f"node {name!r}: `quantity` must be one of {QUANTITIES}, got "
                         f"{data.get('quantity')!r}")
    initial = data.get("initial")
    if isinstance(initial, bool) or not isinstance(initial, int | float) or not math.isfinite(
            initial) or initial < 0:
        raise ModelError(f"node {name!r}: initial value must be a finite number >= 0, "
                         f"got {initial!r}")
    _check_weight(data.get("molecular_weight"), f"node {name!r}: `molecular_weight`")


def _check_compartment(net: Network, name: str) -> None:
    volume = net._graph.graph["compartments"][name]["volume"]["value"]
    if isinstance(volume, bool) or not isinstance(volume, int | float) or not math.isfinite(
            volume) or volume <= 0:
        raise ModelError(f"compartment {name!r}: volume must be a finite number > 0, "
                         f"got {volume!r}")


def _check_observable(net: Network, name: str) -> None:
    info = net._graph.graph["observables"][name]
    if not isinstance(info["formula"], ex.Expr):
        raise ModelError(f"observable {name!r}: formula must be text or an expression")
    _check_symbols(net, info["formula"], f"observable {name!r}", defer_parameters=True)
    _check_no_cycle_through(net, name)


def _check_no_cycle_through(net: Network, name: str) -> None:
    """The observables *name* depends on must not depend on *name* (a search from it over
    the dependencies only, so adding many observables stays linear)."""
    observables = net._graph.graph["observables"]
    parent: dict[str, str] = {}
    stack = [name]
    while stack:
        current = stack.pop()
        for symbol in observables[current]["formula"].symbols():
            if symbol not in observables:
                continue
            if symbol == name:
                path = [current]
                while path[-1] != name:
                    path.append(parent[path[-1]])
                cycle = " -> ".join([name, *reversed(path)])
                raise ModelError(f"observables refer to each other in a cycle: {cycle}")
            if symbol not in parent:
                parent[symbol] = current
                stack.append(symbol)


def _observable_order(net: Network) -> list[str]:
    """Observables in dependency order; a cycle is an error naming it."""
    observables = net._graph.graph["observables"]
    deps = nx.DiGraph()
    deps.add_nodes_from(observables)
    for name, info in observables.items():
        for symbol in info["formula"].symbols():
            if symbol in observables:
                deps.add_edge(symbol, name)
    try:
        return list(nx.topological_sort(deps))
    except nx.NetworkXUnfeasible:
        cycle = " -> ".join(u for u, _ in nx.find_cycle(deps))
        raise ModelError(f"observables refer to each other in a cycle: {cycle}") from None


def check_network(net: Network, *, only_node: str | None = None,
                  only_compartment: str | None = None, only_observable: str | None = None
                  ) -> None:
    """Validate the whole network, or just the named new piece."""
    if only_node is not None:
        _check_node(net, only_node)
        return
    if only_compartment is not None:
        _check_compartment(net, only_compartment)
        return
    if only_observable is not None:
        _check_observable(net, only_observable)
        return
    for name in net._graph.graph["compartments"]:
        _check_compartment(net, name)
    for name in net._graph.nodes:
        _check_node(net, name)
    known = set(net._known_names())
    for u, v, key in net._graph.edges(keys=True):
        check_element(net, u, v, key, full=True, known=known)
    for name in net._graph.graph["observables"]:
        _check_symbols(net, net._graph.graph["observables"][name]["formula"],
                       f"observable {name!r}", known=known)
    _observable_order(net)


def canonical_structure(net: Network) -> dict[str, Any]:
    """Plain, JSON-serialisable data describing the network (for hashes and export)."""
    graph = net._graph

    def clean_options(options: Mapping[str, Any]) -> dict[str, Any]:
        return {k: (repr(v) if isinstance(v, ex.Expr) else v) for k, v in options.items()}

    return {
        "name": graph.graph["name"],
        "time_unit": graph.graph["time_unit"],
        "compartments": {k: v["volume"]["value"] for k, v in graph.graph["compartments"].items()},
        "nodes": [[n, {k: d[k] for k in sorted(d) if k != "description"}]
                  for n, d in graph.nodes(data=True)],
        "elements": [[u, v, str(k), d["kind"], clean_options(d["options"]), d["modulators"],
                      {p: r["value"] for p, r in d["params"].items()}]
                     for u, v, k, d in graph.edges(keys=True, data=True)],
        "observables": {k: repr(v["formula"]) for k, v in graph.graph["observables"].items()},
        "scenarios": graph.graph.get("scenarios", {}),
        "metadata": graph.graph.get("metadata", {}),
    }


def network_from_graph(cls: type[Network], graph: nx.MultiDiGraph, kinds: KindRegistry
                       ) -> Network:
    """Build and validate a :class:`Network` from a graph carrying cytosim attributes."""
    from . import _parse
    from .network import _modulator_record, _param_record

    if not isinstance(graph, nx.MultiDiGraph):
        graph = nx.MultiDiGraph(graph)
    attrs = graph.graph
    net = cls(attrs.get("name", "network"), time_unit=attrs.get("time_unit", "h"),
              description=attrs.get("description", ""), kinds=kinds)
    for comp, info in (attrs.get("compartments") or {}).items():
        volume = info.get("volume", 1.0) if isinstance(info, Mapping) else info
        if isinstance(volume, Mapping):
            volume = volume.get("value")
        if comp == "body":
            net._graph.graph["compartments"]["body"]["volume"]["value"] = volume
        else:
            net.add_compartment(comp, volume=volume)
    for node, data in graph.nodes(data=True):
        if "kind" not in data:
            raise ModelError(f"node {node!r} has no `kind` attribute; expected one of "
                             f"{NODE_KINDS}")
        net.add_node(node, data["kind"], initial=data.get("initial", 0.0),
                     unit=data.get("unit", ""), compartment=data.get("compartment", "body"),
                     quantity=data.get("quantity", "concentration"),
                     catalog_id=data.get("catalog_id"), description=data.get("description", ""),
                     molecular_weight=data.get("molecular_weight"))
    for u, v, key, data in graph.edges(keys=True, data=True):
        kind = data.get("kind")
        if kind not in kinds:
            raise ModelError(f"edge {u} -> {v}: unknown kind {kind!r}. "
                             f"{suggest(str(kind), kinds.names())}")
        law = kinds[kind]
        params = {p: dict(r) if isinstance(r, Mapping) else _param_record(r)
                  for p, r in (data.get("params") or {}).items()}
        modulators = [_modulator_record(m) for m in data.get("modulators") or ()]
        for mod, record in zip(data.get("modulators") or (), modulators, strict=True):
            if isinstance(mod, Hill | Linear):
                for local, value in mod.values().items():
                    params[f"{record['node']}.{local}"] = _param_record(value)
        options = {**law.options, **(data.get("options") or {})}
        if isinstance(options.get("formula"), str):
            options["formula_text"] = options["formula"]
            options["formula"] = _parse.parse(options["formula"], net._known_names(),
                                              where=f"edge {u} -{kind}-> {v}")
        use_key = key if law.applies_to == "node" else net._graph.new_edge_key(u, v)
        if law.applies_to == "node" and isinstance(key, int):
            use_key = kind
        net._graph.add_edge(u, v, key=use_key, kind=kind, params=params, modulators=modulators,
                            options=options)
    for name, info in (attrs.get("observables") or {}).items():
        info = info if isinstance(info, Mapping) else {"formula": info}
        net.add_observable(name, info["formula"], unit=info.get("unit", ""),
                           description=info.get("description", ""))
    net._changed()
    net.validate()
    return net
