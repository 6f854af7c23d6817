"""Model files: round trips, bundled models, and errors that name the file, key and problem."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import cytosim as cs
from cytosim._builtin_models import lps_macrophage

from .helpers import every_kind_network

BUNDLED = list(cs.list_models().index)


def test_the_reference_models_are_bundled() -> None:
    assert "acute_inflammation" in BUNDLED
    table = cs.list_models()
    assert list(table.columns) == ["title", "source", "time_unit", "states", "scenarios"]
    assert all(table["source"].str.len() > 20)  # every bundled model cites its source


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_model_round_trips(name: str, tmp_path: Path) -> None:
    net = cs.load_model(name)
    path = cs.save_model(net, tmp_path / f"{name}.toml")
    back = cs.load_model(path)
    assert back.structure() == net.structure()
    assert back.parameters().equals(net.parameters())
    t_end = 24.0 if net.time_unit == "h" else 10.0
    a = cs.simulate(net, t_end=t_end, engine="numpy")
    b = cs.simulate(back, t_end=t_end, engine="numpy")
    assert np.array_equal(a.values, b.values)  # identical equations, identical arithmetic


@pytest.mark.parametrize("build", [lps_macrophage, every_kind_network])
def test_networks_built_in_code_round_trip(build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    net = build()
    net.metadata["title"] = "built in code"
    net.add_scenario("more", initial={net.nodes[0]: 3.0})
    back = cs.load_model(cs.save_model(net, tmp_path / "model.toml"))
    assert back.structure() == net.structure()
    assert back.scenarios == net.scenarios


def test_scenarios_apply_initial_values_and_parameters() -> None:
    net = cs.load_model("acute_inflammation", scenario="septic_death")
    assert net.initial_values()["P"] == 0.5
    assert net.parameter_values()["P.growth_rate"] == 0.6
    with pytest.raises(cs.ModelError, match=r"unknown scenario 'septic'.*'septic_death'"):
        cs.load_model("acute_inflammation", scenario="septic")


def test_unknown_model_name_suggests() -> None:
    with pytest.raises(cs.ModelError, match=r"unknown model 'acute_inflamation'.*"
                                            r"Did you mean 'acute_inflammation'"):
        cs.load_model("acute_inflamation")


GOOD = """
format = 1
[model]
name = "m"
time_unit = "h"
[nodes.M]
kind = "cell"
initial = 1.0
[nodes.TNF]
kind = "cytokine"
[[processes]]
node = "TNF"
kind = "decay"
params = { rate = 1.0 }
[[edges]]
source = "M"
kind = "secretes"
target = "TNF"
params = { rate = 2.0 }
"""


def test_the_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text(GOOD)
    tc = cs.simulate(cs.load_model(path), t_end=30.0, engine="numpy")
    assert tc["TNF"][-1] == pytest.approx(2.0, rel=1e-6)  # k*N/delta


@pytest.mark.parametrize(("old", "new", "match"), [
    ('initial = 1.0', 'initial = "one"',
     r"bad\.toml: \[nodes\.M\]\.initial: expected a number, got str 'one'"),
    ('kind = "cell"', 'kind = "cel"',
     r"bad\.toml: \[nodes\.M\]: node 'M': unknown kind 'cel'.*'cell'"),
    ('kind = "secretes"', 'kind = "secrete"',
     r"bad\.toml: edges\[0\]\.kind: unknown kind 'secrete'.*'secretes'"),
    ('target = "TNF"', 'target = "TNFa"',
     r"bad\.toml: edges\[0\]: unknown target node 'TNFa'.*'TNF'"),
    ('params = { rate = 2.0 }', 'params = { }',
     r"bad\.toml: edges\[0\]: edge M -secretes-> TNF: missing parameter 'rate'"),
    ('params = { rate = 2.0 }', 'params = { rate = -2.0 }',
     r"bad\.toml: edges\[0\]: .*parameter 'rate' must be >= 0, got -2\.0"),
    ('params = { rate = 2.0 }', 'params = { rate = nan }',
     r"bad\.toml: edges\[0\]\.params\.rate: expected a finite number, got nan"),
    ('[nodes.TNF]', '[nodes."N*"]', r"bad\.toml: \[nodes\.N\*\]: invalid node name 'N\*'"),
    ('[model]', '[modle]', r"bad\.toml: top level: unknown key 'modle'.*'model'"),
    ('format = 1', 'format = 2', r"bad\.toml: format: this cytosim reads format 1, the file "
                                 r"says 2"),
    ('time_unit = "h"', 'time_unit = "meter"',
     r"bad\.toml: \[model\]\.time_unit: time unit 'meter' is not a unit of time"),
    ('name = "m"', 'name = 3', r"bad\.toml: \[model\]\.name: expected the model name"),
    ('params = { rate = 1.0 }', 'params = { rate = { unit = "1/h" } }',
     r"bad\.toml: processes\[0\]\.params\.rate: missing key 'value'"),
    ('[model]', '[model\n', r"bad\.toml: not valid TOML"),
])
def test_malformed_files_name_file_key_and_expectation(old: str, new: str, match: str,
                                                       tmp_path: Path) -> None:
    assert old in GOOD
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(cs.ModelError, match=match):
        cs.load_model(path)


def test_duplicate_node_is_refused(tmp_path: Path) -> None:
    # TOML itself forbids a table defined twice; the loader reports it with the file name
    path = tmp_path / "dup.toml"
    path.write_text(GOOD + '\n[nodes.M]\nkind = "cell"\n')
    with pytest.raises(cs.ModelError, match=r"dup\.toml: not valid TOML.*"):
        cs.load_model(path)


def test_a_model_file_is_data_only(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = GOOD + textwrap.dedent(f"""
        [observables.evil]
        formula = "__import__('os').system('touch {marker}')"
    """)
    path = tmp_path / "evil.toml"
    path.write_text(text)
    with pytest.raises(cs.ModelError, match=r"evil\.toml: \[observables\.evil\]: .*cannot "
                                            r"parse formula"):
        cs.load_model(path)
    assert not marker.exists()


def test_installed_wheel_ships_the_bundled_models(tmp_path: Path) -> None:
    """Outside the source tree, `import cytosim` is the installed package: its bundled models
    must load by name from package data (CI installs the real wheel)."""
    code = ("import cytosim, sys; net = cytosim.load_model('acute_inflammation'); "
            "print(cytosim.__file__); print(cytosim.io.models_directory())")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    module_file, models_dir = done.stdout.split()
    source_package = Path(__file__).resolve().parents[1] / "cytosim"
    if Path(module_file).resolve().parent == source_package:
        if os.environ.get("CI"):
            pytest.fail("CI must test the installed wheel, not an editable install")
        pytest.skip("editable install: the wheel is checked in CI")
    assert Path(models_dir).name == "_models"
    assert (Path(models_dir) / "acute_inflammation.toml").exists()


UNITS = GOOD.replace('[nodes.M]\nkind = "cell"', '[nodes.M]\nkind = "cell"\nunit = "cell"').replace(
    '[nodes.TNF]\nkind = "cytokine"', '[nodes.TNF]\nkind = "cytokine"\nunit = "pg/mL"').replace(
    'params = { rate = 1.0 }', 'params = { rate = { value = 1.0, unit = "1/h" } }')


def test_declared_units_are_checked_with_pint(tmp_path: Path) -> None:
    good = UNITS.replace('params = { rate = 2.0 }',
                         'params = { rate = { value = 2.0, unit = "pg/mL/h/cell" } }')
    (tmp_path / "good.toml").write_text(good)
    net = cs.load_model(tmp_path / "good.toml")
    assert cs.io.check_units(net) == 2  # the secretion and the decay terms
    bad = UNITS.replace('params = { rate = 2.0 }',
                        'params = { rate = { value = 2.0, unit = "pg/mL/h" } }')
    (tmp_path / "bad.toml").write_text(bad)
    with pytest.raises(cs.ModelError, match=r"bad\.toml: units: M -secretes-> TNF: its rate "
                                            r"into 'TNF' has dimension .*\[cell\].* but dTNF/dt "
                                            r"must have the dimension of pg/mL/h"):
        cs.load_model(tmp_path / "bad.toml")


def test_terms_in_arbitrary_units_are_not_checked(tmp_path: Path) -> None:
    (tmp_path / "au.toml").write_text(GOOD)  # no units at all: nothing to check, loads fine
    assert cs.io.check_units(cs.load_model(tmp_path / "au.toml")) == 0


def test_exponent_and_exp_arguments_must_be_dimensionless() -> None:
    net = cs.Network()
    net.add_cytokine("X", initial=1.0, unit="pg/mL", use_catalogue=False)
    net.add_term("X", "k * exp(X)", params={"k": 1.0}, units={"k": "pg/mL/h"})
    with pytest.raises(cs.ModelError, match=r"units: expression on X: the argument of exp must "
                                            r"be dimensionless"):
        cs.io.check_units(net)


def test_an_observable_may_not_reuse_a_node_name(tmp_path: Path) -> None:
    path = tmp_path / "dup.toml"
    path.write_text(GOOD + '\n[observables.TNF]\nformula = "2 * M"\n')
    with pytest.raises(cs.ModelError, match=r"dup\.toml: \[observables\.TNF\]: observable name "
                                            r"'TNF' is already used by a node"):
        cs.load_model(path)


@pytest.mark.parametrize("name", BUNDLED)
def test_every_cytokine_of_a_bundled_model_links_to_the_catalogue(name: str) -> None:
    net = cs.load_model(name)
    for node in net.nodes:
        data = net.node(node)
        if data["kind"] == "cytokine":
            assert data["catalog_id"], f"{name}: cytokine {node!r} has no catalog_id"
            assert cs.catalogue.lookup_cytokine(data["catalog_id"]).symbol == data["catalog_id"]
