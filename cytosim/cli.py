"""The ``cytosim`` command line: a thin layer over the Python API.

Subcommands
-----------
``cytosim run MODEL [--scenario S] [--t-end T] [--out DIR] [--set NAME=VALUE ...]``
    Simulate a bundled model (or a model file given by path) and write ``MODEL.csv`` and
    ``MODEL.png`` into DIR.
``cytosim models``
    List the bundled models.
``cytosim show MODEL``
    Print the model's parameter table.
``cytosim catalog``
    Print the cytokine catalogue.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ._builtin_models import BUILTIN_MODELS
from ._names import suggest
from .catalogue import catalog
from .exceptions import CytosimError
from .io import list_models, load_model
from .network import Network
from .simulation import simulate

log = logging.getLogger("cytosim")


def _model(name: str, scenario: str | None = None) -> Network:
    """A network built in code (``lps_macrophage``), a bundled model file, or a path."""
    if name in BUILTIN_MODELS:
        net = BUILTIN_MODELS[name]()
        return net.with_scenario(scenario) if scenario else net
    bundled = list(list_models().index)
    looks_like_path = name.endswith(".toml") or "/" in name or "\\" in name
    if not looks_like_path and name not in bundled:
        raise CytosimError(f"unknown model {name!r}. {suggest(name, [*BUILTIN_MODELS, *bundled])}")
    return load_model(name, scenario=scenario)


def _assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}") from None


def _run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    net = _model(args.model, args.scenario)
    params = dict(args.set or [])
    tc = simulate(net, t_end=args.t_end, n_points=args.points, params=params)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(args.model).stem + (f"_{args.scenario}" if args.scenario else "")
    csv_path, png_path = out / f"{stem}.csv", out / f"{stem}.png"
    frame = tc.to_pandas()
    frame.index.name = f"time [{tc.time_unit}]"
    frame.columns = [f"{n} [{u}]" if u else n for n, u in zip(tc.names, tc.units, strict=True)]
    frame.to_csv(csv_path)
    fig = _figure(tc)
    fig.savefig(png_path, dpi=150)
    plt.close(fig)
    print(f"wrote {csv_path} and {png_path}")
    return 0


def _figure(tc):  # type: ignore[no-untyped-def]
    """One panel per unit group, so cells and pg/mL are not drawn on one axis."""
    import matplotlib.pyplot as plt

    groups: dict[str, list[str]] = {}
    for name, unit in zip(tc.names, tc.units, strict=True):
        groups.setdefault(unit, []).append(name)
    fig, axes = plt.subplots(len(groups), 1, figsize=(7, 2.6 * len(groups)), sharex=True,
                             layout="constrained", squeeze=False)
    for ax, (unit, names) in zip(axes[:, 0], groups.items(), strict=True):
        tc.plot(names, ax=ax)
        ax.set_ylabel(unit or "value")
        ax.set_title("")
        ax.label_outer()
    fig.suptitle(f"{tc.provenance.get('model', '')}: simulated time course")
    return fig


def _models(args: argparse.Namespace) -> int:
    import pandas as pd

    rows = [{"name": name, "title": build()._graph.graph["description"], "source":
             "demonstration network built in code", "time_unit": build().time_unit,
             "states": ", ".join(build().nodes), "scenarios": ""}
            for name, build in BUILTIN_MODELS.items()]
    table = pd.concat([pd.DataFrame(rows).set_index("name"), list_models()])
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print(table[["title", "time_unit", "states", "scenarios"]].to_string())
    return 0


def _show(args: argparse.Namespace) -> int:
    import pandas as pd

    with pd.option_context("display.max_rows", None, "display.width", 200,
                           "display.max_colwidth", 60):
        print(_model(args.model).parameters()[["value", "unit", "source", "alias", "where"]])
    return 0


def _catalog(args: argparse.Namespace) -> int:
    import pandas as pd

    columns = ["family", "role", "molecular_weight_kda", "half_life_h", "aliases"]
    with pd.option_context("display.max_rows", None, "display.width", 200,
                           "display.max_colwidth", 50):
        print(catalog()[columns])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cytosim",
                                     description="Simulate cytokine signaling networks.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a bundled model, write a CSV and a PNG")
    run.add_argument("model", help="bundled model name (see `cytosim models`)")
    run.add_argument("--t-end", type=float, default=24.0,
                     help="end time in the model's time unit (default 24)")
    run.add_argument("--scenario", default=None, help="a named scenario of the model")
    run.add_argument("--points", type=int, default=241, help="output rows (default 241)")
    run.add_argument("--out", default="results", help="output directory (default ./results)")
    run.add_argument("--set", type=_assignment, action="append", metavar="NAME=VALUE",
                     help="set a parameter by its stable name (repeatable)")
    run.set_defaults(func=_run)
    sub.add_parser("models", help="list the bundled models").set_defaults(func=_models)
    show = sub.add_parser("show", help="print a model's parameter table")
    show.add_argument("model")
    show.set_defaults(func=_show)
    sub.add_parser("catalog", help="print the cytokine catalogue").set_defaults(func=_catalog)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cytosim`` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CytosimError as err:
        print(f"cytosim: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
