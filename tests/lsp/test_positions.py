"""LineMap's columns (binary search over a line's wide characters) agree with encoding the
line's prefix, for every offset and position, in every encoding."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from neural_lsp.core.positions import UTF8, UTF16, UTF32, LineMap
from tests.fuzzing import examples
from tests.lsp.conftest import offset_of, position

TEXTS = st.lists(st.sampled_from(["a", "é", "😀", "\n", "\r\n", "\r", "中", " ", "\U0010ffff"]),
                 max_size=40).map("".join)


@settings(max_examples=examples(300))
@given(TEXTS, st.sampled_from([UTF8, UTF16, UTF32]))
def test_positions_match_the_encoded_prefix(text, encoding):
    m = LineMap(text, encoding)
    for off in range(len(text) + 1):
        if 0 < off < len(text) and text[off - 1] == "\r" and text[off] == "\n":
            continue  # inside a line break
        p, q = m.position(off), position(text, off, encoding)
        assert (p.line, p.character) == (q.line, q.character), off
    for line in range(text.count("\n") + text.count("\r") + 2):
        for ch in range(0, 50):
            pos = types.Position(line, ch)
            assert m.offset(pos) == offset_of(text, pos, encoding), (line, ch)


@settings(max_examples=examples(300))
@given(TEXTS, st.sampled_from([UTF8, UTF16]), st.integers(1, 4))
def test_positions_on_lines_longer_than_a_chunk(text, encoding, chunk):
    """A long line's table keeps the units before each chunk of CHUNK characters: with tiny
    chunks, every line spans several and every column still equals the encoded prefix."""
    from neural_lsp.core import positions

    old, positions.CHUNK = positions.CHUNK, chunk
    try:
        test_positions_match_the_encoded_prefix.hypothesis.inner_test(text, encoding)
    finally:
        positions.CHUNK = old


def test_many_positions_on_one_long_line_are_linear():
    """Each position on a non-ASCII line encoded the line's prefix: 46,000 positions on a line
    of 46,000 emoji took seconds (benchmarks/lsp_bench.py --long-line measures it). Here: one
    table for the line, built once, answers them all."""
    text = "😀" * 46_000
    m = LineMap(text)
    cols = [m.position(i).character for i in range(0, len(text), 1)]
    assert cols[-1] == 2 * (len(text) - 1)
    assert [m.offset(types.Position(0, c)) for c in cols[:5]] == [0, 1, 2, 3, 4]
    assert len(m.wide) == 1  # the line's table, built once
