"""Tissue graphs: a network replicated on every node of a spatial graph, with diffusion.

:func:`tissue` copies a :class:`~cytosim.network.Network` onto every site of a networkx graph
(a grid, a lymph-node graph of compartments...) and lets the named species exchange along the
graph's edges: between neighbouring sites ``i`` and ``j`` a species ``X`` moves at
``D * X_i`` from ``i`` to ``j`` and ``D * X_j`` back (two ``transfers`` edges), so the net
flux is ``D * (X_i - X_j)``: discrete diffusion with exchange rate ``D`` (per time unit).

:func:`~cytosim.compile_network` compiles such a network by its structure: the local model
once, looped over the sites, plus the diffusion edges (:mod:`cytosim._tissue_system`), so a
1,000-site grid compiles in seconds and numba compiles a few kilobytes instead of megabytes.
Parameters and initial values may still be changed site by site afterwards, and doses
(infusions too) given to sites. Nodes, edges and observables added afterwards (a plasma
compartment exchanging a drug with every site) are compiled term by term and added to the
sites' functions; a competitive antagonist of a site's node added afterwards
(``antagonizes``, which changes what the sites' own rate laws see) makes it an ordinary
network again.

Names are data: the copy of node ``TNF`` at site ``(2, 3)`` is ``TNF__2_3`` (node names allow
only letters, digits, ``_`` and ``-``); parameters follow (``TNF__2_3.rate``), and formulas are
renamed symbol by symbol, never as text.

Examples
--------
>>> import networkx as nx, cytosim as cs
>>> net = cs.Network()
>>> net.add_cytokine("X", initial=1.0, decay_rate=0.1, use_catalogue=False)
>>> grid = cs.tissue(net, nx.path_graph(3), diffusion={"X": 0.5})
>>> grid.nodes
['X__0', 'X__1', 'X__2']
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

import networkx as nx

from . import expr as ex
from ._names import suggest
from ._tissue_system import TissueLayout, skeleton
from .exceptions import ModelError
from .kinetics import Hill, Linear
from .network import Network

__all__ = ["site_label", "site_name", "tissue"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def site_label(site: Hashable) -> str:
    """The suffix naming a graph site: ``(2, 3)`` -> ``2_3``."""
    parts = site if isinstance(site, tuple) else (site,)
    label = "_".join(_UNSAFE.sub("_", str(p)).strip("_") for p in parts)
    if not label:
        raise ModelError(f"cannot name the graph site {site!r}")
    return label


def tissue(network: Network, graph: nx.Graph, diffusion: Mapping[str, float], *,
           name: str | None = None) -> Network:
    """Replicate *network* on every node of *graph*, with diffusion along its edges.

    Parameters
    ----------
    network : Network
        The local model (one site).
    graph : networkx.Graph
        Sites and their neighbourhoods (e.g. ``nx.grid_2d_graph(40, 25)``).
    diffusion : mapping
        ``{node: D}``: exchange rate per time unit between neighbouring sites.
    name : str, optional
        Name of the new network.

    Raises
    ------
    ModelError
        For an unknown species in *diffusion* or a negative rate.
    """
    for species, rate in diffusion.items():
        if species not in network.nodes:
            raise ModelError(f"cannot diffuse unknown node {species!r}. "
                             f"{suggest(species, network.nodes)}")
        if not (isinstance(rate, int | float) and rate >= 0):
            raise ModelError(f"diffusion rate of {species!r} must be a number >= 0, got "
                             f"{rate!r}")
    source = network._graph
    out = Network(name or f"{network.name}_tissue", time_unit=network.time_unit,
                  description=f"{network.name} on a graph of {graph.number_of_nodes()} sites",
                  kinds=network.kinds)
    labels = {site: site_label(site) for site in graph.nodes}
    if len(set(labels.values())) != len(labels):
        raise ModelError("two graph sites map to the same name; relabel the graph's nodes")
    compartments = source.graph["compartments"]
    names = (set(network.nodes), set(source.graph["observables"]),
             set(network.parameter_values()), network.parameter_aliases(), set(compartments))
    for label in labels.values():
        rename = _renamer(names, label)
        for comp, info in compartments.items():
            out.add_compartment(f"{comp}__{label}", volume=info["volume"]["value"],
                                unit=info["volume"].get("unit", ""))
        for node, data in source.nodes(data=True):
            out.add_node(f"{node}__{label}", data["kind"], initial=data["initial"],
                         unit=data["unit"], compartment=f"{data['compartment']}__{label}",
                         quantity=data["quantity"], catalog_id=data.get("catalog_id"),
                         description=data.get("description", ""),
                         molecular_weight=data.get("molecular_weight"))
        for u, v, key, data in source.edges(keys=True, data=True):
            _copy_element(out, network, u, v, key, data, label, rename)
        for obs, info in source.graph["observables"].items():
            out.add_observable(f"{obs}__{label}", ex.substitute(info["formula"], rename),
                               unit=info["unit"], description=info["description"])
    edges = []
    for a, b in graph.edges:
        if a == b:
            continue  # a site's self-loop: no exchange
        for species, rate in diffusion.items():
            if rate == 0:
                continue
            for one, other in ((a, b), (b, a)):  # a DiGraph's a->b and b->a give two pairs
                u, v = f"{species}__{labels[one]}", f"{species}__{labels[other]}"
                out.add_edge(u, "transfers", v, rate=float(rate),
                             descriptions={"rate": f"diffusive exchange of {species}"})
                edges.append((u, v, list(out._graph[u][v])[-1]))
    # compile_network() compiles the local model once and loops it over the sites
    layout = TissueLayout(network.copy(), tuple(labels.values()), tuple(edges), skeleton(out))
    out._tissue = layout  # type: ignore[attr-defined]
    return out


def _renamer(names: tuple[set[str], set[str], set[str], dict[str, str], set[str]],
             label: str) -> Any:
    nodes, observables, params, aliases, compartments = names

    def rename(node: ex.Expr) -> ex.Expr | None:
        if not isinstance(node, ex.Symbol):
            return None
        name = node.name
        if name in nodes or name in observables:
            return ex.Symbol(f"{name}__{label}")
        name = aliases.get(name, name)
        if name in params:
            return ex.Symbol(site_name(name, label, nodes, compartments))
        return None  # a term's own parameter: stays local

    return rename


def site_name(name: str, label: str, nodes: set[str], compartments: set[str]) -> str:
    """The name at site *label* of a local parameter: ``TNF.rate`` -> ``TNF__2_3.rate``.

    The head (a node or a compartment) and every node named inside the rest are renamed;
    other names are returned as they are.
    """
    head, _, tail = name.partition(".")
    if head not in nodes and head not in compartments:
        return name
    return f"{head}__{label}.{_rename_prefix(tail, nodes, label)}"


def _rename_prefix(tail: str, nodes: set[str], label: str) -> str:
    """Rename the node names inside the rest of a parameter name (``secretes.TNF.IL10.K``)."""
    parts = tail.split(".")
    return ".".join(f"{p}__{label}" if p in nodes else
                    (f"{p.split(':')[0]}__{label}:{p.split(':')[1]}"
                     if ":" in p and p.split(":")[0] in nodes else p) for p in parts)


def _copy_element(out: Network, network: Network, u: str, v: str, key: Any,
                  data: dict[str, Any], label: str, rename: Any) -> None:
    law = network.kinds[data["kind"]]
    params = {k: r["value"] for k, r in data["params"].items() if "." not in k}
    meta: dict[str, Any] = {
        field: {k: r[src] for k, r in data["params"].items() if r.get(src) and "." not in k}
            for field, src in (("units", "unit"), ("sources", "source"),
                               ("descriptions", "description"))}
    modulators: list[Hill | Linear] = []
    for record in data["modulators"]:
        node = record["node"]
        if record["type"] == "linear":
            modulators.append(Linear(f"{node}__{label}"))
            continue
        values = {k: data["params"][f"{node}.{k}"]["value"] for k in ("K", "n", "basal")
                  if f"{node}.{k}" in data["params"]}
        modulators.append(Hill(f"{node}__{label}", K=values["K"], n=values.get("n", 1.0),
                               kind=record["kind"], basal=values.get("basal")))
    options = {k: val for k, val in data["options"].items()
               if k not in ("formula", "formula_text", "changes", "parameters", "bounds")}
    if "complex" in options and options["complex"]:
        options["complex"] = f"{options['complex']}__{label}"
    if law.applies_to == "node":
        node = f"{u}__{label}"
        if data["kind"] == "expression":
            formula = ex.substitute(data["options"]["formula"], rename)
            changes = {f"{k}__{label}": c for k, c in data["options"]["changes"].items()}
            out.add_term(node, formula, name=str(key), changes=changes, params=params,
                         lower_bounds=dict(data["options"].get("bounds", {})), **meta)
        else:
            out.add_process(node, data["kind"], modulators=modulators, **meta, **params,
                            **options)
    else:
        out.add_edge(f"{u}__{label}", data["kind"], f"{v}__{label}", modulators=modulators,
                     **meta, **params, **options)
