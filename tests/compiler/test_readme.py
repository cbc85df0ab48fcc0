"""The README's table of diagnostic codes lists exactly the codes the compiler has."""

from __future__ import annotations

import re
from pathlib import Path

from compiler.diagnostics import CODES


def test_readme_lists_every_code_with_its_severity():
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(N\d{3})` \| (\w+) \|", text, re.M))
    assert rows == {code: sev.label for code, (sev, _msg) in CODES.items()}
