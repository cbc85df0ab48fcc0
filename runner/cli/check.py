"""`neural check` and `neural shapes`: the compiler's findings, as compilers print them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from compiler import dims as D
from compiler.analysis import Analysis, analyze, gc_paused
from compiler.diagnostics import Severity, as_text
from compiler.model import missing_network
from compiler.shapes import NetworkShapes
from runner.cli.errors import CLIError
from runner.cli.sources import read_source


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="report errors and warnings in .neural files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_check)

    s = sub.add_parser("shapes", help="print each layer's output shapes, parameter counts and the HPO space")
    s.add_argument("file", metavar="FILE")
    s.add_argument("--network", help="only this network (default: all)")
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.set_defaults(func=cmd_shapes)


def diagnostic_records(path: str, a: Analysis) -> list[dict[str, Any]]:
    out = []
    for d in a.diagnostics:
        r = a.index.range(d.start, d.end)
        out.append({
            "file": path,
            "line": r.start.line + 1,
            "column": r.start.character + 1,
            "end_line": r.end.line + 1,
            "end_column": r.end.character + 1,
            "severity": d.severity.label,
            "code": d.code,
            "message": d.message,
        })
    return out


def cmd_check(args: argparse.Namespace) -> int:
    checked: list[tuple[str, Analysis]] = []
    records: list[dict[str, Any]] = []
    failed = False
    unread = 0
    for path in args.files:
        try:
            text = read_source(path)
        except CLIError as exc:
            if args.format == "json":
                records.append({"file": path, "line": 0, "column": 0, "end_line": 0,
                                "end_column": 0, "severity": "error", "code": "N000",
                                "message": str(exc).split(": ", 1)[-1]})
            else:
                print(f"neural: error: {exc}", file=sys.stderr)
            failed = True
            unread += 1
            continue
        a = analyze(text)
        checked.append((path, a))
        if args.format == "json":
            records.extend(diagnostic_records(path, a))
        failed = failed or any(d.severity == Severity.ERROR for d in a.diagnostics)
    if args.format == "json":
        print(json.dumps(records, indent=2))
    else:
        for path, a in checked:
            for d in a.diagnostics:
                print(as_text(path, d, a.index))
        if checked:  # a file that could not be read has said so; "0 errors" would contradict it
            diags = [d for _p, a in checked for d in a.diagnostics]
            errors = sum(1 for d in diags if d.severity == Severity.ERROR)
            warnings = sum(1 for d in diags if d.severity == Severity.WARNING)
            skipped = f" ({unread} could not be read)" if unread else ""
            n = len(checked)
            print(f"{n} file{'s' if n != 1 else ''} checked{skipped}: "
                  f"{errors} error{'s' if errors != 1 else ''}, "
                  f"{warnings} warning{'s' if warnings != 1 else ''}", file=sys.stderr)
    return 1 if failed else 0


def _dim_json(d: D.Dim) -> int | None | dict[str, int]:
    return {"min": d.lo, "max": d.hi} if isinstance(d, D.Span) else d


def _shape_json(shape: D.Shape) -> list:
    """[26, 26, 16]: ints, null for an unknown size, {"min", "max"} where HPO spans a range."""
    if all(type(d) is int for d in shape):  # most shapes: no call per dimension
        return list(shape)
    return [_dim_json(d) for d in shape]


def _shape_text(shape: list) -> str:
    return D.fmt(tuple(D.Span(d["min"], d["max"]) if isinstance(d, dict) else d for d in shape))


def _shape_list(states) -> list[list]:
    return [_shape_json(s) for s in states] if states else []


# Python refuses to write or read back an int longer than this (sys.int_info); a space of
# 100,000 two-way choices has 30,103 digits.
TOO_LONG = 10**4300


def _size_json(n: int | None) -> int | None:
    """The number of configurations; null when continuous or too long to write as a number
    (`space` then says "about 2.0e30103 configurations")."""
    return n if n is None or n < TOO_LONG else None


def network_record(a: Analysis, ns: NetworkShapes) -> dict[str, Any]:
    net = ns.network
    layers = []
    for ls in ns.layers:
        layer = ls.layer
        line = a.index.position(layer.use_start if layer.macro else layer.start).line + 1
        layers.append({
            "name": layer.name if layer.choice is None else f"HPO choice {layer.path}",
            "path": layer.path,
            "line": line,
            "macro": layer.macro,
            "output_shapes": _shape_list(ls.outputs),
            "params": None if ls.params is None else
            (ls.params if isinstance(ls.params, int) else {"min": ls.params.lo, "max": ls.params.hi}),
        })
    hpo = []
    for p in net.space or []:
        hpo.append({
            "name": p.name,
            "kind": p.kind,
            "description": p.describe(),
            "values": _size_json(p.count()),
            "low": p.low, "high": p.high, "step": p.step,
            "options": [p.public_value(i) for i in range(len(p.options))] if p.options else None,
        })
    tp = ns.total_params
    return {
        "network": net.name,
        "input": [_shape_json(s) for s in net.inputs],
        "layers": layers,
        "total_params": tp if tp is None or isinstance(tp, int) else {"min": tp.lo, "max": tp.hi},
        "hpo": hpo,
        "space_size": _size_json(net.space.size()) if net.space else 1,
        "space": net.space.describe_size() if net.space else "",
    }


def json_document(records: list[dict[str, Any]]) -> str:
    """`json.dumps(records, indent=2)`, but each layer and HPO parameter on one line.

    An indented dump is written by json's pure-Python encoder (its C encoder writes no
    indentation): over 2 seconds for 100,000 layers, more than the table. One line per
    layer is also what a person scrolling the output reads best.
    """
    nets = []
    for rec in records:
        fields = []
        for k, v in rec.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                items = ",\n".join(f"      {json.dumps(x)}" for x in v)
                fields.append(f"    {json.dumps(k)}: [\n{items}\n    ]")
            else:
                fields.append(f"    {json.dumps(k)}: {json.dumps(v)}")
        nets.append("  {\n" + ",\n".join(fields) + "\n  }")
    return "[\n" + ",\n".join(nets) + "\n]" if nets else "[]"


def cmd_shapes(args: argparse.Namespace) -> int:
    text = read_source(args.file)
    with gc_paused():  # the records and the table hold the whole analysis: see gc_paused
        return _shapes(args, text)


def _shapes(args: argparse.Namespace, text: str) -> int:
    a = analyze(text)
    shapes = [s for s in a.shapes if args.network is None or s.network.name == args.network]
    if args.network and not shapes:
        raise CLIError(f"{args.file}: {missing_network(a.networks, args.network)}")
    if not shapes:
        raise CLIError(f"{args.file}: no network to show")
    records = [network_record(a, ns) for ns in shapes]
    if args.format == "json":
        print(json_document(records))
    else:
        _print_tables(records)
    for d in a.errors:
        print(as_text(args.file, d, a.index), file=sys.stderr)
    return 1 if a.errors else 0


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    """Columns padded to their widest cell: plain text, so 100,000 rows print in a blink and
    nothing is cut or wrapped when the output goes to a file or a pipe."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    fmt = "  ".join(f"{{:{'>' if i in right else '<'}{w}}}" for i, w in enumerate(widths)).format
    rule = "  ".join("-" * w for w in widths)
    return [fmt(*headers).rstrip(), rule, *(fmt(*r).rstrip() for r in rows)]


def _count_text(p: Any) -> str:
    return "?" if p is None else (f"{p:,}" if isinstance(p, int) else f"{p['min']:,}..{p['max']:,}")


def _print_tables(records: list[dict[str, Any]]) -> None:
    out: list[str] = []
    for rec in records:
        out.append(f"network {rec['network']}  input {', '.join(map(_shape_text, rec['input'])) or '?'}")
        rows = []
        for i, layer in enumerate(rec["layers"]):
            name = layer["name"] + (f"  (macro {layer['macro']})" if layer["macro"] else "")
            shapes = " | ".join(map(_shape_text, layer["output_shapes"])) or "?"
            rows.append([str(i), str(layer["line"]), name, shapes, _count_text(layer["params"])])
        rows.append(["", "", "total", "", _count_text(rec["total_params"])])
        out += _table(["#", "line", "layer", "output shape(s)", "params"], rows, right={0, 1, 4})
        if rec["hpo"]:
            out += ["", "HPO parameters"]
            out += _table(["name", "range"], [[p["name"], p["description"]] for p in rec["hpo"]], right=set())
            out.append(f"search space: {rec['space']}")
        out.append("")
    sys.stdout.write("\n".join(out))
