"""Tests for cytosim.catalogue: the packaged cytokine catalogue and its lookup API."""

from __future__ import annotations

import copy
import dataclasses
import doctest
import math
import tomllib
from importlib import resources

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cytosim import catalogue
from cytosim.catalogue import (
    FAMILIES,
    HALF_LIFE_STATUSES,
    ROLES,
    CytokineInfo,
    catalog,
    find_cytokine,
    lookup_cytokine,
)
from cytosim.exceptions import CytosimError, ModelError

REQUIRED_SYMBOLS = [
    "TNF", "IL1B", "IL6", "CXCL8", "IL10", "IL2", "IFNG", "IFNA2", "IFNB1",
    "CSF3", "CSF2", "TGFB1", "IL1RN", "IL4", "IL12A", "IL17A",
]  # fmt: skip
VERIFIED = {"verified", "verified (2nd)"}


def _entries() -> tuple[CytokineInfo, ...]:
    return catalogue._load().entries


def _raw() -> dict:
    """The packaged TOML, parsed but not validated (a fresh copy each call)."""
    text = resources.files("cytosim").joinpath("data", "catalogue.toml").read_text("utf-8")
    return tomllib.loads(text)


def _entry(data: dict, symbol: str) -> dict:
    return next(e for e in data["cytokine"] if e["symbol"] == symbol)


# --- content -----------------------------------------------------------------------------------


def test_families_cover_all_four():
    assert {e.family for e in _entries()} == set(FAMILIES)
    assert len(FAMILIES) == 4


def test_size_is_in_the_intended_range():
    assert 20 <= len(_entries()) <= 26


@pytest.mark.parametrize("symbol", REQUIRED_SYMBOLS)
def test_required_symbol_present(symbol):
    info = find_cytokine(symbol)
    assert info is not None
    assert info.symbol == symbol


def test_roles_and_families_are_from_the_allowed_sets():
    for e in _entries():
        assert e.role in ROLES, e.symbol
        assert e.family in FAMILIES, e.symbol
        assert e.producers and e.targets, e.symbol


def test_cxcl8_is_an_interleukin_by_convention_and_says_so():
    info = lookup_cytokine("CXCL8")
    assert info.family == "interleukin"
    assert "convention" in info.notes


def test_il12a_notes_the_heterodimer():
    info = lookup_cytokine("IL12A")
    assert "IL12B" in info.oligomer or "p40" in info.oligomer
    assert "heterodimer" in info.oligomer


@pytest.mark.parametrize(
    ("alias", "symbol"),
    [
        ("TNF-alpha", "TNF"),
        ("TNFa", "TNF"),
        ("TNF-α", "TNF"),
        ("IL-10", "IL10"),
        ("IL10", "IL10"),
        ("G-CSF", "CSF3"),
        ("GM-CSF", "CSF2"),
        ("IL-8", "CXCL8"),
        ("IFN-γ", "IFNG"),
        ("IFN-gamma", "IFNG"),
        ("interferon gamma", "IFNG"),
        ("IL-1beta", "IL1B"),
        ("IL-1β", "IL1B"),
        ("IL-1Ra", "IL1RN"),
        ("TGF-β1", "TGFB1"),
        ("IL-17", "IL17A"),
        ("IL-12", "IL12A"),
        ("TNF-beta", "LTA"),
        ("M-CSF", "CSF1"),
        ("erythropoietin", "EPO"),
    ],
)
def test_aliases_resolve(alias, symbol):
    assert lookup_cytokine(alias).symbol == symbol
    assert find_cytokine(alias).symbol == symbol


@pytest.mark.parametrize(
    ("spelling", "symbol"),
    [
        ("tnf alpha", "TNF"),
        ("Tnf_Alpha", "TNF"),
        ("TNFα", "TNF"),
        ("il 10", "IL10"),
        ("il_1_β", "IL1B"),
        ("IFN-Γ", "IFNG"),  # capital gamma folds to lower case first
        ("  IL-6  ", "IL6"),
    ],
)
def test_matching_ignores_case_separators_and_greek(spelling, symbol):
    assert find_cytokine(spelling).symbol == symbol


