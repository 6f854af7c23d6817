"""The influence graph: who acts on whom, with sign, derived from the rate laws."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from . import expr as ex
from ._assemble import assemble
from ._emit import build_functions, emit_function

if TYPE_CHECKING:
    from .network import Network


def influence_graph(net: Network) -> nx.DiGraph:
    """Directed graph of influences with ``sign`` (+1 or -1) and ``kinds`` (set of edge kinds).

    For every flux, every state ``s`` in its rate acts on every node the flux changes, with
    the sign of ``d(change * rate)/ds`` evaluated at all states equal to 1 and the network's
    parameter values. Self-influences are left out.
    """
    assembly = assemble(net)
    out = nx.DiGraph(name=net.name)
    for name in assembly.states:
        out.add_node(name, kind=net._graph.nodes[name]["kind"])
    entries: list[tuple[str, str, str, ex.Expr]] = []
    for element in assembly.elements:
        kind = element.kind
        for flux in element.fluxes:
            for j in sorted(flux.rate.states()):
                for i, coeff in flux.changes.items():
                    if i != j:
                        entries.append((assembly.states[j], assembly.states[i], kind,
                                        ex.diff(ex.mul(coeff, flux.rate), ex.State(j))))
    if not entries:
        return out
    source = emit_function("sens", [e[3] for e in entries])
    sens = build_functions(source, ["sens"])["sens"]
    y = np.ones(len(assembly.states))
    p = np.asarray(assembly.param_values, dtype=float)
    with np.errstate(all="ignore"):
        values = sens(0.0, y, p, np.empty(len(entries)))
    for (u, v, kind, _), value in zip(entries, values, strict=True):
        sign = 1 if value > 0 else -1 if value < 0 else 0
        if sign == 0:
            continue
        if out.has_edge(u, v):
            out.edges[u, v]["kinds"].add(kind)
            if out.edges[u, v]["sign"] != sign:
                out.edges[u, v]["sign"] = 0  # mixed effect
        else:
            out.add_edge(u, v, sign=sign, kinds={kind})
    return out
