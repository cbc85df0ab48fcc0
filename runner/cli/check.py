"""`neural check` and `neural shapes`: the compiler's findings, as compilers print them."""

from __future__ import annotations

import argparse
import json
import sys
from json.encoder import encode_basestring_ascii as _str_json
from typing import Any

from compiler import dims as D
from compiler.analysis import Analysis, analyze, gc_paused
from compiler.diagnostics import Severity, as_text
from compiler.model import missing_network
from compiler.shapes import NetworkShapes
from compiler.space import HPOParam
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


# Python refuses to write or read back an int longer than this (sys.int_info); a space of
# 100,000 two-way choices has 30,103 digits.
TOO_LONG = 10**4300


def _size_json(n: int | None) -> int | None:
    """The number of configurations; null when continuous or too long to write as a number
    (`space` then says "about 2.0e30103 configurations")."""
    return n if n is None or n < TOO_LONG else None


def _count_json(n: D.Dim, spans: dict[D.Span, dict[str, int]]) -> int | None | dict[str, int]:
    """A parameter count; a Span's dictionary is shared by the records of equal spans."""
    if n is None or isinstance(n, int):
        return n
    got = spans.get(n)
    if got is None:
        got = spans[n] = {"min": n.lo, "max": n.hi}
    return got


_PLAIN = frozenset({int, str, bool, type(None)})
_PLAIN_OR_FLOAT = _PLAIN | {float}


def _param_key(p: HPOParam) -> tuple | None:
    """What a parameter's record (but its name) follows from, when that is its values alone:
    no nested parameter, no option written as code. Parameters with equal keys are described
    once: a program searching the same choice on each of 100,000 layers has 100,000 of them.
    None: described on its own."""
    if p.children:
        return None
    if p.kind == "choice":
        types = tuple(map(type, p.options))  # 1 == 1.0 == True, but they print apart
        if _PLAIN.issuperset(types):
            return ("choice", types, tuple(p.options))
        if _PLAIN_OR_FLOAT.issuperset(types):
            return ("choice", types, tuple(map(repr, p.options)))  # -0.0 == 0.0 too
        return None
    if p.kind in ("range", "log_range"):
        return (p.kind, p.is_int, repr(p.low), repr(p.high), repr(p.step))
    return None


def _param_fields(p: HPOParam) -> dict[str, Any]:
    """A parameter's record without its name."""
    return {
        "kind": p.kind,  # (the keys of _PARAM_KEYS, in order)
        "description": p.describe(),
        "values": _size_json(p.count()),
        "low": p.low, "high": p.high, "step": p.step,
        "options": [p.public_value(i) for i in range(len(p.options))] if p.options else None,
    }


def network_record(a: Analysis, ns: NetworkShapes) -> dict[str, Any]:
    """The network as `neural shapes --format json` writes it.

    Layers with the same output shapes share one list, parameters with the same values one
    description and `options` list (records are read, never changed), so each is formatted
    once (`json_document`, `_print_tables`)."""
    net = ns.network
    line_of = a.index.line
    shape_lists: dict[tuple, list] = {}  # a layer's output shapes -> their JSON list
    spans: dict[D.Span, dict[str, int]] = {}
    layers = []
    for ls in ns.layers:
        layer = ls.layer
        outs = ls.outputs
        if outs:
            key = tuple(outs)
            shapes = shape_lists.get(key)
            if shapes is None:
                shapes = shape_lists[key] = [_shape_json(s) for s in outs]
        else:
            shapes = []
        layers.append({  # (the keys of _LAYER_KEYS, in order)
            "name": layer.name if layer.choice is None else f"HPO choice {layer.path}",
            "path": layer.path,
            "line": line_of(layer.use_start if layer.macro else layer.start) + 1,
            "macro": layer.macro,
            "output_shapes": shapes,
            "params": _count_json(ls.params, spans),
        })
    hpo = []
    described: dict[tuple, dict[str, Any]] = {}
    for p in net.space or []:
        key = _param_key(p)
        fields = described.get(key) if key is not None else None
        if fields is None:
            fields = _param_fields(p)
            if key is not None:
                described[key] = fields
        hpo.append({"name": p.name, **fields})
    return {
        "network": net.name,
        "input": [_shape_json(s) for s in net.inputs],
        "layers": layers,
        "total_params": _count_json(ns.total_params, spans),
        "hpo": hpo,
        "space_size": _size_json(net.space.size()) if net.space else 1,
        "space": net.space.describe_size() if net.space else "",
    }


_LAYER_KEYS = ("name", "path", "line", "macro", "output_shapes", "params")
_PARAM_KEYS = ("name", "kind", "description", "values", "low", "high", "step", "options")


def _shapes_json_text(shapes: list) -> str:
    """json.dumps of a layer's output shapes: by hand when every size is an int."""
    if all(type(d) is int for shape in shapes for d in shape):
        return "[" + ", ".join(["[" + ", ".join(map(int.__repr__, shape)) + "]" for shape in shapes]) + "]"
    return json.dumps(shapes)


def _span_json_text(n: Any) -> str:
    """json.dumps of a parameter count: by hand for {"min": int, "max": int}."""
    if type(n) is dict and tuple(n) == ("min", "max") and type(n["min"]) is int and type(n["max"]) is int:
        return f'{{"min": {int.__repr__(n["min"])}, "max": {int.__repr__(n["max"])}}}'
    return json.dumps(n)


