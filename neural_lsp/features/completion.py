"""Completion: layer names with argument snippets, parameter names of the call being
typed, enumerated values, HPO snippets, macro names, sections, losses, optimizers,
train settings. Every list comes from the compiler's tables (`compiler.layers`,
`compiler.vocab`); `context.find` says which list applies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lsprotocol import types

from compiler import vocab
from compiler.layers import ACTIVATIONS, LAYERS, PADDINGS, canonical_names, lookup
from compiler.syntax import Define, Network
from neural_lsp.core.convert import Completion
from neural_lsp.core.documents import Snapshot
from neural_lsp.query import context as ctxmod
from neural_lsp.query.context import AFTER, KEY, VALUE, Context, Frame

K = types.CompletionItemKind
HPO_KINDS = ("choice", "range", "log_range", "custom")
# train settings HPO may not choose (checks.check_entries reports N410 for these)
NO_HPO_KEYS = vocab.NOT_SEARCHABLE

HPO_SNIPPETS = [
    ("HPO(choice(...))", "HPO(choice(${1:32}, ${2:64}))", "one of the listed values"),
    ("HPO(range(...))", "HPO(range(${1:0.1}, ${2:0.5}, step=${3:0.1}))",
     "lo, lo+step, ... up to hi"),
    ("HPO(log_range(...))", "HPO(log_range(${1:1e-4}, ${2:1e-2}))", "log-uniform between lo and hi"),
    ("HPO(custom(...))", 'HPO(custom({"${1:small}": ${2:64}, "${3:large}": ${4:256}}))',
     "one of several named options"),
]
HPO_INNER = [
    ("choice", "choice(${1:32}, ${2:64})", "one of the listed values"),
    ("range", "range(${1:0.1}, ${2:0.5}, step=${3:0.1})", "lo, lo+step, ... up to hi"),
    ("log_range", "log_range(${1:1e-4}, ${2:1e-2})", "log-uniform between lo and hi"),
    ("custom", 'custom({"${1:small}": ${2:64}, "${3:large}": ${4:256}})', "named options"),
]
LAYER_CHOICE = ("HPO(choice(layers...))", "HPO(choice(${1:Dense(64)}, ${2:Dropout(0.5)}))",
                "a layer chosen by the search")
SECTIONS = [
    ("input", "input: (${1:28, 28, 1})", "the input shape, without the batch dimension"),
    ("layers", "layers:\n  $0", "the layers, in order"),
    ("loss", 'loss: "${1:sparse_categorical_crossentropy}"', "the loss function"),
    ("optimizer", "optimizer: ${1:Adam}(learning_rate=${2:0.001})", "the optimizer"),
    ("metrics", 'metrics: ["${1:accuracy}"]', "metrics to report"),
    ("train", "train {\n  epochs: ${1:10}\n  batch_size: ${2:32}\n}", "training settings"),
    ("execute", 'execute { device: "${1:auto}" }', "where to run"),
]
TOP_LEVEL = [
    ("network", "network ${1:Name} {\n  input: (${2:28, 28, 1})\n  layers:\n    $0\n}",
     "a network"),
    ("define", "define ${1:Block} {\n  $0\n}", "a macro: layers reused by name"),
]


class Items:
    """Collects completion items in order (each replaces the typed word, ctx.word_start to
    ctx.offset)."""

    def __init__(self, snap: Snapshot, ctx: Context, snippets: bool) -> None:
        self.snap = snap
        self.ctx = ctx
        self.snippets = snippets
        self.items: list[Completion] = []
        self.labels: set[str] = set()

    def add(self, label: str, kind: K, insert: str | None = None, detail: str | None = None,
            doc: str | None = None, snippet: bool = False) -> None:
        if label in self.labels:
            return
        self.labels.add(label)
        text = insert if insert is not None else label
        if snippet and not self.snippets:
            text, snippet = _plain(text), False
        self.items.append(Completion(label, kind, text, snippet, detail, doc))

    def value(self, v: Any, kind: K = K.EnumMember, detail: str | None = None) -> None:
        """A string value: quoted, unless the cursor is already inside quotes."""
        if isinstance(v, str) and not self.ctx.in_string:
            self.add(f'"{v}"', kind, detail=detail)
        elif isinstance(v, str):
            self.add(v, kind, detail=detail)
        elif not self.ctx.in_string:
            self.add(_literal(v), kind, detail=detail)


def _plain(snippet: str) -> str:
    """A snippet without tab stops, for clients that do not take snippets."""
    import re

    return re.sub(r"\$\{\d+:([^}]*)\}|\$\d+", lambda m: m.group(1) or "", snippet)


def _literal(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "none" if v is None else str(v)


def complete(snap: Snapshot, offset: int,
             snippets: bool = True) -> tuple[int, int, list[Completion]]:
    """(start, end of the typed word the items replace, the items in order)."""
    ctx = ctxmod.find(snap.text, snap.analysis.tree, offset)
    out = Items(snap, ctx, snippets)
    if ctx.owner is None:
        for label, snip, doc in TOP_LEVEL:
            out.add(label, K.Keyword, snip, doc=doc, snippet=True)
        return ctx.word_start, ctx.offset, out.items
    top = ctx.top
    if top is None:
        _section_level(out, ctx)
    elif top.bracket == "(":
        _in_call(out, ctx, top)
    elif top.bracket == "{":
        _in_block(out, ctx, top)
    elif top.bracket == "[" and ctx.section == "metrics":
        for m in vocab.METRICS:
            out.value(m)
    return ctx.word_start, ctx.offset, out.items


# ---------------------------------------------------------------------- contexts
def _section_level(out: Items, ctx: Context) -> None:
    sec, state = ctx.section, ctx.section_state
    if sec == "layers":
        if not ctx.in_string:
            layer_items(out, ctx)
        if ctx.line_start and isinstance(ctx.owner, Network):
            section_items(out)
        return
    if sec is None or state == KEY or (state == AFTER and ctx.line_start):
        if isinstance(ctx.owner, Network):
            section_items(out)
        else:
            layer_items(out, ctx)
        return
    if state != VALUE:
        return
    if sec == "loss":
        for name in vocab.LOSSES:
            out.value(name, detail="loss")
    elif sec == "optimizer":
        optimizer_items(out)
    elif sec == "metrics" and not ctx.in_string:
        out.add('["accuracy"]', K.Value)
    elif sec in ("batch_size", "epochs") and not ctx.in_string:
        hpo_items(out)


def _in_call(out: Items, ctx: Context, top: Frame) -> None:
    callee = (top.callee or "").lower()
    if callee == "hpo":
        if top.state == KEY and top.index == 0 and not ctx.in_string:
            for label, snip, doc in HPO_INNER:
                out.add(label, K.Function, snip, doc=doc, snippet=True)
        return
    frame = top if callee not in HPO_KINDS else ctx.call_frame()
    if callee in HPO_KINDS and top.state == AFTER:
        return
    if frame is None:
        return
    params = params_of(frame.callee)
    if params is None:
        return
    p = _param_for(frame, params)
    in_hpo = frame is not top
    if (top.state == VALUE or in_hpo) and p is not None:
        value_items(out, p, ctx, hpo=not in_hpo)
        return
    if top.state == KEY and not ctx.in_string:
        for q in params:
            if q.name not in frame.named:
                out.add(f"{q.name}=", K.Property, f"{q.name}=", detail=_param_detail(q), doc=q.doc)
        if p is not None and not frame.named:
            value_items(out, p, ctx)


def _in_block(out: Items, ctx: Context, top: Frame) -> None:
    if top.block == "layers":
        if not ctx.in_string:
            layer_items(out, ctx)
    elif top.block == "body":
        section_items(out)
    elif top.block in ("train", "execute"):
        table = vocab.TRAIN_KEYS if top.block == "train" else vocab.EXECUTE_KEYS
        if top.state == VALUE and top.pending is not None:
            key = vocab.TRAIN_ALIASES.get(top.pending, top.pending) if top.block == "train" else top.pending
            p = table.get(key or "")
            if p is not None:
                value_items(out, p, ctx, hpo=p.kind in ("int", "float") and key not in NO_HPO_KEYS)
        elif (top.state == KEY or (top.state == AFTER and ctx.line_start)) and not ctx.in_string:
            for name, p in table.items():
                if name not in top.named:
                    out.add(name, K.Property, f"{name}: ", detail=_param_detail(p), doc=p.doc)


# ---------------------------------------------------------------------- item lists
def layer_items(out: Items, ctx: Context) -> None:
    for d in out.snap.analysis.tree.defines:
        if d.name and (not isinstance(ctx.owner, Define) or d.name != ctx.owner.name):
            out.add(d.name, K.Module, f"{d.name}()", detail="macro",
                    doc=f"```neural\n{out.snap.text[d.start:d.end]}\n```")
    for name in canonical_names():
        spec = LAYERS[name.lower()]
        out.add(name, K.Class, _layer_snippet(spec), detail=spec.signature(), doc=spec.doc,
                snippet=True)
    label, snip, doc = LAYER_CHOICE
    out.add(label, K.Snippet, snip, doc=doc, snippet=True)


def _layer_snippet(spec) -> str:
    if spec.block == "required":
        return f"{spec.name} {{\n\t$0\n}}"
    required = [p for p in spec.params if p.required]
    if not required:
        return f"{spec.name}()"
    args = ", ".join(f"${{{i}:{p.name}}}" for i, p in enumerate(required, 1))
    return f"{spec.name}({args})"


def section_items(out: Items) -> None:
    for label, snip, doc in SECTIONS:
        out.add(label, K.Keyword, snip, doc=doc, snippet=True)


def optimizer_items(out: Items) -> None:
    if out.ctx.in_string:
        for name in vocab.OPTIMIZERS:
            out.add(name, K.Class)
        return
    for name, params in vocab.OPTIMIZERS.items():
        lr = next((p for p in params if p.name == "learning_rate"), None)
        snip = f"{name}(learning_rate=${{1:{lr.default}}})" if lr else f"{name}()"
        out.add(name, K.Class, snip, detail=signature_of(name, params), snippet=True)
    out.add("HPO(choice(optimizers...))", K.Snippet,
            "HPO(choice(${1:Adam(learning_rate=0.001)}, ${2:SGD(learning_rate=0.01)}))",
            doc="an optimizer chosen by the search", snippet=True)


def value_items(out: Items, p, ctx: Context, hpo: bool = True) -> None:
    """Values a parameter takes, when they can be listed, then HPO snippets."""
    if p.name == "device":
        for d in vocab.DEVICES_TEXT.split(", "):
            out.value(d.replace(":N", ":0"))
        return
    if p.kind == "activation":
        for a in ACTIVATIONS:
            out.value(a)
    elif p.kind == "padding":
        for a in PADDINGS:
            out.value(a)
    elif p.kind == "enum":
        for a in p.choices:
            out.value(a)
    elif p.kind == "bool":
        out.value(True)
        out.value(False)
    elif p.kind == "layer" and not ctx.in_string:
        layer_items(out, ctx)
    if p.name in ("learning_rate", "initial_learning_rate") and not ctx.in_string:
        for name, params in vocab.SCHEDULES.items():
            req = [q for q in params if q.required]
            snip = f"{name}(" + ", ".join(f"${{{i}:{q.name}}}" for i, q in enumerate(req, 1)) + ")"
            out.add(name, K.Function, snip, detail=signature_of(name, params), snippet=True)
    if hpo and not ctx.in_string and p.kind != "layer":
        hpo_items(out)


def hpo_items(out: Items) -> None:
    for label, snip, doc in HPO_SNIPPETS:
        out.add(label, K.Snippet, snip, doc=doc, snippet=True)


# ---------------------------------------------------------------------- helpers
def params_of(callee: str | None):
    if not callee:
        return None
    spec = lookup(callee)
    if spec is not None:
        return spec.params
    canon = vocab.OPTIMIZER_NAMES.get(callee.lower())
    if canon is not None:
        return vocab.OPTIMIZERS[canon]
    canon = vocab.SCHEDULE_NAMES.get(callee.lower())
    if canon is not None:
        return vocab.SCHEDULES[canon]
    return None


def _param_for(frame: Frame, params) -> Any:
    """The parameter whose value is being typed: named, or by position."""
    if frame.pending is not None:
        return next((q for q in params if q.name == frame.pending), None)
    if frame.named:
        return None
    return params[frame.index] if frame.index < len(params) else None


def _param_detail(p) -> str:
    return f"{p.kind}, " + ("required" if p.required else f"default {_default_text(p.default)}")


def _default_text(v: Any) -> str:
    return f'"{v}"' if isinstance(v, str) else _literal(v)


def signature_of(name: str, params: Iterable) -> str:
    """`Adam(learning_rate=0.001, ...)`, written like `LayerSpec.signature()`."""
    parts = [p.name if p.required else f"{p.name}={_default_text(p.default)}" for p in params]
    return f"{name}({', '.join(parts)})"

