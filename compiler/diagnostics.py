"""Every diagnostic the toolchain can report: one code, one row in CODES.

Families: N1xx syntax, N2xx names and structure, N3xx values and types, N4xx HPO
expressions, N5xx shapes, N6xx macros, N7xx backend support, N8xx what past searches
found (the language server's insights from the experiment store). Tests assert on codes
and ranges, never on wording, so messages may improve freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from compiler.source import LineIndex


class Severity(IntEnum):
    # Same numbering as LSP's DiagnosticSeverity.
    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @property
    def label(self) -> str:
        return self.name.lower()


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFORMATION

# code: (severity, summary)
CODES: dict[str, tuple[Severity, str]] = {
    "N101": (E, "invalid character"),
    "N102": (E, "unexpected token"),
    "N103": (E, "unclosed bracket"),
    "N104": (E, "unterminated string"),
    "N105": (E, "unexpected end of input"),
    "N106": (E, "nested too deeply"),
    "N201": (E, "unknown layer"),
    "N202": (E, "unknown parameter"),
    "N203": (E, "missing required argument"),
    "N204": (E, "duplicate argument"),
    "N205": (E, "too many positional arguments"),
    "N206": (E, "missing section"),
    "N207": (E, "duplicate section"),
    "N208": (E, "empty layers section"),
    "N209": (E, "unknown field"),
    "N210": (E, "duplicate network name"),
    "N211": (E, "block not allowed / required"),
    "N212": (E, "positional argument after a named one"),
    "N213": (E, "unsupported construct"),
    "N301": (E, "wrong value type"),
    "N302": (E, "value out of range"),
    "N303": (E, "value not among the allowed ones"),
    "N304": (W, "float where an integer is expected"),
    "N305": (E, "code is never evaluated"),
    "N306": (E, "invalid input shape"),
    "N307": (E, "invalid device"),
    "N308": (E, "unknown loss"),
    "N309": (E, "unknown optimizer"),
    "N310": (W, "output activation does not fit the loss"),
    "N311": (E, "invalid repetition count"),
    "N312": (W, "suspicious value"),
    "N401": (E, "unknown HPO function"),
    "N402": (E, "malformed HPO arguments"),
    "N403": (E, "HPO lower bound not below upper bound"),
    "N404": (E, "HPO step not positive"),
    "N405": (E, "log_range bound not positive"),
    "N406": (E, "empty HPO choice"),
    "N407": (E, "HPO choice mixes value types"),
    "N408": (E, "HPO directly inside HPO"),
    "N409": (W, "linear range over several decades"),
    "N410": (E, "HPO not allowed here"),
    "N411": (W, "HPO step does not divide the range"),
    "N501": (E, "layer cannot take this input shape"),
    "N502": (E, "dimension shrinks below 1"),
    "N503": (E, "shape mismatch"),
    "N504": (W, "Dense applied to a feature map"),
    "N505": (E, "dimension not divisible"),
    "N601": (E, "undefined macro"),
    "N602": (E, "recursive macro"),
    "N603": (E, "duplicate macro definition"),
    "N604": (W, "macro shadows a built-in layer"),
    "N605": (E, "macro takes no arguments"),
    "N701": (E, "not supported by the backend"),
    "N801": (INFO, "the best trials sit at a bound of the range"),
    "N802": (INFO, "a choice option is never among the better trials"),
}


@dataclass(frozen=True, slots=True)
class Fix:
    """A text edit the compiler suggests: replace [start, end) with `text`."""

    title: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Related:
    message: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    start: int  # character offsets into the source
    end: int
    severity: Severity = Severity.ERROR
    fixes: tuple[Fix, ...] = ()
    related: tuple[Related, ...] = ()
    data: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR


def make(
    code: str,
    message: str,
    start: int,
    end: int,
    *,
    fixes: tuple[Fix, ...] = (),
    related: tuple[Related, ...] = (),
    severity: Severity | None = None,
) -> Diagnostic:
    """Build a diagnostic with the severity its code carries in CODES."""
    sev = severity if severity is not None else CODES[code][0]
    return Diagnostic(code, message, start, max(end, start), sev, fixes, related)


def as_text(path: object, d: Diagnostic, index: LineIndex) -> str:
    """One diagnostic as compilers print it: `file:line:col: severity code: message`
    (1-based line and column). The one text form every command prints."""
    pos = index.position(d.start)
    return f"{path}:{pos.line + 1}:{pos.character + 1}: {d.severity.label} {d.code}: {d.message}"


def format_text(path: object, diagnostics: Iterable[Diagnostic], index: LineIndex) -> str:
    """Diagnostics as text, one line each."""
    return "\n".join(as_text(path, d, index) for d in diagnostics)
