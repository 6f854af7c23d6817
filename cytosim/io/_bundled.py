"""The reference models shipped with cytosim, loadable by name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .._names import suggest
from ..exceptions import ModelError
from ..network import Network
from .model_file import read_model, write_model

if TYPE_CHECKING:
    import pandas as pd


def models_directory() -> Path:
    """Where the bundled model files are: inside the installed wheel (``cytosim/_models``)
    or, in a source checkout, the repository's ``models/`` folder."""
    packaged = Path(str(resources.files("cytosim"))) / "_models"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "models"


def _bundled() -> dict[str, Path]:
    folder = models_directory()
    return {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}


def load_model(name_or_path: str | Path, scenario: str | None = None) -> Network:
    """Load a bundled model by name, or a model file by path.

    Parameters
    ----------
    name_or_path : str or Path
        A name from :func:`list_models` (``"acute_inflammation"``) or a path to a ``.toml``
        file.
    scenario : str, optional
        A named scenario of the model to apply (initial values and parameters).

    Raises
    ------
    ModelError
        For an unknown name (with the nearest bundled names), a malformed file or an
        unknown scenario.

    Examples
    --------
    >>> import cytosim as cs
    >>> cs.load_model("acute_inflammation").time_unit
    'h'
    """
    bundled = _bundled()
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        net = read_model(name_or_path)
    elif text in bundled:
        net = read_model(bundled[text], name=f"{text} ({bundled[text].name})")
    else:
        raise ModelError(f"unknown model {text!r}: not a bundled model name nor a .toml path. "
                         f"{suggest(text, bundled)}")
    return net.with_scenario(scenario) if scenario is not None else net


def list_models() -> pd.DataFrame:
    """The bundled models: name, title, source, time unit, states, scenarios."""
    import pandas as pd

    rows = []
    for name, path in _bundled().items():
        net = read_model(path, name=path.name)
        rows.append({"name": name, "title": net.metadata.get("title", ""),
                     "source": net.metadata.get("source", {}).get("citation", ""),
                     "time_unit": net.time_unit, "states": ", ".join(net.nodes),
                     "scenarios": ", ".join(net.scenarios)})
    columns = ["name", "title", "source", "time_unit", "states", "scenarios"]
    return pd.DataFrame(rows, columns=columns).set_index("name")


def save_model(network: Network, path: str | Path) -> Path:
    """Write *network* to a model file that loads back to an identical network."""
    return write_model(network, path)
