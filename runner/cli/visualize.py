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
    v.set_defaults(func=cmd_visualize)


def cmd_visualize(args: argparse.Namespace) -> int:
    from runner.hpo.results import load_results, study_from_results

    try:
        data = load_results(args.results)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    study = study_from_results(data)
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    if len(complete) < 2:
        raise CLIError(f"{args.results}: {len(complete)} completed trial(s); plots need at least 2", status=1)
    out = Path(args.output_dir) if args.output_dir else Path(args.results).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    written = []
    import warnings

    warnings.filterwarnings("ignore", category=Warning, module="optuna")
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
