"""Where the cursor is, for completion and signature help: which call's arguments,
which parameter's value, which block or section, what word is being typed.

The text before the cursor is usually incomplete, so the compiler's lexer
(`compiler.lexer.tokenize`) is replayed from a nearby anchor the syntax tree gives (the
enclosing network section or the layer statement the cursor is in) up to the cursor,
keeping a stack of open brackets.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from compiler.lexer import tokenize
from compiler.parser import SECTION_KEYS
from compiler.syntax import Define, Network
from neural_lsp.query import walk

KEY, VALUE, AFTER = "key", "value", "after"  # what comes next inside a frame


@dataclass(slots=True)
class Frame:
    bracket: str  # "(", "[" or "{"
    callee: str | None = None  # the name before "(" (a layer, optimizer, HPO, ...)
    block: str | None = None  # for "{": train, execute, layers, body, dict
    index: int = 0  # positional argument index (commas seen)
    named: set[str] = field(default_factory=set)
    pending: str | None = None  # the name before "=" / ":" whose value is being typed
    state: str = KEY


@dataclass(slots=True)
class Context:
    offset: int
    word_start: int  # start of the word being typed (== offset when none)
    word: str
    in_string: bool
    frames: list[Frame]
    owner: Network | Define | None
    section: str | None  # canonical network section the cursor is in, if any
    section_state: str  # KEY (a new section may start) or VALUE
    line_start: bool  # the word being typed is the first thing on its line

    @property
    def top(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    def call_frame(self) -> Frame | None:
        """The innermost "(" frame that is not HPO(...) or its choice/range(...)."""
        for f in reversed(self.frames):
            if f.bracket != "(":
                if f.bracket == "{":
                    return None
                continue
            if f.callee is None:
                continue
            if f.callee.lower() in ("hpo", "choice", "range", "log_range", "custom"):
                continue
            return f
        return None


def _owner(tree, offset: int):
    got = walk.owner_at(tree, offset)
    if got is not None:
        return got
    # a block still being typed (no closing brace yet): the last one that started before
    best = None
    for n in (*tree.networks, *tree.defines):
        if n.start <= offset and (best is None or n.start > best.start):
            best = n
    if best is not None and best.end < offset:
        # only if nothing else (another top-level item) starts in between
        return best
    return best


def _anchor(owner, offset: int) -> tuple[int, str | None]:
    """(offset to replay from, canonical section there)."""
    if owner is None:
        return offset, None
    if isinstance(owner, Define):
        starts = [s.start for s in owner.body]
        i = bisect_right(starts, offset) - 1
        if i >= 0:
            return starts[i], "layers"
        return owner.start, None
    secs = [s for s in owner.sections if s.key_start < offset]
    if not secs:
        return owner.start, None
    sec = max(secs, key=lambda s: s.key_start)
    if sec.key == "layers" and owner.layers:
        starts = [s.start for s in owner.layers]
        i = bisect_right(starts, offset) - 1
        if i >= 0 and starts[i] > sec.key_start:
            return starts[i], "layers"
    return sec.key_start, None


def find(text: str, tree, offset: int) -> Context:
    owner = _owner(tree, offset)
    anchor, section = _anchor(owner, offset)
    frag = text[anchor:offset]
    toks = tokenize(frag)
    n = len(toks.kinds) - 1  # without eof
    word_start, word, in_string = offset, "", False
    unterminated = {d.start for d in toks.diagnostics if d.code == "N104"}
    if n > 0 and toks.ends[n - 1] == len(frag):
        k = toks.kinds[n - 1]
        if k == "name":
            word_start = anchor + toks.starts[n - 1]
            word = toks.texts[n - 1]
            n -= 1
        elif k == "str" and toks.starts[n - 1] in unterminated:
            word_start = anchor + toks.starts[n - 1] + 1
            word = frag[toks.starts[n - 1] + 1:]
            in_string = True
            n -= 1
    frames: list[Frame] = []
    section_state = KEY if section is None else VALUE
    if section == "layers":
        section_state = KEY
    prev_kind = prev_text = ""
    prev2_text = ""
    for i in range(n):
        k, t = toks.kinds[i], toks.texts[i]
        top = frames[-1] if frames else None
        if k == "(":
            frames.append(Frame("(", callee=prev_text if prev_kind == "name" else None))
        elif k == "[":
            frames.append(Frame("["))
        elif k == "{":
            frames.append(Frame("{", block=_block(prev_kind, prev_text, prev2_text, top, section)))
            if frames[-1].block in ("train", "execute"):
                section = frames[-1].block
            if frames[-1].block == "body":
                section, section_state = None, KEY
        elif k in (")", "]", "}"):
            opener = {")": "(", "]": "[", "}": "{"}[k]
            while frames and frames[-1].bracket != opener:
                frames.pop()
            if frames:
                frames.pop()
            _done(frames)
            if not frames and section not in (None, "layers"):
                section_state = AFTER
        elif k == ",":
            if top is not None:
                top.index += 1
                top.pending = None
                top.state = KEY
        elif k in ("=", ":") and prev_kind in ("name", "str"):
            key = prev_text if prev_kind == "name" else prev_text[1:-1]
            if k == ":" and (top is None or top.block == "body") and key.lower() in SECTION_KEYS:
                section = SECTION_KEYS[key.lower()]
                section_state = KEY if section == "layers" else VALUE
                if top is not None:
                    frames.pop()  # the body frame: sections are tracked on their own
            elif top is not None:
                top.pending = key
                top.named.add(key)
                top.state = VALUE
        elif k == "name" and i + 1 < n and toks.kinds[i + 1] in ("=", ":"):
            pass  # a key: handled when its "=" / ":" comes
        elif k == "name" and top is not None and top.bracket == "{" and top.block in ("train", "execute") \
                and top.state == AFTER:
            top.state = KEY
        else:
            _done(frames)
            if not frames and section not in (None, "layers"):
                section_state = AFTER
        prev2_text = prev_text
        prev_kind, prev_text = k, t
    line_start = text.rfind("\n", 0, word_start) + 1
    at_line_start = text[line_start:word_start].strip() == ""
    return Context(offset, word_start, word, in_string, frames, owner, section, section_state,
                   at_line_start)


def _done(frames: list[Frame]) -> None:
    """A value ended in the top frame."""
    if frames:
        f = frames[-1]
        if f.state == VALUE or f.bracket == "(":
            f.state = AFTER


def _block(prev_kind: str, prev_text: str, prev2_text: str, top: Frame | None,
           section: str | None) -> str:
    low = prev_text.lower()
    if prev_kind == "name":
        if prev2_text.lower() in ("network", "define"):
            return "body" if prev2_text.lower() == "network" else "layers"
        if top is None and low in ("train", "training"):
            return "train"
        if top is None and low in ("execute", "execution"):
            return "execute"
        return "layers"  # a layer or macro holding a block
    if prev_kind == ")":
        return "layers"
    if prev_kind == ":" and top is None and section in ("train", "execute"):
        return section
    return "dict"
