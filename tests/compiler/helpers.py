from __future__ import annotations

from compiler.analysis import Analysis, analyze


def net(layers: str, extra: str = "", input_shape: str = "(28, 28, 1)") -> str:
    return f"network T {{\n  input: {input_shape}\n  layers:\n    {layers}\n{extra}}}\n"


def codes(a: Analysis) -> list[str]:
    return [d.code for d in a.diagnostics]


def find(a: Analysis, code: str):
    hits = [d for d in a.diagnostics if d.code == code]
    assert hits, f"no {code} in {[(d.code, d.message) for d in a.diagnostics]}"
    return hits[0]


def text_of(a: Analysis, d) -> str:
    return a.text[d.start:d.end]


def check_code(src: str, code: str, highlighted: str | None) -> None:
    a = analyze(src)
    d = find(a, code)
    if highlighted is not None:
        assert text_of(a, d) == highlighted, (code, text_of(a, d), d.message)
