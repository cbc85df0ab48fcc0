"""What each parameter kind accepts: one row per kind (`Param.kind`), its check and how it
reads in a message. A check returns the (possibly normalised) value, or BAD for a value of
the wrong type, which the caller reports once as N301."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compiler import layers as L
from compiler.checks.common import LR_NAMES, did_you_mean, show_value
from compiler.diagnostics import Fix
from compiler.layers import Param
from compiler.model import CallValue, LayerIR

BAD = object()  # the value has the wrong type for the kind

# (checker, param, value, node, owner, start, end) -> value or BAD
KindCheck = Callable[[Any, Param, Any, Any, str, int, int], Any]


@dataclass(frozen=True, slots=True)
class Kind:
    check: KindCheck
    text: Callable[[Param], str]  # what the kind takes, e.g. "an integer"


def _any(ch, p: Param, v: Any, node, owner: str, s: int, e: int) -> Any:
    return v


def _int(ch, p: Param, v: Any, node, owner: str, s: int, e: int) -> Any:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return BAD
    if isinstance(v, float):
        if not v.is_integer():
            ch.error("N301", f"{p.name} must be an integer, got {show_value(v)}", s, e)
            return v
        ch.error("N304", f"{p.name} is an integer: {show_value(v)} is read as {int(v)}", s, e,
                 fixes=(Fix(f"Write {int(v)}", s, e, str(int(v))),))
        v = int(v)
    ch.check_bounds(p, v, node)
    return v


def _float(ch, p: Param, v: Any, node, owner: str, s: int, e: int) -> Any:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        if isinstance(v, CallValue) and p.name in LR_NAMES:
            return ch.check_schedule(v, node)
        if isinstance(v, str) and p.name in LR_NAMES and "(" in v:
            sub = ch.subparse(node)
            if sub is not None:
                return ch.check_kind(p, sub, node, owner)
        return BAD
    ch.check_bounds(p, v, node)
    return v


def _of_type(t: type) -> KindCheck:
    def check(ch, p: Param, v: Any, node, owner: str, s: int, e: int) -> Any:
        return v if isinstance(v, t) else BAD
    return check


def _named(choices_of: Callable[[Param], tuple[str, ...]], none_ok: bool) -> KindCheck:
    """A name from a fixed set (an enum's choices, the activations), any case."""
    def check(ch, p: Param, v: Any, node, owner: str, s: int, e: int) -> Any:
        if v is None and none_ok:
            return v
        if not isinstance(v, str):
            return BAD
        choices = choices_of(p)
        if v.lower() not in choices:
            hint = did_you_mean(v, choices)
            msg = f"{p.name} {show_value(v)} is not one of: {', '.join(choices)}"
            if hint:
                msg = f"unknown {p.name} {show_value(v)}; did you mean \"{hint}\"?"
            q = '"'
            fixes = (Fix(f'Change to "{hint}"', s, e, f"{q}{hint}{q}"),) if hint else ()
            ch.error("N303", msg, s, e, fixes=fixes)
            return v
        return v.lower()
    return check


def _padding(ch, p: Param, v: Any, node, owner: str, s: int, e: int) -> Any:
    if isinstance(v, str):
        if v.lower() not in L.PADDINGS:
            hint = did_you_mean(v, L.PADDINGS)
            ch.error("N303", f'padding must be "valid", "same" or an integer, got {show_value(v)}', s, e,
                     fixes=(Fix(f'Change to "{hint}"', s, e, f'"{hint}"'),) if hint else ())
            return v
        return v.lower()
    if isinstance(v, int) and not isinstance(v, bool):
        if v < 0:
            ch.error("N302", f"padding must be at least 0, got {v}", s, e)
        return v
    return BAD


def _ints(ch, p: Param, v: Any, node, owner: str, s: int, e: int) -> Any:
    items = v if isinstance(v, (tuple, list)) else (v,)
    if isinstance(v, (tuple, list)) and len(v) != p.rank:
        ch.error("N301", f"{p.name} takes {p.rank} integer{'s' if p.rank > 1 else ''}, "
                 f"got {len(v)}: {ch.text[s:e]}", s, e)
        return v
    for it in items:
        if isinstance(it, bool) or not isinstance(it, int):
            if isinstance(it, float) and it.is_integer():
                continue
            return BAD
        if p.min is not None and it < p.min:
            ch.error("N302", f"{p.name} values must be at least {int(p.min)}, got {ch.text[s:e]}", s, e)
            return v
    return tuple(int(x) for x in items) if isinstance(v, (tuple, list)) else int(v)


def _shape(ch, p: Param, v: Any, node, owner: str, s: int, e: int) -> Any:
    items = v if isinstance(v, (tuple, list)) else (v,)
    if not all(isinstance(x, int) and not isinstance(x, bool) and (x > 0 or x == -1) for x in items):
        ch.error("N301", f"{p.name} must be a tuple of positive integers (one may be -1), "
                 f"got {ch.text[s:e]}", s, e)
        return v
    return tuple(items)


def _const(text: str) -> Callable[[Param], str]:
    return lambda p: text


KINDS: dict[str, Kind] = {
    "any": Kind(_any, _const("a value")),
    "int": Kind(_int, _const("an integer")),
    "float": Kind(_float, _const("a number")),
    "bool": Kind(_of_type(bool), _const("true or false")),
    "str": Kind(_of_type(str), _const("a string")),
    "enum": Kind(_named(lambda p: p.choices, none_ok=False),
                 lambda p: "one of " + ", ".join(f'"{c}"' for c in p.choices)),
    "activation": Kind(_named(lambda p: L.ACTIVATIONS, none_ok=True), _const("an activation name")),
    "padding": Kind(_padding, _const('"valid", "same" or an integer')),
    "ints": Kind(_ints, lambda p: f"an integer or a tuple of {p.rank}"),
    "shape": Kind(_shape, _const("a tuple of integers")),
    "layer": Kind(_of_type(LayerIR), _const("a layer")),
}


def kind_text(p: Param) -> str:
    """What a parameter takes, as a message says it."""
    return KINDS[p.kind].text(p)
