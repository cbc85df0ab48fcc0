"""Re-analysis after an edit among a network's layer statements, in time that does not grow
with the file.

Typing in a network's `layers:` (a value, a name, an argument) changes one statement. Then only
that statement's lines are tokenized, parsed and checked again; shapes are re-inferred from it
until they agree with the previous analysis again. A statement being typed may have a syntax
error the parser recovers from inside its own brackets (`Dense(64, activation=)`): it is parsed
alone all the same. When the number of statements changes (a line typed or deleted), the later
statements' indices, and so their layer paths and HPO names, move: they are renumbered in place
(and the names in the shape witnesses after them renamed), unless one of them has a diagnostic
or effects beyond itself; then the lines from the edit to the end of the list are analysed
again. Anything
else (an edit outside the layer statements, a syntax error before it, one that leaves a bracket
open, macros, blocks, HPO layer choices) returns None and the caller runs `analyze()`: the
result is always the one `analyze(new_text)` gives (tests/compiler/test_incremental.py
compares them on random edits).

Offsets after the edit are not moved eagerly. Offsets live in the syntax tree only (the checked
model and the search space read them from its nodes); the network's own nodes, its sections
and the macros move at once (a few nodes), while the layer statements after the edit take the
move when they are read through their network's list (compiler.offsets.ShiftLog, StmtList).
Anything that reads nodes another way (the model, the space) must first read their statement
through the list or call `Analysis.settle()`.

The previous analysis is updated in place, in two steps: `update()` brings the diagnostics up to
date (what an editor shows first) and `Pending.finish()` moves the rest (comments, the
network's nodes). Until `finish()` has run only `text` and `diagnostics` may be read.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace
from typing import Any

from compiler import dims as D
from compiler.analysis import Analysis, position_order
from compiler.checks import Checker
from compiler.diagnostics import Diagnostic, Fix, Related
from compiler.lexer import GAP, next_token
from compiler.model import LayerIR, NetworkIR, StmtIR
from compiler.offsets import OFFSETS, ShiftLog, StmtList, shift
from compiler.parser import Parser
from compiler.shapes import LayerShape, NetworkShapes
from compiler.space import HPOParam
from compiler.syntax import (
    Branch,
    Comment,
    File,
    Network,
)

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
        shift(n, self.at, self.delta, self.rs, self.old_end, self.new_end)

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

    def __init__(self, analysis: Analysis, shift: _Shift, net_index: int, after: int,
                 comments: list[Comment], detached: list) -> None:
        self.analysis = analysis
        self.shift = shift
        self.net_index = net_index
        self.after = after  # index of the first statement after the new ones
        self.comments = comments
        self.detached = detached
        self.done = False

    def finish(self) -> Analysis:
        if self.done:
            return self.analysis
        self.done = True
        a, sh = self.analysis, self.shift
        tree: File = a.tree
        net_node = tree.networks[self.net_index]
        if sh.delta or sh.new_end != sh.old_end:
            # The syntax tree around the layer statements (which take their moves from
            # `a.shifts` when read): every network's own offsets and sections, the macros.
            for n in tree.networks:
                if n is net_node or n.end >= sh.rs:
                    _shift_network(n, sh)
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
    edit stays inside a network's layer statements; None (and `a` untouched) otherwise."""
    old = a.text
    if a.checker is None or text == old:
        return None  # no previous analysis to update, or no change
    edit = changed_range(old, text)
    found = None
    for start, old_end, new_end in (edit, _leftmost(old, text, *edit)):
        found = _region(a, start, old_end)
        if found is not None:
            delta = new_end - old_end
            break
    if found is None:
        return None  # not inside the layer statements' lines, or after a syntax error
    ni, k, count, rs, re_ = found
    # The checked networks and their shapes are one per written network, in order.
    net_node, net, shapes = a.tree.networks[ni], a.networks[ni], a.shapes[ni]
    n_stmts = len(net_node.layers)
    parsed = _parse(text, rs, re_ + delta)
    renumber = 0
    if parsed is not None and len(parsed[0]) != count and k + count < n_stmts and \
            _renumberable(net, shapes, k + count):
        # The number of statements changes: every later index, layer path and HPO name moves,
        # which `_renumber` does in place (no diagnostic of theirs can name one).
        renumber = len(parsed[0]) - count
    elif parsed is not None and len(parsed[0]) != count and k + count < n_stmts:
        # ...or, when one of them has a diagnostic or effects beyond itself, the rest of the
        # list is parsed again too.
        last_end = net_node.layers[-1].end
        re_ = max(re_, _line_end(old, last_end))
        if GAP.fullmatch(old, last_end, re_) is None:
            return None
        count = n_stmts - k
        parsed = _parse(text, rs, re_ + delta)
    if parsed is None:
        return None  # not statements without a syntax error, from a layer name on
    stmts, p = parsed
    if (p.diags or any(d.code.startswith("N1") and rs <= d.start <= re_ for d in a.file_diags)) \
            and any(d.code.startswith("N1") and d.start > re_ for d in a.file_diags):
        # The parser reports one error per position: whether an error later in the text is
        # merged with the tokenizer's there depends on the errors before it.
        return None
    if not stmts and k + count == n_stmts and (
            k == 0 or GAP.fullmatch(old, net_node.layers[k - 1].end, rs) is None):
        return None  # no layer left, or the new last one has a separator after it
    new_re = re_ + delta
    if next_token(text, new_re) in _CONTINUES:
        return None  # the next line continues the statement before it
    net_node.layers[k:k + count]  # read through the list: their pending moves are taken
    old_irs = net.stmts[k:k + count]
    if not all(_simple(x) for x in old_irs):
        return None  # a statement used a macro, a block or a layer choice
    # Check them with the macros as they were checked.
    old_checker = a.checker
    ch = Checker(text, a.tree)
    ch.macros, ch.macro_layers, ch.macro_params = (
        old_checker.macros, old_checker.macro_layers, old_checker.macro_params)
    new_irs = [ch.check_stmt(st, k + i) for i, st in enumerate(stmts)]
    if not all(_simple(x) for x in new_irs):
        return None  # a statement now uses a macro, a block or a layer choice
    # ---- from here on `a` changes
    log = a.shifts
    if log is None:  # the first edit: statements read through their lists from now on
        log = a.shifts = ShiftLog()
        for n in a.tree.networks:
            if n.layers is not None:
                n.layers = StmtList(n.layers, log)
    # The new statements are in the new text's offsets: they have taken this edit's move
    # (added to the log at the end, once nothing reads the later statements in the old ones).
    for st in stmts:
        st.epoch = log.epoch + (1 if delta else 0)
    m = len(stmts)
    # where statement k's layers start among the network's inferred layers
    first = bisect_left(shapes.layers, k, key=lambda ls: ls.stmt_index)
    inf = shapes.inference
    old_names = {q.name for x in old_irs for q in x.params}
    for name in old_names:
        inf.params.pop(name, None)
    inf.shared -= old_names
    if renumber:
        _renumber(shapes, net.stmts[k + count:], renumber,
                  first + sum(len(x.layers) for x in old_irs))
    net_node.layers[k:k + count] = stmts
    net.stmts[k:k + count] = new_irs
    old_params = [q for x in old_irs for q in x.params]
    new_params = sorted((q for x in new_irs for q in x.params), key=lambda q: q.node.start)
    _replace_params(net, old_params, new_params, k, m, rs)
    old_last = old_irs[-1].stmt.end if old_irs else -1
    new_last = stmts[-1].end if stmts else net_node.layers[k - 1].end
    sh = _Shift(re_, delta, rs, old_last, new_last)
    old_parts, new_parts = _reinfer(shapes, net, k, first, old_irs, new_irs, sh)
    # Diagnostics: the statements' own are new; those after them move (the ones before stay:
    # only lists that can hold a diagnostic after the edit are visited).
    removed = {id(d) for x in old_irs for d in x.diags}
    added = [d for x in new_irs for d in x.diags]
    # A syntax error in the old lines (a statement that parsed, recovering inside its
    # brackets): the new lines parse cleanly, so it is gone.
    fixed = [d for d in a.file_diags if d.code.startswith("N1") and rs <= d.start <= re_]
    removed.update(id(d) for d in fixed)
    # ...and the new lines' own syntax errors, if any (recovered inside the statement).
    a.file_diags = sh.diags([d for d in a.file_diags if id(d) not in removed]) + p.diags
    added += p.diags
    removed.update(id(d) for part in old_parts for d in part)
    added += [d for part in new_parts for d in part]
    if not any(st.layers for st in net.stmts[k + m:]):
        # The last layer is one of these statements' or, if they have none, an earlier one
        # (read through the list: the check reads its offsets).
        j = k + m - 1
        while j >= 0 and not net.stmts[j].layers:
            j -= 1
        if j >= 0:
            net_node.layers[j]
        removed.update(id(d) for d in net.tail_diags)
        ch.diags = []
        ch.check_output_vs_loss(net)
        net.tail_diags = ch.diags
        added += ch.diags
    else:
        net.tail_diags = sh.diags(net.tail_diags)
    # Lists that may hold diagnostics after the edit: this network's after the statements
    # re-run, and every later network's.
    later = [(net.stmts[k + m:], shapes.stmt_diags, k + len(new_parts))]
    later += [(other.stmts, res.stmt_diags, 0)
              for other, res in zip(a.networks[ni + 1:], a.shapes[ni + 1:], strict=True)]
    for other in a.networks[ni + 1:]:
        other.tail_diags = sh.diags(other.tail_diags)
    for stmts_after, parts, lo in later:
        for st in stmts_after:
            if st.diags:
                st.diags = sh.diags(st.diags)
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
    # The statements after the new ones (in this network and later ones) take the move when
    # they are read; the new ones are in the new text's offsets already.
    log.add(re_, delta)
    return Pending(a, sh, ni, k + m, p.comments, ch.detached)


