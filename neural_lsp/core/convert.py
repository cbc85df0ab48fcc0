"""Offset-based answers of the features -> LSP types: the one step where character offsets
into a snapshot's text become LSP ranges and positions (through its `positions.LineMap`,
in the negotiated encoding).

Features answer with the plain data defined here (spans, edits, symbols, actions, hints,
completions, signatures) or with the compiler's own offset-based diagnostics; `neural_lsp/handlers.py`
converts each answer with one call of this module. Nothing here decides what to answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from lsprotocol import types

from neural_lsp.core.documents import Snapshot

SOURCE = "neural"  # the `source` of every diagnostic

# (start, end, new text): replace [start, end) of the snapshot's text
Edit = tuple[int, int, str]
# (offset, label, tooltip, kind or None): an inlay hint after `offset`
Hint = tuple[int, str, str, Any]
# (start, end, command): a code lens over [start, end)
Lens = tuple[int, int, types.Command]


@dataclass(slots=True)
class Symbol:
    """A document symbol: [start, end) its whole extent, [sel_start, sel_end) its name."""

    name: str
    kind: types.SymbolKind
    start: int
    end: int
    sel_start: int
    sel_end: int
    detail: str | None = None
    children: list[Symbol] | None = None


@dataclass(slots=True)
class Action:
    """A code action: edits of the document and/or a command; `diagnostic` (the compiler's,
    offset-based) is the one it fixes."""

    title: str
    kind: str
    diagnostic: Any = None
    edits: list[Edit] | None = None
    preferred: bool | None = None
    command: types.Command | None = None


class Signature(NamedTuple):
    """A signature: its parameters are spans of characters of its label."""

    label: str
    doc: str | None
    params: list[tuple[int, int, str]]  # (start, end in the label, documentation)
    active: int | None  # the parameter being typed


class Completion(NamedTuple):
    """A completion item, without the span of the typed word it replaces (one per answer)."""

    label: str
    kind: types.CompletionItemKind
    text: str  # what replaces the typed word
    snippet: bool  # `text` has tab stops
    detail: str | None
    doc: str | None  # Markdown


# ---------------------------------------------------------------------- spans and edits
def location(snap: Snapshot, start: int, end: int) -> types.Location:
    return types.Location(uri=snap.uri, range=snap.lines.range(start, end))


def locations(snap: Snapshot, spans: Iterable[tuple[int, int]]) -> list[types.Location]:
    return [location(snap, s, e) for s, e in spans]


def text_edits(snap: Snapshot, edits: Iterable[Edit]) -> list[types.TextEdit]:
    rng = snap.lines.range
    return [types.TextEdit(range=rng(s, e), new_text=t) for s, e, t in edits]


def rename_placeholder(snap: Snapshot, name: str, start: int, end: int) -> types.PrepareRenamePlaceholder:
    return types.PrepareRenamePlaceholder(range=snap.lines.range(start, end), placeholder=name)


# ---------------------------------------------------------------------- diagnostics
def diagnostic(snap: Snapshot, d: Any) -> types.Diagnostic:
    """A compiler diagnostic (compiler.diagnostics.Diagnostic: offsets, related spans)."""
    lines = snap.lines
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=snap.uri, range=lines.range(r.start, r.end)),
            message=r.message,
        )
        for r in d.related
    ]
    return types.Diagnostic(
        range=lines.range(d.start, d.end),
        message=d.message,
        severity=types.DiagnosticSeverity(int(d.severity)),
        code=d.code,
        source=SOURCE,
        related_information=related or None,
    )


# ---------------------------------------------------------------------- features
def hover(snap: Snapshot, text: str, start: int, end: int, markdown: bool) -> types.Hover:
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText, value=text),
        range=snap.lines.range(start, end),
    )


def inlay_hints(snap: Snapshot, hints: Iterable[Hint]) -> list[types.InlayHint]:
    position = snap.lines.position
    return [types.InlayHint(position=position(at), label=label, kind=kind, padding_left=True,
                            tooltip=tip) for at, label, tip, kind in hints]


def completions(snap: Snapshot, start: int, end: int, items: Iterable[Completion],
                markdown: bool) -> list[types.CompletionItem]:
    """Items in the order given (their sort text says so), each replacing [start, end)."""
    rng = snap.lines.range(start, end)
    plain, snippet = types.InsertTextFormat.PlainText, types.InsertTextFormat.Snippet
    out = []
    for c in items:
        doc = c.doc
        out.append(types.CompletionItem(
            label=c.label, kind=c.kind, detail=c.detail,
            documentation=(types.MarkupContent(kind=types.MarkupKind.Markdown, value=doc)
                           if markdown else doc) if doc else None,
            sort_text=f"{len(out):04d}",
            filter_text=c.label,
            insert_text_format=snippet if c.snippet else plain,
            text_edit=types.TextEdit(range=rng, new_text=c.text),
        ))
    return out


def signature_help(snap: Snapshot, sig: Signature) -> types.SignatureHelp:
    """Parameter labels as offsets into the signature's label, in the negotiated encoding's
    code units (LSP counts them as it counts columns)."""
    units, label = snap.lines.units, sig.label
    params = [types.ParameterInformation(label=(units(label[:s]), units(label[:e])), documentation=doc)
              for s, e, doc in sig.params]
    return types.SignatureHelp(
        signatures=[types.SignatureInformation(label=label, documentation=sig.doc,
                                               parameters=params, active_parameter=sig.active)],
        active_signature=0,
        active_parameter=sig.active,
    )


def document_symbols(snap: Snapshot, symbols: Iterable[Symbol]) -> list[types.DocumentSymbol]:
    rng = snap.lines.range

    def one(s: Symbol) -> types.DocumentSymbol:
        return types.DocumentSymbol(
            name=s.name, kind=s.kind, range=rng(s.start, s.end),
            selection_range=rng(s.sel_start, s.sel_end), detail=s.detail,
            children=[one(c) for c in s.children] if s.children else None)

    return [one(s) for s in symbols]


def symbol_information(snap: Snapshot, symbols: Iterable[Symbol]) -> list[types.SymbolInformation]:
    """The flat list, for clients without hierarchical symbols: each symbol with the name of
    the one holding it."""
    out = []

    def add(s: Symbol, container: str | None) -> None:
        out.append(types.SymbolInformation(
            name=s.name, kind=s.kind, container_name=container,
            location=location(snap, s.start, s.end)))
        for c in s.children or ():
            add(c, s.name)

    for s in symbols:
        add(s, None)
    return out


def code_lenses(snap: Snapshot, lenses: Iterable[Lens]) -> list[types.CodeLens]:
    rng = snap.lines.range
    return [types.CodeLens(range=rng(s, e), command=cmd) for s, e, cmd in lenses]


def code_actions(snap: Snapshot, actions: Iterable[Action],
                 edit_for: Callable[[list[types.TextEdit]], types.WorkspaceEdit]) -> list[types.CodeAction]:
    """`edit_for` wraps the text edits for the client (handlers.workspace_edit)."""
    out = []
    for a in actions:
        out.append(types.CodeAction(
            title=a.title, kind=a.kind,
            diagnostics=[diagnostic(snap, a.diagnostic)] if a.diagnostic is not None else None,
            is_preferred=a.preferred,
            edit=edit_for(text_edits(snap, a.edits)) if a.edits is not None else None,
            command=a.command))
    return out
