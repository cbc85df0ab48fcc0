"""Recursive-descent parser with error recovery.

Hand-written rather than lark: lark's LALR parser took ~200 ms for a 1,000-layer
program here, four times the whole analysis budget (see README, "Parser"). The grammar
it implements is written down in `grammar.lark`, and tests check both accept the same
programs.

Recovery works at three levels: a broken argument list stops at the next line that
starts a new layer or section; a broken layer statement skips to the next line; a broken
section skips to the next section keyword or closing brace. Every error is recorded and
parsing goes on, so the intact parts of a file keep their checks and shapes while the
user types.
"""

from __future__ import annotations

from compiler import diagnostics as dg
from compiler.diagnostics import Diagnostic
from compiler.lexer import tokenize, unescape
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
    Value,
)

# Section keywords of a network body, with their canonical names.
SECTION_KEYS = {
    "input": "input",
    "layers": "layers",
    "loss": "loss",
    "optimizer": "optimizer",
    "metrics": "metrics",
    "train": "train",
    "training": "train",
    "execute": "execute",
    "execution": "execute",
    "batch_size": "batch_size",
    "epochs": "epochs",
}
_CONSTS = {"true": True, "false": False, "none": None, "null": None}
# How deeply values ((, [, {, calls, HPO) and layer blocks may nest. Every later stage walks
# the tree recursively, so this bounds them all far below Python's recursion limit; a
# construct nested deeper is one N106 where it starts, and the rest of the file still parses.
MAX_NESTING = 64
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


class _Abort(Exception):
    """Raised to unwind out of a construct after its error was recorded."""