def reanalyze(a: Analysis, text: str) -> Analysis | None:
    """`update()` and `finish()` in one: `a` as `analyze(text)` would give it, or None."""
    pending = update(a, text)
    return pending.finish() if pending is not None else None


# ---------------------------------------------------------------------- helpers
def _shift_network(n: Network, sh: _Shift) -> None:
    """A network's offsets and sections, not its layer statements."""
    for f in OFFSETS[Network]:
        setattr(n, f, sh.map(getattr(n, f)))
    if n.layers_key is not None:
        n.layers_key = tuple(sh.map(v) for v in n.layers_key)
    sh.node(n.sections)
    sh.node(n.inputs)
    for f in ("loss", "optimizer", "metrics", "train", "execute", "unknown"):
        sh.node(getattr(n, f))


def _leftmost(old: str, new: str, start: int, old_end: int, new_end: int,
              limit: int = 256) -> tuple[int, int, int]:
    """An insertion or a deletion moved as far left as it can go and give the same text: a
    line typed after `Output(2)` is found inserted in the middle of the next line's
    indentation, which drags that line (`loss: ...`) into the edit; moved left, it is not."""
    if old_end == start:  # insertion: new[start:new_end]
        while limit and start > 0 and new[new_end - 1] == old[start - 1]:
            start, old_end, new_end, limit = start - 1, old_end - 1, new_end - 1, limit - 1
    elif new_end == start:  # deletion: old[start:old_end]
        while limit and start > 0 and old[old_end - 1] == old[start - 1]:
            start, old_end, new_end, limit = start - 1, old_end - 1, new_end - 1, limit - 1
    return start, old_end, new_end


