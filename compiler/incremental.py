"""Re-analysis after an edit inside one layer statement, in time that does not grow with the file.

Typing in a network's `layers:` (a value, a name, an argument) changes one statement. Then only
that statement is tokenized, parsed and checked again; shapes are re-inferred from it until they
agree with the previous analysis again; every offset after it moves by the edit's length.
Anything else (an edit outside a statement, a syntax error before it, macros, blocks, HPO layer
choices, a statement split in two) returns None and the caller runs `analyze()`: the result is
always the one `analyze(new_text)` gives (tests/compiler/test_incremental.py compares them on
random edits).

The previous analysis is updated in place, in two steps: `update()` brings the diagnostics up to
date (what an editor shows first) and `Pending.finish()` moves the offsets of everything after
the statement. Offsets live in the syntax tree only (the checked model and the search space
read them from its nodes), so that is one walk over the nodes after the edit. Until `finish()`
has run only `text` and `diagnostics` may be read.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import fields, replace
from typing import Any

from compiler import dims as D
from compiler.analysis import Analysis, position_order
from compiler.checks import Checker
from compiler.diagnostics import Diagnostic, Fix, Related
from compiler.model import NetworkIR, StmtIR
from compiler.parser import Parser
from compiler.shapes import NetworkShapes, total_params
from compiler.space import HPOParam
from compiler.syntax import (
    HPO,
    Arg,
    Branch,
    Call,
    Comment,
    Const,
    Define,
    DictV,
    Entry,
    File,
    Ident,
    LayerStmt,
    ListV,
    Network,
    Num,
    Section,
    Str,
    TupleV,
)

_BLANK = re.compile(r"[ \t\r\f\v\ufeff]*")
_TRAILER = re.compile(r"[ \t\r\f\v\ufeff]*(?:(?:#|//)[^\n]*)?")
_SKIP = re.compile(r"(?:\s|(?:#|//)[^\n]*)*")
# A statement goes on over a line break if the next line starts with one of these.
_CONTINUES = frozenset("*@{(")


def changed_range(old: str, new: str) -> tuple[int, int, int]:
    """(start, old_end, new_end): old[start:old_end] became new[start:new_end]."""
    n = min(len(old), len(new))
    lo, hi = 0, n  # the common prefix is at least lo and at most hi long
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[lo:mid] == new[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    a = lo
    lo, hi = 0, n - a  # the common suffix, not overlapping the prefix
    end_old, end_new = len(old), len(new)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[end_old - mid:end_old - lo] == new[end_new - mid:end_new - lo]:
            lo = mid
        else:
            hi = mid - 1
    return a, end_old - lo, end_new - lo


# ---------------------------------------------------------------------- offsets
def _offset_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name in ("start", "end")
                 or f.name.endswith("_start") or f.name.endswith("_end"))


# Which fields of each syntax node hold offsets, and which hold child nodes.
_SYNTAX_OFFSETS = {cls: _offset_fields(cls) for cls in (
    Num, Str, Const, Ident, TupleV, ListV, DictV, Arg, Call, HPO, Branch, LayerStmt, Entry,
    Section, Network, Define, Comment)}
_SYNTAX_CHILDREN: dict[type, tuple[str, ...]] = {
    TupleV: ("items",), ListV: ("items",), Arg: ("value",), Call: ("args", "block"),
    HPO: ("args",), Branch: ("block",), LayerStmt: ("expr", "repeat", "device"),
    Entry: ("value",), Define: ("body",),
    Network: ("sections", "inputs", "layers", "loss", "optimizer", "metrics", "train",
              "execute", "unknown"),
}


_LIST_CHILDREN = {"items", "args", "block", "body", "sections", "inputs", "layers", "train",
                  "execute", "unknown"}


def _noop(*_args: Any) -> None:
    return None


class _Table(dict):
    """Shifter by node class; anything else is left alone."""

    def __missing__(self, key: type):
        return _noop


def _compile(cls: type):
    """A straight-line function moving one syntax node's offsets, then its children's: the
    tree after an edit holds tens of thousands of offsets, a generic loop is 3x slower."""
    lines = ["def shift(n, at, d, oe, ne, rs, S):", "    if n.end < rs:", "        return"]
    for f in _SYNTAX_OFFSETS[cls]:
        lines += [f"    v = n.{f}", "    if v == oe:", f"        n.{f} = ne",
                  "    elif v >= at:", f"        n.{f} = v + d"]
    if cls is DictV:
        lines += ["    n.items = [(k, ne if s == oe else s + d if s >= at else s,"
                  " ne if e == oe else e + d if e >= at else e, v) for k, s, e, v in n.items]",
                  "    for item in n.items:",
                  "        S[type(item[3])](item[3], at, d, oe, ne, rs, S)"]
    if cls is Network:
        lines += ["    if n.layers_key is not None:",
                  "        n.layers_key = tuple(ne if v == oe else v + d if v >= at else v"
                  " for v in n.layers_key)"]
    for f in _SYNTAX_CHILDREN.get(cls, ()):
        if f in _LIST_CHILDREN:
            lines += [f"    c = n.{f}", "    if c:", "        for y in c:",
                      "            S[type(y)](y, at, d, oe, ne, rs, S)"]
        else:
            lines += [f"    c = n.{f}", "    if c is not None:",
                      "        S[type(c)](c, at, d, oe, ne, rs, S)"]
    scope: dict[str, Any] = {}
    exec("\n".join(lines), scope)  # the source is built from the field names above
    return scope["shift"]


_SHIFTERS = _Table({cls: _compile(cls) for cls in _SYNTAX_OFFSETS})


class _Shift:
    """Moves offsets at or after `at` by `delta`; an offset equal to the old statement's end
    (a section or network that ended with it) becomes the new statement's end."""

    def __init__(self, at: int, delta: int, rs: int, old_end: int, new_end: int) -> None:
        self.at, self.delta, self.rs = at, delta, rs
        self.old_end, self.new_end = old_end, new_end
        self.memo: dict[int, Diagnostic] = {}

    def map(self, v: int) -> int:
        if v == self.old_end:
            return self.new_end
        if v >= self.at:
            return v + self.delta
        return v

    def node(self, n: Any) -> None:
        """Syntax nodes (one or a list) and their children. The tree is a tree: each node is
        reached once; nodes outside it (parsed from strings) are listed by the checker."""
        args = (self.at, self.delta, self.old_end, self.new_end, self.rs, _SHIFTERS)
        for x in n if type(n) is list else (n,):
            _SHIFTERS[type(x)](x, *args)

    def diag(self, d: Diagnostic) -> Diagnostic:
        """The diagnostic with its ranges moved: one new object per old one, wherever it is
        listed (the file's list and a statement's must keep holding the same object)."""
        rs = self.rs
        if d.end < rs and all(r.end < rs for r in d.related) and all(f.end < rs for f in d.fixes):
            return d
        got = self.memo.get(id(d))
        if got is None:
            m = self.map
            got = self.memo[id(d)] = replace(
                d, start=m(d.start), end=m(d.end),
                related=tuple(Related(r.message, m(r.start), m(r.end)) for r in d.related),
                fixes=tuple(Fix(f.title, m(f.start), m(f.end), f.text) for f in d.fixes))
        return got

    def diags(self, ds: list[Diagnostic]) -> list[Diagnostic]:
        return [self.diag(d) for d in ds] if ds else ds


