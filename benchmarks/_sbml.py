"""An SBML model of a compiled cytosim system, for running the same equations in libRoadRunner.

Benchmark helper (not part of the package): cytosim has no SBML export yet, so the
benchmarks write the system's right-hand side, term by term from its expression trees, as
SBML Level 3 rate rules over parameters ``y0..`` (states, not constant) and ``p0..``
(parameters). Same equations, same initial values; names are indices, so the mapping is
exact: set ``p<k>`` for ``system.param_names[k]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import cytosim as cs
from cytosim import expr as ex


def formula(node: ex.Expr, states: Sequence[int] | None = None,
            params: Sequence[int] | None = None) -> str:
    """The SBML Level 3 infix formula of an expression tree; *states* and *params* map the
    tree's indices to the model's (a tissue site's local model), identity by default."""
    if states is not None or params is not None:
        def rename(leaf: ex.Expr) -> ex.Expr | None:
            if isinstance(leaf, ex.State) and states is not None:
                return ex.State(states[leaf.index])
            if isinstance(leaf, ex.Param) and params is not None:
                return ex.Param(params[leaf.index])
            return None

        return formula(ex.substitute(node, rename))
    if isinstance(node, ex.Const):
        return repr(float(node.value))
    if isinstance(node, ex.Param):
        return f"p{node.index}"
    if isinstance(node, ex.State):
        return f"y{node.index}"
    if isinstance(node, ex.Time):
        return "time"
    if isinstance(node, ex.Add):
        return "(" + " + ".join(formula(t) for t in node.terms) + ")"
    if isinstance(node, ex.Mul):
        return "(" + " * ".join(formula(f) for f in node.factors) + ")"
    if isinstance(node, ex.Div):
        return f"({formula(node.num)} / {formula(node.den)})"
    if isinstance(node, ex.Pow):
        return f"pow({formula(node.base)}, {formula(node.exponent)})"
    if isinstance(node, ex.Func):
        arg = formula(node.arg)
        return {"exp": f"exp({arg})", "log": f"ln({arg})",
                "pos": f"piecewise({arg}, {arg} >= 0, 0)",
                "step": f"piecewise(1, {arg} >= 0, 0)"}[node.name]
    if isinstance(node, ex.Gate):
        op = ">" if node.strict else ">="
        return f"piecewise({formula(node.value)}, {formula(node.cond)} {op} 0, 0)"
    raise TypeError(f"cannot write {type(node).__name__}")


def sbml(system: cs.OdeSystem, rates: Sequence[str] | None = None) -> str:
    """SBML Level 3 text with one rate rule per state (*rates*: the formulas, by default
    written from the system's derivatives)."""
    import libsbml

    document = libsbml.SBMLDocument(3, 2)
    model = document.createModel()
    model.setId("cytosim_model")
    for k, value in enumerate(system.default_params):
        parameter = model.createParameter()
        parameter.setId(f"p{k}")
        parameter.setValue(float(value))
        parameter.setConstant(True)
    for i, value in enumerate(system.default_initial):
        state = model.createParameter()
        state.setId(f"y{i}")
        state.setValue(float(value))
        state.setConstant(False)
    for i, text in enumerate(rates or [formula(d) for d in system.derivatives]):
        rule = model.createRateRule()
        rule.setVariable(f"y{i}")
        math = libsbml.parseL3Formula(text)
        if math is None:
            raise ValueError(libsbml.getLastParseL3Error())
        rule.setMath(math)
    return str(libsbml.writeSBMLToString(document))


def tissue_sbml(network: cs.Network) -> str:
    """SBML of a tissue network (:func:`cytosim.tissue`) written site by site from its local
    model, plus the diffusion terms (the ``transfers`` law; see cytosim._tissue_system). The
    structured compile keeps no flat expression trees, and the flat ones, written out, give
    28 MB of SBML for 1,000 sites (libRoadRunner did not load it within 50 minutes)."""
    from cytosim._tissue_system import layout_of
    from cytosim.tissue import site_name

    layout = layout_of(network)
    if layout is None:
        raise ValueError("not a tissue network made by cs.tissue")
    system, local = cs.compile_network(network), cs.compile_network(layout.local)
    graph = network.graph
    state = {n: i for i, n in enumerate(system.state_names)}
    param = {n: i for i, n in enumerate(system.param_names)}
    nodes = set(layout.local.nodes)
    compartments = set(layout.local.compartments)
    terms: list[list[str]] = [[] for _ in system.state_names]
    for label in layout.labels:
        states = [state[f"{s}__{label}"] for s in local.state_names]
        params = [param[site_name(q, label, nodes, compartments)] for q in local.param_names]
        for i, derivative in enumerate(local.derivatives):
            terms[states[i]].append(formula(derivative, states, params))
    for u, v, key in layout.edges:
        rate = param[f"{network.element_prefix(u, v, key)}.rate"]
        volume = {n: f"p{param[graph.nodes[n]['compartment'] + '.volume']}"
                  if graph.nodes[n]["quantity"] != "amount" else "1" for n in (u, v)}
        flow = f"(p{rate} * max(y{state[u]} * {volume[u]}, 0))"
        terms[state[u]].append(f"-{flow} / {volume[u]}")
        terms[state[v]].append(f"{flow} / {volume[v]}")
    return sbml(system, [" + ".join(t) or "0" for t in terms])
