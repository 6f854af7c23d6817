"""Interventions: dosing schedules and pharmacokinetic compartments.

Dosing follows the semantics of pharmacometrics dosing records (NONMEM/mrgsolve): a
:class:`Dose` has an amount, a time, an interval ``ii`` and a number of *additional* doses
``addl`` (so ``addl=2`` means three doses), and is either an instantaneous bolus or an
infusion given by a ``rate`` or a ``duration``. Doses given to a depot (subcutaneous route)
are multiplied by the bioavailability ``F``. Schedules combine with ``+`` (loading doses, then
maintenance).

Amounts are numbers in the target node's unit, or pint quantities (``"3 mg/kg"``,
``"600000 IU/kg"``, ``"1 mg/m**2"``) converted with a body weight (default 70 kg), a body
surface area, or a product's specific activity in IU per mg, never through a molecular weight.

:func:`pk_compartments` adds a drug's one- or two-compartment model with linear clearance and
an optional subcutaneous depot to a copy of a network (the original is unchanged).
``simulate(..., interventions=[schedule])`` integrates piecewise between dose and infusion
start/stop times, so the solver never steps over a discontinuity; rows are right-continuous
(a row at a dose time shows the state after the dose).

Examples
--------
>>> import cytosim as cs
>>> net = cs.Network()
>>> net = cs.pk_compartments(net, "mAb", volume=3.0, clearance=0.02)
>>> dose = cs.Dose("mAb", amount=100.0, time=0.0, ii=24.0, addl=2)
>>> [e.time for e in dose.events(t_end=100.0)]
[0.0, 24.0, 48.0]
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._names import suggest
from ._units import registry
from .exceptions import ModelError, ParameterError
from .network import Network

__all__ = ["Block", "Condition", "Dose", "DosingSchedule", "Event", "Knockout", "SetParameter",
           "decide_doses", "pk_compartments", "prepare"]

_OPERATORS = (">=", "<=", ">", "<")
_COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@dataclass(frozen=True)
class Condition:
    """A test on one state or observable, evaluated at a scheduled dose time.

    Parameters
    ----------
    name : str
        A node or observable of the (transformed) network.
    op : {">", ">=", "<", "<="}
        Comparison.
    value : float
        Threshold, in the node's or observable's unit.

    ``Condition.parse("TNF > 20")`` reads the same from text (a name, an operator and a
    number; nothing is evaluated as code).

    Examples
    --------
    >>> Condition.parse("TNF > 20").holds(25.0)
    True
    """

    name: str
    op: str
    value: float

    def __post_init__(self) -> None:
        if self.op not in _OPERATORS:
            raise ParameterError(f"condition on {self.name!r}: operator must be one of "
                                 f"{_OPERATORS}, got {self.op!r}")
        _number(self.value, f"the threshold of the condition on {self.name!r}")

    @classmethod
    def parse(cls, text: str) -> Condition:
        """``"name > value"`` (operators ``>``, ``>=``, ``<``, ``<=``)."""
        for op in _OPERATORS:
            if op in text:
                name, _, number = text.partition(op)
                try:
                    value = float(number)
                except ValueError:
                    break
                return cls(name.strip(), op, value)
        raise ParameterError(f"cannot read the condition {text!r}: expected 'name > number' "
                             f"with one of {_OPERATORS}")

    def holds(self, x: float) -> bool:
        """Whether the condition holds for the value *x*."""
        return bool(_COMPARE[self.op](x, self.value))

    def holds_where(self, x: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Whether the condition holds, element by element (False where *x* is NaN)."""
        return np.asarray(_COMPARE[self.op](x, self.value), dtype=bool)

    def __str__(self) -> str:
        return f"{self.name} {self.op} {self.value:g}"


def _is_activity(unit: str) -> bool:
    """Whether *unit* is an activity (IU): IU doses then go in as IU, with no conversion."""
    try:
        return bool(registry().Quantity(1.0, unit).check("[activity]"))
    except Exception:  # pint raises several unrelated types for bad units
        return False


