"""Rate-law templates: what each node process and edge kind contributes to the ODEs.

A :class:`RateLaw` turns one graph element (a node process such as ``decay``, or an edge such
as ``macrophage -secretes-> TNF``) into one or more :class:`Flux` objects: a rate, built as
an :mod:`cytosim.expr` tree, and the change it causes in each state (its stoichiometry).
The compiler sums ``change * rate`` into each state's derivative and differentiates the
trees for the Jacobian, so a new kind never needs compiler changes.

Conventions
-----------
- ``x`` in a formula is the node's value read by :meth:`TermContext.conc`: the state itself,
  or ``amount / volume`` for nodes whose quantity is ``"amount"``. A flux into an amount
  state is multiplied by that state's compartment volume.
- ``M`` is the product of the edge's modulators (1 without modulators).
- Each flux that removes a state contains that state as a factor, so no kind can drive a
  concentration negative (tested for every kind).
- States that *drive* a production (secreting cells, growing populations, drivers, binding
  partners, mass-action modulators) enter through their positive part ``pos(x)``, so the tiny
  negative values a solver may produce within its tolerance cannot grow into a runaway;
  loss terms keep the raw state, which pulls a negative value back to zero. The formulas
  below omit ``pos`` for readability.

Built-in kinds (``k`` is the kind's ``rate`` parameter unless stated):

============== ======================= ===============================================
kind           applies to              fluxes
============== ======================= ===============================================
decay          node X                  ``rate*X`` out of X (alias ``half_life``)
decay_to_...   node X                  ``decay_to_baseline``: ``rate*X`` out of X and
                                       ``rate*baseline`` into X
source         node X                  ``source*M`` into X (constant production or
                                       recruitment)
logistic       node X                  ``growth_rate*X*(1 - X/capacity)*M`` into X
secretes       cell C -> X             ``k*C*M`` into X
transitions    cell A -> cell B        ``k*A*M`` from A to B (alias ``activates``)
growth         node X                  ``growth_rate*X*M`` into X
infusion       node X                  ``infusion_rate`` (amount per time) into X
transfers      node S -> node T        ``rate*amount(S)`` from S to T (amount conserved
                                       across compartments)
proliferates   driver D -> cell N      ``k*N*g(D)*M`` into N (``g`` below)
recruits       driver D -> cell N      ``k*g(D)*M`` into N
induces_death  signal D -> cell N      ``k*N*g(D)*M`` out of N (default response
                                       ``saturating``: apoptosis, rescue as modulators)
kills          killer E -> target T    ``k*E*T/(K+T)*M`` out of T (``saturating=False``:
                                       ``k*E*T*M``)
consumes       cell R -> cytokine C    ``k*R*C/(K+C)*M`` out of C (receptor uptake)
antagonizes    antagonist A -> C       no flux: responses to C read ``C/(1 + A/Ki)``
binds          drug D -> target C      ``kon*D*C`` from D and C into complex X and
                                       ``koff*X`` back (option ``complex``; ``molar =
                                       true``: in nM via molecular weights)
expression     node X (named term)     ``formula`` with the given ``changes``
============== ======================= ===============================================

Driver response ``g(D)`` (option ``response``): ``"linear"`` ``D`` (default),
``"saturating"`` ``D/(K+D)``, ``"hill"`` ``D^n/(K^n+D^n)``.

Modulators (:class:`Hill`, :class:`Linear`) multiply any edge's rate; Hill up is
``b + (1-b) x^n/(K^n+x^n)`` and Hill down ``b + (1-b) K^n/(K^n+x^n)``, ``b`` the optional
basal level (0 when absent).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from . import expr as ex
from .exceptions import ModelError

__all__ = [
    "DEFAULT_KINDS",
    "Flux",
    "Hill",
    "KindRegistry",
    "Linear",
    "ParamSpec",
    "RateLaw",
    "TermContext",
]

CELL, CYTOKINE, DRUG, STIMULUS, COMPLEX = "cell", "cytokine", "drug", "stimulus", "complex"
NODE_KINDS = (CELL, CYTOKINE, DRUG, STIMULUS, COMPLEX)
ANY = frozenset(NODE_KINDS)


@dataclass(frozen=True)
class ParamSpec:
    """A parameter a rate law needs.

    Attributes
    ----------
    name : str
        Local name, the last part of the stable parameter name (``rate``, ``K``...).
    description : str
        What it means, for parameter tables.
    unit : str
        Dimension hint such as ``"1/time"``; the value's real unit is the user's.
    default : float or None
        Used when the user gives none; None means required.
    lower, upper : float
        Valid closed range; values outside are refused at load time.
    positive : bool
        When True, the lower bound is exclusive (for ``K`` and ``n``).
    """

    name: str
    description: str
    unit: str = ""
    default: float | None = None
    lower: float = 0.0
    upper: float = math.inf
    positive: bool = False

    def check(self, value: float) -> str | None:
        """Return why *value* is invalid, or None when it is valid."""
        if not math.isfinite(value):
            return "must be finite"
        if self.positive and value <= self.lower:
            return f"must be > {self.lower:g}"
        if value < self.lower:
            return f"must be >= {self.lower:g}"
        if value > self.upper:
            return f"must be <= {self.upper:g}"
        return None


@dataclass(frozen=True)
class Flux:
    """A rate (expression tree) and the change it makes per unit rate in each named node."""

    rate: ex.Expr
    changes: Mapping[Any, float]  # node names; state indices once assembled


@dataclass(frozen=True)
class Hill:
    """A Hill modulator on an edge: ``x^n/(K^n+x^n)`` (``kind="up"``) or ``K^n/(K^n+x^n)``.

    Parameters
    ----------
    node : str
        The node whose value ``x`` modulates the rate.
    K : float
        Half-saturation level, in the node's unit (> 0).
    n : float
        Hill coefficient (> 0), default 1.
    kind : {"up", "down"}
        Activation or inhibition.
    basal : float or None
        Fraction of the rate left when fully inhibited or not activated (0-1).

    Examples
    --------
    >>> Hill("IL10", K=10.0, kind="down").node
    'IL10'
    """

    node: str
    K: float  # noqa: N815
    n: float = 1.0
    kind: Literal["up", "down"] = "up"
    basal: float | None = None

    def parameter_specs(self) -> tuple[ParamSpec, ...]:
        specs = [
            ParamSpec("K", f"half-saturation level of {self.node}", "unit of node", positive=True),
            ParamSpec("n", f"Hill coefficient of {self.node}", "1", positive=True),
        ]
        if self.basal is not None:
            specs.append(ParamSpec("basal", "fraction of the rate at full effect", "1", upper=1.0))
        return tuple(specs)

    def values(self) -> dict[str, float]:
        out = {"K": self.K, "n": self.n}
        if self.basal is not None:
            out["basal"] = self.basal
        return out

    def factor(self, x: ex.Expr, p: Mapping[str, ex.Expr]) -> ex.Expr:
        shape = ex.hill_up if self.kind == "up" else ex.hill_down
        h = shape(x, p["K"], p["n"])
        if self.basal is None:
            return h
        return ex.add(p["basal"], ex.mul(ex.sub(1.0, p["basal"]), h))


@dataclass(frozen=True)
class Linear:
    """A mass-action modulator: the rate is multiplied by the node's value."""

    node: str

    def parameter_specs(self) -> tuple[ParamSpec, ...]:
        return ()

    def values(self) -> dict[str, float]:
        return {}

    def factor(self, x: ex.Expr, p: Mapping[str, ex.Expr]) -> ex.Expr:
        return ex.pos(x)


