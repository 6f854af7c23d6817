"""Molar conversion of node concentrations, for rate laws written in molar units.

A drug dosed in mg binding a cytokine measured in pg/mL reacts mole for mole: the binding
rate law works in nM and needs, for every node it touches, the factor from the node's
concentration unit to nM. Mass concentrations divide by the molar mass, from the node's
``molecular_weight`` or, for a cytokine linked to the catalogue, the catalogue's value.
Amount states are read as concentrations in their compartment, so the compartment's volume
needs a unit. Conversions use pint.
"""

from __future__ import annotations

import functools
from typing import Any

from ._units import registry
from .catalogue import find_cytokine
from .exceptions import ModelError

__all__ = ["concentration_unit", "molar_factor", "molecular_weight", "volume_ratio"]

MOLAR_UNIT = "nM"
"""The unit of molar rate laws: concentrations in nM, second-order constants per nM."""


def molecular_weight(graph: Any, node: str) -> float | None:
    """The node's molar mass in g/mol: its own ``molecular_weight``, else the catalogue's
    (for a node with a ``catalog_id`` whose entry has a mass), else None."""
    data = graph.nodes[node]
    if data.get("molecular_weight") is not None:
        return float(data["molecular_weight"])
    catalog_id = data.get("catalog_id")
    info = find_cytokine(catalog_id) if catalog_id else None
    if info is not None and info.molecular_weight_kda is not None:
        return 1000.0 * float(info.molecular_weight_kda)
    return None


def concentration_unit(graph: Any, node: str) -> str:
    """The unit of the node's concentration: its unit, or for an amount state its unit per
    its compartment's volume unit (empty when either is undeclared)."""
    data = graph.nodes[node]
    unit = str(data.get("unit") or "")
    if data["quantity"] != "amount" or not unit:
        return unit
    volume_unit = graph.graph["compartments"][data["compartment"]]["volume"].get("unit") or ""
    return f"({unit})/({volume_unit})" if volume_unit else ""


@functools.lru_cache(maxsize=256)
def _to_nanomolar(unit: str, weight: float | None) -> float | str:
    """nM per one *unit*, or the reason it cannot be converted."""
    ureg = registry()
    try:
        quantity = ureg.Quantity(1.0, unit)
    except Exception as err:  # pint raises several unrelated types for bad units
        return f"its concentration unit {unit!r} is not a unit pint understands ({err})"
    if quantity.check("[substance] / [length] ** 3"):
        return float(quantity.to(MOLAR_UNIT).magnitude)
    if quantity.check("[mass] / [length] ** 3"):
        if weight is None:
            return (f"its unit {unit!r} is a mass concentration and it has no molecular weight "
                    "(give the node `molecular_weight` in g/mol, or link a cytokine to the "
                    "catalogue)")
        return float((quantity / ureg.Quantity(weight, "g/mol")).to(MOLAR_UNIT).magnitude)
    return (f"its concentration unit {unit!r} is neither a molar nor a mass concentration "
            "(e.g. 'nM', 'pg/mL', or 'mg' in a compartment with a volume unit)")


def molar_factor(graph: Any, node: str, where: str, weight: float | None = None) -> float:
    """nM per one unit of *node*'s concentration (*weight*, in g/mol, overrides the node's
    molar mass: e.g. a drug binding the TNF trimer rather than the monomer).

    Raises
    ------
    ModelError
        Naming *where* (the rate law) and the node, when its unit is missing, not a
        concentration, or a mass concentration without a molecular weight.
    """
    unit = concentration_unit(graph, node)
    if not unit:
        data = graph.nodes[node]
        missing = ("a unit" if not data.get("unit") else
                   f"a volume unit on its compartment {data['compartment']!r}")
        raise ModelError(f"{where}: a molar rate law needs node {node!r} to have {missing}")
    factor = _to_nanomolar(unit, molecular_weight(graph, node) if weight is None else weight)
    if isinstance(factor, str):
        raise ModelError(f"{where}: node {node!r} cannot be converted to {MOLAR_UNIT}: {factor}")
    return factor


def volume_ratio(graph: Any, reaction: str, node: str) -> float:
    """One volume unit of compartment *reaction* in the volume unit of *node*'s compartment
    (1 when they are the same compartment or either unit is undeclared)."""
    own = graph.nodes[node]["compartment"]
    if own == reaction:
        return 1.0
    compartments = graph.graph["compartments"]
    a = compartments[reaction]["volume"].get("unit") or ""
    b = compartments[own]["volume"].get("unit") or ""
    if not a or not b or a == b:
        return 1.0
    return float(registry().Quantity(1.0, a).to(b).magnitude)