def _line_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def _line_end(text: str, i: int) -> int:
    j = text.find("\n", i)
    return len(text) if j < 0 else j


def _region(a: Analysis, start: int, old_end: int) -> tuple[int, int, int, int, int] | None:
    """(network index, first statement, statement count, start, end): the whole lines around
    the edit, holding `count` layer statements from index `first` and only blanks and comments
    besides; None if the edit reaches anything else."""
    old = a.text
    for ni, n in enumerate(a.tree.networks):
        if not (n.start <= start and old_end <= n.end) or not n.layers:
            continue
        stmts = n.layers
        rs, re_ = _line_start(old, start), _line_end(old, old_end)
        while True:  # grow to the whole lines of every statement it touches
            k = bisect_left(stmts, rs, key=lambda s: s.end)
            last = bisect_left(stmts, re_, key=lambda s: s.start) - 1
            grown_s = min(rs, _line_start(old, stmts[k].start)) if k <= last else rs
            grown_e = max(re_, _line_end(old, stmts[last].end)) if k <= last else re_
            if (grown_s, grown_e) == (rs, re_):
                break
            rs, re_ = grown_s, grown_e
        if k > last:  # only blank lines: take the statement before along (its end may move)
            if k == 0:
                return None
            k = last = k - 1
            rs = _line_start(old, stmts[k].start)
        pos = rs  # blanks and comments around the statements, nothing else (no section key)
        for s in stmts[k:last + 1]:
            if GAP.fullmatch(old, pos, s.start) is None:
                return None
            pos = s.end
        if GAP.fullmatch(old, pos, re_) is None:
            return None
        if any(d.code.startswith("N1") and d.start < rs for d in a.file_diags):
            return None  # recovery from a syntax error before it may read it differently
        return ni, k, last - k + 1, rs, re_
    return None