class Parser:
    def __init__(self, text: str, start: int = 0, stop: int | None = None) -> None:
        self.text = text
        t = tokenize(text, start, stop)
        self.kinds = t.kinds
        self.texts = t.texts
        self.starts = t.starts
        self.ends = t.ends
        self.bol = t.bol
        self.cols = t.cols
        self.comments = [Comment(*c) for c in t.comments]
        self.diags: list[Diagnostic] = list(t.diagnostics)
        self.i = 0
        self.stmt_col = 0  # column of the layer statement being parsed (for recovery)
        self.depth = 0  # values and blocks open around the parser (see MAX_NESTING)
        self.quiet_at = -1  # closers missing at this token are covered by an N106

    # ----------------------------------------------------------------- helpers
    def _error(self, code: str, message: str, start: int, end: int, **kw) -> None:
        # One error per position is enough: recovery can revisit a token.
        if self.diags and self.diags[-1].start == start and self.diags[-1].code[:2] == "N1":
            return
        self.diags.append(dg.make(code, message, start, end, **kw))

    def _unexpected(self, expected: str) -> None:
        i = self.i
        if self.kinds[i] == "eof":
            end = len(self.text)
            start = self.starts[i - 1] if i else 0
            self._error("N105", f"unexpected end of input: expected {expected}", start, end)
        else:
            self._error(
                "N102",
                f"unexpected {self._describe(i)}: expected {expected}",
                self.starts[i],
                self.ends[i],
            )

    def _describe(self, i: int) -> str:
        k = self.kinds[i]
        if k == "eof":
            return "end of input"
        if k in ("name", "num", "str"):
            return f"{ {'name': 'name', 'num': 'number', 'str': 'string'}[k]} {self.texts[i]!r}"
        return f"'{self.texts[i]}'"

    def _name_is(self, i: int, word: str) -> bool:
        return self.kinds[i] == "name" and self.texts[i].lower() == word

    def _is_section_start(self, i: int) -> bool:
        if self.kinds[i] != "name" or self.texts[i].lower() not in SECTION_KEYS:
            return False
        nxt = self.kinds[i + 1]
        return nxt == ":" or (nxt == "{" and self.texts[i].lower() in ("train", "training", "execute", "execution"))

    def _is_stmt_start(self, i: int) -> bool:
        """A token that begins a new line and looks like the start of a new statement."""
        if not self.bol[i]:
            return False
        k = self.kinds[i]
        if k == "eof" or k == "}":
            return True
        if k != "name" or self.cols[i] > self.stmt_col:
            return False
        return self.kinds[i + 1] in ("(", "{") or self._is_section_start(i)

    def _skip_balanced(self) -> None:
        """Skip one token; if it opens a bracket, skip to its match (or EOF)."""
        depth = 0
        while True:
            k = self.kinds[self.i]
            if k == "eof":
                return
            if k in _CLOSERS:
                depth += 1
            elif k in (")", "]", "}"):
                depth -= 1
            self.i += 1
            if depth <= 0:
                return

    def _sync_line(self) -> None:
        """Skip to the next statement start (a new line) without leaving the enclosing block."""
        depth = 0
        while True:
            k = self.kinds[self.i]
            if k == "eof":
                return
            if depth == 0 and self.bol[self.i] and k != ")":
                if k == "}" or k == "name":
                    return
            if k in _CLOSERS:
                depth += 1
            elif k in (")", "]", "}"):
                if depth == 0:
                    if k == "}":
                        return
                else:
                    depth -= 1
            self.i += 1

    def _expect(self, kind: str, what: str) -> bool:
        if self.kinds[self.i] == kind:
            self.i += 1
            return True
        self._unexpected(what)
        return False

    # ----------------------------------------------------------------- file
    def parse_file(self) -> File:
        defines: list[Define] = []
        networks: list[Network] = []
        while self.kinds[self.i] != "eof":
            i = self.i
            if self._name_is(i, "network"):
                networks.append(self.parse_network())
            elif self._name_is(i, "define"):
                defines.append(self.parse_define())
            elif self._name_is(i, "research"):
                self._skip_research()
            elif self.kinds[i] == ";":
                self.i += 1
            else:
                self._unexpected("'network' or 'define'")
                self._skip_to_top_level()
        return File(defines, networks, self.comments, len(self.text))

    def _skip_to_top_level(self) -> None:
        depth = 0
        self.i += 1
        while self.kinds[self.i] != "eof":
            k = self.kinds[self.i]
            if depth == 0 and (self._name_is(self.i, "network") or self._name_is(self.i, "define")):
                return
            if k in _CLOSERS:
                depth += 1
            elif k in (")", "]", "}"):
                depth = max(0, depth - 1)
            self.i += 1

    def _skip_research(self) -> None:
        start = self.starts[self.i]
        self.i += 1
        if self.kinds[self.i] == "name":
            self.i += 1
        end = self.ends[self.i - 1]
        if self.kinds[self.i] == "{":
            self._skip_balanced()
            end = self.ends[self.i - 1]
        self.diags.append(
            dg.make("N213", "'research' blocks are not part of the Neural language", start, end)
        )

    def _name_after_keyword(self, expected: str) -> tuple[str, int, int]:
        """Skip the keyword, then take the name after it ("" if missing, reported)."""
        self.i += 1
        if self.kinds[self.i] == "name":
            self.i += 1
            return self.texts[self.i - 1], self.starts[self.i - 1], self.ends[self.i - 1]
        self._unexpected(expected)
        at = self.ends[self.i - 1]
        return "", at, at

    # ----------------------------------------------------------------- define
    def parse_define(self) -> Define:
        start = self.starts[self.i]
        name, ns, ne = self._name_after_keyword("a macro name after 'define'")
        has_params = False
        if self.kinds[self.i] == "(":
            has_params = True
            self._skip_balanced()
        body: list[LayerStmt] = []
        if self._expect("{", f"'{{' to open the body of macro '{name}'"):
            open_at = self.i - 1
            self.stmt_col = 1 << 30
            body = self.parse_layer_list(in_block=True)
            self._close("}", open_at, f"macro '{name}'")
        return Define(name, ns, ne, body, start, self.ends[self.i - 1], has_params)

    def _close(self, closer: str, open_at: int, what: str) -> None:
        if self.kinds[self.i] == closer:
            self.i += 1
            return
        if self.i == self.quiet_at:
            return
        opener = self.texts[open_at]
        if self.kinds[self.i] == "eof":
            at = self.starts[open_at]
            line = self.text.count("\n", 0, at) + 1
            col = at - (self.text.rfind("\n", 0, at) + 1) + 1
            self._error(
                "N105",
                f"unexpected end of input: missing '{closer}' to close {what} "
                f"('{opener}' at {line}:{col})",
                self.starts[open_at],
                self.ends[open_at],
                related=(dg.Related("end of input", len(self.text), len(self.text)),),
            )
        else:
            self._error(
                "N103",
                f"missing '{closer}' to close {what}",
                self.starts[open_at],
                self.ends[open_at],
                related=(dg.Related(f"expected '{closer}' here", self.starts[self.i], self.ends[self.i]),),
            )

    # ----------------------------------------------------------------- network
    def parse_network(self) -> Network:
        start = self.starts[self.i]
        name, ns, ne = self._name_after_keyword("a network name")
        net = Network(name, ns, ne, start, ne)
        if not self._expect("{", f"'{{' to open network '{name}'"):
            self._skip_to_top_level_keep()
            net.end = self.ends[self.i - 1]
            return net
        open_at = self.i - 1
        while True:
            k = self.kinds[self.i]
            if k == "}" or k == "eof":
                break
            if k in (";", ","):
                self.i += 1
                continue
            if k == "name" and (self._name_is(self.i, "network") or self._name_is(self.i, "define")) \
                    and self.kinds[self.i + 1] == "name":
                break  # the closing brace is missing; the next top-level item starts here
            self.stmt_col = self.cols[self.i]
            try:
                self.parse_section(net)
            except _Abort:
                self._sync_section()
        self._close("}", open_at, f"network '{name}'")
        net.end = self.ends[self.i - 1]
        return net

    def _skip_to_top_level_keep(self) -> None:
        while self.kinds[self.i] != "eof" and not (
            self._name_is(self.i, "network") or self._name_is(self.i, "define")
        ):
            self._skip_balanced()

    def _sync_section(self) -> None:
        while True:
            k = self.kinds[self.i]
            if k in ("eof", "}"):
                return
            if self._is_section_start(self.i):
                return
            self._skip_balanced()

    def parse_section(self, net: Network) -> None:
        i = self.i
        if self.kinds[i] != "name":
            self._unexpected("a section such as 'input:', 'layers:', 'loss:' or 'train { }'")
            raise _Abort
        word = self.texts[i]
        key = SECTION_KEYS.get(word.lower())
        ks, ke = self.starts[i], self.ends[i]
        self.i += 1
        if key in ("train", "execute") and self.kinds[self.i] in ("{", ":"):
            if self.kinds[self.i] == ":":
                self.i += 1
            open_at = self.i
            if not self._expect("{", f"'{{' after '{word}'"):
                raise _Abort
            entries = self.parse_entries()
            self._close("}", open_at, f"'{word}' block")
            net.sections.append(Section(key, ks, ke, ks, self.ends[self.i - 1]))
            (net.train if key == "train" else net.execute).extend(entries)
            return
        if self.kinds[self.i] != ":":
            self._unexpected(f"':' after '{word}'")
            raise _Abort
        self.i += 1
        if key == "layers":
            self.stmt_col = self.cols[i]
            layers = self.parse_layer_list(in_block=False)
            net.sections.append(Section("layers", ks, ke, ks, self.ends[self.i - 1]))
            if net.layers is None:
                net.layers = layers
                net.layers_key = (ks, ke)
            return
        value = self.parse_value()
        if value is None:
            raise _Abort
        if key == "input":
            values = [value]
            while self.kinds[self.i] == "," and not self._is_section_start(self.i + 1) \
                    and self.kinds[self.i + 1] not in ("}", "eof"):
                self.i += 1
                v = self.parse_value()
                if v is None:
                    raise _Abort
                values.append(v)
            net.sections.append(Section("input", ks, ke, ks, values[-1].end))
            if not net.inputs:
                net.inputs = values
            return
        entry = Entry(word, ks, ke, value, ks, value.end)
        if key in ("batch_size", "epochs"):
            net.sections.append(Section(key, ks, ke, ks, value.end))
            net.train.append(entry)
        elif key is None:
            net.unknown.append(entry)
        else:
            net.sections.append(Section(key, ks, ke, ks, value.end))
            if getattr(net, key) is None:
                setattr(net, key, value)

    def parse_entries(self) -> list[Entry]:
        entries: list[Entry] = []
        while True:
            k = self.kinds[self.i]
            if k in ("}", "eof"):
                return entries
            if k in (",", ";"):
                self.i += 1
                continue
            if k not in ("name", "str"):
                self._unexpected("a 'key: value' entry")
                self._skip_balanced()
                continue
            ks, ke = self.starts[self.i], self.ends[self.i]
            key = self.texts[self.i] if k == "name" else unescape(self.texts[self.i][1:-1])
            self.i += 1
            if self.kinds[self.i] not in (":", "="):
                self._unexpected(f"':' after '{key}'")
                continue
            self.i += 1
            value = self.parse_value()
            if value is None:
                self._sync_entry()
                continue
            entries.append(Entry(key, ks, ke, value, ks, value.end))

    def _sync_entry(self) -> None:
        while self.kinds[self.i] not in ("}", "eof") and not (
            self.bol[self.i] and self.kinds[self.i] == "name"
        ):
            self._skip_balanced()

    # ----------------------------------------------------------------- layers
    def _too_deep(self, start: int, end: int, in_block: bool) -> None:
        """Report a construct nested past MAX_NESTING and skip it (iteratively) to its closer;
        an unclosed run stops at the next statement so the lines after it still parse."""
        depth = 1 if in_block else 0  # a block's '{' is already read; a value's opener is not
        closed = False
        while True:
            k = self.kinds[self.i]
            if k == "eof" or (not in_block and depth > 0 and self._is_stmt_start(self.i)):
                break
            if in_block and depth == 1 and k == "}":
                closed = True  # the block's own '}' is left for its _close
                break
            if k in _CLOSERS:
                depth += 1
            elif k in (")", "]", "}"):
                depth -= 1
            self.i += 1
            if depth == 0:
                closed = True
                break
        what = "layer blocks" if in_block else "values"
        self._error("N106", f"{what} nest more than {MAX_NESTING} levels deep here; the rest of "
                    "this construct is not read" + ("" if closed else " (and its brackets are not "
                                                                     "closed)"), start, end)
        if not closed:
            self.quiet_at = self.i

    def parse_layer_list(self, in_block: bool) -> list[LayerStmt]:
        if in_block and self.depth >= MAX_NESTING:
            at = self.i - 1  # the '{'
            self._too_deep(self.starts[at], self.ends[at], in_block=True)
            return []
        self.depth += in_block
        try:
            return self._layer_list(in_block)
        finally:
            self.depth -= in_block

    def _layer_list(self, in_block: bool) -> list[LayerStmt]:
        stmts: list[LayerStmt] = []
        outer_col = self.stmt_col
        while True:
            i = self.i
            k = self.kinds[i]
            if k in ("}", "eof"):
                return stmts
            if k in (";", ","):
                self.i += 1
                continue
            if k == "name":
                if self._is_section_start(i) and not (self.kinds[i + 1] == ":" and self.kinds[i + 2] == "{"):
                    return stmts
                if not in_block and self.bol[i] and (
                    self._name_is(i, "network") or self._name_is(i, "define")
                ) and self.kinds[i + 1] == "name":
                    return stmts
                if self.kinds[i + 1] == ":" and self.kinds[i + 2] != "{":
                    return stmts  # `key: value` after the layers: an unknown section
                self.stmt_col = self.cols[i] if self.bol[i] else min(outer_col, self.cols[i])
                try:
                    stmts.append(self.parse_layer_stmt())
                except _Abort:
                    self._sync_line()
                finally:
                    self.stmt_col = outer_col
                continue
            self._unexpected("a layer such as Dense(64)")
            self.i += 1
            self._sync_line()

    def parse_layer_stmt(self) -> LayerStmt:
        i = self.i
        start = self.starts[i]
        if self.kinds[i + 1] == ":" and self.kinds[i + 2] == "{":
            name, ns, ne = self.texts[i], self.starts[i], self.ends[i]
            self.i += 2
            open_at = self.i
            self.i += 1
            block = self.parse_layer_list(in_block=True)
            self._close("}", open_at, f"branch '{name}'")
            expr: Call | HPO | Branch = Branch(name, ns, ne, block, start, self.ends[self.i - 1])
        elif self.texts[i].lower() == "hpo" and self.kinds[i + 1] == "(":
            expr = self.parse_hpo()
        else:
            expr = self.parse_call(layer=True)
        repeat: Num | None = None
        device: Str | None = None
        while True:
            k = self.kinds[self.i]
            if k == "*":
                self.i += 1
                if self.kinds[self.i] == "num":
                    repeat = self._num(self.i, negative=False)
                    self.i += 1
                elif self.kinds[self.i] == "-" and self.kinds[self.i + 1] == "num":
                    repeat = self._num(self.i + 1, negative=True, start=self.starts[self.i])
                    self.i += 2
                else:
                    self._unexpected("a repetition count after '*'")
                    raise _Abort
            elif k == "@":
                self.i += 1
                if self.kinds[self.i] == "str":
                    device = self._str(self.i)
                    self.i += 1
                elif self.kinds[self.i] == "name":
                    # `@ cpu` without quotes: accept, the device check still applies.
                    device = Str(self.texts[self.i], self.starts[self.i], self.ends[self.i])
                    self.i += 1
                else:
                    self._unexpected('a device string after \'@\', e.g. @ "cuda:0"')
                    raise _Abort
            else:
                break
        end = self.ends[self.i - 1]
        if self.kinds[self.i] not in ("}", "eof", ";", ",") and not self.bol[self.i]:
            # Two layers on one line are fine (`Dense(10) Dropout(0.5)`) but junk is not.
            if not (self.kinds[self.i] == "name"):
                self._unexpected("a new layer or the end of the line")
                raise _Abort
        return LayerStmt(expr, repeat, device, start, end)

    # ----------------------------------------------------------------- values
    def parse_call(self, layer: bool = False) -> Call:
        i = self.i
        name, ns, ne = self.texts[i], self.starts[i], self.ends[i]
        self.i += 1
        args: list[Arg] | None = None
        a_start = a_end = -1
        if self.kinds[self.i] == "(":
            a_start = self.starts[self.i]
            args = self.parse_args(name)
            a_end = self.ends[self.i - 1]
        block: list[LayerStmt] | None = None
        if self.kinds[self.i] == "{" and (args is not None or layer):
            open_at = self.i
            self.i += 1
            saved = self.stmt_col
            self.stmt_col = 1 << 30
            block = self.parse_layer_list(in_block=True)
            self.stmt_col = saved
            self._close("}", open_at, f"the block of '{name}'")
        return Call(name, ns, ne, args, block, ns, self.ends[self.i - 1], a_start, a_end)

    def parse_args(self, owner: str) -> list[Arg]:
        open_at = self.i
        self.i += 1
        args: list[Arg] = []
        while True:
            i = self.i
            k = self.kinds[i]
            if k == ")":
                self.i += 1
                return args
            if k in ("eof", "}") or self._is_stmt_start(i):
                self._close(")", open_at, f"the arguments of '{owner}'")
                return args
            if k == "name" and self.kinds[i + 1] in ("=", ":") and self.kinds[i + 2] != ":":
                name, ns, ne = self.texts[i], self.starts[i], self.ends[i]
                self.i += 2
                if self._is_stmt_start(self.i) or self.kinds[self.i] in (",", ")"):
                    self._unexpected(f"a value for '{name}'")
                    if self.kinds[self.i] == ",":
                        self.i += 1
                    continue
                value = self.parse_value()
                if value is None:
                    self._recover_in_args()
                    if self.kinds[self.i] == ",":
                        self.i += 1
                    continue
                args.append(Arg(name, ns, ne, value, ns, value.end))
            else:
                value = self.parse_value()
                if value is None:
                    if self._is_stmt_start(self.i):
                        continue
                    self._recover_in_args()
                    if self.kinds[self.i] == ",":
                        self.i += 1
                    continue
                args.append(Arg(None, value.start, value.start, value, value.start, value.end))
            k = self.kinds[self.i]
            if k == ",":
                self.i += 1
            elif k != ")":
                if k in ("eof", "}") or self._is_stmt_start(self.i):
                    continue
                self._unexpected(f"',' or ')' in the arguments of '{owner}'")
                self._recover_in_args()
                if self.kinds[self.i] == ",":
                    self.i += 1

    def _recover_in_args(self) -> None:
        """Skip to the next ',' or ')' of this argument list, or a new statement."""
        while True:
            k = self.kinds[self.i]
            if k in (",", ")", "eof") or self._is_stmt_start(self.i):
                return
            if k in ("}", "]"):
                self.i += 1
                continue
            self._skip_balanced()

    def parse_hpo(self) -> HPO:
        start = self.starts[self.i]
        self.i += 1
        open_at = self.i
        self.i += 1
        k = self.kinds[self.i]
        if k == "name" and self.kinds[self.i + 1] == "(" and self.texts[self.i].lower() != "hpo":
            kind, ks, ke = self.texts[self.i], self.starts[self.i], self.ends[self.i]
            self.i += 1
            args = self.parse_args(kind)
        else:
            inner = self.parse_value()
            if inner is None:
                self._recover_in_args()
                self._close(")", open_at, "HPO(...)")
                raise _Abort
            # Not of the form HPO(kind(...)); the checks report what it is.
            kind, ks, ke = "", inner.start, inner.end
            args = [Arg(None, inner.start, inner.start, inner, inner.start, inner.end)]
        if self.kinds[self.i] == ")":
            self.i += 1
        else:
            self._close(")", open_at, "HPO(...)")
        return HPO(kind, ks, ke, args, start, self.ends[self.i - 1])

    def _num(self, i: int, negative: bool, start: int | None = None) -> Num:
        text = self.texts[i]
        if "." in text or "e" in text or "E" in text:
            v: int | float = float(text)
        else:
            v = int(text)
        if negative:
            v = -v
            text = "-" + text
        return Num(v, text, self.starts[i] if start is None else start, self.ends[i])

    def _str(self, i: int) -> Str:
        return Str(unescape(self.texts[i][1:-1]), self.starts[i], self.ends[i])

    def parse_value(self) -> Value | None:
        i = self.i
        k = self.kinds[i]
        if k in _CLOSERS or (k == "name" and self.kinds[i + 1] == "("):
            if self.depth >= MAX_NESTING:
                end = self.ends[i + 1] if k == "name" else self.ends[i]
                if k == "name":
                    self.i += 1
                self._too_deep(self.starts[i], end, in_block=False)
                # A stand-in, so the enclosing constructs close normally (None would start
                # their error recovery, which skips closers).
                return Const(None, self.starts[i], max(end, self.ends[self.i - 1]))
            self.depth += 1
            try:
                return self._value()
            finally:
                self.depth -= 1
        return self._value()

    def _value(self) -> Value | None:
        i = self.i
        k = self.kinds[i]
        if k == "num":
            self.i += 1
            return self._num(i, negative=False)
        if k == "str":
            self.i += 1
            return self._str(i)
        if k in ("-", "+") and self.kinds[i + 1] == "num":
            self.i += 2
            return self._num(i + 1, negative=(k == "-"), start=self.starts[i])
        if k == "name":
            low = self.texts[i].lower()
            nxt = self.kinds[i + 1]
            if low == "hpo" and nxt == "(":
                return self.parse_hpo()
            if nxt == "(":
                return self.parse_call()
            self.i += 1
            if low in _CONSTS:
                return Const(_CONSTS[low], self.starts[i], self.ends[i])
            return Ident(self.texts[i], self.starts[i], self.ends[i])
        if k == "(":
            items, trailing = self._items(")", "tuple")
            return TupleV(items, trailing, self.starts[i], self.ends[self.i - 1])
        if k == "[":
            items, _ = self._items("]", "list")
            return ListV(items, self.starts[i], self.ends[self.i - 1])
        if k == "{":
            return self._dict()
        self._unexpected("a value")
        return None

    def _items(self, closer: str, what: str) -> tuple[list[Value], bool]:
        open_at = self.i
        self.i += 1
        items: list[Value] = []
        trailing = False
        while True:
            k = self.kinds[self.i]
            if k == closer:
                self.i += 1
                return items, trailing
            if k == "eof" or (k in (")", "]", "}") and k != closer) or self._is_stmt_start(self.i):
                self._close(closer, open_at, f"the {what}")
                return items, trailing
            v = self.parse_value()
            if v is None:
                self._recover_in_args()
                if self.kinds[self.i] == ",":
                    self.i += 1
                continue
            items.append(v)
            trailing = False
            if self.kinds[self.i] == ",":
                self.i += 1
                trailing = True
            elif self.kinds[self.i] != closer:
                if self.kinds[self.i] in ("eof", ")", "]", "}") or self._is_stmt_start(self.i):
                    continue
                self._unexpected(f"',' or '{closer}' in the {what}")
                self._recover_in_args()
                if self.kinds[self.i] == ",":
                    self.i += 1

    def _dict(self) -> DictV:
        open_at = self.i
        start = self.starts[self.i]
        self.i += 1
        items: list[tuple[str, int, int, Value]] = []
        while True:
            k = self.kinds[self.i]
            if k == "}":
                self.i += 1
                break
            if k == "eof":
                self._close("}", open_at, "the dictionary")
                break
            if k == ",":
                self.i += 1
                continue
            if k in ("str", "name", "num") and self.kinds[self.i + 1] == ":":
                text = self.texts[self.i]
                key = unescape(text[1:-1]) if k == "str" else text
                ks, ke = self.starts[self.i], self.ends[self.i]
                self.i += 2
                v = self.parse_value()
                if v is None:
                    self._recover_in_args()
                    continue
                items.append((key, ks, ke, v))
                if self.kinds[self.i] not in (",", "}"):
                    if self.kinds[self.i] == "eof":
                        continue
                    self._unexpected("',' or '}' in the dictionary")
                    self._recover_in_args()
            else:
                self._unexpected("a 'key: value' pair")
                if self.kinds[self.i] in (")", "]"):
                    self._close("}", open_at, "the dictionary")
                    break
                self._skip_balanced()
        return DictV(items, start, self.ends[self.i - 1])


def parse(text: str) -> tuple[File, list[Diagnostic]]:
    """Parse a whole file; never raises. Returns the tree and the syntax diagnostics."""
    p = Parser(text)
    tree = p.parse_file()
    return tree, p.diags


def parse_one_value(text: str) -> Value | None:
    """`text` as exactly one value and nothing else, without errors (a value written inside a
    string, a `--set` value); None otherwise."""
    p = Parser(text)
    value = p.parse_value()
    if value is None or p.kinds[p.i] != "eof" or p.diags:
        return None
    return value
