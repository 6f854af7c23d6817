"""How a drug acts on its molecular target: reversible binding of a cytokine (anti-TNF
antibodies) or competition at the cytokine's receptor (anakinra)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from .._molar import MOLAR_UNIT, molar_factor
from .._names import suggest
from .._network_checks import _label
from ..exceptions import ModelError, ParameterError
from ..network import Network

MECHANISMS = ("binds", "antagonist")


def _formula_readers(network: Network, node: str) -> list[str]:
    """Elements that read *node* other than through modulators or drivers (formulas,
    receptor uptake), which a receptor antagonist does not reach."""
    out = []
    for u, v, key, data in network.graph.edges(keys=True, data=True):
        formula = data["options"].get("formula")
        reads = (formula is not None and hasattr(formula, "symbols")
                 and node in formula.symbols())
        if reads or (data["kind"] == "consumes" and v == node):
            out.append(_label(network, u, v, key))
    return out


@dataclass(frozen=True)
class Binding:
    """A drug's action on a cytokine, in molar units.

    Parameters
    ----------
    targets : tuple of str
        Catalogue symbols of the cytokines the drug acts on (``("TNF",)``; for a receptor
        antagonist, the cytokines whose receptor it blocks).
    molecular_weight : pint.Quantity
        The drug's molar mass ([mass]/[substance], e.g. ``149.1 kDa`` as ``g/mol``).
    mechanism : {"binds", "antagonist"}
        ``"binds"``: reversible 1:1 binding ``D + C <-> DC`` with ``kon``/``koff``; the complex
        is cleared at the free drug's elimination rate ``CL/V1``. ``"antagonist"``: the drug
        competes with the cytokine at its receptor with inhibition constant ``ki``; every
        response to the cytokine sees ``C / (1 + [D]/Ki)`` (a Hill response's apparent K
        rises by ``1 + [D]/Ki``, the Gaddum equation), and its amount is not changed.
    kon, koff : pint.Quantity
        Association (``1/[concentration]/[time]`` in molar units) and dissociation
        (``1/[time]``) rate constants, for ``"binds"``.
    ki : pint.Quantity
        Inhibition constant (a molar concentration), for ``"antagonist"``.
    target_molecular_weight : pint.Quantity, optional
        Molar mass of the bound form of the target when it differs from the cytokine node's
        (anti-TNF drugs bind the ~52 kDa TNF trimer, the catalogue lists the monomer).
    """

    targets: tuple[str, ...]
    molecular_weight: Any
    mechanism: str = "binds"
    kon: Any = None
    koff: Any = None
    ki: Any = None
    target_molecular_weight: Any = None

    def __post_init__(self) -> None:
        if self.mechanism not in MECHANISMS:
            raise ParameterError(f"unknown mechanism {self.mechanism!r}; valid: {MECHANISMS}")
        checks: list[tuple[str, str]] = [("molecular_weight", "[mass] / [substance]")]
        if self.mechanism == "binds":
            checks += [("kon", "1 / [concentration] / [time]"), ("koff", "1 / [time]")]
        else:
            checks += [("ki", "[concentration]")]
        if self.target_molecular_weight is not None:
            checks.append(("target_molecular_weight", "[mass] / [substance]"))
        for attr, dimension in checks:
            value = getattr(self, attr)
            if value is None or not hasattr(value, "check") or not value.check(dimension):
                raise ParameterError(f"binding: `{attr}` must be a pint quantity of {dimension}, "
                                     f"got {value!r}")
            if not float(value.magnitude) > 0:
                raise ParameterError(f"binding: `{attr}` must be > 0, got {value!r}")

    def molar_mass(self) -> float:
        """The drug's molar mass in g/mol."""
        return float(self.molecular_weight.to("g/mol").magnitude)

    @property
    def kd(self) -> Any:
        """The dissociation constant ``koff / kon`` (nM) of a binding drug."""
        if self.mechanism != "binds":
            raise ParameterError("a receptor antagonist has `ki`, not a binding Kd")
        return (self.koff / self.kon).to(MOLAR_UNIT)

    def apply(self, network: Network, drug: str, node: str, *, elimination_rate: float
              ) -> Network:
        """A copy of *network* in which the drug (node *drug*, an amount with a molecular
        weight) acts on the cytokine *node*; *elimination_rate* (per the network's time unit)
        clears a binding drug's complex."""
        graph = network.graph
        cytokines = [n for n, d in graph.nodes(data=True) if d["kind"] == "cytokine"]
        if node not in graph:
            raise ModelError(f"target {node!r} is not a node of the network. "
                             f"{suggest(node, cytokines)} Cytokines: {sorted(cytokines)}")
        data = graph.nodes[node]
        if data["kind"] != "cytokine":
            raise ModelError(f"target {node!r} is a {data['kind']}, not a cytokine")
        if data["quantity"] != "concentration":
            raise ModelError(f"target {node!r} is an amount state; {drug} acts on cytokine "
                             "concentrations")
        linked = data.get("catalog_id")
        if linked is not None and linked not in self.targets:
            raise ModelError(f"{drug} acts on {' or '.join(self.targets)}, but node {node!r} "
                             f"is linked to the catalogue entry {linked!r}")
        time_unit = network.time_unit
        net = network.copy()
        if self.mechanism == "antagonist":
            readers = _formula_readers(network, node)
            if readers:
                warnings.warn(f"{drug} blocks the receptors of {node} in responses written as "
                              f"modulators or drivers; {', '.join(readers)} read {node} "
                              "directly and are not affected", UserWarning, stacklevel=4)
            ki = float(self.ki.to(MOLAR_UNIT).magnitude)
            net.add_edge(drug, "antagonizes", node, Ki=ki, molar=True,
                         units={"Ki": MOLAR_UNIT},
                         descriptions={"Ki": f"inhibition constant of {drug} at the receptor "
                                             f"of {node}"})
            return net
        complex_ = f"{drug}_{node}_complex"
        total = f"{node}_total"
        if total in graph.graph["observables"]:
            raise ModelError(f"{node} is already bound by another drug (observable {total!r} "
                             "exists): two drugs binding one target are not supported")
        net.add_complex(complex_, unit=MOLAR_UNIT, compartment=data["compartment"],
                        description=f"{drug}-{node} complex (1:1)")
        per = f"1/{MOLAR_UNIT}/{time_unit}"
        kon = float(self.kon.to(per).magnitude)
        koff = float(self.koff.to(f"1/{time_unit}").magnitude)
        weight = (None if self.target_molecular_weight is None else
                  float(self.target_molecular_weight.to("g/mol").magnitude))
        net.add_edge(drug, "binds", node, kon=kon, koff=koff,
                     complex=complex_, molar=True, target_molecular_weight=weight,
                     units={"kon": per, "koff": f"1/{time_unit}"},
                     descriptions={"kon": f"association of {drug} with {node}",
                                   "koff": f"dissociation of the {drug}-{node} complex"})
        net.add_process(complex_, "decay", rate=elimination_rate,
                        units={"rate": f"1/{time_unit}"},
                        descriptions={"rate": f"complex cleared like free {drug} (CL/V1)"})
        factor = molar_factor(net.graph, node, f"{drug} binding {node}", weight)
        net.add_observable(total, f"{node} + {complex_} / {factor!r}", unit=str(data["unit"]),
                           description=f"free plus {drug}-bound {node}")
        net.add_observable(f"{drug}_{node}_occupancy",
                           f"{complex_} / ({complex_} + {factor!r} * {node})", unit="1",
                           description=f"fraction of {node} bound by {drug} (undefined, NaN, "
                                       f"while both {node} and the complex are 0)")
        return net

