"""An SBML model of a compiled cytosim system, for running the same equations in libRoadRunner.

Benchmark helper (not part of the package): cytosim has no SBML export yet, so the
benchmarks write the system's right-hand side, term by term from its expression trees, as
SBML Level 3 rate rules over parameters ``y0..`` (states, not constant) and ``p0..``
(parameters). Same equations, same initial values; names are indices, so the mapping is
exact: set ``p<k>`` for ``system.param_names[k]``.
"""

from __future__ import annotations

import cytosim as cs
from cytosim import expr as ex


def formula(node: ex.Expr) -> str:
    """The SBML Level 3 infix formula of an expression tree."""
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


def sbml(system: cs.OdeSystem) -> str:
    """SBML Level 3 text with one rate rule per state."""
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
    for i, derivative in enumerate(system.derivatives):
        rule = model.createRateRule()
        rule.setVariable(f"y{i}")
        math = libsbml.parseL3Formula(formula(derivative))
        if math is None:
            raise ValueError(libsbml.getLastParseL3Error())
        rule.setMath(math)
    return str(libsbml.writeSBMLToString(document))
