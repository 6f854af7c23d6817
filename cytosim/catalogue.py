"""The cytokine catalogue: reference facts about common cytokines, with their sources.

The catalogue is a small, curated table (package data ``cytosim/data/catalogue.toml``) of the
cytokines the field organises into four families: interleukins, interferons, tumor necrosis
factors and growth factors (colony-stimulating factors, TGF-beta, erythropoietin). The chemokine
CXCL8 (IL-8) is listed with the interleukins by convention. Each entry is keyed by its HGNC
symbol and records common aliases, the usual role (pro-inflammatory, anti-inflammatory or
regulatory), main producer and target cells, the mass of the mature chain and its oligomer
state, and a literature plasma half-life with the setting it was measured in, its citation and
a status saying how it was verified ("verified", "verified (2nd)" or "not found").

The catalogue is reference data only. Nothing here changes a model by itself: catalogue
defaults (for example a decay rate derived from a half-life) are applied only when a network is
built in code and the builder asks for them explicitly; model files are never silently filled
in from it. Half-lives come from very different settings (recombinant bolus doses, animals,
subcutaneous dosing), so read ``half_life_setting`` before using one as a decay constant.

Examples
--------
>>> from cytosim.catalogue import lookup_cytokine
>>> tnf = lookup_cytokine("TNF-alpha")
>>> tnf.symbol, tnf.family, tnf.role
('TNF', 'tumor necrosis factor', 'pro-inflammatory')
>>> round(tnf.half_life_h * 60)
49
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import resources
from typing import TYPE_CHECKING, Any

from cytosim._names import suggest
from cytosim.exceptions import ModelError

if TYPE_CHECKING:
    import pandas

__all__ = [
    "FAMILIES",
    "HALF_LIFE_STATUSES",
    "MW_STATUSES",
    "ROLES",
    "CytokineInfo",
    "catalog",
    "find_cytokine",
    "lookup_cytokine",
]

FAMILIES: tuple[str, ...] = ("interleukin", "interferon", "tumor necrosis factor", "growth factor")
"""The four cytokine families used by the catalogue."""

ROLES: tuple[str, ...] = ("pro-inflammatory", "anti-inflammatory", "regulatory")
"""The allowed values of :attr:`CytokineInfo.role`."""

HALF_LIFE_STATUSES: tuple[str, ...] = ("verified", "verified (2nd)", "not found")
"""Allowed ``half_life_status`` values; a half-life is present exactly when not "not found"."""

MW_STATUSES: tuple[str, ...] = ("verified", "verified (2nd)", "recalled", "not found")
"""Allowed ``mw_status`` values; a mass is present exactly when not "not found"."""

_FORMAT = 1
_RESOURCE = ("data", "catalogue.toml")
_SOURCE_NAME = "cytosim/data/catalogue.toml"
_GREEK = {"\u03b1": "alpha", "\u03b2": "beta", "\u03b3": "gamma"}  # Greek small alpha/beta/gamma
_IGNORED = str.maketrans("", "", "-_ ")

_REQUIRED_STR = (
    "symbol",
    "name",
    "family",
    "role",
    "oligomer",
    "mw_status",
    "half_life_status",
    "notes",
)
_REQUIRED_LIST = ("aliases", "producers", "targets")
_OPTIONAL_STR = ("mw_source", "half_life_setting", "half_life_source")
_OPTIONAL_NUMBER = ("molecular_weight_kda", "half_life_h")
_KNOWN_KEYS = frozenset(_REQUIRED_STR + _REQUIRED_LIST + _OPTIONAL_STR + _OPTIONAL_NUMBER)


@dataclass(frozen=True)
class CytokineInfo:
    """One catalogue entry: what the literature says about a cytokine, with sources.

    Attributes
    ----------
    symbol : str
        HGNC gene symbol, e.g. ``"TNF"``, ``"CXCL8"``, ``"IL12A"``.
    name : str
        Full name.
    aliases : tuple of str
        Common names (``"TNF-alpha"``, ``"IL-8"``, ...).
    family : str
        One of :data:`FAMILIES`.
    role : str
        One of :data:`ROLES`; the nuance is in ``notes``.
    producers, targets : tuple of str
        Main producing and responding cell types.
    molecular_weight_kda : float or None
        Mass of one mature secreted chain in kDa (None when not found).
    oligomer : str
        The active form, e.g. ``"non-covalent homotrimer (...)"``.
    mw_source : str
        Where the mass was read.
    half_life_h : float or None
        Literature plasma half-life in hours (None when not found).
    half_life_setting : str
        Species, route, dose and phase of the half-life measurement.
    half_life_source : str
        Citation of the source that was read.
    half_life_status : str
        One of :data:`HALF_LIFE_STATUSES`.
    notes : str
        Free-text caveats.
    mw_status : str
        One of :data:`MW_STATUSES` (extra field, after the documented ones).
    """

    symbol: str
    name: str
    aliases: tuple[str, ...]
    family: str
    role: str
    producers: tuple[str, ...]
    targets: tuple[str, ...]
    molecular_weight_kda: float | None
    oligomer: str
    mw_source: str
    half_life_h: float | None
    half_life_setting: str
    half_life_source: str
    half_life_status: str
    notes: str
    mw_status: str = ""

    @property
    def decay_rate_per_h(self) -> float | None:
        """First-order decay rate ``ln 2 / half_life_h`` in 1/h, or None without a half-life.

        Examples
        --------
        >>> info = lookup_cytokine("IL-10")
        >>> round(info.decay_rate_per_h, 4)
        0.218
        """
        if self.half_life_h is None:
            return None
        return math.log(2) / self.half_life_h


@dataclass(frozen=True)
class _Catalogue:
    entries: tuple[CytokineInfo, ...]
    index: Mapping[str, CytokineInfo]  # normalised key -> entry
    spellings: tuple[str, ...]  # every symbol, name and alias as written, for suggestions


def _normalise(name: str) -> str:
    """Fold case, spell out Greek alpha/beta/gamma and drop '-', '_' and spaces."""
    folded = name.strip().lower()
    for letter, word in _GREEK.items():
        folded = folded.replace(letter, word)
    return folded.translate(_IGNORED)


def _fail(source: str, where: str, key: str | None, message: str) -> ModelError:
    location = f"{source}: {where}" + (f", key {key!r}" if key else "")
    return ModelError(f"{location}: {message}")


def _parse_entry(raw: Any, position: int, source: str) -> CytokineInfo:
    where = f"[[cytokine]] #{position}"
    if not isinstance(raw, Mapping):
        raise _fail(source, where, None, "each [[cytokine]] must be a table")
    symbol = raw.get("symbol")
    if isinstance(symbol, str) and symbol:
        where = f"entry {symbol!r}"
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise _fail(source, where, unknown[0], f"unknown key; valid keys are {sorted(_KNOWN_KEYS)}")
    values: dict[str, Any] = {}
    for key in _REQUIRED_STR:
        value = raw.get(key)
        if not isinstance(value, str) or (key != "notes" and not value.strip()):
            raise _fail(source, where, key, "must be a non-empty string")
        values[key] = value.strip()
    for key in _OPTIONAL_STR:
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise _fail(source, where, key, "must be a string")
        values[key] = value.strip()
    for key in _REQUIRED_LIST:
        value = raw.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise _fail(source, where, key, "must be a list of non-empty strings")
        if key != "aliases" and not value:
            raise _fail(source, where, key, "must not be empty")
        values[key] = tuple(v.strip() for v in value)
    for key in _OPTIONAL_NUMBER:
        value = raw.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _fail(source, where, key, f"must be a number, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise _fail(source, where, key, f"must be a positive finite number, got {value!r}")
            value = float(value)
        values[key] = value

    if values["family"] not in FAMILIES:
        raise _fail(source, where, "family", f"{values['family']!r} is not one of {FAMILIES}")
    if values["role"] not in ROLES:
        raise _fail(source, where, "role", f"{values['role']!r} is not one of {ROLES}")
    _check_status(
        values,
        source,
        where,
        "half_life_h",
        "half_life_status",
        HALF_LIFE_STATUSES,
        ("half_life_source", "half_life_setting"),
    )
    _check_status(
        values, source, where, "molecular_weight_kda", "mw_status", MW_STATUSES, ("mw_source",)
    )
    return CytokineInfo(**values)


def _check_status(
    values: dict[str, Any],
    source: str,
    where: str,
    value_key: str,
    status_key: str,
    allowed: tuple[str, ...],
    required_text: tuple[str, ...],
) -> None:
    status = values[status_key]
    if status not in allowed:
        raise _fail(source, where, status_key, f"{status!r} is not one of {allowed}")
    if values[value_key] is None:
        if status != "not found":
            raise _fail(
                source,
                where,
                status_key,
                f"is {status!r} but {value_key!r} is missing (use 'not found')",
            )
        return
    if status == "not found":
        raise _fail(source, where, status_key, f"is 'not found' but {value_key!r} is given")
    for key in required_text:
        if not values[key]:
            raise _fail(source, where, key, f"is required when {value_key!r} is given")


def _parse_catalogue(data: Mapping[str, Any], source: str = _SOURCE_NAME) -> _Catalogue:
    """Validate parsed TOML and build the lookup index; raise ModelError naming what is wrong."""
    if data.get("format") != _FORMAT:
        raise _fail(source, "top level", "format", f"must be {_FORMAT}, got {data.get('format')!r}")
    extra = sorted(set(data) - {"format", "cytokine"})
    if extra:
        raise _fail(source, "top level", extra[0], "unknown key; expected 'format' and 'cytokine'")
    raw_entries = data.get("cytokine")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise _fail(source, "top level", "cytokine", "must be a non-empty array of tables")

    entries = tuple(_parse_entry(raw, i, source) for i, raw in enumerate(raw_entries, start=1))
    seen: set[str] = set()
    for entry in entries:
        if entry.symbol in seen:
            raise _fail(source, f"entry {entry.symbol!r}", "symbol", "duplicate symbol")
        seen.add(entry.symbol)
    index: dict[str, CytokineInfo] = {}
    owner_spelling: dict[str, str] = {}
    spellings: list[str] = []
    for entry in entries:
        for key_name, spelling in _keys_of(entry):
            key = _normalise(spelling)
            if not key:
                raise _fail(source, f"entry {entry.symbol!r}", key_name, "is empty once normalised")
            other = index.get(key)
            if other is not None and other is not entry:
                raise _fail(
                    source,
                    f"entry {entry.symbol!r}",
                    key_name,
                    f"{spelling!r} collides with {owner_spelling[key]!r} of entry "
                    f"{other.symbol!r}; a name may resolve to only one cytokine",
                )
            if other is None:
                index[key] = entry
                owner_spelling[key] = spelling
            spellings.append(spelling)
    return _Catalogue(entries=entries, index=index, spellings=tuple(dict.fromkeys(spellings)))


def _keys_of(entry: CytokineInfo) -> list[tuple[str, str]]:
    keys = [("symbol", entry.symbol), ("name", entry.name)]
    keys.extend(("aliases", alias) for alias in entry.aliases)
    return keys


@functools.cache
def _load() -> _Catalogue:
    """Read and validate the packaged catalogue once (cached; the cache has a single key)."""
    resource = resources.files("cytosim").joinpath(*_RESOURCE)
    try:
        text = resource.read_text(encoding="utf-8")
    except OSError as exc:  # pragma: no cover - broken installation
        raise ModelError(f"{_SOURCE_NAME}: cannot be read ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"{_SOURCE_NAME}: invalid TOML ({exc})") from exc
    return _parse_catalogue(data, _SOURCE_NAME)


def find_cytokine(name: str) -> CytokineInfo | None:
    """Return the catalogue entry for a symbol, name or alias, or None when there is none.

    Matching ignores case, the characters ``-``, ``_`` and spaces, and treats the Greek letters
    alpha, beta and gamma as their spelled-out names (``"TNF-α"`` equals ``"tnf alpha"``).

    Parameters
    ----------
    name : str
        HGNC symbol (``"CXCL8"``), full name or alias (``"IL-8"``, ``"IFN-γ"``).

    Returns
    -------
    CytokineInfo or None
        The entry, or None when nothing matches (or *name* is not a string).

    Examples
    --------
    >>> find_cytokine("il_8").symbol
    'CXCL8'
    >>> find_cytokine("interferon gamma").symbol
    'IFNG'
    >>> find_cytokine("IL-99") is None
    True
    """
    if not isinstance(name, str):
        return None
    return _load().index.get(_normalise(name))


def lookup_cytokine(name: str) -> CytokineInfo:
    """Return the catalogue entry for a symbol, name or alias, or raise ModelError.

    Matching is as in :func:`find_cytokine`.

    Parameters
    ----------
    name : str
        HGNC symbol, full name or alias.

    Returns
    -------
    CytokineInfo
        The matching entry.

    Raises
    ------
    cytosim.exceptions.ModelError
        When nothing matches; the message names *name* and suggests the nearest symbols and
        aliases.

    Examples
    --------
    >>> lookup_cytokine("G-CSF").symbol
    'CSF3'
    >>> lookup_cytokine("TNF-alfa")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cytosim.exceptions.ModelError: Unknown cytokine 'TNF-alfa'. Did you mean 'TNF-alpha' ...?
    """
    info = find_cytokine(name)
    if info is not None:
        return info
    shown = name if isinstance(name, str) else str(name)
    hint = suggest(shown, _load().spellings)
    raise ModelError(f"Unknown cytokine {name!r}. {hint}")


def catalog() -> pandas.DataFrame:
    """Return the whole catalogue as a DataFrame, one row per cytokine.

    The index is the HGNC symbol (named ``"symbol"``); there is one column per other field of
    :class:`CytokineInfo` (tuples such as aliases, producers and targets are joined with
    ``", "``; missing numbers are NaN) plus ``decay_rate_per_h``. Rows are sorted by family
    name, then symbol. A new frame is built on every call, so callers may modify it.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> df = catalog()
    >>> df.loc["IL10", "family"], df.loc["IL10", "aliases"].split(", ")[0]
    ('interleukin', 'IL-10')
    >>> sorted(set(df["family"])) == sorted(FAMILIES)
    True
    """
    import pandas as pd

    columns = [f.name for f in fields(CytokineInfo) if f.name != "symbol"]
    rows = []
    for entry in _load().entries:
        row: dict[str, Any] = {"symbol": entry.symbol}
        for column in columns:
            value = getattr(entry, column)
            row[column] = ", ".join(value) if isinstance(value, tuple) else value
        row["decay_rate_per_h"] = entry.decay_rate_per_h
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["symbol", *columns, "decay_rate_per_h"])
    for column in ("molecular_weight_kda", "half_life_h", "decay_rate_per_h"):
        frame[column] = frame[column].astype(float)
    frame = frame.sort_values(["family", "symbol"], kind="stable").set_index("symbol")
    return frame