Modulator = Hill | Linear


class TermContext:
    """What a rate law sees when it builds its fluxes: names resolved to expression nodes.

    Built by the compiler for one graph element. ``source`` and ``target`` are node names
    (equal for node processes); ``options`` holds the element's non-parameter settings.
    Rates are concentrations per time in the target's compartment, whose volume is
    ``volume``; ``amount(node)`` gives a node as an amount (``conc * V`` or the state);
    ``molar(node)`` the factor from the node's concentration unit to nM; ``signal(node)``
    the node as its receptors see it (divided by ``1 + [A]/Ki`` for each competitive
    antagonist A; the concentration itself when there is none).
    """

    def __init__(
        self,
        source: str,
        target: str,
        options: Mapping[str, Any],
        param: Callable[[str], ex.Expr],
        conc: Callable[[str], ex.Expr],
        modulation: ex.Expr,
        resolve: Callable[[ex.Expr], ex.Expr],
        *,
        amount: Callable[[str], ex.Expr] | None = None,
        volume: ex.Expr = ex.ONE,
        molar: Callable[..., float] | None = None,
        signal: Callable[[str], ex.Expr] | None = None,
    ):
        self.source = source
        self.target = target
        self.options = options
        self.param = param
        self.conc = conc
        self.modulation = modulation
        self.resolve = resolve
        self.amount = amount or conc
        self.volume = volume
        self._molar = molar
        self.signal = signal or conc

    def molar(self, node: str, weight: float | None = None) -> float:
        """nM per one unit of *node*'s concentration (for rate laws written in nM); *weight*
        (g/mol) overrides the node's molar mass."""
        if self._molar is None:
            raise ModelError(f"{self.source} -> {self.target}: molar units are not available "
                             "in this context")
        return self._molar(node, weight=weight)