# ---------------------------------------------------------------------- the update
class Pending:
    """An update whose diagnostics are done; `finish()` moves the remaining offsets."""

    def __init__(self, analysis: Analysis, shift: _Shift, net_index: int, k: int,
                 comments: list[Comment], detached: list) -> None:
        self.analysis = analysis
        self.shift = shift
        self.net_index = net_index
        self.k = k
        self.comments = comments
        self.detached = detached
        self.done = False

    def finish(self) -> Analysis:
        if self.done:
            return self.analysis
        self.done = True
        a, sh, k = self.analysis, self.shift, self.k
        tree: File = a.tree
        net_node = tree.networks[self.net_index]
        if sh.delta or sh.new_end != sh.old_end:
            # The syntax tree: the edited network around its new statement, then the rest.
            for f in _SYNTAX_OFFSETS[Network]:
                setattr(net_node, f, sh.map(getattr(net_node, f)))
            if net_node.layers_key is not None:
                net_node.layers_key = tuple(sh.map(v) for v in net_node.layers_key)
            sh.node(net_node.sections)
            sh.node(net_node.inputs)
            sh.node((net_node.layers or [])[k + 1:])
            for f in ("loss", "optimizer", "metrics", "train", "execute", "unknown"):
                sh.node(getattr(net_node, f))
            sh.node([n for n in tree.networks if n is not net_node])
            sh.node(tree.defines)
            if a.checker is not None:
                sh.node(a.checker.detached)
            tree.length += sh.delta
        if a.checker is not None:
            a.checker.detached.extend(self.detached)
        # Comments: those of the statement's lines are the new ones.
        cs = tree.comments
        lo = bisect_right(cs, sh.rs - 1, key=lambda c: c.start)
        hi = bisect_right(cs, sh.at - 1, key=lambda c: c.start)
        tail = cs[hi:]
        if sh.delta:
            for c in tail:
                c.start += sh.delta
                c.end += sh.delta
        cs[lo:] = [*self.comments, *tail]
        # Derived values.
        text = a.text
        for net in a.networks:
            for p in net.space or []:
                p.source = text
        if a.checker is not None:
            a.checker.text = text
            for ps in a.checker.macro_params.values():
                for p in ps:
                    p.source = text
        return a


