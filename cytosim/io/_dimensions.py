"""Dimensional analysis of rate laws with pint.

Each flux's contribution to ``d(state)/dt`` is evaluated with pint quantities in place of
states, parameters and time; it must have the dimension of ``state unit / time unit``. A
term is checked only when every quantity it involves has a unit pint understands (declared
in the model, or implied by the kind, such as ``1/h`` for a decay rate); the others are
skipped, so models in arbitrary units load unchanged.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .. import expr as ex
from .._assemble import assemble, contribution_scale
from .._units import registry
from ..exceptions import ModelError

if TYPE_CHECKING:
    from ..network import Network


class _Undeclared(Exception):
    """A quantity in the term has no unit pint can read."""


def _unit(text: str) -> Any:
    if not text:
        raise _Undeclared
    try:
        return registry().Unit(text)
    except Exception:
        try:
            quantity = registry().Quantity(text)
        except Exception as err:
            raise _Undeclared from err
        return quantity.units if hasattr(quantity, "units") else registry().dimensionless


def check_units(net: Network, *, where: str = "") -> int:
    """Check the dimensions of every rate law whose quantities all have units.

    Returns the number of terms checked.

    Raises
    ------
    ModelError
        Naming the term, its dimension and the dimension it must have.
    """
    ureg = registry()
    assembly = assemble(net, antagonism=False)
    graph = net._graph
    units = net.parameters()["unit"]
    param_units = [str(units[name]) for name in assembly.params]
    state_units = [str(graph.nodes[name]["unit"]) for name in assembly.states]
    try:
        time = ureg.Unit(net.time_unit)
    except Exception:
        return 0
    prefix = f"{where}: " if where else ""
    param_index = {name: i for i, name in enumerate(assembly.params)}
    checked = 0
    for element in assembly.elements:
        if element.molar:
            # the molar conversion factors are plain numbers here: check the constants instead
            checked += _check_molar(element, net, units, ureg, time, prefix)
            continue
        for flux in element.fluxes:
            for i, change in flux.changes.items():
                node = assembly.states[i]
                scale = contribution_scale(graph, node, element.compartment, param_index)
                term = ex.mul(change, flux.rate, scale)
                try:
                    expected = _unit(state_units[i]) / time
                    value = _evaluate(term, assembly, state_units, param_units, ureg, time)
                except _Undeclared:
                    continue
                except ModelError as err:
                    raise ModelError(f"{prefix}units: {element.label}: {err}") from None
                got = value.dimensionality if hasattr(value, "dimensionality") else (
                    ureg.dimensionless.dimensionality)
                if got != expected.dimensionality:
                    raise ModelError(
                        f"{prefix}units: {element.label}: its rate into {node!r} has dimension "
                        f"{got} but d{node}/dt must have the dimension of "
                        f"{graph.nodes[node]['unit']}/{net.time_unit} ({expected.dimensionality})")
                checked += 1
    return checked


def _check_molar(element: Any, net: Network, units: Any, ureg: Any, time: Any,
                 prefix: str) -> int:
    """A molar rate law's constants, whose values are used as ``kon`` per nM per time unit,
    ``koff`` per time unit and ``Ki`` in nM: a declared unit must be exactly that (the node
    conversions themselves were checked when the element was added)."""
    if element.kind == "antagonizes":
        expected = {"Ki": "nM"}
    else:
        expected = {"kon": f"1/nM/{net.time_unit}", "koff": f"1/{net.time_unit}"}
    checked = 0
    for name, target in expected.items():
        unit = str(units.get(f"{element.prefix}.{name}", "") or "")
        if not unit:
            continue
        try:
            declared = ureg.Quantity(1.0, _unit(unit))
        except _Undeclared:
            continue
        try:
            factor = float(declared.to(ureg.Unit(target)).magnitude)
        except Exception:  # pint's DimensionalityError and relatives
            raise ModelError(f"{prefix}units: {element.label}: `{name}` has unit {unit!r} but "
                             f"a molar rate law needs {target}") from None
        if abs(factor - 1.0) > 1e-12:
            raise ModelError(f"{prefix}units: {element.label}: `{name}` is used in {target}, "
                             f"but its unit is {unit!r} (1 {unit} = {factor:g} {target}): "
                             f"give the value in {target}")
        checked += 1
    return checked


def _evaluate(term: ex.Expr, assembly: Any, state_units: list[str], param_units: list[str],
              ureg: Any, time: Any) -> Any:
    values: dict[ex.Expr, Any] = {}
    for node in term.walk():
        if isinstance(node, ex.Const):
            out: Any = node.value
        elif isinstance(node, ex.State):
            out = ureg.Quantity(1.5, _unit(state_units[node.index]))
        elif isinstance(node, ex.Param):
            magnitude = assembly.param_values[node.index] or 1.0
            out = ureg.Quantity(magnitude, _unit(param_units[node.index]))
        elif isinstance(node, ex.Time):
            out = ureg.Quantity(1.0, time)
        elif isinstance(node, ex.Add):
            out = _combine(sum, [values[t] for t in node.terms])
        elif isinstance(node, ex.Mul):
            out = math.prod(values[f] for f in node.factors)
        elif isinstance(node, ex.Div):
            out = values[node.num] / values[node.den]
        elif isinstance(node, ex.Pow):
            exponent = _dimensionless(values[node.exponent], "an exponent")
            out = values[node.base] ** exponent
        elif isinstance(node, ex.Gate):
            out = values[node.value]
        elif isinstance(node, ex.Func):
            arg = values[node.arg]
            if node.name in ("exp", "log"):
                number = _dimensionless(arg, f"the argument of {node.name}")
                out = math.exp(number) if node.name == "exp" else math.log(abs(number) or 1.0)
            elif node.name == "pos":
                out = arg
            else:
                out = 1.0
        else:
            raise _Undeclared
        values[node] = out
    return values[term]


def _combine(total: Any, items: list[Any]) -> Any:
    try:
        return total(items[1:], items[0])
    except Exception as err:
        dims = ", ".join(str(getattr(i, "dimensionality", "dimensionless")) for i in items)
        raise ModelError(f"adds terms of different dimensions ({dims})") from err


def _dimensionless(value: Any, what: str) -> float:
    if hasattr(value, "to"):
        try:
            return float(value.to("dimensionless").magnitude)
        except Exception as err:
            raise ModelError(f"{what} must be dimensionless, got {value.units}") from err
    return float(value)
