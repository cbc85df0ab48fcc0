"""The experiments filter: `status:running tag:study=x -failed resnet`.

Terms are ANDed. `status:a,b` (or `s:`) keeps those statuses, `tag:key` / `tag:key=value`
(or `t:`) needs that tag, any other word must occur in the name, id, folder, tags, notes,
status or hyperparameters as `key=value` (case-insensitive). A leading `-` negates a term.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from runner.tui import format as fmt
from runner.tui.experiment import ExperimentState

FIELD_ALIASES = {"status": "status", "s": "status", "tag": "tag", "t": "tag"}


@dataclass(frozen=True)
class Term:
    field: str  # "status", "tag" or "text"
    value: str
    negate: bool = False


@dataclass(frozen=True)
class Filter:
    terms: tuple[Term, ...] = ()
    text: str = ""

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse_filter(text: str) -> Filter:
    try:
        words = shlex.split(text)
    except ValueError:  # an unbalanced quote while the user is still typing
        words = text.split()
    terms = []
    for word in words:
        negate = word.startswith("-") and len(word) > 1
        if negate:
            word = word[1:]
        field, sep, rest = word.partition(":")
        if sep and field.lower() in FIELD_ALIASES and rest:
            terms.append(Term(FIELD_ALIASES[field.lower()], rest, negate))
        else:
            terms.append(Term("text", word.lower(), negate))
    return Filter(tuple(terms), text.strip())


def haystack(state: ExperimentState) -> str:
    tags = " ".join(f"{k}={v}" if v else k for k, v in state.tags.items())
    params = " ".join(f"{k}={fmt.value(v, limit=80)}" for k, v in state.hyperparameters.items())
    return " ".join((state.name, state.experiment_id, state.key, tags, state.notes,
                     state.status, params)).lower()


def _term_matches(term: Term, state: ExperimentState, text: str) -> bool:
    if term.field == "status":
        return state.status in {s.strip().lower() for s in term.value.split(",")}
    if term.field == "tag":
        key, eq, wanted = term.value.partition("=")
        if key not in state.tags:
            return False
        return not eq or state.tags[key] == wanted
    return term.value in text


def matches(flt: Filter, state: ExperimentState, text: str | None = None) -> bool:
    """True if `state` passes every term; `text` is its haystack, if already computed."""
    if not flt.terms:
        return True
    if text is None:
        text = haystack(state)
    return all(_term_matches(term, state, text) != term.negate for term in flt.terms)