ParamsFor = Callable[[Mapping[str, Any]], tuple[ParamSpec, ...]]


@dataclass(frozen=True)
class RateLaw:
    """A node-process or edge kind: its parameters and how it builds its fluxes.

    Attributes
    ----------
    kind : str
        Registry name (``"secretes"``).
    applies_to : {"node", "edge"}
        Node processes are stored as self-loops and name parameters ``node.param``; edges
        name them ``source.kind.target.param``.
    formula : str
        Human-readable rate, for documentation and parameter tables.
    params : callable
        ``params(options) -> tuple[ParamSpec, ...]`` (options may add parameters).
    build : callable
        ``build(ctx: TermContext) -> list[Flux]``.
    sources, targets : frozenset of str
        Node kinds allowed at each end.
    options : dict
        Allowed option names and their defaults.
    aliases : dict
        Derived parameter names: ``{"half_life": ("rate", ln2_over)}`` maps a value given
        for the alias to the canonical parameter.
    """

    kind: str
    applies_to: Literal["node", "edge"]
    formula: str
    params: ParamsFor
    build: Callable[[TermContext], list[Flux]]
    sources: frozenset[str] = ANY
    targets: frozenset[str] = ANY
    options: Mapping[str, Any] = field(default_factory=dict)
    aliases: Mapping[str, tuple[str, Callable[[float], float]]] = field(default_factory=dict)
    description: str = ""


