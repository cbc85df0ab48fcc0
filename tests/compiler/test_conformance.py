"""The original project's parser test programs as an acceptance suite.

Read from ../shared/conformance/ (never copied into the repo). `ok` cases must give no
syntax error (N1xx); `error` cases must give at least one error. Both rates must be at
least 95%; the figures are printed (run with -s to see them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler.analysis import analyze

ROOT = Path(__file__).resolve().parents[3] / "shared" / "conformance"
CORPUS = ROOT / "corpus"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/conformance is not beside the repo")


def _exclusions() -> set[str]:
    path = ROOT / "EXCLUSIONS.txt"
    out = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.add(line.split()[0])
    return out


def _cases() -> list[tuple[str, str, str, str]]:
    out = []
    for f in sorted(CORPUS.glob("*.neural")):
        text = f.read_text()
        expect = re.search(r"^# expect:\s*(\w+)", text, re.M).group(1)
        kind = re.search(r"^# kind:\s*(\w+)", text, re.M).group(1)
        body = text.split("# ---", 1)[1].split("\n", 1)[1] if "# ---" in text else text
        out.append((f.name, expect, kind, body))
    return out


def program(kind: str, body: str) -> str:
    if kind == "layer":
        return f"network Snippet {{ input: (28, 28, 1) layers:\n{body}\n}}\n"
    if kind == "define":
        return body + "\nnetwork Snippet { input: (28, 28, 1) layers: Dense(10) }\n"
    return body


def outcome(kind: str, body: str) -> tuple[bool, bool]:
    a = analyze(program(kind, body))
    return bool(a.syntax_errors), bool(a.errors)


def test_conformance_rates():
    excluded = _exclusions()
    ok_total = ok_pass = err_total = err_pass = 0
    failures = []
    for name, expect, kind, body in _cases():
        if name in excluded or kind == "research":
            continue
        syntax, errors = outcome(kind, body)
        if expect == "ok":
            ok_total += 1
            ok_pass += not syntax
            if syntax:
                failures.append(f"{name}: ok case has a syntax error")
        else:
            err_total += 1
            err_pass += errors
            if not errors:
                failures.append(f"{name}: error case gives no error")
    ok_rate = ok_pass / ok_total
    err_rate = err_pass / err_total
    print(f"\nconformance: ok cases without syntax errors {ok_pass}/{ok_total} ({ok_rate:.1%}); "
          f"error cases with an error {err_pass}/{err_total} ({err_rate:.1%})")
    for f in failures:
        print("  ", f)
    assert ok_rate >= 0.95, failures
    assert err_rate >= 0.95, failures


def test_research_blocks_are_not_syntax_errors_but_are_reported():
    syntax, errors = outcome("network", "research R { metrics { accuracy: 0.9 } }")
    assert not syntax and errors