# Syntax errors a statement may have and still be parsed alone: the parser recovered from
# them on tokens of the statement (an argument without a value, `Dense(64, activation=)`,
# as it is while typed). One that reached the end of the lines (N105: a bracket left open)
# would read the next lines in the whole text; an error of the tokenizer may be merged with
# the parser's at one position differently in the whole text.
_RECOVERED = frozenset({"N102", "N103"})


def _parse(text: str, rs: int, re_: int):
    """The layer statements of text[rs:re_] and their parser, or None unless they parse from
    a layer name on (cleanly, or recovering inside their brackets), and end with the last
    statement (no separator after it)."""
    p = Parser(text, rs, re_)
    if p.kinds[0] == "eof":
        return [], p
    if p.kinds[0] != "name":
        return None
    p.stmt_col = 0
    stmts = p.parse_layer_list(in_block=False)
    if not stmts or p.kinds[p.i] != "eof" or p.ends[p.i - 1] != stmts[-1].end:
        return None
    if any(d.code not in _RECOVERED or not (stmts[0].start <= d.start < stmts[-1].end)
           for d in p.diags):
        return None
    return stmts, p


def _renumberable(net: NetworkIR, res: NetworkShapes, j: int) -> bool:
    """Whether statements j.. can take new indices in place: no diagnostic of theirs (nor the
    last layer's against the loss) whose text names a path, nothing expanded from them
    (macros, blocks, layer choices) beyond their own layers."""
    if net.tail_diags:
        return False
    sd, nested = res.stmt_diags, res.stmt_nested
    for i in range(j, len(net.stmts)):
        x = net.stmts[i]
        if x.diags or (i < len(sd) and sd[i]) or (i < len(nested) and nested[i]) or not _simple(x):
            return False
    return True


