"""The command line: the main job writes its CSV and PNG; errors are clear."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cytosim.cli import main


def test_run_writes_csv_and_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "lps_macrophage", "--out", str(tmp_path), "--t-end", "12",
                 "--set", "TNF.rate=2.0"]) == 0
    frame = pd.read_csv(tmp_path / "lps_macrophage.csv", index_col=0)
    assert frame.index.name == "time [h]"
    assert "TNF [pg/mL]" in frame.columns and frame.index[-1] == 12.0
    png = (tmp_path / "lps_macrophage.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert "wrote" in capsys.readouterr().out


def test_unknown_model_and_parameter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "lps_macrofage", "--out", str(tmp_path)]) == 2
    assert "unknown model 'lps_macrofage'. Did you mean 'lps_macrophage'" in \
        capsys.readouterr().err
    assert main(["run", "lps_macrophage", "--out", str(tmp_path), "--set", "TNF.rat=1"]) == 2
    assert "unknown parameter 'TNF.rat'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "lps_macrophage", "--set", "TNF.rate"])


def test_listing_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    assert "lps_macrophage" in capsys.readouterr().out
    assert main(["show", "lps_macrophage"]) == 0
    assert "MA.secretes.TNF.rate" in capsys.readouterr().out
    assert main(["catalog"]) == 0
    assert "CSF3" in capsys.readouterr().out


def test_run_a_bundled_model_file_with_a_scenario(tmp_path: Path) -> None:
    assert main(["run", "acute_inflammation", "--scenario", "aseptic_death", "--t-end", "100",
                 "--out", str(tmp_path)]) == 0
    frame = pd.read_csv(tmp_path / "acute_inflammation_aseptic_death.csv", index_col=0)
    assert frame["P [1e6 cells/cc]"].iloc[0] == 1.5  # the scenario's initial pathogen load
    assert (tmp_path / "acute_inflammation_aseptic_death.png").exists()