def update(a: Analysis, text: str) -> Pending | None:
    """Bring `a` (the analysis of another version of the text) up to `text` in place when the
    edit stays inside one layer statement; None (and `a` untouched) otherwise."""
    old = a.text
    if a.checker is None or text == old:
        return None  # no previous analysis to update, or no change
    start, old_end, new_end = changed_range(old, text)
    delta = new_end - old_end
    found = _statement(a, start, old_end)
    if found is None:
        return None  # not inside one layer statement's lines, or after a syntax error
    ni, k, rs, re_ = found
    net_node = a.tree.networks[ni]
    net = next((n for n in a.networks if n.node is net_node), None)
    if net is None or k >= len(net.stmts) or net.stmts[k].stmt is not net_node.layers[k]:
        return None  # the statement is not in the checked network
    old_ir = net.stmts[k]
    if not _simple(old_ir):
        return None  # the statement used a macro, a block or a layer choice
    # Parse the statement's lines of the new text on their own.
    new_re = re_ + delta
    p = Parser(text, rs, new_re)
    if not p.kinds or p.kinds[0] != "name":
        return None  # the new lines do not start with a layer name
    p.stmt_col = 0
    stmts = p.parse_layer_list(in_block=False)
    if len(stmts) != 1 or p.diags or p.kinds[p.i] != "eof" or p.ends[p.i - 1] != stmts[0].end:
        return None  # not exactly one statement without a syntax error (or a separator after it)
    stmt = stmts[0]
    nxt = _SKIP.match(text, new_re).end()
    if text[nxt:nxt + 1] in _CONTINUES:
        return None  # the next line continues the statement
    # Check it with the macros as they were checked.
    old_checker = a.checker
    ch = Checker(text, a.tree)
    ch.macros, ch.macro_layers, ch.macro_params = (
        old_checker.macros, old_checker.macro_layers, old_checker.macro_params)
    new_ir = ch.check_stmt(stmt, k)
    if not _simple(new_ir):
        return None  # the statement now uses a macro, a block or a layer choice
    # ---- from here on `a` changes
    shapes = next((s for s in a.shapes if s.network is net), None)
    # where statement k's layers start among the network's inferred layers
    first = bisect_left(shapes.layers, k, key=lambda ls: ls.stmt_index) if shapes is not None else 0
    net_node.layers[k] = stmt
    net.stmts[k] = new_ir
    new_params = sorted(new_ir.params, key=lambda q: q.node.start)
    _replace_params(net, old_ir.params, new_params, rs)
    sh = _Shift(re_, delta, rs, old_ir.stmt.end, stmt.end)
    reinferred = _reinfer(shapes, net, k, first, old_ir, new_ir, sh) if shapes is not None else ([], [])
    # Diagnostics: the statement's own are new; those after it move (the ones before it stay:
    # only lists that can hold a diagnostic after the edit are visited).
    removed = {id(d) for d in old_ir.diags}
    added = list(new_ir.diags)
    # A syntax error in the statement's old lines (it parsed, recovering inside its brackets):
    # the new lines parse cleanly, so it is gone.
    fixed = [d for d in a.file_diags if d.code.startswith("N1") and rs <= d.start <= re_]
    removed.update(id(d) for d in fixed)
    a.file_diags = sh.diags([d for d in a.file_diags if id(d) not in removed])
    after = False
    for other in a.networks:
        if other is net:
            after = True
            for s in net.stmts[k + 1:]:
                if s.diags:
                    s.diags = sh.diags(s.diags)
        elif after:
            for s in other.stmts:
                if s.diags:
                    s.diags = sh.diags(s.diags)
        if other is net and not any(s.layers for s in net.stmts[k + 1:]):
            # The last layer is this statement's or, if it has none now, an earlier one's.
            removed.update(id(d) for d in net.tail_diags)
            ch.diags = []
            ch.check_output_vs_loss(net)
            net.tail_diags = ch.diags
            added += ch.diags
        elif other.tail_diags:
            other.tail_diags = sh.diags(other.tail_diags)
    after = False
    for res in a.shapes:
        parts = res.stmt_diags
        if res is shapes:
            after = True
            old_parts, new_parts = reinferred
            removed.update(id(d) for part in old_parts for d in part)
            added += [d for part in new_parts for d in part]
            lo = k + len(new_parts)
        elif after:
            lo = 0
        else:
            continue
        for i in range(lo, len(parts)):
            if parts[i]:
                parts[i] = sh.diags(parts[i])
    merged = [sh.diag(d) for d in a.diagnostics if id(d) not in removed]
    merged += added
    merged.sort(key=position_order)
    a.diagnostics = merged
    a.text = text
    a._index = None
    old_checker.detached = [x for x in old_checker.detached if not rs <= x.start <= re_]
    return Pending(a, sh, ni, k, p.comments, ch.detached)


