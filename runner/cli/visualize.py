"""`neural visualize hpo_results.json`: optimization history, parameter importance, parallel
coordinates, slice, contour and per-trial curves, as HTML (plotly) or PNG (matplotlib, no
browser needed). The plots come from runner.hpo.visualization."""

from __future__ import annotations

import argparse
from pathlib import Path

from compiler.store import DEFAULT_STORE, STORE_ENV, store_dir
from runner.cli.errors import CLIError


def register(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("visualize", help="plot an hpo_results.json")
    v.add_argument("results", metavar="HPO_RESULTS_JSON")
    v.add_argument("--format", choices=("html", "png"), default="html")
    v.add_argument("--metric", help="plot another metric the trials recorded per epoch "
                   "(default: the one the search optimized)")
    v.add_argument("-o", "--output-dir", help="default: beside the results file")
    v.add_argument("--base-dir", help="the store searched for the newest results when the file is not here "
                   f"(default: ${STORE_ENV}, else ./{DEFAULT_STORE})")
    v.set_defaults(func=cmd_visualize)


def find_results(given: str, base_dir: str) -> tuple[Path, str | None]:
    """The results file to plot, and a note when it is not the path given.

    A search writes <base-dir>/hpo/<study>/hpo_results.json; typed as the guides show it,
    `neural visualize hpo_results.json` in the folder where the search ran means the newest."""
    path = Path(given)
    if path.exists() or path.name != "hpo_results.json" or path.parent != Path("."):
        return path, None
    found = sorted(Path(base_dir).glob("hpo/*/hpo_results.json"), key=lambda p: p.stat().st_mtime)
    if not found:
        return path, None
    return found[-1], f"{given} is not here: plotting the newest search's, {found[-1]}"


def cmd_visualize(args: argparse.Namespace) -> int:
    from runner.hpo.results import load_results
    from runner.hpo.visualization import VisualizationGenerator

    args.base_dir = store_dir(args.base_dir)
    results, note = find_results(args.results, args.base_dir)
    if note:
        print(note)
    try:
        data = load_results(results)
    except ValueError as exc:
        hint = "" if results.exists() else f"; a search writes it as {args.base_dir}/hpo/<study>/hpo_results.json"
        raise CLIError(f"{exc}{hint}") from None
    gen = VisualizationGenerator(data, metric=args.metric)  # its plots hide Optuna's ExperimentalWarning
    if gen.completed() < 2:
        raise CLIError(f"{results}: {gen.completed()} completed trial(s); plots need at least 2", status=1)
    out = Path(args.output_dir) if args.output_dir else results.resolve().parent
    for p in gen.write(out, args.format):
        print(f"wrote {p}")
    return 0