def _renumber(res: NetworkShapes, later: list[StmtIR], d: int, pos: int) -> None:
    """Statements `later` move d places in the list: their indices, their layers' paths and
    their HPO parameters' names (`layers[i]...`) follow, and so do those names in the
    witnesses of the inferred layers from theirs on (`pos`: where their layers start)."""
    inf = res.inference
    ren: dict[str, str] = {}
    seen: set[int] = set()
    renamed_from = None
    at = pos
    for x in later:
        old_p = f"layers[{x.index}]"
        x.index += d
        new_p = f"layers[{x.index}]"
        for layer in x.layers:
            _rename_layer(layer, old_p, new_p, seen)
        if x.params and renamed_from is None:
            renamed_from = at
        for q in x.params:
            name = new_p + q.name[len(old_p):]
            ren[q.name] = name
            q.name = name
        at += len(x.layers)
    inf.stash = None  # its statements' indices and names are the old ones
    layers = res.layers
    for i in range(pos, len(layers)):
        layers[i].stmt_index += d
    if not ren:
        return
    memo: dict[int, Any] = {}

    def state(st: dict | None) -> dict | None:
        if not st:
            return st
        got = memo.get(id(st))
        if got is None:
            got = memo[id(st)] = {s: _rename_witness(w, ren, memo) for s, w in st.items()}
        return got

    for i in range(renamed_from, len(layers)):
        ls = layers[i]
        ls.inputs = state(ls.inputs)
        ls.outputs = state(ls.outputs)
    inf.params = {ren.get(n, n): q for n, q in inf.params.items()}
    inf.shared = {ren.get(n, n) for n in inf.shared}


def _rename_layer(layer: Any, old_p: str, new_p: str, seen: set[int]) -> None:
    """A layer's path (and those of layers given as its arguments, `TimeDistributed(...)`)."""
    if id(layer) in seen:
        return
    seen.add(id(layer))
    if layer.path.startswith(old_p):
        layer.path = new_p + layer.path[len(old_p):]
    for v in layer.params.values():
        if type(v) not in _PLAIN:  # (most arguments are numbers and strings)
            _rename_in(v, old_p, new_p, seen)


_PLAIN = frozenset({int, float, str, bool, type(None)})


def _rename_in(v: Any, old_p: str, new_p: str, seen: set[int]) -> None:
    if isinstance(v, LayerIR):
        _rename_layer(v, old_p, new_p, seen)
    elif isinstance(v, (list, tuple)):
        for x in v:
            _rename_in(x, old_p, new_p, seen)
    elif isinstance(v, dict):
        for x in v.values():
            _rename_in(x, old_p, new_p, seen)


def _rename_witness(w: Any, ren: dict[str, str], memo: dict[int, Any]) -> Any:
    """A witness (name, value, rest) with names renamed; one new object per old one, so
    witnesses that extended one another still do. (Iterative: a witness holds every HPO
    parameter before it, thousands in a long network.)"""
    cells = []
    while w and id(w) not in memo:
        cells.append(w)
        w = w[2]
    got = memo[id(w)] if w else w
    for cell in reversed(cells):
        name, v, rest = cell
        new = cell if name not in ren and got is rest else (ren.get(name, name), v, got)
        memo[id(cell)] = new
        got = new
    return got


def _simple(s: StmtIR) -> bool:
    """A statement whose effects stay inside it: no macro, block, branch or layer choice."""
    if isinstance(s.stmt.expr, Branch):
        return False
    return not any(x.macro or x.children is not None or x.choice is not None for x in s.layers)


def _replace_params(net: NetworkIR, old: list[HPOParam], new: list[HPOParam], k: int,
                    m: int, rs: int) -> None:
    """The search space (in order of position) with the parameters of the statements replaced
    by statements k..k+m."""
    space = net.space
    if space is None or (not old and not new):
        return
    ps = space.params
    gone = {id(q) for q in old}
    if old:
        at = next(i for i, q in enumerate(ps) if id(q) in gone)
    else:
        # Placed by position: the statements' parameters around it are read through the
        # list first, to take their pending moves (sections' move at once).
        layers = net.node.layers
        for j in range(k):
            if net.stmts[j].params:
                layers[j]
        j = k + m
        while j < len(net.stmts) and not net.stmts[j].params:
            j += 1
        if j < len(net.stmts):
            layers[j]
        at = next((i for i, q in enumerate(ps) if q.node.start >= rs), len(ps))
    ps[:] = [*ps[:at], *new, *(q for q in ps[at:] if id(q) not in gone)]


