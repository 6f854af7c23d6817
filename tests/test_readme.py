"""The README cannot rot: its quickstart runs, and its commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cytosim._builtin_models import lps_macrophage

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


def test_quickstart_runs_and_builds_the_main_job_network(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(python_blocks()[0], "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["peak"] > 100.0  # a TNF pulse after doubling LPS
    # the quickstart network is the one `cytosim run lps_macrophage` simulates
    assert namespace["net"].structure() == lps_macrophage().structure()


def test_every_other_python_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks()[1:]
    assert blocks, "the README shows more than the quickstart"
    tables = []
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
        if "table" in namespace:  # the sweep examples end with a tidy table
            tables.append(namespace["table"])
    assert tables
    for table in tables:
        assert len(table) == 64 and (table["status"] == "ok").all()


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    commands = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    assert commands[:2] == ["pip install . && cytosim run lps_macrophage --out results",
                            'pip install ".[test]" && pytest']
    assert README.index(commands[1]) < 1500  # near the top
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci.splitlines()