class _Fixed:
    """The parameters of a kind that has no options changing them (picklable)."""

    def __init__(self, *specs: ParamSpec):
        self.specs = specs

    def __call__(self, options: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
        return self.specs


_fixed = _Fixed


def _ln2_over(value: float) -> float:
    return math.log(2.0) / value


RATE = ParamSpec("rate", "rate constant", "1/time")


def _decay(ctx: TermContext) -> list[Flux]:
    return [Flux(ex.mul(ctx.param("rate"), ctx.conc(ctx.target)), {ctx.target: -1.0})]


def _decay_to_baseline(ctx: TermContext) -> list[Flux]:
    k = ctx.param("rate")
    return [Flux(ex.mul(k, ctx.conc(ctx.target)), {ctx.target: -1.0}),
            Flux(ex.mul(k, ctx.param("baseline")), {ctx.target: 1.0})]


def _source(ctx: TermContext) -> list[Flux]:
    return [Flux(ex.mul(ctx.param("source"), ctx.modulation), {ctx.target: 1.0})]


def _logistic(ctx: TermContext) -> list[Flux]:
    x = ctx.conc(ctx.target)
    crowding = ex.sub(1.0, ex.div(x, ctx.param("capacity")))
    return [Flux(ex.mul(ctx.param("growth_rate"), ex.pos(x), crowding, ctx.modulation),
                 {ctx.target: 1.0})]


def _infusion(ctx: TermContext) -> list[Flux]:
    # an amount per time into the node: as a rate, divided by the reaction volume
    return [Flux(ex.div(ctx.param("infusion_rate"), ctx.volume), {ctx.target: 1.0})]


def _transfers(ctx: TermContext) -> list[Flux]:
    # first order in the source's amount; conserves amount across compartments
    amount = ex.pos(ctx.amount(ctx.source))
    rate = ex.div(ex.mul(ctx.param("rate"), amount, ctx.modulation), ctx.volume)
    return [Flux(rate, {ctx.source: -1.0, ctx.target: 1.0})]


def _secretes(ctx: TermContext) -> list[Flux]:
    rate = ex.mul(ctx.param("rate"), ex.pos(ctx.conc(ctx.source)), ctx.modulation)
    return [Flux(rate, {ctx.target: 1.0})]


def _transitions(ctx: TermContext) -> list[Flux]:
    rate = ex.mul(ctx.param("rate"), ex.pos(ctx.conc(ctx.source)), ctx.modulation)
    return [Flux(rate, {ctx.source: -1.0, ctx.target: 1.0})]


def _response_params(options: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    response = options.get("response", "linear")
    if response not in ("linear", "saturating", "hill"):
        raise ValueError(f"`response` must be 'linear', 'saturating' or 'hill', got {response!r}")
    # linear: k*D has D's unit, so k carries 1/(unit of D); otherwise g(D) is a fraction
    specs = [RATE if response != "linear" else ParamSpec(
        "rate", "rate constant per unit of the driver", "1/time/unit of source")]
    if response in ("saturating", "hill"):
        specs.append(ParamSpec("K", "half-saturation level of the driver", "unit of source",
                               positive=True))
    if response == "hill":
        specs.append(ParamSpec("n", "Hill coefficient of the driver", "1", positive=True))
    return tuple(specs)


def _recruits_params(options: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    specs = _response_params(options)
    unit = "unit/time/unit of source" if options.get("response", "linear") == "linear" else (
        "unit/time")
    return (ParamSpec("rate", "recruitment rate", unit), *specs[1:])


def _driver(ctx: TermContext) -> ex.Expr:
    d = ctx.signal(ctx.source)
    response = ctx.options.get("response", "linear")
    if response == "saturating":
        return ex.div(ex.pos(d), ex.add(ctx.param("K"), ex.pos(d)))
    if response == "hill":
        return ex.hill_up(d, ctx.param("K"), ctx.param("n"))
    return ex.pos(d)


def _proliferates(ctx: TermContext) -> list[Flux]:
    n = ex.pos(ctx.conc(ctx.target))
    return [Flux(ex.mul(ctx.param("rate"), n, _driver(ctx), ctx.modulation), {ctx.target: 1.0})]


def _induces_death(ctx: TermContext) -> list[Flux]:
    # death of N signalled by D (TNF-induced apoptosis): first order in N, response g(D);
    # survival signals enter as Hill "down" modulators (rescue)
    n = ex.pos(ctx.conc(ctx.target))
    return [Flux(ex.mul(ctx.param("rate"), n, _driver(ctx), ctx.modulation), {ctx.target: -1.0})]


def _growth(ctx: TermContext) -> list[Flux]:
    rate = ex.mul(ctx.param("growth_rate"), ex.pos(ctx.conc(ctx.target)), ctx.modulation)
    return [Flux(rate, {ctx.target: 1.0})]


def _recruits(ctx: TermContext) -> list[Flux]:
    return [Flux(ex.mul(ctx.param("rate"), _driver(ctx), ctx.modulation), {ctx.target: 1.0})]


def _kills_params(options: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    if options.get("saturating", True):
        return (RATE, ParamSpec("K", "target level of half-maximal killing", "unit of target",
                                positive=True))
    return (ParamSpec("rate", "mass-action killing rate", "1/time/unit of source"),)


def _kills(ctx: TermContext) -> list[Flux]:
    t = ctx.conc(ctx.target)
    per_target = ex.div(t, ex.add(ctx.param("K"), ex.pos(t))) if ctx.options.get(
        "saturating", True) else t
    rate = ex.mul(ctx.param("rate"), ex.pos(ctx.conc(ctx.source)), per_target, ctx.modulation)
    return [Flux(rate, {ctx.target: -1.0})]


def _consumes(ctx: TermContext) -> list[Flux]:
    c = ctx.conc(ctx.target)
    uptake = ex.div(c, ex.add(ctx.param("K"), ex.pos(c)))
    rate = ex.mul(ctx.param("rate"), ex.pos(ctx.conc(ctx.source)), uptake, ctx.modulation)
    return [Flux(rate, {ctx.target: -1.0})]


def _binds_params(options: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    if options.get("molar", False):
        kon = ParamSpec("kon", "association rate constant (molar: per nM)", "1/nM/time")
    else:
        kon = ParamSpec("kon", "association rate constant", "1/time/unit of target")
    return (kon, ParamSpec("koff", "dissociation rate constant", "1/time"))


def _binds(ctx: TermContext) -> list[Flux]:
    complex_ = ctx.options["complex"]
    nodes = (ctx.source, ctx.target, complex_)
    # molar: the law runs in nM; each node's change is converted back into its own unit
    weight = ctx.options.get("target_molecular_weight")
    factor = {n: ctx.molar(n, weight if n == ctx.target else None) for n in nodes} if (
        ctx.options.get("molar", False)) else {n: 1.0 for n in nodes}

    def level(node: str) -> ex.Expr:
        return ex.mul(factor[node], ex.pos(ctx.conc(node)))

    forward = ex.mul(ctx.param("kon"), level(ctx.source), level(ctx.target), ctx.modulation)
    backward = ex.mul(ctx.param("koff"), level(complex_))
    into_complex = {ctx.source: -1.0 / factor[ctx.source],
                    ctx.target: -1.0 / factor[ctx.target], complex_: 1.0 / factor[complex_]}
    return [Flux(forward, into_complex),
            Flux(backward, {n: -c for n, c in into_complex.items()})]


def _antagonizes_params(options: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    unit = "nM" if options.get("molar", False) else ""
    return (ParamSpec("Ki", "inhibition constant of the antagonist at the receptor", unit,
                      positive=True),)


def _antagonizes(ctx: TermContext) -> list[Flux]:
    # no flux of its own: the assembler divides every response to the target by
    # 1 + [A]/Ki (see ``TermContext.signal``)
    return []


def _expression_params(options: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    bounds = options.get("bounds", {})
    return tuple(
        ParamSpec(name, "parameter of the expression term", lower=bounds.get(name, 0.0))
        for name in options.get("parameters", ())
    )


def _expression(ctx: TermContext) -> list[Flux]:
    rate = ctx.resolve(ctx.options["formula"])
    return [Flux(rate, dict(ctx.options["changes"]))]


_BUILTIN = (
    RateLaw("decay", "node", "rate * X",
            _fixed(ParamSpec("rate", "first-order decay rate (ln 2 / half-life)", "1/time")),
            _decay, aliases={"half_life": ("rate", _ln2_over)},
            description="first-order decay, clearance or death"),
    RateLaw("decay_to_baseline", "node", "rate * (X - baseline)",
            _fixed(ParamSpec("rate", "first-order decay rate (ln 2 / half-life)", "1/time"),
                   ParamSpec("baseline", "level the node relaxes to", "unit of node")),
            _decay_to_baseline, aliases={"half_life": ("rate", _ln2_over)},
            description="first-order decay towards a baseline (a source rate*baseline plus a "
                        "loss rate*X)"),
    RateLaw("source", "node", "source * M",
            _fixed(ParamSpec("source", "constant production or recruitment", "unit/time")),
            _source, description="constant source or recruitment"),
    RateLaw("logistic", "node", "growth_rate * X * (1 - X / capacity) * M",
            _fixed(ParamSpec("growth_rate", "maximal per-capita growth rate", "1/time"),
                   ParamSpec("capacity", "carrying capacity", "unit of node", positive=True)),
            _logistic, description="logistic growth"),
    RateLaw("infusion", "node", "infusion_rate (amount per time)",
            _fixed(ParamSpec("infusion_rate", "zero-order input (set by dosing schedules)",
                             "amount/time", default=0.0)),
            _infusion, description="zero-order input of an amount per time (infusions)"),
    RateLaw("transfers", "edge", "rate * amount(S) (amount per time, conserved)",
            _fixed(ParamSpec("rate", "first-order transfer rate constant", "1/time")),
            _transfers, description="first-order transfer of amount between nodes, e.g. "
                                    "absorption from a depot or distribution between PK "
                                    "compartments"),
    RateLaw("growth", "node", "growth_rate * X * M",
            _fixed(ParamSpec("growth_rate", "per-capita growth (proliferation) rate", "1/time")),
            _growth, description="first-order (exponential) growth or proliferation"),
    RateLaw("secretes", "edge", "rate * C * M", _fixed(
        ParamSpec("rate", "secretion per unit of the secreting cells", "unit/time/cell")),
            _secretes, sources=frozenset({CELL}),
            description="secretion of a cytokine (or any mediator) by cells"),
    RateLaw("transitions", "edge", "rate * A * M", _fixed(RATE), _transitions,
            sources=frozenset({CELL}), targets=frozenset({CELL}),
            description="cell state transition A -> B (activation, differentiation)"),
    RateLaw("proliferates", "edge", "rate * N * g(D) * M", _response_params, _proliferates,
            targets=frozenset({CELL}), options={"response": "linear"},
            description="proliferation of a cell population driven by D"),
    RateLaw("induces_death", "edge", "rate * N * g(D) * M", _response_params, _induces_death,
            targets=frozenset({CELL}), options={"response": "saturating"},
            description="death of a cell population signalled by D (e.g. TNF-induced "
                        "apoptosis), first order in the cells; rescue by survival signals as "
                        "Hill 'down' modulators"),
    RateLaw("recruits", "edge", "rate * g(D) * M", _recruits_params, _recruits,
            targets=frozenset({CELL}), options={"response": "linear"},
            description="recruitment (influx) of cells driven by D"),
    RateLaw("kills", "edge", "rate * E * T / (K + T) * M", _kills_params, _kills,
            options={"saturating": True},
            description="killing of a target by an effector, saturating in the target"),
    RateLaw("consumes", "edge", "rate * R * C / (K + C) * M", _fixed(
        ParamSpec("rate", "maximal uptake per unit of the consuming cells", "unit/time/cell"),
        ParamSpec("K", "half-saturation of uptake", "unit of target", positive=True)),
            _consumes, sources=frozenset({CELL}),
            description="receptor-mediated consumption (uptake) of a mediator by cells"),
    RateLaw("binds", "edge", "kon * D * C - koff * X", _binds_params,
            _binds, options={"complex": None, "molar": False, "target_molecular_weight": None},
            description="reversible binding D + C <-> X (mass action; with molar = true in "
                        "nM, each node converted by its molecular weight and volume)"),
    RateLaw("antagonizes", "edge", "responses to C see C / (1 + A/Ki)", _antagonizes_params,
            _antagonizes, options={"molar": False},
            description="competitive receptor antagonism: every response to the target "
                        "(modulators, drivers) reads it divided by 1 + [A]/Ki (with molar = "
                        "true, [A] in nM via the antagonist's molecular weight); the target's "
                        "own amount is unchanged"),
    RateLaw("expression", "node", "formula", _expression_params, _expression,
            options={"formula": None, "changes": None, "parameters": (), "bounds": {}},
            description="a general rate written as a formula"),
)


class KindRegistry(Mapping[str, RateLaw]):
    """An immutable mapping from kind name to :class:`RateLaw`, with aliases.

    ``registry.with_kind(law)`` returns a new registry; a network holds its own, so
    registering a kind never changes global state.
    """

    def __init__(self, laws: Mapping[str, RateLaw], aliases: Mapping[str, str] | None = None):
        self._laws = MappingProxyType(dict(laws))
        self._aliases = MappingProxyType(dict(aliases or {}))

    def __reduce__(self) -> tuple[Any, ...]:
        return (KindRegistry, (dict(self._laws), dict(self._aliases)))

    def __getitem__(self, kind: str) -> RateLaw:
        return self._laws[self._aliases.get(kind, kind)]

    def __contains__(self, kind: object) -> bool:
        return kind in self._laws or kind in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._laws)

    def __len__(self) -> int:
        return len(self._laws)

    def canonical(self, kind: str) -> str:
        """The registered name behind an alias (``"activates"`` -> ``"transitions"``)."""
        return self._aliases.get(kind, kind)

    def names(self) -> list[str]:
        """Every accepted kind name, aliases included."""
        return sorted([*self._laws, *self._aliases])

    def with_kind(self, law: RateLaw, *, replace: bool = False) -> KindRegistry:
        """Return a registry that also holds *law*.

        Raises
        ------
        ValueError
            If the kind exists and *replace* is False.
        """
        if law.kind in self and not replace:
            raise ValueError(f"kind {law.kind!r} is already registered; pass replace=True")
        if law.applies_to not in ("node", "edge"):
            raise ValueError(f"`applies_to` must be 'node' or 'edge', got {law.applies_to!r}")
        return KindRegistry({**self._laws, law.kind: law}, self._aliases)


DEFAULT_KINDS = KindRegistry({law.kind: law for law in _BUILTIN}, {"activates": "transitions"})