def _reinfer(res: NetworkShapes, net: NetworkIR, k: int, first: int, old_irs: list[StmtIR],
             new_irs: list[StmtIR], sh: _Shift) -> tuple[list, list]:
    """Re-run shape inference from statement k: the new statements, then the ones after them
    until the state is the old one again. Returns the shape diagnostics of the statements it
    re-ran, as they were and as they are."""
    inf = res.inference
    old_params = [q for x in old_irs for q in x.params]
    new_params = [q for x in new_irs for q in x.params]
    old_names = {q.name for q in old_params}  # removed from inf.params and shared already
    new_names = {q.name for q in new_params}
    inf.params.update((q.name, q) for q in new_params)
    for x in new_irs:  # a parameter used by several layers of one statement (`* N`) is shared
        seen: set[str] = set()
        for layer in x.layers:
            for _pname, ref in inf._shape_refs(layer) if layer.spec else []:
                name = ref.param.name
                (inf.shared if name in seen else seen).add(name)
    if inf.has_blocks:
        inf.shared.update(new_names)
    inf.static = {}
    inf.reported = set()
    inf.diags = []
    old_by = {q.name: q for q in old_params}
    watch = {q.name for q in new_params if not _same_param(old_by.get(q.name), q)}
    watch.update(old_names - new_names)
    old_layers = res.layers
    state = old_layers[first - 1].outputs if first else inf.input_state()
    new_layers: list = []
    parts: list = []
    nested: list = []
    for x in new_irs:
        state = inf.stmt(x, state, new_layers, parts, nested)
    pos = first + sum(len(x.layers) for x in old_irs)
    old_state = old_layers[pos - 1].outputs if pos > first else (
        old_layers[first - 1].outputs if first else inf.input_state())
    j = k + len(new_irs)
    stmts = net.stmts
    tail_from, tail_state = pos, old_state  # (what a stash of the old inference starts from)
    stash: _Stash | None = getattr(inf, "stash", None)
    if not _same_state(state, old_state, watch):
        while j < len(stmts):
            if stash is not None and state is not None and stash.fits(inf, stmts, j, state, watch):
                # The statements from here on were inferred from this very state before the
                # shapes became unknown (a layer being typed): taken back as they were.
                i = j - stash.start
                new_layers.extend(stash.flat[stash.starts[i]:])
                parts.extend([] for _ in range(len(stmts) - j))
                nested.extend({} for _ in range(len(stmts) - j))
                # The stash stays (its layers are checked again when it is used) and keeps
                # the unknown layers they replace, for when the line is invalid again.
                stash.unknown, stash.unknown_at = _unknown_tail(old_layers[pos:]), i
                pos, j = len(old_layers), len(stmts)
                break
            if state is None:
                if stash is not None and stash.unknown is not None and stash.reusable(
                        stmts, j, old_layers, pos):
                    # These statements' unknown layers as they were before the stash was
                    # taken back (no object made again: thousands); those before them anew.
                    _unknown_from(stmts, j, pos, old_state, old_layers, new_layers, parts,
                                  nested, stash.start + stash.unknown_at)
                    j = stash.start + stash.unknown_at
                    new_layers.extend(stash.unknown)
                    parts.extend([] for _ in range(len(stmts) - j))
                    nested.extend({} for _ in range(len(stmts) - j))
                    stash.unknown = None
                    pos, j = len(old_layers), len(stmts)
                else:
                    j, pos = _unknown_from(stmts, j, pos, old_state, old_layers, new_layers,
                                           parts, nested)
                break
            x = stmts[j]
            count = len(x.layers)
            net.node.layers[j]  # read through the list: its pending moves are taken
            state = inf.stmt(x, state, new_layers, parts, nested)
            pos += count
            if count:
                old_state = old_layers[pos - 1].outputs
            j += 1
            if _same_state(state, old_state, watch):
                break
    if state is None and j == len(stmts) and pos > tail_from and tail_state is not None:
        # Every later shape became unknown: the old inference of the statements after the
        # new ones is kept, for when the statement typed is valid again.
        _Stash.keep(inf, res, stmts, k + len(new_irs), tail_from, pos, tail_state)
    kept = len(new_irs)
    if len(parts) > kept:
        # Statements after them were re-inferred on old offsets: their diagnostics move too.
        parts[kept:] = [sh.diags(p) for p in parts[kept:]]
    gone = old_layers[first:pos]
    old_layers[first:pos] = new_layers
    end_old = k + len(old_irs) + (len(parts) - kept)
    old_parts = res.stmt_diags[k:end_old]
    res.stmt_diags[k:end_old] = parts
    res.stmt_nested[k:end_old] = nested
    res.total_params = _new_total(res, gone, new_layers)
    return old_parts, parts