def reanalyze(a: Analysis, text: str) -> Analysis | None:
    """`update()` and `finish()` in one: `a` as `analyze(text)` would give it, or None."""
    pending = update(a, text)
    return pending.finish() if pending is not None else None


# ---------------------------------------------------------------------- helpers
def _statement(a: Analysis, start: int, old_end: int) -> tuple[int, int, int, int] | None:
    """(network index, statement index, first, end of lines) of the top-level layer statement
    whose lines hold the whole edit and nothing else; None if there is none."""
    old = a.text
    for ni, n in enumerate(a.tree.networks):
        if not (n.start <= start and old_end <= n.end) or not n.layers:
            continue
        stmts = n.layers
        k = bisect_right(stmts, start, key=lambda s: s.start) - 1
        for j in (k, k + 1):
            if not 0 <= j < len(stmts):
                continue
            s = stmts[j]
            rs = old.rfind("\n", 0, s.start) + 1
            re_ = old.find("\n", s.end)
            if re_ < 0:
                re_ = len(old)
            if not (rs <= start and old_end <= re_):
                continue
            if _BLANK.fullmatch(old, rs, s.start) is None or _TRAILER.fullmatch(old, s.end, re_) is None:
                return None
            if any(d.code.startswith("N1") and d.start < rs for d in a.file_diags):
                return None  # recovery from a syntax error before it may read it differently
            return ni, j, rs, re_
        return None
    return None


def _simple(s: StmtIR) -> bool:
    """A statement whose effects stay inside it: no macro, block, branch or layer choice."""
    if isinstance(s.stmt.expr, Branch):
        return False
    return not any(x.macro or x.children is not None or x.choice is not None for x in s.layers)


def _replace_params(net: NetworkIR, old: list[HPOParam], new: list[HPOParam], rs: int) -> None:
    space = net.space
    if space is None or (not old and not new):
        return
    ps = space.params
    gone = {id(q) for q in old}
    at = next((i for i, q in enumerate(ps) if id(q) in gone or q.node.start >= rs), len(ps))
    ps[:] = [*ps[:at], *new, *(q for q in ps[at:] if id(q) not in gone)]