def _conditions(value: Any) -> tuple[Condition, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else (value,)
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(Condition.parse(item))
        elif isinstance(item, Condition):
            out.append(item)
        else:
            raise ParameterError(f"`only_if` takes conditions as text ('TNF > 20') or "
                                 f"cs.Condition, got {item!r}")
    return tuple(out)


InfusionKey = tuple[str, float, float, float]  # target, start, rate, end of an infusion


@dataclass(frozen=True)
class Event:
    """A discontinuity: add *amount* to *target*, change its infusion rate by *rate_change*,
    and/or set parameter *parameter* to *value*. A dose's events carry its *conditions*
    (all must hold at the dose time, else the dose is skipped) and a *key* shared by an
    infusion's start and stop, so a skipped infusion is skipped whole (the key is data, not
    identity, and takes no part in the event's repr or equality).

    A dose given per body weight also carries *amount_per_kg* and *rate_per_kg* (the amount,
    or the infusion rate change, per kg of body weight, bioavailability included); *amount*
    and *rate_change* are those times the dose's own ``weight``, and a sweep over
    ``body_weight`` uses ``amount_per_kg * body_weight`` instead (:meth:`at_weight`). Both
    are 0 for doses that do not scale with body weight.
    """

    time: float
    target: str = ""
    amount: float = 0.0
    rate_change: float = 0.0
    parameter: str = ""
    value: float = math.nan
    conditions: tuple[Condition, ...] = ()
    amount_per_kg: float = 0.0
    rate_per_kg: float = 0.0
    key: InfusionKey = field(default=("", 0.0, 0.0, 0.0), repr=False, compare=False)

    @property
    def per_kg(self) -> bool:
        """Whether the event's amount or rate scales with body weight."""
        return bool(self.amount_per_kg or self.rate_per_kg)

    def at_weight(self, weight: float) -> Event:
        """This event for a body weight of *weight* kg (itself if it does not scale).

        >>> Dose("X", "2 mg/kg").events(t_end=1.0)[0].at_weight(50.0).amount
        100.0
        """
        if not self.per_kg:
            return self
        return replace(self, amount=self.amount_per_kg * weight if self.amount_per_kg
                       else self.amount,
                       rate_change=self.rate_per_kg * weight if self.rate_per_kg
                       else self.rate_change)


def _number(value: Any, what: str, *, positive: bool = False, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"`{what}` must be a finite number, got {value!r}")
    if value < 0 or (not allow_zero and value == 0) or (positive and value <= 0):
        raise ParameterError(f"`{what}` must be {'> 0' if positive or not allow_zero else '>= 0'}"
                             f", got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Dose:
    """One dosing record, possibly repeated.

    Parameters
    ----------
    target : str
        The node that receives the dose (a drug's central or depot amount).
    amount : float or pint.Quantity
        Amount per dose, in the target's unit, or a quantity (mass, mass per body weight or per
        body surface area, IU, IU per body weight) converted with *weight*, *bsa* and
        *specific_activity*.
    time : float
        Time of the first dose, in the model's time unit.
    ii : float
        Interval between repeated doses (required when ``addl > 0``).
    addl : int
        Number of additional doses after the first.
    rate, duration : float, optional
        Infusion rate (amount per time) or duration; neither means a bolus.
    bioavailability : float
        Fraction of each dose that reaches the target (subcutaneous depot: ``F``).
    weight : float
        Body weight in kg for per-kg doses (default 70).
    bsa : float, optional
        Body surface area in m**2 for per-m**2 doses.
    specific_activity : float, optional
        International units per mg of the product (for IU doses).
    unit : str
        The target's amount unit that numbers and quantities are converted to (default
        ``"mg"``).
    only_if : str, Condition or sequence of them, optional
        Conditional dosing (mrgsolve style): at each scheduled dose time the conditions are
        evaluated on the state just before any dose at that time, and the dose (a whole
        infusion) is given only if all hold, e.g. ``only_if="TNF > 20"`` or
        ``only_if=["E < 1e5"]``. Skipped doses are listed in the result's provenance
        (``skipped_doses``); a sweep decides for each point and counts them
        (``n_skipped_doses``).

    A sweep over ``body_weight`` (:func:`~cytosim.sweep`) gives every point its own weight
    in place of *weight* for the doses per body weight (amounts and infusion rates).
    """

    target: str
    amount: Any
    time: float = 0.0
    ii: float = 0.0
    addl: int = 0
    rate: float | None = None
    duration: float | None = None
    bioavailability: float = 1.0
    weight: float = 70.0
    bsa: float | None = None
    specific_activity: float | None = None
    unit: str = "mg"
    only_if: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "only_if", _conditions(self.only_if))
        _number(self.time, "time")
        _number(self.ii, "ii")
        if isinstance(self.addl, bool) or not isinstance(self.addl, int) or self.addl < 0:
            raise ParameterError(f"`addl` must be an integer >= 0, got {self.addl!r}")
        if self.addl > 0 and self.ii <= 0:
            raise ParameterError(f"`ii` (the interval) must be > 0 when `addl` = {self.addl} "
                                 "repeated doses are given")
        if self.rate is not None and self.duration is not None:
            raise ParameterError("give an infusion `rate` or `duration`, not both")
        if self.rate is not None:
            _number(self.rate, "rate", positive=True)
        if self.duration is not None:
            _number(self.duration, "duration", positive=True)
        _number(self.bioavailability, "bioavailability")
        if self.bioavailability > 1:
            raise ParameterError(f"`bioavailability` must be <= 1, got {self.bioavailability}")
        _number(self.weight, "weight", positive=True)
        self.amount_in_unit()  # validate the amount and its unit now

    def amount_in_unit(self, *, weight: float | None = None) -> float:
        """The amount per dose in :attr:`unit` (after weight, BSA or activity conversion),
        for the body weight *weight* in kg (default: the dose's own :attr:`weight`)."""
        weight = self.weight if weight is None else weight
        amount = self.amount
        if isinstance(amount, str):
            amount = registry().Quantity(amount)
        if not hasattr(amount, "to"):
            return _number(amount, "amount")
        ureg = registry()
        quantity = ureg.Quantity(amount.magnitude, str(amount.units))
        if quantity.magnitude < 0 or not math.isfinite(quantity.magnitude):
            raise ParameterError(f"`amount` must be a finite quantity >= 0, got {amount}")
        if quantity.check("[mass] / [mass]"):
            quantity = quantity * ureg.Quantity(weight, "kg")
        elif quantity.check("[mass] / [length] ** 2") or quantity.check(
                "[activity] / [length] ** 2"):
            if self.bsa is None:
                raise ParameterError(f"a dose per body surface area ({amount}) needs `bsa` in "
                                     "m**2")
            quantity = quantity * ureg.Quantity(self.bsa, "m**2")
        elif quantity.check("[activity] / [mass]"):
            quantity = quantity * ureg.Quantity(weight, "kg")
        if quantity.check("[activity]") and not _is_activity(self.unit):
            if self.specific_activity is None:
                raise ParameterError(f"a dose in IU ({amount}) needs the product's "
                                     "`specific_activity` in IU per mg (never a molecular "
                                     "weight)")
            quantity = quantity / ureg.Quantity(self.specific_activity, "IU/mg")
        try:
            return float(quantity.to(self.unit).magnitude)
        except Exception as err:
            raise ParameterError(f"cannot convert the dose {amount} to {self.unit!r}: {err}"
                                 ) from err

    def amount_per_kg(self) -> float | None:
        """The amount per dose per kg of body weight in :attr:`unit` (before
        bioavailability) for a dose given per body weight (mass or IU per kg); None for
        other doses.

        >>> Dose("X", "2 mg/kg").amount_per_kg(), Dose("X", 5.0).amount_per_kg() is None
        (2.0, True)
        """
        amount = self.amount
        if isinstance(amount, str):
            amount = registry().Quantity(amount)
        if not hasattr(amount, "to"):
            return None
        quantity = registry().Quantity(amount.magnitude, str(amount.units))
        if not (quantity.check("[mass] / [mass]") or quantity.check("[activity] / [mass]")):
            return None
        return self.amount_in_unit(weight=1.0)

    def times(self) -> list[float]:
        """The times of every dose of this record."""
        return [self.time + i * self.ii for i in range(self.addl + 1)]

    def events(self, t_end: float) -> list[Event]:
        """The discontinuities this record causes up to *t_end* (later ones are dropped).

        A dose per body weight computes its amount as ``amount_per_kg * weight`` (and an
        infusion's rate as ``rate_per_kg * weight``), the formula a sweep applies to each
        point's weight, so both give the same numbers for the same weight. An infusion
        given a ``duration`` stops exactly that long after it starts, whatever the weight.
        """
        per_kg = self.amount_per_kg()
        amount_kg = 0.0 if per_kg is None else per_kg * self.bioavailability
        amount = (self.amount_in_unit() * self.bioavailability if per_kg is None
                  else amount_kg * self.weight)
        out = []
        for time in self.times():
            if time > t_end:
                break
            tags: dict[str, Any] = {"conditions": self.only_if,
                                    "key": (self.target, time, 0.0, time)}
            if self.rate is None and self.duration is None:
                out.append(Event(time, self.target, amount=amount, amount_per_kg=amount_kg,
                                 **tags))
                continue
            rate_kg = 0.0
            if self.rate is not None:  # a fixed rate: a per-kg amount lasts longer
                rate = self.rate * self.bioavailability
                length = amount / rate if rate > 0 else 0.0
            else:
                duration = float(self.duration or 1.0)
                rate_kg = amount_kg / duration
                rate = amount / duration if per_kg is None else rate_kg * self.weight
                length = duration if rate > 0 else 0.0
            # start and stop pair by target, start, rate and end: equal keys are interchangeable
            tags["key"] = (self.target, time, rate, time + length)
            out.append(Event(time, self.target, rate_change=rate, rate_per_kg=rate_kg, **tags))
            # the stop follows its start: no condition of its own
            out.append(Event(time + length, self.target, rate_change=-rate,
                             rate_per_kg=-rate_kg, key=tags["key"]))
        return out

    def __add__(self, other: Dose | DosingSchedule) -> DosingSchedule:
        return DosingSchedule((self,)) + other


@dataclass(frozen=True)
class DosingSchedule:
    """Several dosing records, e.g. loading doses followed by maintenance."""

    doses: tuple[Dose, ...] = field(default_factory=tuple)

    def __add__(self, other: Dose | DosingSchedule) -> DosingSchedule:
        extra = (other,) if isinstance(other, Dose) else other.doses
        return DosingSchedule(self.doses + extra)

    def events(self, t_end: float) -> list[Event]:
        return sorted((e for d in self.doses for e in d.events(t_end)), key=lambda e: e.time)

    def dose_times(self) -> list[float]:
        return sorted(t for d in self.doses for t in d.times())


@dataclass(frozen=True)
class Knockout:
    """Remove a node's production: every rate law that adds to it except its own decay is
    dropped and its initial value set to 0, in a copy of the network."""

    node: str

    def prepare(self, network: Network) -> tuple[Network, list[Any]]:
        if self.node not in network.nodes:
            raise ModelError(f"cannot knock out unknown node {self.node!r}. "
                             f"{suggest(self.node, network.nodes)}")
        from ._assemble import assemble

        assembly = assemble(network)
        index = assembly.states.index(self.node)
        producing = {(e.source, e.target, e.kind) for e in assembly.elements
                     for f in e.fluxes if f.changes.get(index, 0) > 0}
        new = network.copy()
        for u, v, key, data in list(new._graph.edges(keys=True, data=True)):
            if (u, v, data["kind"]) in producing:
                new._graph.remove_edge(u, v, key)
        new.set_initial(self.node, 0.0)
        new._changed()
        return new, []


@dataclass(frozen=True)
class Block:
    """Scale an edge's rate constant by ``1 - fraction`` (a partial or full blockade).

    *edge* is the edge's parameter prefix (``"MA.secretes.TNF"``, see ``net.parameters()``);
    *parameter* the constant to scale (default ``rate``).
    """

    edge: str
    fraction: float
    parameter: str = "rate"

    def prepare(self, network: Network) -> tuple[Network, list[Any]]:
        if not 0.0 <= self.fraction <= 1.0:
            raise ParameterError(f"`fraction` must be within [0, 1], got {self.fraction!r}")
        name = f"{self.edge}.{self.parameter}"
        values = network.parameter_values()
        if name not in values:
            raise ParameterError(f"cannot block {self.edge!r}: no parameter {name!r}. "
                                 f"{suggest(name, values)}")
        return network.with_parameters({name: values[name] * (1.0 - self.fraction)}), []


@dataclass(frozen=True)
class SetParameter:
    """Set a parameter to *value* from *from_time* on (a step change of a rate)."""

    name: str
    value: float
    from_time: float = 0.0

    def prepare(self, network: Network) -> tuple[Network, list[Any]]:
        _number(self.from_time, "from_time")
        resolved = network.parameter_aliases().get(self.name, self.name)
        if resolved not in network.parameter_values():
            raise ParameterError(f"unknown parameter {self.name!r}. "
                                 f"{suggest(self.name, network.parameter_values())}")
        network.copy().set_parameter(resolved, self.value)  # validates the value
        return network, [Event(self.from_time, parameter=resolved, value=float(self.value))]


def prepare(interventions: Iterable[Any], network: Network
            ) -> tuple[Network, list[DosingSchedule | Event]]:
    """Apply graph transformations in order; collect schedules and timed events.

    Each intervention is a :class:`Dose`, a :class:`DosingSchedule`, or an object with
    ``prepare(network) -> (network, [schedules or events])`` (knockouts, blocks, parameter
    steps, therapy presets).
    """
    timed: list[DosingSchedule | Event] = []
    for item in interventions:
        if isinstance(item, Dose):
            timed.append(DosingSchedule((item,)))
        elif isinstance(item, DosingSchedule):
            timed.append(item)
        elif hasattr(item, "prepare"):
            network, more = item.prepare(network)
            timed.extend(DosingSchedule((m,)) if isinstance(m, Dose) else m for m in more)
        else:
            raise ParameterError(f"an intervention must be a cs.Dose, cs.DosingSchedule or an "
                                 f"object with prepare(network), got {type(item).__name__}")
    return network, timed


def schedule_events(timed: Iterable[DosingSchedule | Event], network: Network,
                    t_start: float, t_end: float) -> list[Event]:
    """Every event within [t_start, t_end], checked against *network*."""
    events: list[Event] = []
    for item in timed:
        if isinstance(item, Event):
            if item.time <= t_end:
                events.append(item)
            continue
        # a schedule that starts after t_end is almost certainly a mistake: say so; doses of a
        # schedule that began in time are dropped silently past t_end (a regimen's later
        # records are expected to outlast a short simulation)
        first = min((d.time for d in item.doses), default=0.0)
        if item.doses and first > t_end:
            warnings.warn(f"a dosing schedule starting at t = {first:g} lies after t_end = "
                          f"{t_end:g}: none of its doses is given", UserWarning, stacklevel=3)
        events.extend(item.events(t_end))
    names = [*network.nodes, *network.graph.graph["observables"]]
    for event in events:
        if event.target and event.target not in network.nodes:
            raise ModelError(f"a dose targets unknown node {event.target!r}. "
                             f"{suggest(event.target, network.nodes)}")
        for condition in event.conditions:
            if condition.name not in names:
                raise ModelError(f"a dose's condition names {condition.name!r}, which is not a "
                                 f"node or observable. {suggest(condition.name, names)}")
        if event.time < t_start:
            raise ParameterError(f"an event at t = {event.time:g} lies before t_start = "
                                 f"{t_start:g}")
    return sorted(events, key=lambda e: e.time)


def weight_scaled_doses(timed: Iterable[DosingSchedule | Event]) -> list[Dose]:
    """The dose records among *timed* (from :func:`prepare`) given per body weight."""
    return [dose for item in timed if isinstance(item, DosingSchedule) for dose in item.doses
            if dose.amount_per_kg() is not None]


def untestable(condition: Condition, event: Event, time: float, value: float) -> str:
    """Why a conditional dose cannot be decided: its condition reads a non-finite value."""
    return (f"the condition '{condition}' of the dose into {event.target!r} at t = {time:g} "
            f"reads {condition.name} = {value}: it cannot be tested")


def decide_doses(now: Sequence[Event], time: float, values: Mapping[str, NDArray[np.float64]],
                 pending: MutableMapping[InfusionKey, NDArray[np.int64]],
                 members: int) -> tuple[NDArray[np.bool_], NDArray[np.bool_],
                                        NDArray[np.object_]]:
    """Which of the events *now* (all at *time*, in schedule order) apply to each member.

    The rule of conditional dosing, for *members* runs at once: a dose applies when all its
    conditions hold on the member's *values* (each condition's state or observable, shape
    ``(members,)``, read before any event at *time*). A skipped infusion start adds one to
    the member's count in *pending* under the infusion's key, and the matching stop is
    skipped too (the count goes down again). A condition that reads NaN or inf cannot be
    tested: the member gets a message in *error* and no event applies to it.

    Returns
    -------
    given : ndarray of bool, shape (len(now), members)
        Event ``i`` applies to member ``j``.
    skipped : ndarray of bool, shape (len(now), members)
        Conditional doses not given because a condition did not hold.
    error : ndarray of str objects, shape (members,)
        ``""``, or why the member's doses could not be decided (:func:`untestable`).

    Examples
    --------
    >>> dose = Dose("X", 1.0, only_if="X < 0.6").events(t_end=1.0)
    >>> given, skipped, error = decide_doses(dose, 0.0, {"X": np.array([0.5, 0.7])}, {}, 2)
    >>> given.tolist(), skipped.tolist(), error.tolist()
    ([[True, False]], [[False, True]], ['', ''])
    """
    given = np.ones((len(now), members), dtype=bool)
    skipped = np.zeros((len(now), members), dtype=bool)
    error = np.full(members, "", dtype=object)
    for i, event in enumerate(now):
        if event.conditions:
            holds = np.ones(members, dtype=bool)
            for condition in event.conditions:
                x = np.asarray(values[condition.name], dtype=np.float64)
                bad = ~np.isfinite(x) & (error == "")
                error[bad] = [untestable(condition, event, time, float(v)) for v in x[bad]]
                holds &= condition.holds_where(x)
            given[i], skipped[i] = holds, ~holds
            if event.rate_change > 0:  # an infusion start: its stop is skipped too
                pending.setdefault(event.key, np.zeros(members, np.int64))[~holds] += 1
        elif event.rate_change < 0 and event.key in pending:
            count = pending[event.key]
            matched = count > 0
            given[i] = ~matched
            count[matched] -= 1
    failed = error != ""
    given[:, failed] = False
    skipped[:, failed] = False
    return given, skipped, error


def with_infusion_inputs(network: Network, targets: Sequence[str]) -> Network:
    """A copy of *network* with an ``infusion`` process (rate 0) on each target lacking one."""
    missing = [t for t in dict.fromkeys(targets)
               if not network._graph.has_edge(t, t, "infusion")]
    if not missing:
        return network
    new = network.copy()
    for target in missing:
        new.add_process(target, "infusion", infusion_rate=0.0)
    return new


def pk_compartments(network: Network, drug: str, *, volume: float, clearance: float,
                    peripheral_volume: float | None = None,
                    intercompartmental_clearance: float | None = None,
                    absorption_rate: float | None = None, unit: str = "mg",
                    volume_unit: str = "L", description: str = "",
                    molecular_weight: float | None = None) -> Network:
    """A copy of *network* with a drug's linear PK model (amounts, in *unit*).

    Adds the compartment ``<drug>_central`` (volume *volume*) holding the node *drug*
    (an amount) cleared at ``clearance / volume``; with *peripheral_volume* and
    *intercompartmental_clearance* a peripheral compartment ``<drug>_peripheral`` exchanging at
    ``Q / V1`` and ``Q / V2``; with *absorption_rate* (``ka``) a depot node ``<drug>_depot`` for
    subcutaneous doses (in a compartment ``<drug>_injection_site``; give the bioavailability
    on the :class:`Dose`). The observable
    ``<drug>_conc`` is the central concentration (``unit/volume_unit``). Rates are per the
    network's time unit; volumes and clearances in *volume_unit* and *volume_unit* per time.
    *molecular_weight* (g/mol) is set on the drug's nodes, for molar binding.

    Raises
    ------
    ParameterError
        For non-positive volumes or negative clearances, or a two-compartment model with only
        one of its two parameters.
    """
    _number(volume, "volume", positive=True)
    _number(clearance, "clearance")
    if (peripheral_volume is None) != (intercompartmental_clearance is None):
        raise ParameterError("a two-compartment model needs both `peripheral_volume` and "
                             "`intercompartmental_clearance`")
    net = network.copy()
    central = f"{drug}_central"
    net.add_compartment(central, volume=volume, unit=volume_unit)
    net.add_drug(drug, unit=unit, compartment=central, quantity="amount",
                 description=description or f"{drug} amount in the central compartment",
                 molecular_weight=molecular_weight)
    net.add_process(drug, "decay", rate=clearance / volume,
                    units={"rate": f"1/{net.time_unit}"},
                    descriptions={"rate": f"elimination: CL / V = {clearance:g} / {volume:g}"})
    if peripheral_volume is not None and intercompartmental_clearance is not None:
        _number(peripheral_volume, "peripheral_volume", positive=True)
        q = _number(intercompartmental_clearance, "intercompartmental_clearance")
        peripheral = f"{drug}_peripheral"
        net.add_compartment(peripheral, volume=peripheral_volume, unit=volume_unit)
        node = f"{drug}_periph"
        net.add_drug(node, unit=unit, compartment=peripheral, quantity="amount",
                     description=f"{drug} amount in the peripheral compartment",
                     molecular_weight=molecular_weight)
        net.add_edge(drug, "transfers", node, rate=q / volume,
                     descriptions={"rate": "distribution: Q / V1"})
        net.add_edge(node, "transfers", drug, rate=q / peripheral_volume,
                     descriptions={"rate": "redistribution: Q / V2"})
    if absorption_rate is not None:
        _number(absorption_rate, "absorption_rate", positive=True)
        depot = f"{drug}_depot"
        site = f"{drug}_injection_site"
        net.add_compartment(site, volume=1.0, unit=volume_unit)
        net.add_drug(depot, unit=unit, compartment=site, quantity="amount",
                     description=f"{drug} amount at the subcutaneous injection site",
                     molecular_weight=molecular_weight)
        net.add_edge(depot, "transfers", drug, rate=absorption_rate,
                     descriptions={"rate": "first-order absorption ka"})
    net.add_observable(f"{drug}_conc", f"{drug} / {central}.volume", unit=f"{unit}/{volume_unit}",
                       description=f"{drug} concentration in the central compartment")
    return net