def _unknown_from(stmts: list[StmtIR], j: int, pos: int, old_state: Any, old_layers: list,
                  new_layers: list, parts: list, nested: list,
                  stop: int | None = None) -> tuple[int, int]:
    """Statements j.. after an unknown input: every layer's shapes and count are unknown, no
    diagnostic (what `inf.stmt` gives, without reading the statement), until one whose old
    output was unknown too. Returns (the statement after the last one, the old layers' index
    after it), stopping before statement `stop` if given. One tight loop: a layer half typed
    makes thousands of them unknown."""
    n = len(stmts) if stop is None else stop
    add_layer, add_part, add_nested = new_layers.append, parts.append, nested.append
    while j < n:
        x = stmts[j]
        idx = x.index
        for layer in x.layers:
            add_layer(LayerShape(layer, None, None, None, idx))
        add_part([])
        add_nested({})
        j += 1
        if x.layers:
            pos += len(x.layers)
            old_state = old_layers[pos - 1].outputs
        if old_state is None:
            break
    return j, pos


class _Stash:
    """The inferred layers of statements start.. as they were before every shape after an
    edited statement became unknown (a layer half typed, an argument without its value). A
    layer's inference depends on its statement, its input state and the network's HPO
    parameters only: when those are as they were, the stashed layers are the answer."""

    # flat: the layers of stmts in order; starts: where each statement's are in it;
    # unknown: the unknown layers of the statements from the unknown_at-th one (those the
    # stashed ones replaced when they were taken back from there), or None.
    __slots__ = ("start", "stmts", "flat", "starts", "inputs", "params", "shared", "unknown",
                 "unknown_at")

    @staticmethod
    def keep(inf: Any, res: NetworkShapes, stmts: list[StmtIR], start: int, lo: int, hi: int,
             state: Any) -> None:
        old = res.layers
        parts = res.stmt_diags[start:len(stmts)]
        nested = res.stmt_nested[start:len(stmts)]
        if any(parts) or any(nested):
            return  # diagnostics hold offsets and paths: not kept
        cur: _Stash | None = getattr(inf, "stash", None)
        tail = stmts[start:]
        if cur is not None and cur.start == start and cur.stmts == tail and \
                cur.flat == old[lo:hi] and _same_state(state, cur.inputs[0], set()):
            # The same layers as the stash taken back before (list == compares these by
            # identity): kept as it is, with the parameters as they are now.
            cur.params, cur.shared = dict(inf.params), set(inf.shared)
            return
        st = _Stash()
        st.start, st.stmts = start, tail
        st.flat, st.starts, st.inputs, st.unknown, st.unknown_at = old[lo:hi], [], [], None, 0
        pos = lo
        for x in st.stmts:
            st.inputs.append(state)
            st.starts.append(pos - lo)
            n = len(x.layers)
            if n:
                state = old[pos + n - 1].outputs
            pos += n
        if pos != hi:
            return
        st.params, st.shared = dict(inf.params), set(inf.shared)
        inf.stash = st

    def reusable(self, stmts: list[StmtIR], j: int, old_layers: list, pos: int) -> bool:
        """Whether `unknown` is what making its statements unknown gives, in a run from
        statement j on: the same statements (an unknown layer is its layer and statement index
        only), each known before (each is made unknown, to the end)."""
        at = self.start + self.unknown_at
        return j <= at and stmts[at:] == self.stmts[self.unknown_at:] and \
            all(ls.outputs is not None for ls in old_layers[pos:])

    def fits(self, inf: Any, stmts: list[StmtIR], j: int, state: Any, watch: set[str]) -> bool:
        i = j - self.start
        if not 0 <= i < len(self.stmts) or len(stmts) - j != len(self.stmts) - i:
            return False
        if not _same_state(state, self.inputs[i], watch):
            return False
        if stmts[j:] != self.stmts[i:]:  # (StmtIR compares by identity)
            return False
        # (HPOParam compares by identity: one comparison in C of thousands of entries)
        return self.shared == inf.shared and inf.params == self.params


