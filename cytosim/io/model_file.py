"""Model files: a documented, versioned TOML format that holds everything a Network holds.

A model file is data only: it is read with :mod:`tomllib`, formulas are parsed by
cytosim's own parser, and nothing in it is ever executed. Format 1::

    format = 1

    [model]
    name = "acute_inflammation"         # required
    title = "..."
    description = "..."
    time_unit = "h"                     # required
    reproduces = "what published behaviour the model reproduces"
    [model.source]                      # citation, doi, url, biomodels, notes (strings)
    citation = "Reynolds A et al. J Theor Biol 2006;242:220-236"
    doi = "10.1016/j.jtbi.2006.02.016"

    [compartments.body]                 # optional; "body" (volume 1) always exists
    volume = 1.0
    unit = "L"

    [nodes.P]                           # one table per node, in state order
    kind = "stimulus"                   # cell | cytokine | drug | stimulus | complex
    initial = 1.0                       # >= 0
    unit = "1e6 cells/cc"
    compartment = "body"                # optional
    quantity = "concentration"          # or "amount"
    catalog_id = "TNF"                  # optional link to the cytokine catalogue
    molecular_weight = 17350.0          # optional, g/mol; for molar rate laws (binds)
    description = "pathogen"

    [[processes]]                       # node processes: decay, source, logistic, ...
    node = "P"
    kind = "logistic"
    params = { growth_rate = { value = 0.3, unit = "1/h", alias = "k_pg", source = "..." },
               capacity = 20.0 }
    modulators = [ { type = "hill", node = "CA", kind = "down", K = 0.28, n = 2.0 } ]

    [[processes]]                       # a general term: kind = "expression"
    node = "P"
    kind = "expression"
    name = "killing"                    # unique per node
    formula = "k_pm * s_m * P / (mu_m + k_mp * P)"
    changes = { P = -1.0 }              # default { <node> = 1 }
    params = { k_pm = 0.6, s_m = 0.005, mu_m = 0.002, k_mp = 0.01 }

    [[edges]]                           # interactions: secretes, activates, kills, binds, ...
    source = "MA"
    kind = "secretes"
    target = "TNF"
    params = { rate = 1.0 }
    modulators = [ { type = "hill", node = "IL10", kind = "down", K = 5.0, n = 1.0,
                     basal = 0.1 } ]
    options = { }                       # kind options: response, saturating, complex

    [observables.free_TNF]
    formula = "TNF - complex"
    unit = "pg/mL"
    description = "..."

    [scenarios.septic]                  # optional named variants
    description = "..."
    initial = { P = 1.5 }
    params = { "P.growth_rate" = 0.6 }

A parameter is a number or an inline table with ``value`` (required), ``unit``, ``source``,
``description`` and ``alias`` (the paper's own symbol). Parameters whose kind has a derived
alias may be given that way (``half_life``). Every error names the file, the table and key,
and what was expected.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .. import _parse
from .._names import suggest
from ..exceptions import ModelError
from ..kinetics import NODE_KINDS, Hill, Linear
from ..network import Network
from . import _toml_writer as tw
from ._dimensions import check_units

FORMAT = 1
MODEL_KEYS = {"name", "title", "description", "time_unit", "reproduces", "source"}
SOURCE_KEYS = {"citation", "doi", "url", "biomodels", "notes"}
NODE_KEYS = {"kind", "initial", "unit", "compartment", "quantity", "catalog_id", "description",
             "molecular_weight"}
PROCESS_KEYS = {"node", "kind", "params", "modulators", "name", "formula", "changes", "options"}
EDGE_KEYS = {"source", "kind", "target", "params", "modulators", "options"}
PARAM_KEYS = {"value", "unit", "source", "description", "alias"}
MODULATOR_KEYS = {"type", "node", "kind", "K", "n", "basal"}
TOP_KEYS = {"format", "model", "compartments", "nodes", "processes", "edges", "observables",
            "scenarios"}


class _Reader:
    """Typed access to the parsed TOML with errors naming the file and the key path."""

    def __init__(self, file: str):
        self.file = file

    def error(self, where: str, message: str) -> ModelError:
        return ModelError(f"{self.file}: {where}: {message}")

    def get(self, table: Mapping[str, Any], key: str, where: str, types: type | tuple[type, ...],
            expected: str, *, required: bool = False, default: Any = None) -> Any:
        if key not in table:
            if required:
                raise self.error(where, f"missing key {key!r} ({expected})")
            return default
        item = table[key]
        if not isinstance(item, types) or (isinstance(item, bool) and bool not in (
                types if isinstance(types, tuple) else (types,))):
            raise self.error(f"{where}.{key}", f"expected {expected}, got "
                             f"{type(item).__name__} {item!r}")
        return item

    def keys(self, table: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for k in table:
            if k not in allowed:
                raise self.error(where, f"unknown key {k!r}. {suggest(k, allowed)}")

    def number(self, item: Any, where: str) -> float:
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise self.error(where, f"expected a number, got {type(item).__name__} {item!r}")
        if not math.isfinite(item):
            raise self.error(where, f"expected a finite number, got {item!r}")
        return float(item)


def _aliases_first(elements: list[tuple[Any, str, bool]]) -> list[tuple[Any, str, bool]]:
    """*elements* in file order, except that a formula naming a parameter alias comes after
    the element that defines it (a written file lists processes node by node, so a formula
    may precede the alias it uses). A cycle or a malformed entry keeps file order, and the
    element check then reports it."""
    defines: list[set[str]] = []
    uses: list[set[str]] = []
    for entry, _, _ in elements:
        params = entry.get("params") if isinstance(entry, Mapping) else None
        defines.append({str(rec["alias"]) for rec in (params or {}).values()
                        if isinstance(rec, Mapping) and isinstance(rec.get("alias"), str)}
                       if isinstance(params, Mapping) else set())
        formula = entry.get("formula") if isinstance(entry, Mapping) else None
        try:
            uses.append(set(_parse.parse(formula).symbols()) if isinstance(formula, str)
                        else set())
        except ModelError:
            uses.append(set())
    defined_by = {alias: i for i, names in enumerate(defines) for alias in names}
    waiting = [{defined_by[s] for s in uses[i] if defined_by.get(s, i) != i}
               for i in range(len(elements))]
    blocks: dict[int, list[int]] = {}
    for i, needs in enumerate(waiting):
        for j in needs:
            blocks.setdefault(j, []).append(i)
    ready = [i for i, needs in enumerate(waiting) if not needs]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for k in blocks.get(i, ()):
            waiting[k].discard(i)
            if not waiting[k]:
                heapq.heappush(ready, k)
    placed = set(order)
    order += [i for i in range(len(elements)) if i not in placed]  # a cycle: file order
    return [elements[i] for i in order]


def read_model(path: str | Path, *, name: str | None = None) -> Network:
    """Read a model file into a :class:`~cytosim.network.Network`.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file.
    name : str, optional
        How to call the file in error messages (default: its path).

    Raises
    ------
    ModelError
        Naming the file, the table and key, and what was expected.
    """
    path = Path(path)
    label = name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ModelError(f"{label}: cannot read the model file: {err}") from err
    return parse_model(text, label)


def parse_model(text: str, file: str = "<model>") -> Network:
    """Build a Network from model-file text (see the module docstring for the format)."""
    r = _Reader(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ModelError(f"{file}: not valid TOML: {err}") from err
    r.keys(data, TOP_KEYS, "top level")
    fmt = r.get(data, "format", "top level", int, "the format version 1", required=True)
    if fmt != FORMAT:
        raise r.error("format", f"this cytosim reads format {FORMAT}, the file says {fmt}")
    model = r.get(data, "model", "top level", dict, "a [model] table", required=True)
    r.keys(model, MODEL_KEYS, "[model]")
    source = r.get(model, "source", "[model]", dict, "a [model.source] table", default={})
    r.keys(source, SOURCE_KEYS, "[model.source]")
    for key_ in SOURCE_KEYS:
        r.get(source, key_, "[model.source]", str, "a string")
    net = Network(
        r.get(model, "name", "[model]", str, "the model name (a string)", required=True),
        time_unit=r.get(model, "time_unit", "[model]", str, "a unit of time such as 'h'",
                        required=True),
        description=r.get(model, "description", "[model]", str, "a string", default=""),
    )
    net.metadata.update({k: r.get(model, k, "[model]", str, "a string")
                         for k in ("title", "reproduces") if k in model})
    if source:
        net.metadata["source"] = dict(source)
    with _at(r, "[model].time_unit"):
        _check_time_unit(net.time_unit)

    for comp, info in r.get(data, "compartments", "top level", dict, "tables",
                            default={}).items():
        where = f"[compartments.{comp}]"
        info = r.get({"c": info}, "c", where, dict, "a table")
        r.keys(info, {"volume", "unit"}, where)
        record = _param(r, info.get("volume", 1.0), f"{where}.volume")
        unit = r.get(info, "unit", where, str, "a string", default="")
        with _at(r, where):
            if comp == "body":
                net.set_parameter("body.volume", record["value"])
            else:
                net.add_compartment(comp, volume=record["value"], unit=unit)
        net._graph.graph["compartments"][comp]["volume"].update(
            {k: v for k, v in record.items() if k != "value" and v}, unit=unit or record["unit"])
        net._changed()  # the record may carry an alias

    nodes = r.get(data, "nodes", "top level", dict, "[nodes.<name>] tables", required=True)
    for node, info in nodes.items():
        where = f"[nodes.{node}]"
        info = r.get({"n": info}, "n", where, dict, "a table")
        r.keys(info, NODE_KEYS, where)
        kind = r.get(info, "kind", where, str, f"one of {NODE_KINDS}", required=True)
        initial = r.number(info.get("initial", 0.0), f"{where}.initial")
        options = {k: r.get(info, k, where, str, "a string") for k in
                   ("unit", "compartment", "quantity", "catalog_id", "description") if k in info}
        if "molecular_weight" in info:
            options["molecular_weight"] = r.number(info["molecular_weight"],
                                                   f"{where}.molecular_weight")
        with _at(r, where):
            net.add_node(node, kind, initial=initial, **options)

    elements = [(entry, f"processes[{i}]", True) for i, entry in enumerate(
        r.get(data, "processes", "top level", list, "an array of [[processes]] tables",
              default=[]))]
    elements += [(entry, f"edges[{i}]", False) for i, entry in enumerate(
        r.get(data, "edges", "top level", list, "an array of [[edges]] tables", default=[]))]
    for entry, where, process in _aliases_first(elements):
        _element(r, net, entry, where, process=process)

    for obs, info in r.get(data, "observables", "top level", dict, "tables", default={}).items():
        where = f"[observables.{obs}]"
        info = r.get({"o": info}, "o", where, dict, "a table")
        r.keys(info, {"formula", "unit", "description"}, where)
        formula = r.get(info, "formula", where, str, "a formula string", required=True)
        unit = r.get(info, "unit", where, str, "a string", default="")
        description = r.get(info, "description", where, str, "a string", default="")
        with _at(r, where):
            net.add_observable(obs, formula, unit=unit, description=description)

    for scenario, info in r.get(data, "scenarios", "top level", dict, "tables",
                                default={}).items():
        where = f"[scenarios.{scenario}]"
        info = r.get({"s": info}, "s", where, dict, "a table")
        r.keys(info, {"description", "initial", "params"}, where)
        scenario_initial = {k: r.number(v, f"{where}.initial.{k}") for k, v in
                   r.get(info, "initial", where, dict, "a table of node = value",
                         default={}).items()}
        params = {k: r.number(v, f"{where}.params.{k}") for k, v in
                  r.get(info, "params", where, dict, "a table of parameter = value",
                        default={}).items()}
        description = r.get(info, "description", where, str, "a string", default="")
        with _at(r, where):
            net.add_scenario(scenario, initial=scenario_initial, params=params,
                             description=description)
    with _at(r, "model"):
        net.validate()
    check_units(net, where=file)
    return net


def _check_time_unit(unit: str) -> None:
    from .._units import hours_per

    hours_per(unit)


@contextlib.contextmanager
def _at(r: _Reader, where: str) -> Iterator[None]:
    """Prefix a ModelError raised while building with the file and the table it came from."""
    try:
        yield
    except ModelError as err:
        raise r.error(where, str(err)) from None


def _param(r: _Reader, item: Any, where: str) -> dict[str, Any]:
    if isinstance(item, dict):
        r.keys(item, PARAM_KEYS, where)
        if "value" not in item:
            raise r.error(where, "missing key 'value' (a parameter table needs a value)")
        record: dict[str, Any] = {"value": r.number(item["value"], f"{where}.value")}
        for k in ("unit", "source", "description", "alias"):
            record[k] = r.get(item, k, where, str, "a string", default="" if k != "alias"
                              else None)
        if record["source"] == "":
            record["source"] = "user"
        return record
    return {"value": r.number(item, where), "unit": "", "source": "user", "description": "",
            "alias": None}


def _element(r: _Reader, net: Network, entry: Any, where: str, *, process: bool) -> None:
    entry = r.get({"e": entry}, "e", where, dict, "a table")
    r.keys(entry, PROCESS_KEYS if process else EDGE_KEYS, where)
    kind = r.get(entry, "kind", where, str, "a rate-law kind", required=True)
    if kind not in net.kinds:
        raise r.error(f"{where}.kind", f"unknown kind {kind!r}. {suggest(kind, net.kinds.names())}")
    aliases = net.kinds[kind].aliases
    params = {k: _param(r, v, f"{where}.params.{k}") for k, v in
              r.get(entry, "params", where, dict, "a table of parameters", default={}).items()}
    modulators, modulator_records = _modulators(r, entry.get("modulators", []), where)
    options = dict(r.get(entry, "options", where, dict, "a table of kind options", default={}))
    values: dict[str, Any] = {k: p["value"] for k, p in params.items()}
    meta: dict[str, Any] = {"units": {}, "sources": {}, "descriptions": {}, "aliases": {}}
    for local, record in {**params, **modulator_records}.items():
        canonical = aliases[local][0] if local in aliases else local
        for field, key_ in (("units", "unit"), ("sources", "source"),
                            ("descriptions", "description"), ("aliases", "alias")):
            if record[key_] and not (local in aliases and key_ == "unit"):
                meta[field][canonical] = record[key_]
    if process:
        node = r.get(entry, "node", where, str, "a node name", required=True)
        if kind == "expression":
            formula = r.get(entry, "formula", where, str, "a formula string", required=True)
            changes = {k: r.number(v, f"{where}.changes.{k}") for k, v in
                       r.get(entry, "changes", where, dict, "a table of node = change",
                             default={node: 1.0}).items()}
            name = r.get(entry, "name", where, str, "a string")
            with _at(r, where):
                net.add_term(node, formula, name=name, changes=changes, params=values, **meta)
            return
        for k in ("formula", "changes", "name"):
            if k in entry:
                raise r.error(where, f"key {k!r} is only for kind = 'expression'")
        with _at(r, where):
            net.add_process(node, kind, modulators=modulators, **meta, **values, **options)
    else:
        source = r.get(entry, "source", where, str, "a node name", required=True)
        target = r.get(entry, "target", where, str, "a node name", required=True)
        with _at(r, where):
            net.add_edge(source, kind, target, modulators=modulators, **meta, **values,
                         **options)


def _modulators(r: _Reader, items: Any, where: str
                ) -> tuple[list[Hill | Linear], dict[str, dict[str, Any]]]:
    """Modulator objects and their parameter records keyed ``node.K`` etc."""
    if not isinstance(items, list):
        raise r.error(f"{where}.modulators", f"expected an array of inline tables, got {items!r}")
    out: list[Hill | Linear] = []
    meta: dict[str, dict[str, Any]] = {}
    for j, item in enumerate(items):
        at = f"{where}.modulators[{j}]"
        item = r.get({"m": item}, "m", at, dict, "an inline table")
        r.keys(item, MODULATOR_KEYS, at)
        type_ = r.get(item, "type", at, str, "'hill' or 'linear'", required=True)
        node = r.get(item, "node", at, str, "a node name", required=True)
        if type_ == "linear":
            out.append(Linear(node))
            continue
        if type_ != "hill":
            raise r.error(f"{at}.type", f"expected 'hill' or 'linear', got {type_!r}")
        kind = r.get(item, "kind", at, str, "'up' or 'down'", default="up")
        records = {k: _param(r, item[k], f"{at}.{k}") for k in ("K", "n", "basal") if k in item}
        if "K" not in records:
            raise r.error(at, "missing key 'K' (the half-saturation level)")
        out.append(Hill(node, K=records["K"]["value"],
                        n=records["n"]["value"] if "n" in records else 1.0, kind=kind,
                        basal=records["basal"]["value"] if "basal" in records else None))
        meta.update({f"{node}.{k}": rec for k, rec in records.items()})
    return out, meta


# --------------------------------------------------------------------------- writing
def write_model(net: Network, path: str | Path) -> Path:
    """Write *net* as a model file that :func:`read_model` loads back to an identical network.

    Raises
    ------
    ModelError
        If a formula was given as an index-based expression that cannot be printed.
    """
    path = Path(path)
    path.write_text(format_model(net), encoding="utf-8")
    return path


def format_model(net: Network) -> str:
    """The model-file text of *net*."""
    graph = net._graph
    parts = [f"format = {FORMAT}\n"]
    model = {"name": net.name, "title": net.metadata.get("title"),
             "description": graph.graph["description"] or None, "time_unit": net.time_unit,
             "reproduces": net.metadata.get("reproduces")}
    parts.append(tw.table("model", model))
    if net.metadata.get("source"):
        parts.append(tw.table("model.source", net.metadata["source"]))
    for comp, info in graph.graph["compartments"].items():
        record = info["volume"]
        parts.append(tw.table(f"compartments.{tw.key(comp)}", {
            "volume": _record(record), "unit": record.get("unit") or None}))
    for node, data in graph.nodes(data=True):
        parts.append(tw.table(f"nodes.{tw.key(node)}", {
            "kind": data["kind"], "initial": float(data["initial"]), "unit": data["unit"] or None,
            "compartment": data["compartment"] if data["compartment"] != "body" else None,
            "quantity": data["quantity"] if data["quantity"] != "concentration" else None,
            "catalog_id": data.get("catalog_id"),
            "molecular_weight": data.get("molecular_weight"),
            "description": data.get("description") or None}))
    for u, v, key_, data in graph.edges(keys=True, data=True):
        law = net.kinds[data["kind"]]
        modulator_params = {p for p in data["params"] if "." in p}
        params = {k: _record(rec) for k, rec in data["params"].items()
                  if k not in modulator_params and rec["value"] is not None}
        modulators = [_modulator_entry(m, data["params"]) for m in data["modulators"]]
        options = {k: val for k, val in data["options"].items()
                   if k not in ("formula", "formula_text", "changes", "parameters", "bounds")
                   and val != law.options.get(k)}
        if law.applies_to == "node":
            entry: dict[str, Any] = {"node": u, "kind": data["kind"]}
            if data["kind"] == "expression":
                entry.update(name=key_, formula=data["options"].get("formula_text") or
                             _formula_text(data["options"]["formula"]),
                             changes=dict(data["options"]["changes"]))
            parts.append(tw.table("processes", {**entry, "params": params or None,
                                                "modulators": modulators or None,
                                                "options": options or None}, array=True))
        else:
            parts.append(tw.table("edges", {"source": u, "kind": data["kind"], "target": v,
                                            "params": params or None,
                                            "modulators": modulators or None,
                                            "options": options or None}, array=True))
    for obs, info in graph.graph["observables"].items():
        parts.append(tw.table(f"observables.{tw.key(obs)}", {
            "formula": info["text"] or _formula_text(info["formula"]),
            "unit": info["unit"] or None, "description": info["description"] or None}))
    for scenario, info in net.scenarios.items():
        parts.append(tw.table(f"scenarios.{tw.key(scenario)}", {
            "description": info.get("description") or None,
            "initial": info.get("initial") or None, "params": info.get("params") or None}))
    return "\n".join(parts)


def _formula_text(tree: Any) -> str:
    try:
        return _parse.to_text(tree)
    except ValueError as err:
        raise ModelError(f"cannot save a formula: {err}") from err


def _record(record: Mapping[str, Any]) -> Any:
    extra = {k: record[k] for k in ("unit", "source", "description", "alias")
             if record.get(k) and not (k == "source" and record[k] == "user")}
    value = float(record["value"])
    return {"value": value, **extra} if extra else value


def _modulator_entry(record: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": record["type"], "node": record["node"]}
    if record["type"] == "hill":
        entry["kind"] = record["kind"]
        for k in ("K", "n", "basal"):
            if f"{record['node']}.{k}" in params:
                entry[k] = _record(params[f"{record['node']}.{k}"])
    return entry