def _scalar_json(v: Any) -> str:
    if v is None:
        return "null"
    return int.__repr__(v) if type(v) is int else json.dumps(v)


def _json_item(x: dict[str, Any], memo: dict[int, str]) -> str:
    """`json.dumps(x)` of one record of a list (a layer, an HPO parameter).

    The lists and dictionaries in records are shared between records (network_record) and
    unchanged while they are written: each is dumped once, remembered by identity. A layer's
    record, the bulk of a large program, is written field by field without the encoder's
    set-up, a tenth of json.dumps' time."""
    if tuple(x) == _LAYER_KEYS:
        macro, shapes, n, line = x["macro"], x["output_shapes"], x["params"], x["line"]
        shapes_json = memo.get(id(shapes))
        if shapes_json is None:
            shapes_json = memo[id(shapes)] = _shapes_json_text(shapes)
        if type(n) is int:
            count = int.__repr__(n)
        else:
            count = memo.get(id(n))
            if count is None:
                count = memo[id(n)] = _span_json_text(n)
        return (f'{{"name": {_str_json(x["name"])}, "path": {_str_json(x["path"])}, '
                f'"line": {int.__repr__(line) if type(line) is int else json.dumps(line)}, '
                f'"macro": {"null" if macro is None else _str_json(macro)}, '
                f'"output_shapes": {shapes_json}, "params": {count}}}')
    if tuple(x) == _PARAM_KEYS:
        options = x["options"]
        if options is None:
            options_json = "null"
        else:
            options_json = memo.get(id(options))
            if options_json is None:
                options_json = memo[id(options)] = json.dumps(options)
        return (f'{{"name": {_str_json(x["name"])}, "kind": {_str_json(x["kind"])}, '
                f'"description": {_str_json(x["description"])}, "values": {_scalar_json(x["values"])}, '
                f'"low": {_scalar_json(x["low"])}, "high": {_scalar_json(x["high"])}, '
                f'"step": {_scalar_json(x["step"])}, "options": {options_json}}}')
    parts = []
    for k, v in x.items():
        t = type(v)
        if t is str:
            got = _str_json(v)
        elif t is int:
            got = int.__repr__(v)
        elif v is None:
            got = "null"
        elif t is list or t is dict:
            got = memo.get(id(v))
            if got is None:
                got = memo[id(v)] = json.dumps(v)
        else:
            got = json.dumps(v)
        parts.append(f"{_str_json(k)}: {got}")
    return "{" + ", ".join(parts) + "}"


def json_document(records: list[dict[str, Any]]) -> str:
    """`json.dumps(records, indent=2)`, but each layer and HPO parameter on one line.

    An indented dump is written by json's pure-Python encoder (its C encoder writes no
    indentation): over 2 seconds for 100,000 layers, more than the table. One line per
    layer is also what a person scrolling the output reads best.
    """
    memo: dict[int, str] = {}
    nets = []
    for rec in records:
        fields = []
        for k, v in rec.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                items = ",\n".join([f"      {_json_item(x, memo)}" for x in v])
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
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(headers)
    widths = [max(len(h), max(map(len, col), default=0)) for h, col in zip(headers, columns, strict=True)]

    fmt = "  ".join(f"{{:{'>' if i in right else '<'}{w}}}" for i, w in enumerate(widths)).format
    rule = "  ".join("-" * w for w in widths)
    return [fmt(*headers).rstrip(), rule, *[fmt(*r).rstrip() for r in rows]]


def _count_text(p: Any) -> str:
    return "?" if p is None else (f"{p:,}" if isinstance(p, int) else f"{p['min']:,}..{p['max']:,}")


def _print_tables(records: list[dict[str, Any]]) -> None:
    out: list[str] = []
    # The shapes and counts of records, each written once: records of layers alike share
    # their lists and dictionaries (network_record), and those stay unchanged meanwhile.
    texts: dict[int, str] = {}
    for rec in records:
        out.append(f"network {rec['network']}  input {', '.join(map(_shape_text, rec['input'])) or '?'}")
        rows = []
        for i, layer in enumerate(rec["layers"]):
            macro = layer["macro"]
            name = f"{layer['name']}  (macro {macro})" if macro else layer["name"]
            shapes = layer["output_shapes"]
            if not shapes:
                shapes_text = "?"
            else:
                shapes_text = texts.get(id(shapes))
                if shapes_text is None:
                    shapes_text = texts[id(shapes)] = " | ".join(map(_shape_text, shapes))
            n = layer["params"]
            if type(n) is dict:
                count = texts.get(id(n))
                if count is None:
                    count = texts[id(n)] = _count_text(n)
            else:
                count = _count_text(n)
            rows.append([str(i), str(layer["line"]), name, shapes_text, count])
        rows.append(["", "", "total", "", _count_text(rec["total_params"])])
        out += _table(["#", "line", "layer", "output shape(s)", "params"], rows, right={0, 1, 4})
        if rec["hpo"]:
            out += ["", "HPO parameters"]
            out += _table(["name", "range"], [[p["name"], p["description"]] for p in rec["hpo"]], right=set())
            out.append(f"search space: {rec['space']}")
        out.append("")
    sys.stdout.write("\n".join(out))
