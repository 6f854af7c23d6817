"""The model: a typed graph of cells, cytokines, drugs, stimuli and complexes.

A :class:`Network` wraps a :class:`networkx.MultiDiGraph`. Every node is a state variable
with a kind and a compartment; every edge is a rate law from :mod:`cytosim.kinetics`
(node processes such as decay are self-loops). Parameters live on the elements that use
them and have stable names:

- ``node.param`` for node processes (``TNF.rate``; ``TNF.half_life`` is a derived alias),
- ``source.kind.target.param`` for edges (``macrophage.secretes.TNF.rate``), with ``:2``,
  ``:3``... after the target when several edges of one kind join the same pair,
- ``<edge>.<modulator node>.K`` / ``.n`` / ``.basal`` for modulators,
- ``compartment.volume`` for compartment volumes.

Examples
--------
>>> import cytosim as cs
>>> net = cs.Network("toy", time_unit="h")
>>> net.add_cell("M", initial=1.0)
>>> net.add_cytokine("TNF", half_life=0.8, use_catalogue=False)
>>> net.add_edge("M", "secretes", "TNF", rate=2.0)
'M.secretes.TNF'
>>> sorted(net.parameter_values())
['M.secretes.TNF.rate', 'TNF.rate', 'body.volume']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import pandas as pd

from . import _parse
from . import expr as ex
from ._names import is_valid_node_name, suggest
from ._network_checks import check_element, check_network, element_parameters
from .catalogue import find_cytokine
from .exceptions import ModelError, ParameterError
from .kinetics import COMPLEX, DEFAULT_KINDS, NODE_KINDS, Hill, KindRegistry, Linear

__all__ = ["Network"]

QUANTITIES = ("concentration", "amount")


def _param_record(value: Any, *, unit: str = "", source: str = "user", description: str = "",
                  alias: str | None = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "source": source, "description": description,
            "alias": alias}


def _modulator_record(mod: Hill | Linear | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(mod, Hill):
        return {"type": "hill", "node": mod.node, "kind": mod.kind, "basal": mod.basal is not None}
    if isinstance(mod, Linear):
        return {"type": "linear", "node": mod.node}
    if isinstance(mod, Mapping):
        return dict(mod)
    raise ModelError(f"a modulator must be cs.Hill(...) or cs.Linear(...), got {mod!r}")


class Network:
    """A cytokine network: typed nodes (state variables) and rate-law edges.

    Parameters
    ----------
    name : str
        Model name, recorded in results.
    time_unit : str
        Unit of time for every rate (default hours, ``"h"``).
    description : str
        Free text.
    kinds : KindRegistry
        Rate-law registry; defaults to :data:`cytosim.kinetics.DEFAULT_KINDS`.

    Notes
    -----
    A network is a builder: ``add_*`` methods change it in place. Functions that
    "modify" a model for a scenario (``with_parameters``) return a new network.
    """

    def __init__(self, name: str = "network", *, time_unit: str = "h", description: str = "",
                 kinds: KindRegistry = DEFAULT_KINDS):
        self._graph = nx.MultiDiGraph(name=name, time_unit=time_unit, description=description,
                                      compartments={}, observables={}, metadata={},
                                      scenarios={})
        self.kinds = kinds
        self._version = 0
        self._frozen: nx.MultiDiGraph | None = None
        self.add_compartment("body", volume=1.0)

    # ----------------------------------------------------------------- properties
    @property
    def name(self) -> str:
        return str(self._graph.graph["name"])

    @property
    def time_unit(self) -> str:
        return str(self._graph.graph["time_unit"])

    @property
    def graph(self) -> nx.MultiDiGraph:
        """A frozen copy of the underlying graph, for networkx algorithms and drawing."""
        if self._frozen is None:
            self._frozen = nx.freeze(self._graph.copy())
        return self._frozen

    @property
    def nodes(self) -> list[str]:
        """Node (state) names in insertion order."""
        return list(self._graph.nodes)

    @property
    def compartments(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in self._graph.graph["compartments"].items()}

    @property
    def metadata(self) -> dict[str, Any]:
        """Free metadata (title, source citation, what the model reproduces); editable."""
        return self._graph.graph["metadata"]  # type: ignore[no-any-return]

    @property
    def scenarios(self) -> dict[str, dict[str, Any]]:
        """Named variants: ``{name: {"description", "initial", "params"}}`` (copies)."""
        return {k: dict(v) for k, v in self._graph.graph["scenarios"].items()}

    def add_scenario(self, name: str, *, initial: Mapping[str, float] | None = None,
                     params: Mapping[str, float] | None = None, description: str = "") -> None:
        """Declare a named variant that sets initial values and/or parameters.

        Raises
        ------
        ModelError
            For an invalid or duplicate name, an unknown node or parameter, or a bad value.
        """
        if not is_valid_node_name(name):
            raise ModelError(f"invalid scenario name {name!r}: names must match "
                             "[A-Za-z][A-Za-z0-9_-]*")
        if name in self._graph.graph["scenarios"]:
            raise ModelError(f"duplicate scenario name {name!r}")
        record = {"description": description, "initial": dict(initial or {}),
                  "params": dict(params or {})}
        try:
            self._apply_scenario(self.copy(), record)
        except (ModelError, ParameterError) as err:
            raise ModelError(f"scenario {name!r}: {err}") from None
        self._graph.graph["scenarios"][name] = record
        self._changed()

    def with_scenario(self, name: str) -> Network:
        """A copy with scenario *name* applied (its initial values and parameters)."""
        scenarios = self._graph.graph["scenarios"]
        if name not in scenarios:
            raise ModelError(f"unknown scenario {name!r}. {suggest(name, scenarios)}")
        return self._apply_scenario(self.copy(), scenarios[name])

    @staticmethod
    def _apply_scenario(net: Network, record: Mapping[str, Any]) -> Network:
        for node, value in record["initial"].items():
            net.set_initial(node, value)
        for param, value in record["params"].items():
            net.set_parameter(param, value)
        return net

    @property
    def observables(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in self._graph.graph["observables"].items()}

    def _changed(self) -> None:
        self._version += 1
        self._frozen = None

    def node(self, name: str) -> dict[str, Any]:
        """The attributes of node *name* (a copy)."""
        self._require_node(name, "node")
        return dict(self._graph.nodes[name])

    # ----------------------------------------------------------------- building
    def add_compartment(self, name: str, *, volume: float = 1.0, unit: str = "") -> None:
        """Add a compartment with a volume (parameter ``name.volume``)."""
        if not is_valid_node_name(name):
            raise ModelError(f"invalid compartment name {name!r}: names must match "
                             "[A-Za-z][A-Za-z0-9_-]*")
        if name in self._graph:
            raise ModelError(f"compartment {name!r} clashes with the node of the same name")
        if name in self._graph.graph["compartments"]:
            raise ModelError(f"duplicate compartment name {name!r}")
        self._graph.graph["compartments"][name] = {
            "volume": _param_record(volume, unit=unit, description=f"volume of {name}")}
        try:
            check_network(self, only_compartment=name)
        except ModelError:
            del self._graph.graph["compartments"][name]
            raise
        self._changed()

    def add_node(self, name: str, kind: str, *, initial: float = 0.0, unit: str = "",
                 compartment: str = "body", quantity: str = "concentration",
                 catalog_id: str | None = None, description: str = "",
                 molecular_weight: float | None = None) -> None:
        """Add a node (state variable) of a given kind.

        Parameters
        ----------
        name : str
            Matches ``[A-Za-z][A-Za-z0-9_-]*`` (``IL-10`` and ``M1`` are fine).
        kind : {"cell", "cytokine", "drug", "stimulus", "complex"}
        initial : float
            Initial value, >= 0, in *unit*.
        unit : str
            Unit of the state (``"pg/mL"``, ``"cells"``...).
        compartment : str
            An existing compartment.
        quantity : {"concentration", "amount"}
            Amount states are divided by their compartment's volume when a rate law reads
            them, and fluxes into them are multiplied by it.
        catalog_id : str, optional
            Link to the cytokine catalogue (HGNC symbol or alias).
        description : str
            Free text.
        molecular_weight : float, optional
            Molar mass in g/mol (Da), used by molar rate laws (``binds`` with
            ``molar = true``) to convert mass concentrations to nM. Cytokines linked to the
            catalogue default to the catalogue's value.

        Raises
        ------
        ModelError
            For an invalid or duplicate name, unknown kind or compartment, or a bad initial
            value.
        """
        if not is_valid_node_name(name):
            raise ModelError(f"invalid node name {name!r}: names must match "
                             "[A-Za-z][A-Za-z0-9_-]* (letters, digits, '_' and '-', starting "
                             "with a letter)")
        if name in self._graph:
            raise ModelError(f"duplicate node name {name!r}")
        if name in self._graph.graph["compartments"] or name in self._graph.graph["observables"]:
            raise ModelError(f"node name {name!r} clashes with a compartment or observable")
        if kind not in NODE_KINDS:
            raise ModelError(f"node {name!r}: unknown kind {kind!r}. {suggest(kind, NODE_KINDS)}")
        self._graph.add_node(name, kind=kind, initial=initial, unit=unit,
                             compartment=compartment, quantity=quantity, catalog_id=catalog_id,
                             description=description, molecular_weight=molecular_weight)
        try:
            check_network(self, only_node=name)
        except ModelError:
            self._graph.remove_node(name)
            raise
        self._changed()

    def add_cell(self, name: str, *, initial: float = 0.0, unit: str = "cells",
                 death_rate: float | None = None, half_life: float | None = None,
                 source: float | None = None, **node_options: Any) -> None:
        """Add a cell population, optionally with death (first-order) and a constant source."""
        self.add_node(name, "cell", initial=initial, unit=unit, **node_options)
        self._add_decay(name, death_rate, half_life)
        if source is not None:
            self.add_process(name, "source", source=source)

    def add_cytokine(self, name: str, *, initial: float = 0.0, unit: str = "",
                     decay_rate: float | None = None, half_life: float | None = None,
                     baseline: float | None = None, catalog_id: str | None = None,
                     use_catalogue: bool = True, **node_options: Any) -> None:
        """Add a cytokine, linked to the catalogue by name or *catalog_id*.

        When neither *decay_rate* nor *half_life* is given and the catalogue has a plasma
        half-life for the cytokine, decay at ``ln 2 / half-life`` is added and the parameter is
        tagged ``source="catalogue"`` in :meth:`parameters`. With *baseline*, the cytokine
        decays towards that level (``decay_to_baseline``).
        """
        info = find_cytokine(catalog_id or name) if use_catalogue else None
        if catalog_id is not None and use_catalogue and info is None:
            raise ModelError(f"cytokine {name!r}: catalog_id {catalog_id!r} is not in the "
                             "catalogue; see cs.catalog()")
        self.add_node(name, "cytokine", initial=initial, unit=unit,
                      catalog_id=info.symbol if info else catalog_id, **node_options)
        if decay_rate is None and half_life is None and info is not None and info.half_life_h:
            hours = _hours_per(self.time_unit)
            rate = math.log(2.0) / (info.half_life_h / hours)
            kind = "decay" if baseline is None else "decay_to_baseline"
            extra: dict[str, Any] = {} if baseline is None else {"baseline": baseline}
            self.add_process(name, kind, rate=rate, units={"rate": f"1/{self.time_unit}"},
                             **extra,
                             sources={"rate": "catalogue"},
                             descriptions={"rate": f"ln2 / catalogue half-life "
                                           f"({info.half_life_h:g} h; {info.half_life_source})"})
        else:
            self._add_decay(name, decay_rate, half_life, baseline)

    def add_stimulus(self, name: str, *, initial: float = 0.0, unit: str = "",
                     decay_rate: float | None = None, half_life: float | None = None,
                     **node_options: Any) -> None:
        """Add a stimulus (pathogen, LPS, tissue damage), optionally cleared first-order."""
        self.add_node(name, "stimulus", initial=initial, unit=unit, **node_options)
        self._add_decay(name, decay_rate, half_life)

    def add_drug(self, name: str, *, initial: float = 0.0, unit: str = "",
                 decay_rate: float | None = None, half_life: float | None = None,
                 **node_options: Any) -> None:
        """Add a drug, optionally cleared first-order."""
        self.add_node(name, "drug", initial=initial, unit=unit, **node_options)
        self._add_decay(name, decay_rate, half_life)

    def add_complex(self, name: str, *, initial: float = 0.0, unit: str = "",
                    decay_rate: float | None = None, half_life: float | None = None,
                    **node_options: Any) -> None:
        """Add a complex (product of a ``binds`` edge), optionally cleared first-order."""
        self.add_node(name, COMPLEX, initial=initial, unit=unit, **node_options)
        self._add_decay(name, decay_rate, half_life)

    def _add_decay(self, name: str, rate: float | None, half_life: float | None,
                   baseline: float | None = None) -> None:
        if rate is not None and half_life is not None:
            raise ModelError(f"node {name!r}: give `decay_rate` or `half_life`, not both")
        kind = "decay" if baseline is None else "decay_to_baseline"
        extra: dict[str, Any] = {} if baseline is None else {"baseline": baseline}
        if baseline is not None and rate is None and half_life is None:
            raise ModelError(f"node {name!r}: a `baseline` needs `decay_rate` or `half_life`")
        if half_life is not None:
            self.add_process(name, kind, half_life=half_life, **extra)
        elif rate is not None:
            self.add_process(name, kind, rate=rate, **extra)

    def add_process(self, node: str, kind: str, *, modulators: Sequence[Hill | Linear] = (),
                    units: Mapping[str, str] | None = None,
                    sources: Mapping[str, str] | None = None,
                    descriptions: Mapping[str, str] | None = None,
                    aliases: Mapping[str, str] | None = None, key: str | None = None,
                    **values: Any) -> None:
        """Add a node process (``decay``, ``source``, ``logistic``, ``expression``...).

        Keyword *values* are parameter values (``rate=0.5``), derived aliases
        (``half_life=0.8``) or options of the kind (``baseline=...``).
        """
        self._add_element(node, kind, node, modulators=modulators, units=units,
                          sources=sources, descriptions=descriptions, aliases=aliases,
                          key=key, values=values, want="node")

    def add_edge(self, source: str, kind: str, target: str, *,
                 modulators: Sequence[Hill | Linear] = (),
                 units: Mapping[str, str] | None = None,
                 sources: Mapping[str, str] | None = None,
                 descriptions: Mapping[str, str] | None = None,
                 aliases: Mapping[str, str] | None = None, **values: Any) -> str:
        """Add an interaction ``source -kind-> target`` and return its parameter prefix.

        Parameters
        ----------
        source, target : str
            Existing nodes.
        kind : str
            A registered edge kind (``secretes``, ``transitions``/``activates``,
            ``proliferates``, ``recruits``, ``kills``, ``consumes``, ``binds``...).
        modulators : sequence of Hill or Linear
            Factors multiplying the rate (``cs.Hill("IL10", K=5, kind="down")``).
        units, sources, descriptions, aliases : mapping, optional
            Per-parameter metadata keyed by local name (``{"rate": "1/h"}``); *aliases* gives
            the paper's own symbol (``{"rate": "k_pg"}``).
        **values
            Parameter values and kind options (``rate=1.2``, ``complex="TNF_drug"``).

        Examples
        --------
        >>> import cytosim as cs
        >>> net = cs.Network()
        >>> net.add_cell("M"); net.add_cytokine("IL6", use_catalogue=False)
        >>> net.add_edge("M", "secretes", "IL6", rate=1.0)
        'M.secretes.IL6'
        """
        return self._add_element(source, kind, target, modulators=modulators, units=units,
                                 sources=sources, descriptions=descriptions, aliases=aliases,
                                 key=None, values=values, want="edge")

    def add_term(self, node: str, formula: str | ex.Expr, *, name: str | None = None,
                 changes: Mapping[str, float] | None = None,
                 params: Mapping[str, float] | None = None,
                 lower_bounds: Mapping[str, float] | None = None, **metadata: Any) -> None:
        """Add a general rate term written as a formula (the ``expression`` kind).

        Parameters
        ----------
        node : str
            The node the term belongs to; its parameters are named ``node.param``.
        formula : str or Expr
            The rate, over node names (raw state values), parameter names, ``t`` and the
            term's own *params*. Parsed safely, never evaluated as Python.
        name : str, optional
            Key of the term (default ``term1``, ``term2``...).
        changes : mapping, optional
            Change per unit rate in each node; default ``{node: +1}``.
        params : mapping, optional
            The term's own parameters and values (>= 0 unless *lower_bounds* says otherwise).
        """
        own: dict[str, Any] = dict(params or {})
        text = formula if isinstance(formula, str) else None
        tree = _parse.parse(formula, self._known_names(), where=f"term on {node!r}") if isinstance(
            formula, str) else formula
        terms = sum(1 for *_, d in self._self_loops(node) if d["kind"] == "expression")
        key = name or f"term{terms + 1}"
        self.add_process(node, "expression", key=key, formula=tree, formula_text=text,
                         changes=dict(changes or {node: 1.0}), parameters=tuple(own),
                         bounds=dict(lower_bounds or {}), **metadata, **own)

    def add_observable(self, name: str, formula: str | ex.Expr, *, unit: str = "",
                       description: str = "") -> None:
        """Add a named expression over states and parameters (free TNF, Treg/Teff ratio...).

        Raises
        ------
        ModelError
            For an invalid or clashing name, or a formula naming something unknown.
        """
        if not is_valid_node_name(name):
            raise ModelError(f"invalid observable name {name!r}: names must match "
                             "[A-Za-z][A-Za-z0-9_-]*")
        if name in self._graph or name in self._graph.graph["observables"]:
            raise ModelError(f"observable name {name!r} is already used by a node or observable")
        tree = _parse.parse(formula, self._known_names(), where=f"observable {name!r}") if (
            isinstance(formula, str)) else formula
        self._graph.graph["observables"][name] = {
            "formula": tree, "text": formula if isinstance(formula, str) else None,
            "unit": unit, "description": description}
        try:
            check_network(self, only_observable=name)
        except ModelError:
            del self._graph.graph["observables"][name]
            raise
        self._changed()

    def _add_element(self, source: str, kind: str, target: str, *, modulators: Sequence[Any],
                     units: Mapping[str, str] | None, sources: Mapping[str, str] | None,
                     descriptions: Mapping[str, str] | None, aliases: Mapping[str, str] | None,
                     key: str | None, values: Mapping[str, Any], want: str) -> str:
        self._require_node(source, "source" if want == "edge" else "node")
        self._require_node(target, "target")
        if kind not in self.kinds:
            raise ModelError(f"unknown {want} kind {kind!r}. {suggest(kind, self.kinds.names())}")
        law = self.kinds[kind]
        if law.applies_to != want:
            verb = "add_process(node, kind, ...)" if law.applies_to == "node" else (
                "add_edge(source, kind, target, ...)")
            raise ModelError(f"kind {kind!r} is a {law.applies_to} kind; use {verb}")
        options = {k: v for k, v in values.items() if k in law.options or k == "formula_text"}
        params: dict[str, Any] = {}
        for local, value in values.items():
            if local in options:
                continue
            if local in law.aliases:
                canonical, transform = law.aliases[local]
                if canonical in values:
                    raise ModelError(f"{kind} on {target!r}: give {canonical!r} or {local!r}, "
                                     "not both")
                _check_number(value, f"{local} of {kind} on {target!r}")
                if value <= 0:
                    raise ModelError(f"{kind} on {target!r}: `{local}` must be > 0, got {value!r}")
                params[canonical] = _param_record(transform(float(value)),
                                                  description=f"derived from {local}={value!r}")
            else:
                params[local] = _param_record(value)
        records = [_modulator_record(m) for m in modulators]
        for mod, record in zip(modulators, records, strict=True):
            if isinstance(mod, Hill | Linear):
                for local, value in mod.values().items():
                    params[f"{record['node']}.{local}"] = _param_record(value)
        for meta, field_ in ((units, "unit"), (sources, "source"), (descriptions, "description"),
                             (aliases, "alias")):
            for local, value in (meta or {}).items():
                if local not in params:
                    raise ModelError(f"{kind} on {target!r}: metadata for unknown parameter "
                                     f"{local!r}. {suggest(local, params)}")
                params[local][field_] = value
        data = {"kind": kind, "params": params, "modulators": records,
                "options": {**law.options, **options}}
        if key is None:
            key = self._graph.new_edge_key(source, target) if want == "edge" else kind
        if self._graph.has_edge(source, target, key):
            raise ModelError(f"node {target!r} already has a {kind!r} process; "
                             "set its parameters instead")
        self._graph.add_edge(source, target, key=key, **data)
        try:
            check_element(self, source, target, key)
        except ModelError:
            self._graph.remove_edge(source, target, key)
            raise
        self._changed()
        return self.element_prefix(source, target, key)

    def _self_loops(self, node: str) -> Iterable[tuple[str, str, Any, dict[str, Any]]]:
        return ((u, v, k, d) for u, v, k, d in self._graph.edges(node, keys=True, data=True)
                if u == v)

    def _require_node(self, name: str, role: str) -> None:
        if name not in self._graph:
            raise ModelError(f"unknown {role} node {name!r}. {suggest(str(name), self.nodes)}")

    def _known_names(self) -> list[str]:
        return [*self._graph.nodes, *self._graph.graph["observables"],
                *self.parameter_values(), *self.parameter_aliases()]

    # ----------------------------------------------------------------- parameters
    def elements(self) -> list[tuple[str, str, Any, dict[str, Any]]]:
        """Every rate-law element as ``(source, target, key, data)`` in insertion order."""
        return list(self._graph.edges(keys=True, data=True))

    def element_prefix(self, source: str, target: str, key: Any) -> str:
        """The stable parameter-name prefix of an element (``TNF`` or ``M.secretes.TNF:2``)."""
        data = self._graph.edges[source, target, key]
        if self.kinds[data["kind"]].applies_to == "node":
            return source
        same = [k for k, d in self._graph.get_edge_data(source, target).items()
                if d["kind"] == data["kind"]]
        index = same.index(key)
        suffix = f":{index + 1}" if index else ""
        return f"{source}.{data['kind']}.{target}{suffix}"

    def _parameter_rows(self) -> list[dict[str, Any]]:
        rows = []
        for comp, info in self._graph.graph["compartments"].items():
            rows.append({"name": f"{comp}.volume", **info["volume"],
                         "where": f"compartment {comp}"})
        for u, v, k, d in self.elements():
            prefix = self.element_prefix(u, v, k)
            where = f"node {u} ({d['kind']})" if u == v and self.kinds[d["kind"]].applies_to == (
                "node") else f"edge {u} -{d['kind']}-> {v}"
            for spec in element_parameters(self, u, v, k):
                record = d["params"].get(spec.name) or _param_record(spec.default,
                                                                     source="default")
                rows.append({"name": f"{prefix}.{spec.name}", **record,
                             "unit": record["unit"] or self._default_unit(spec, u, v, d),
                             "description": record["description"] or spec.description,
                             "where": where})
        return rows

    def _default_unit(self, spec: Any, source: str, target: str, data: dict[str, Any]) -> str:
        """A parameter's unit from its kind's dimension hint and the nodes' units (*data*:
        the element's attributes)."""
        nodes = self._graph.nodes
        node = spec.name.split(".")[0] if "." in spec.name else target
        words = {"time": self.time_unit, "unit of node": nodes[node]["unit"] if node in nodes
                 else "", "unit of source": nodes[source]["unit"],
                 "unit of target": nodes[target]["unit"], "unit": nodes[target]["unit"],
                 "nM": "nM",
                 "cell": nodes[source]["unit"]}
        hint = spec.unit
        if "." not in spec.name and any(m["type"] == "linear" for m in data["modulators"]):
            return ""  # a mass-action modulator changes the rate's unit; none is implied
        if hint in words:
            return str(words[hint])
        parts = hint.split("/")
        if len(parts) > 1 and all(p in words or p == "1" for p in parts):
            resolved = [words.get(p, p) for p in parts]
            if all(resolved):
                return "/".join(resolved)
        return "1" if hint == "1" else ""

    def parameters(self) -> pd.DataFrame:
        """Table of every parameter: name, value, unit, source, description, alias, where."""
        columns = ["name", "value", "unit", "source", "description", "alias", "where"]
        return pd.DataFrame(self._parameter_rows(), columns=columns).set_index("name")

    def parameter_values(self) -> dict[str, float]:
        """``{name: value}`` for every parameter, in compile order."""
        return {r["name"]: float(r["value"]) for r in self._parameter_rows()}

    def parameter_aliases(self) -> dict[str, str]:
        """``{alias: name}`` for parameters declared with the paper's own symbol."""
        cached = getattr(self, "_aliases", None)  # aliases change only with the structure
        if cached is None or cached[0] != self._version:
            cached = (self._version, {r["alias"]: r["name"] for r in self._parameter_rows()
                                      if r["alias"]})
            self._aliases = cached
        return dict(cached[1])

    def initial_values(self) -> dict[str, float]:
        """``{node: initial value}``."""
        return {n: float(d["initial"]) for n, d in self._graph.nodes(data=True)}

    def set_initial(self, node: str, value: float) -> None:
        """Set the initial value of *node* (>= 0)."""
        self._require_node(node, "node")
        _check_number(value, f"initial value of {node!r}")
        if value < 0:
            raise ModelError(f"initial value of node {node!r} must be >= 0, got {value!r}")
        self._graph.nodes[node]["initial"] = float(value)
        self._changed()

    def set_parameter(self, name: str, value: float) -> None:
        """Set a parameter by its stable name, alias or derived name (``TNF.half_life``)."""
        record, canonical, final = self._locate_parameter(name, value)
        old = dict(record)
        record.update(value=final, source="user")
        try:
            check_network(self)
        except ModelError as err:
            record.clear()
            record.update(old)
            raise ParameterError(str(err)) from err
        self._changed()

    def _locate_parameter(self, name: str, value: float) -> tuple[dict[str, Any], str, float]:
        names = self.parameter_values()
        name = self.parameter_aliases().get(name, name)
        final = value
        if name not in names:
            head, _, local = name.rpartition(".")
            for (u, v, k, d) in self.elements():
                law = self.kinds[d["kind"]]
                if local in law.aliases and self.element_prefix(u, v, k) == head:
                    canonical, transform = law.aliases[local]
                    _check_number(value, name)
                    if value <= 0:
                        raise ParameterError(f"`{name}` must be > 0, got {value!r}")
                    name, final = f"{head}.{canonical}", transform(float(value))
                    break
            else:
                raise ParameterError(f"unknown parameter {name!r}. {suggest(name, names)}")
        for comp, info in self._graph.graph["compartments"].items():
            if name == f"{comp}.volume":
                return info["volume"], name, final
        for u, v, k, d in self.elements():
            prefix = self.element_prefix(u, v, k)
            if not name.startswith(prefix + "."):
                continue
            local = name[len(prefix) + 1:]
            # node processes share the node's prefix: pick the one that declares `local`
            if local in {s.name for s in element_parameters(self, u, v, k)}:
                record = d["params"].setdefault(local, _param_record(None, source="default"))
                return record, name, final
        raise ParameterError(f"unknown parameter {name!r}")  # unreachable: names checked above

    def __getstate__(self) -> dict[str, Any]:
        # compiled code and frozen views are caches, rebuilt on demand after unpickling
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_compiled", "_frozen", "_aliases")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._frozen = None

    def copy(self) -> Network:
        """A deep copy (the graph and its attribute dictionaries)."""
        import copy

        new = Network.__new__(Network)
        new._graph = copy.deepcopy(self._graph)
        new.kinds = self.kinds
        new._version = 0
        new._frozen = None
        if hasattr(self, "_tissue"):  # the layout of cs.tissue(); checked against the copy
            new._tissue = self._tissue  # type: ignore[attr-defined]
        return new

    def with_parameters(self, values: Mapping[str, float]) -> Network:
        """A copy with parameters set by name (the original is unchanged)."""
        new = self.copy()
        for name, value in values.items():
            new.set_parameter(name, value)
        return new

    # ----------------------------------------------------------------- views
    def influence_graph(self) -> nx.DiGraph:
        """Who acts on whom: a DiGraph with ``sign`` (+1/-1) and ``kinds`` on each edge.

        Derived from the rate laws: a state that appears in a flux acts on every node the
        flux changes, with the sign of ``d(change * rate)/d(state)`` at a positive reference
        point (so IL-10 in a Hill-down modulator gets -1). Self-effects are omitted.
        """
        from ._influence import influence_graph

        return influence_graph(self)

    def structure(self) -> dict[str, Any]:
        """A plain-data description of the network (used for hashing and export)."""
        from ._network_checks import canonical_structure

        return canonical_structure(self)

    def validate(self) -> None:
        """Check the whole network; raise :class:`ModelError` naming the first problem."""
        check_network(self)

    @classmethod
    def from_networkx(cls, graph: nx.MultiDiGraph, *, kinds: KindRegistry = DEFAULT_KINDS
                      ) -> Network:
        """Build a network from a graph with cytosim's node and edge attributes.

        Nodes need ``kind`` (and optionally ``initial``, ``unit``, ``compartment``,
        ``quantity``, ``catalog_id``); edges need ``kind``, ``params`` (``{local: value or
        record}``) and optionally ``modulators`` and ``options``. Graph attributes
        ``name``, ``time_unit``, ``compartments`` and ``observables`` are read when present.
        """
        from ._network_checks import network_from_graph

        return network_from_graph(cls, graph, kinds)

    def __repr__(self) -> str:
        return (f"<Network {self.name!r}: {self._graph.number_of_nodes()} nodes, "
                f"{self._graph.number_of_edges()} rate laws, {len(self.observables)} observables>")


def _check_number(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ModelError(f"{what} must be a finite number, got {value!r}")


def _hours_per(time_unit: str) -> float:
    """How many hours one *time_unit* is (to convert catalogue half-lives)."""
    from ._units import hours_per

    return hours_per(time_unit)
