"""The lark grammar (the written-down syntax) and the hand-written parser agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark import Lark
from lark.exceptions import LarkError

from compiler.parser import parse

REPO = Path(__file__).resolve().parents[2]
GRAMMAR = (REPO / "compiler" / "grammar.lark").read_text()
CORPUS = REPO.parent / "shared" / "conformance" / "corpus"


@pytest.fixture(scope="module")
def lark_parser() -> Lark:
    # Earley: the reference grammar is about what is accepted, not speed.
    return Lark(GRAMMAR, parser="earley", lexer="dynamic")


def _accepts(lp: Lark, text: str) -> bool:
    try:
        lp.parse(text)
        return True
    except LarkError:
        return False


def _programs() -> list[tuple[str, str]]:
    progs = [(p.name, p.read_text()) for p in sorted((REPO / "examples").glob("*.neural"))]
    if CORPUS.is_dir():
        for f in sorted(CORPUS.glob("*.neural")):
            text = f.read_text()
            if "# kind: network" in text:
                progs.append((f.name, text))
    return progs


def test_grammar_and_parser_agree(lark_parser):
    disagreements = []
    progs = _programs()
    for name, text in progs:
        ours = not any(d.code.startswith("N1") for d in parse(text)[1])
        ref = _accepts(lark_parser, text)
        if ours != ref:
            disagreements.append(f"{name}: parser {'accepts' if ours else 'rejects'}, grammar "
                                 f"{'accepts' if ref else 'rejects'}")
    assert len(progs) > 100
    assert not disagreements, disagreements


@pytest.mark.parametrize("text", [
    "network N { input: (1,) layers: Dense(10",
    "network N { input: (1,) layers: Dense(10)",
    "network N { input: (1,) layers: Dense(10)) }",
    "network { }",
])
def test_both_reject_broken_programs(lark_parser, text):
    assert any(d.code.startswith("N1") for d in parse(text)[1])
    assert not _accepts(lark_parser, text)