def _scramble(draw_case: list[bool], separators: list[str], text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        ch = ch.upper() if draw_case[i % len(draw_case)] else ch.lower()
        out.append(ch + separators[i % len(separators)])
    return "".join(out)


_SPELLINGS = sorted(
    {(s, e.symbol) for e in catalogue._load().entries for s in (e.symbol, e.name, *e.aliases)}
)


@given(
    pair=st.sampled_from(_SPELLINGS),
    cases=st.lists(st.booleans(), min_size=1, max_size=8),
    seps=st.lists(st.sampled_from(["", "", "-", "_", " "]), min_size=1, max_size=8),
)
def test_any_respelling_of_a_known_name_resolves_to_the_same_cytokine(pair, cases, seps):
    spelling, symbol = pair
    assert find_cytokine(_scramble(cases, seps, spelling)).symbol == symbol


def test_unknown_name_returns_none_from_find():
    assert find_cytokine("IL-99") is None
    assert find_cytokine("") is None
    assert find_cytokine(42) is None  # type: ignore[arg-type]


def test_unknown_name_raises_model_error_with_suggestion():
    with pytest.raises(ModelError, match=r"Unknown cytokine 'TNF-alfa'\. Did you mean 'TNF-alpha'"):
        lookup_cytokine("TNF-alfa")
    with pytest.raises(ModelError, match=r"'IL10x'.*Did you mean 'IL10'"):
        lookup_cytokine("IL10x")


def test_unknown_name_error_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown cytokine"):
        lookup_cytokine("not a cytokine at all")
    with pytest.raises(CytosimError):
        lookup_cytokine("IL-99")


def test_every_half_life_has_a_source_setting_and_verified_status():
    for e in _entries():
        assert e.half_life_status in HALF_LIFE_STATUSES, e.symbol
        if e.half_life_h is None:
            assert e.half_life_status == "not found", e.symbol
        else:
            assert e.half_life_h > 0, e.symbol
            assert e.half_life_status in VERIFIED, e.symbol
            assert e.half_life_source.strip(), e.symbol
            assert e.half_life_setting.strip(), e.symbol


def test_every_mass_has_a_source_and_status():
    for e in _entries():
        if e.molecular_weight_kda is None:
            assert e.mw_status == "not found", e.symbol
        else:
            assert 1 < e.molecular_weight_kda < 200, e.symbol
            assert e.mw_status in {"verified", "verified (2nd)", "recalled"}, e.symbol
            assert e.mw_source.strip(), e.symbol
        assert e.oligomer.strip(), e.symbol


def test_decay_rate_is_ln2_over_half_life():
    for e in _entries():
        if e.half_life_h is None:
            assert e.decay_rate_per_h is None
        else:
            assert e.decay_rate_per_h == pytest.approx(math.log(2) / e.half_life_h)


def test_entries_are_frozen():
    info = lookup_cytokine("TNF")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.half_life_h = 1.0  # type: ignore[misc]


# Spot checks against shared/reference/pk.md section 7 (verified values and citations).


def test_il10_half_life_matches_pk_md():
    # Huhn RD et al. Blood 1996;87(2):699-705: IV terminal t1/2 2.3-3.7 h;
    # Fuchs AC et al. J Clin Immunol 1996;16(5):291-303: IV bolus, terminal 3.18 h.
    info = lookup_cytokine("IL10")
    assert 2.3 <= info.half_life_h <= 3.7
    assert info.half_life_h == pytest.approx(3.18)
    assert "Fuchs" in info.half_life_source


def test_il2_half_life_is_85_min():
    # Konrad MW et al. Cancer Res 1990;50(7):2009-2017: slower phase 85 min after an IV bolus.
    info = lookup_cytokine("IL-2")
    assert info.half_life_h * 60 == pytest.approx(85, abs=0.1)
    assert "Konrad" in info.half_life_source


def test_tnf_half_life_is_49_min_terminal():
    # Clin Sci 1994;87(4):459: IV bolus 50 ug/m2 rhTNF, terminal 49 +/- 5 min.
    info = lookup_cytokine("TNF")
    assert info.half_life_h * 60 == pytest.approx(49, abs=0.1)
    assert "Clin Sci 1994" in info.half_life_source


def test_other_pk_md_half_lives():
    # Actimmune label: IFN-gamma-1b IV 38 min (verified 2nd).
    assert lookup_cytokine("IFNG").half_life_h * 60 == pytest.approx(38, abs=0.1)
    assert lookup_cytokine("IFNG").half_life_status == "verified (2nd)"
    # Radwanski E et al. J Clin Pharmacol 1987;27(5):432: IFN alfa-2b IV elimination 1.7 h.
    assert lookup_cytokine("IFNA2").half_life_h == pytest.approx(1.7)
    # Filgrastim SmPC: ~3.5 h (verified 2nd).
    assert lookup_cytokine("CSF3").half_life_h == pytest.approx(3.5)
    # Weber J et al. J Clin Oncol 1993;11(3):499: IL-6 SC t1/2beta 4.2 h.
    assert lookup_cytokine("IL6").half_life_h == pytest.approx(4.2)
    # IL-1beta: rat only (pk.md), so the setting must say so.
    assert "rat" in lookup_cytokine("IL1B").half_life_setting.lower()


def test_pk_md_molecular_weights():
    # Actimmune label: IFN-gamma-1b monomer 16,465 Da; Intron A label: IFN alfa-2b 19,271 Da.
    assert lookup_cytokine("IFNG").molecular_weight_kda == pytest.approx(16.465)
    assert "homodimer" in lookup_cytokine("IFNG").oligomer
    assert lookup_cytokine("IFNA2").molecular_weight_kda == pytest.approx(19.271)
    assert "homotrimer" in lookup_cytokine("TNF").oligomer
    assert "homodimer" in lookup_cytokine("IL10").oligomer


# --- catalog() ---------------------------------------------------------------------------------


def test_catalog_shape_index_and_columns():
    df = catalog()
    entries = _entries()
    field_names = [f.name for f in dataclasses.fields(CytokineInfo) if f.name != "symbol"]
    assert isinstance(df, pd.DataFrame)
    assert df.shape == (len(entries), len(field_names) + 1)
    assert list(df.columns) == [*field_names, "decay_rate_per_h"]
    assert df.index.name == "symbol"
    assert df.index.is_unique
    assert set(df.index) == {e.symbol for e in entries}
    assert set(REQUIRED_SYMBOLS) <= set(df.index)


def test_catalog_sorted_by_family_then_symbol():
    df = catalog()
    keys = list(zip(df["family"], df.index, strict=True))
    assert keys == sorted(keys)


def test_catalog_values():
    df = catalog()
    assert df.loc["TNF", "aliases"].split(", ")[:2] == ["TNF-alpha", "TNFa"]
    assert df.loc["IL10", "half_life_h"] == pytest.approx(3.18)
    assert df.loc["IL10", "decay_rate_per_h"] == pytest.approx(math.log(2) / 3.18)
    assert math.isnan(df.loc["IL17A", "half_life_h"])
    assert math.isnan(df.loc["IL17A", "decay_rate_per_h"])
    assert df["half_life_h"].dtype == float


def test_catalog_returns_a_fresh_frame():
    df = catalog()
    df.loc["TNF", "role"] = "changed"
    assert catalog().loc["TNF", "role"] == "pro-inflammatory"


# --- loading and validation ----------------------------------------------------------------------


def test_loader_is_cached_with_a_single_key():
    assert catalogue._load() is catalogue._load()
    assert catalogue._load.cache_info().currsize == 1


def test_packaged_file_validates():
    parsed = catalogue._parse_catalogue(_raw(), "test.toml")
    assert [e.symbol for e in parsed.entries] == [e.symbol for e in _entries()]


def test_symbols_and_aliases_are_unique_across_entries():
    owner: dict[str, str] = {}
    for e in _entries():
        for spelling in (e.symbol, e.name, *e.aliases):
            key = catalogue._normalise(spelling)
            assert owner.setdefault(key, e.symbol) == e.symbol, spelling


@pytest.mark.parametrize(
    ("symbol", "key", "value", "message"),
    [
        ("IL6", "family", "chemokine", "is not one of"),
        ("IL6", "role", "inflammatory", "is not one of"),
        ("IL6", "half_life_h", -1.0, "positive"),
        ("IL6", "half_life_h", 0, "positive"),
        ("IL6", "molecular_weight_kda", "21", "must be a number"),
        ("IL6", "half_life_status", "probably", "is not one of"),
        ("IL6", "half_life_source", "", "is required"),
        ("IL6", "aliases", "IL-6", "list of non-empty strings"),
        ("IL6", "halflife_h", 4.2, "unknown key"),
        ("IL13", "half_life_status", "verified", "is missing"),
    ],
)
def test_validation_errors_name_file_entry_and_key(symbol, key, value, message):
    data = copy.deepcopy(_raw())
    _entry(data, symbol)[key] = value
    with pytest.raises(ModelError, match=message) as excinfo:
        catalogue._parse_catalogue(data, "bad.toml")
    text = str(excinfo.value)
    assert "bad.toml" in text
    assert repr(symbol) in text
    assert repr(key) in text


def test_half_life_given_with_not_found_status_is_rejected():
    data = copy.deepcopy(_raw())
    _entry(data, "IL6")["half_life_status"] = "not found"
    with pytest.raises(ModelError, match=r"'not found' but 'half_life_h' is given"):
        catalogue._parse_catalogue(data, "bad.toml")


def test_missing_required_key_is_rejected():
    data = copy.deepcopy(_raw())
    del _entry(data, "IL4")["role"]
    with pytest.raises(ModelError, match=r"bad\.toml: entry 'IL4', key 'role'"):
        catalogue._parse_catalogue(data, "bad.toml")


def test_alias_collision_names_both_entries():
    data = copy.deepcopy(_raw())
    _entry(data, "IL6")["aliases"].append("il_10")
    with pytest.raises(ModelError, match="collides") as excinfo:
        catalogue._parse_catalogue(data, "bad.toml")
    text = str(excinfo.value)
    assert "bad.toml" in text
    assert "'IL6'" in text
    assert "'IL10'" in text
    assert "'il_10'" in text


def test_duplicate_symbol_is_rejected():
    data = copy.deepcopy(_raw())
    data["cytokine"].append(copy.deepcopy(_entry(data, "TNF")) | {"name": "another"})
    with pytest.raises(ModelError, match=r"entry 'TNF', key 'symbol': duplicate symbol"):
        catalogue._parse_catalogue(data, "bad.toml")


def test_wrong_format_is_rejected():
    data = copy.deepcopy(_raw())
    data["format"] = 2
    with pytest.raises(ModelError, match=r"bad\.toml: top level, key 'format'"):
        catalogue._parse_catalogue(data, "bad.toml")


def test_doctests_pass():
    result = doctest.testmod(catalogue, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
