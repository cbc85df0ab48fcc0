"""No text at all makes the compiler raise."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
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


# ---------------------------------------------------------------------- nesting depth
OPENERS = {"(": ")", "[": "]", "HPO(choice(": "))", '{"k": ': "}", "Dense(": ")",
           "ResidualConnection() {\n": "\n}"}
PROGRAM = 'network N {{\n  input: (8,)\n  layers:\n    {}\n    Output(2, activation="softmax")\n' \
          '  loss: "sparse_categorical_crossentropy"\n}}\n'


def _nested(kinds: list[str], depth: int, closed: bool, core: str = "8") -> str:
    opens = [kinds[i % len(kinds)] for i in range(depth)]
    tail = "".join(OPENERS[o] for o in reversed(opens)) if closed else ""
    return "".join(opens) + core + tail


@settings(max_examples=examples(60))
@example(["Dense(", "(", "ResidualConnection() {\n"], 68, False, False)  # a block's next line
@given(st.lists(st.sampled_from(sorted(OPENERS)), min_size=1, max_size=3),
       st.integers(0, 3000), st.booleans(), st.booleans())
def test_any_nesting_depth(kinds, depth, closed, as_layer):
    """Deep nesting once raised RecursionError (about 494 levels of `(`, `[` or
    `HPO(choice(`, or an unclosed run of 3,000 `(`): now the parser stops at MAX_NESTING
    with one N106 where it stops, and every later stage works on what parsed."""
    inner = _nested(kinds, depth, closed)
    a = analyze(PROGRAM.format(inner if as_layer else f"Dense({inner})"))
    lines = [a.text.count("\n", 0, d.start) for d in a.diagnostics if d.code == "N106"]
    assert len(lines) == len(set(lines)), "one N106 per line at most"
    for n in a.networks:
        if n.space:
            render(a.text, n.space, n.space.defaults())


@pytest.mark.parametrize("opener", sorted(OPENERS))
def test_nesting_limit(opener):
    """MAX_NESTING levels parse; one more is N106, at the construct where reading stopped,
    and the layers after it are still read (their errors are still reported)."""
    from compiler.parser import MAX_NESTING

    at_limit = analyze(PROGRAM.format(f"Dense({_nested([opener], MAX_NESTING - 1, True)})"))
    assert not [d for d in at_limit.diagnostics if d.code == "N106"]
    text = PROGRAM.format(f"Dense({_nested([opener], 600, True)})\n    Dropout(1.5)")
    a = analyze(text)
    deep = [d for d in a.diagnostics if d.code == "N106"]
    assert len(deep) == 1
    first = text.index("Dense(") + len("Dense(")
    assert first + len(opener) * (MAX_NESTING // 2) <= deep[0].start < text.index("Dropout")
    if opener == "(":
        assert deep[0].start == first + MAX_NESTING  # exactly where reading stopped
    assert [d.code for d in a.diagnostics if d.code == "N302"] == ["N302"]  # Dropout(1.5)
    assert len(a.networks[0].layers) == 3


def test_unclosed_run_stops_at_the_line():
    text = PROGRAM.format("Dense(" + "(" * 3000 + "\n    Dropout(1.5)")
    a = analyze(text)
    assert [d.code for d in a.diagnostics if d.code == "N106"] == ["N106"]
    assert "N302" in {d.code for d in a.diagnostics}


# ---------------------------------------------------------------------- dictionaries in HPO
SCALARS = st.one_of(st.integers(-3, 300), st.sampled_from([0.5, 1e-3, '"relu"', '"same"', "true",
                                                          "(3, 3)", "none"]))
KEYS = st.sampled_from(["units", "rate", "activation", "filters", "kernel_size", "value1",
                        "use_bias", "padding"])


def _dict_text(d: dict) -> str:
    return "{" + ", ".join(f'"{k}": {v}' for k, v in d.items()) + "}"


DICTS = st.recursive(
    st.dictionaries(KEYS, SCALARS.map(str), max_size=3).map(_dict_text),
    lambda inner: st.dictionaries(KEYS, inner, min_size=1, max_size=2).map(_dict_text),
    max_leaves=6)
CUSTOM = st.dictionaries(st.sampled_from(["a", "b", "option1", "small"]), DICTS, min_size=1,
                         max_size=3).map(lambda d: f"HPO(custom({_dict_text(d)}))")
PLACES = ["Dense({})", "Dense({}, activation=\"relu\")", "Dropout({})", "Dense(8, activation={})",
          "Conv2D({})", "Dense(HPO(choice({}, 16)))"]


@settings(max_examples=examples(150))
@given(CUSTOM, st.sampled_from(PLACES))
def test_dict_options_anywhere(custom, place):
    """The HPO guide's `custom` options are dictionaries: in any position they once raised
    `unhashable type: 'dict'` in the shape inference. Each option renders, and a program
    `check` passes renders to programs that also pass."""
    text = PROGRAM.format(place.format(custom)).replace("(8,)", "(8, 8, 3)" if "Conv" in place
                                                        else "(8,)")
    a = analyze(text)
    for n in a.networks:
        if not n.space:
            continue
        for p in n.space:
            for v in range(len(p.options)):
                out = render(text, n.space, {**n.space.defaults(), p.name: v})
                if not a.errors:
                    again = analyze(out)
                    assert not again.errors, (out, [d.message for d in again.errors])
