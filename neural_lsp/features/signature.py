"""Signature help inside a layer's (or optimizer's, or schedule's) parentheses."""

from __future__ import annotations

from compiler import vocab
from compiler.layers import lookup
from neural_lsp.core.convert import Signature
from neural_lsp.core.documents import Snapshot
from neural_lsp.features.completion import params_of, signature_of
from neural_lsp.query import context


def signature_help(snap: Snapshot, offset: int) -> Signature | None:
    ctx = context.find(snap.text, snap.analysis.tree, offset)
    frame = ctx.call_frame()
    if frame is None:
        return None
    params = params_of(frame.callee)
    if params is None:
        return None
    spec = lookup(frame.callee)
    if spec is not None:
        label, doc = spec.signature(), spec.doc
    else:
        canon = vocab.OPTIMIZER_NAMES.get(frame.callee.lower()) or \
            vocab.SCHEDULE_NAMES.get(frame.callee.lower())
        label, doc = signature_of(canon, params), ("optimizer" if canon in vocab.OPTIMIZERS
                                                else "learning-rate schedule")
    infos, at = [], label.index("(") + 1
    for p in params:
        start = label.index(p.name, at)
        end = label.find(", ", start)
        end = len(label) - 1 if end < 0 else end
        infos.append((start, end, f"{p.kind}: {p.doc}" if p.doc else p.kind))
        at = end
    if frame.pending is not None:
        active = next((i for i, p in enumerate(params) if p.name == frame.pending), None)
    elif frame.named:
        active = None
    else:
        active = frame.index if frame.index < len(params) else None
    return Signature(label, doc, infos, active)