def _reinfer(res: NetworkShapes, net: NetworkIR, k: int, first: int, old_ir: StmtIR,
             new_ir: StmtIR, sh: _Shift) -> tuple[list, list]:
    """Re-run shape inference from statement k until its state is the old one again; returns
    the shape diagnostics of the statements it re-ran, as they were and as they are."""
    inf = res.inference
    old_names = {q.name for q in old_ir.params}
    new_names = {q.name for q in new_ir.params}
    for name in old_names:
        inf.params.pop(name, None)
    inf.params.update((q.name, q) for q in new_ir.params)
    inf.shared -= old_names
    seen: set[str] = set()
    for layer in new_ir.layers:
        for _pname, ref in inf._shape_refs(layer) if layer.spec else []:
            n = ref.param.name
            (inf.shared if n in seen else seen).add(n)
    if inf.has_blocks:
        inf.shared.update(new_names)
    inf.static = {}
    inf.reported = set()
    inf.diags = []
    old_by = {q.name: q for q in old_ir.params}
    watch = {q.name for q in new_ir.params if not _same_param(old_by.get(q.name), q)}
    watch.update(old_names - new_names)
    old_layers = res.layers
    state = old_layers[first - 1].outputs if first else inf.input_state()
    old_state = state
    new_layers: list = []
    parts: list = []
    nested: list = []
    pos = first
    j = k
    stmts = net.stmts
    while j < len(stmts):
        count = len(old_ir.layers) if j == k else len(stmts[j].layers)
        state = inf.stmt(stmts[j], state, new_layers, parts, nested)
        pos += count
        if count:
            old_state = old_layers[pos - 1].outputs
        j += 1
        if _same_state(state, old_state, watch):
            break
    if j > k + 1:
        # Statements after k were re-inferred on old offsets: their diagnostics move too.
        parts[1:] = [sh.diags(p) for p in parts[1:]]
    gone = old_layers[first:pos]
    old_layers[first:pos] = new_layers
    old_parts = res.stmt_diags[k:j]
    res.stmt_diags[k:j] = parts
    res.stmt_nested[k:j] = nested
    res.total_params = _new_total(res, gone, new_layers)
    return old_parts, parts


def _new_total(res: NetworkShapes, gone: list, added: list) -> Any:
    """The parameter count with some layers' counts replaced (sums of bounds, so a range of
    counts updates too); counted again when one is unknown."""
    total = res.total_params
    parts = [ls.params for ls in gone] + [ls.params for ls in added]
    if total is None or any(x is None for x in parts):
        return total_params(res.layers)
    lo, hi = D.lo(total), D.hi(total)
    for ls in gone:
        lo, hi = lo - D.lo(ls.params), hi - D.hi(ls.params)
    for ls in added:
        lo, hi = lo + D.lo(ls.params), hi + D.hi(ls.params)
    return D.make(lo, hi)


def _same_param(old: HPOParam | None, new: HPOParam) -> bool:
    """Whether a value of the parameter means the same before and after the edit (shape
    witnesses hold values, and an option's index or a shown value must keep its meaning)."""
    if old is None:
        return False
    plain = (int, float, str, bool, type(None), tuple)
    if not all(isinstance(o, plain) for o in (*old.options, *new.options)):
        return False
    return (old.kind, old.options, old.labels, old.low, old.high, old.step, old.is_int,
            [old.source[s:e] for s, e in old.option_spans]) == (
            new.kind, new.options, new.labels, new.low, new.high, new.step, new.is_int,
            [new.source[s:e] for s, e in new.option_spans])


def _same_state(new: Any, old: Any, watch: set[str]) -> bool:
    if new is None or old is None:
        return new is old
    if list(new.items()) != list(old.items()):
        return False
    if watch:
        # Equal values of the edited statement's parameters may now mean other options.
        for w in new.values():
            while w:
                name, _v, w = w
                if name in watch:
                    return False
    return True
