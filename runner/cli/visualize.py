"""`neural visualize hpo_results.json`: optimization history, parameter importance, parallel
coordinates and slice plots, as HTML (plotly) or PNG (matplotlib, no browser needed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from runner.cli.errors import CLIError

PLOTS = ("optimization_history", "param_importances", "parallel_coordinate", "slice")


def register(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("visualize", help="plot an hpo_results.json")
    v.add_argument("results", metavar="HPO_RESULTS_JSON")
    v.add_argument("--format", choices=("html", "png"), default="html")
    v.add_argument("-o", "--output-dir", help="default: beside the results file")
    v.add_argument("--base-dir", default="neural_experiments",
                   help="the store searched for the newest results when the file is not here")
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
    from runner.hpo.results import load_results, study_from_results

    results, note = find_results(args.results, args.base_dir)
    if note:
        print(note)
    try:
        data = load_results(results)
    except ValueError as exc:
        hint = "" if results.exists() else f"; a search writes it as {args.base_dir}/hpo/<study>/hpo_results.json"
        raise CLIError(f"{exc}{hint}") from None
    study = study_from_results(data)
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    if len(complete) < 2:
        raise CLIError(f"{results}: {len(complete)} completed trial(s); plots need at least 2", status=1)
    out = Path(args.output_dir) if args.output_dir else results.resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    written = []
    import warnings

    from optuna.exceptions import ExperimentalWarning

    # The plots are experimental in Optuna; the warning names its own call site, not optuna.
    warnings.filterwarnings("ignore", category=ExperimentalWarning)
    if args.format == "html":
        import optuna.visualization as vis

        for name in PLOTS:
            fig = _plot(vis, name, study)
            if fig is None:
                continue
            path = out / f"{name}.html"
            fig.write_html(str(path), include_plotlyjs=True)
            written.append(path)
    else:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import optuna.visualization.matplotlib as vis

        for name in PLOTS:
            ax = _plot(vis, name, study)
            if ax is None:
                continue
            fig = (ax.flat[0] if hasattr(ax, "flat") else ax).get_figure()
            path = out / f"{name}.png"
            fig.savefig(path, dpi=100, bbox_inches="tight")
            plt.close(fig)
            written.append(path)
    for p in written:
        print(f"wrote {p}")
    return 0


def _plot(vis, name: str, study):
    fn = getattr(vis, f"plot_{name}")
    try:
        return fn(study)
    except (ValueError, RuntimeError, ZeroDivisionError):
        return None  # e.g. importance with one parameter
