"""No text at all makes the compiler raise."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.analysis import analyze
from compiler.render import render
from tests.fuzzing import examples

EXAMPLES = [p.read_text() for p in sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.neural"))]
TOKENS = ["network", "define", "N", "{", "}", "(", ")", "[", "]", ",", ":", "=", "@", "*", ";",
          "input", "layers", "loss", "train", "execute", "HPO", "choice", "range", "log_range",
          "custom", "Dense", "Conv2D", "Flatten", "ResidualConnection", "TimeDistributed", "1",
          "-2", "0.5", "1e-3", '"relu"', "'same'", "true", "none", "\n", " ", "#c\n", '"', "(3,3)"]


@settings(max_examples=examples(300))
@given(st.text(max_size=400))
def test_random_text(text):
    analyze(text)


@settings(max_examples=examples(300))
@given(st.binary(max_size=300))
def test_random_bytes_decoded(data):
    analyze(data.decode("utf-8", errors="replace"))


@settings(max_examples=examples(400))
@given(st.lists(st.sampled_from(TOKENS), max_size=80))
def test_token_soup(tokens):
    analyze(" ".join(tokens))


@settings(max_examples=examples(300))
@given(st.sampled_from(EXAMPLES), st.integers(min_value=0, max_value=10_000))
def test_truncated_examples(text, cut):
    analyze(text[: cut % (len(text) + 1)])


@settings(max_examples=examples(200))
@given(st.sampled_from(EXAMPLES), st.integers(0, 10_000), st.integers(0, 10_000), st.text(max_size=5))
def test_edited_examples_and_render(text, i, j, ins):
    i, j = sorted((i % (len(text) + 1), j % (len(text) + 1)))
    edited = text[:i] + ins + text[j:]
    a = analyze(edited)
    for n in a.networks:
        if n.space:
            render(edited, n.space, n.space.defaults())


def _wrap_hpo(text: str, every: int) -> str:
    """Every `every`-th HPO(...) expression in parentheses: `(HPO(range(8, 64)))`."""
    out, i, n = [], 0, 0
    while True:
        j = text.find("HPO(", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        depth, k = 0, j + 3
        while k < len(text):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            k += 1
            if depth == 0:
                break
        n += 1
        wrap = n % every == 0
        out.append(text[i:j] + ("(" if wrap else "") + text[j:k] + (")" if wrap else ""))
        i = k


def test_parenthesized_hpo_values():
    """A value in parentheses is the value (a one-element group, not a tuple): an HPO range
    written so once raised AttributeError in the checks."""
    for text in EXAMPLES:
        for every in (1, 2, 3):
            a = analyze(_wrap_hpo(text, every))
            assert not a.syntax_errors
    a = analyze("network N { input: (8,) layers:\n  Dense((HPO(range(8, 64))))\n  Output(2)\n}\n")
    assert a.errors == [], [d.message for d in a.errors]
    assert a.networks[0].space.params[0].name == "layers[0].Dense.units"
