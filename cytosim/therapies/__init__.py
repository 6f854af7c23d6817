"""Therapy presets: sourced pharmacokinetics and label regimens for cytokine-targeting drugs.

A :class:`Therapy` bundles a drug's linear PK model (volumes, clearances, absorption rate and
bioavailability, each a pint quantity in the unit its source uses), its regimen as
:class:`~cytosim.interventions.Dose` records, the sources of every value (exactly one of them
for the terminal half-life the preset reproduces) and every assumption made. It is an
intervention: ``therapy.prepare(network)`` adds the PK compartments to a copy of the network
(:func:`~cytosim.interventions.pk_compartments`, values converted with pint into the network's
``time_unit``) and returns the regimen in that time unit, so
``cs.simulate(net, ..., interventions=[therapy])`` works on any network, in hours or days.

Drug amounts are in mg, volumes in L, so ``<drug>_conc`` is in mg/L (= ug/mL). Subcutaneous
presets put the dose in the depot ``<drug>_depot`` and multiply it by the bioavailability F.
Where a source gives only apparent values (``V/F``, ``CL/F``), the preset stores the physical
values ``V = F * (V/F)`` and ``CL = F * (CL/F)`` and gives F on the dose: concentrations are
then exactly those of the apparent model whatever F is, and amounts in the body are physical
(which matters once the drug binds its target).

Target binding (drug-cytokine complexes), inter-individual variability, covariates,
anti-drug antibodies and target-mediated clearance are not modelled; each preset says so.

Examples
--------
>>> import cytosim as cs
>>> from cytosim.therapies import infliximab, terminal_half_life
>>> therapy = infliximab()
>>> round(terminal_half_life(therapy, "day"), 1)
10.0
>>> net, [schedule] = therapy.prepare(cs.Network(time_unit="day"))
>>> schedule.dose_times()[:5]
[0.0, 14.0, 42.0, 98.0, 154.0]
>>> round(schedule.doses[0].amount_in_unit(), 6)  # mg: 3 mg/kg x 70 kg
210.0
"""


from ._base import Therapy, disposition_rates, terminal_half_life
from .anakinra import anakinra
from .anti_tnf import adalimumab, etanercept, infliximab
from .filgrastim import filgrastim
from .il2 import aldesleukin
from .il10 import il10

__all__ = ["Therapy", "adalimumab", "aldesleukin", "anakinra", "disposition_rates",
           "etanercept", "filgrastim", "il10", "infliximab", "terminal_half_life"]