def _unknown_tail(layers: list) -> list | None:
    """The layers if every one is unknown (as `_unknown_from` makes them), else None."""
    if all(ls.outputs is None and ls.inputs is None and ls.params is None for ls in layers):
        return layers
    return None


def _new_total(res: NetworkShapes, gone: list, added: list) -> Any:
    """The parameter count with some layers' counts replaced. A running sum of the known
    counts' bounds and the number of unknown ones is kept on the inference and moved by the
    layers replaced: a count that was unknown (a layer being typed makes every later one
    unknown) is not summed again over the whole network once it is known again."""
    inf = res.inference
    run = getattr(inf, "param_sum", None)
    if run is None:  # the first edit: summed once (res.layers holds `added` already)
        run = _sum_params(res.layers)
    else:
        glo, ghi, gn = _sum_params(gone)
        alo, ahi, an = _sum_params(added)
        run = (run[0] - glo + alo, run[1] - ghi + ahi, run[2] - gn + an)
    inf.param_sum = run
    return None if run[2] else D.make(run[0], run[1])


def _sum_params(layers: list) -> tuple[int, int, int]:
    """(sum of low bounds, sum of high bounds, number unknown) of the layers' counts; as
    `shapes.total_params` sums them, in a plain loop (tens of thousands of layers)."""
    lo = hi = unknown = 0
    span = D.Span
    for ls in layers:
        p = ls.params
        if p is None:
            unknown += 1
        elif type(p) is span:
            lo += p.lo
            hi += p.hi
        else:
            lo += p
            hi += p
    return lo, hi, unknown


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


def _same_witness(a: Any, b: Any) -> bool:
    """`a == b` for witnesses, iteratively (they may hold thousands of names) and stopping
    where they share their rest."""
    while a is not b:
        if not a or not b or a[0] != b[0] or a[1] != b[1]:
            return False
        a, b = a[2], b[2]
    return True


def _same_state(new: Any, old: Any, watch: set[str]) -> bool:
    if new is None or old is None:
        return new is old
    if len(new) != len(old):
        return False
    for (shape, w), (old_shape, old_w) in zip(new.items(), old.items(), strict=True):
        if shape != old_shape or not _same_witness(w, old_w):
            return False
    if watch:
        # Equal values of the edited statement's parameters may now mean other options.
        for w in new.values():
            while w:
                name, _v, w = w
                if name in watch:
                    return False
    return True
