"""Values: evaluating syntax to values, and checking a value against a parameter (its kind,
its bounds); the kinds themselves are a table in `kinds`."""

from __future__ import annotations

from typing import Any

from compiler import diagnostics as dg
from compiler import support
from compiler.checks.common import CheckState, show_value, type_name
from compiler.checks.kinds import BAD, KINDS, kind_text
from compiler.layers import Param
from compiler.model import CallValue, HPORef, Symbol
from compiler.offsets import shift
from compiler.parser import parse_one_value
from compiler.syntax import HPO, Call, Const, DictV, Ident, ListV, Num, Str, TupleV

# Values checked once per parameter when they pass (ValueChecks.validate); a string given
# to a number may be code parsed from the string (a schedule): checked each time.
_PLAIN = frozenset({int, float, str, bool, type(None)})


class ValueChecks(CheckState):
    """Values and their parameters."""

    def eval_value(self, node, path: str, mode: str = "value") -> Any:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Str):
            return node.value
        if isinstance(node, Const):
            return node.value
        if isinstance(node, Ident):
            return Symbol(node.name)
        if isinstance(node, TupleV):
            if len(node.items) == 1 and not node.trailing_comma:
                return self.eval_value(node.items[0], path, mode)  # a group: `(x)` is x
            return tuple(self.eval_value(x, f"{path}[{i}]") for i, x in enumerate(node.items))
        if isinstance(node, ListV):
            return [self.eval_value(x, f"{path}[{i}]") for i, x in enumerate(node.items)]
        if isinstance(node, DictV):
            return {k: self.eval_value(v, f"{path}.{k}") for k, _s, _e, v in node.items}
        if isinstance(node, HPO):
            return self.eval_hpo(node, path, mode)
        if isinstance(node, Call):
            if mode == "layer":
                built = self.build_layer(node, path, None)
                if built is None:
                    return None
                if len(built) != 1:
                    self.error("N301", "a macro of several layers cannot stand here", node.start, node.end)
                    return None
                return built[0]
            args: dict[str, Any] = {}
            for k, a in enumerate(node.args or []):
                key = a.name if a.name else k
                sub = f"{path}.{node.name}.{a.name}" if a.name else f"{path}.{node.name}[{k}]"
                args[key] = self.eval_value(a.value, sub)
            return CallValue(node.name, args, node)
        return None

    def validate(self, p: Param, value: Any, node, owner: str) -> Any:
        """Check a value against a parameter; returns the (possibly normalised) value."""
        if isinstance(value, HPORef):
            hp = value.param
            hp.context = f"{owner}.{p.name}"
            if hp.kind in ("choice", "custom"):
                for j, opt in enumerate(hp.options):
                    if isinstance(opt, HPORef):
                        self.validate(p, opt, hp.option_nodes[j], owner)
                        continue
                    hp.options[j] = self.validate(p, opt, hp.option_nodes[j], owner)
            else:
                errors = len(self.diags)
                self.validate_range(p, hp, hp.node)
                if not any(d.is_error for d in self.diags[errors:]):
                    # a value some backend refuses at either end of the range
                    bad = [v for v in (hp.low, hp.high) if support.refusals(owner, p.name, p.kind, v)]
                    if bad:
                        self.check_support(owner, p, bad[0], hp.node)
            return value
        if value is None and node is None:
            return None
        t = type(value)
        key = None
        if t in _PLAIN and node is not None and not (t is str and p.kind == "float"):
            # A plain value (a float by its repr: -0.0 == 0.0) that passed a parameter's
            # checks without a word passes them again: 100,000 layers are few distinct values.
            key = (id(p), owner, t, repr(value) if t is float else value)
            got = self.passed.get(key)
            if got is not None and got[0] is p:
                return got[1]
        errors = len(self.diags)
        out = self.check_kind(p, value, node, owner)
        if node is not None and not any(d.is_error for d in self.diags[errors:]):
            self.check_support(owner, p, out, node)
        if key is not None and len(self.diags) == errors:
            self.passed[key] = (p, out)
        return out

    def check_support(self, owner: str, p: Param, value: Any, node) -> None:
        """N701 for a value a backend cannot build (compiler.support), a warning naming the
        backends: the program is valid, and compile refuses exactly those backends."""
        for r in support.refusals(owner, p.name, p.kind, value):
            self.error("N701", r.message(), node.start, node.end, severity=dg.Severity.WARNING)

    def check_bounds(self, p: Param, v: float, node) -> bool:
        if p.min is not None and (v < p.min or (p.min_open and v == p.min)):
            rel = "greater than" if p.min_open else "at least"
            self.error("N302", f"{p.name} must be {rel} {show_value(p.min)}, got {show_value(v)}", node.start, node.end)
            return False
        if p.max is not None and (v > p.max or (p.max_open and v == p.max)):
            rel = "below" if p.max_open else "at most"
            self.error("N302", f"{p.name} must be {rel} {show_value(p.max)}, got {show_value(v)}", node.start, node.end)
            return False
        return True

    def check_kind(self, p: Param, v: Any, node, owner: str) -> Any:
        """A value (not HPO) against its parameter's kind: the row of `kinds.KINDS`."""
        s, e = (node.start, node.end) if node is not None else (0, 0)
        out = KINDS[p.kind].check(self, p, v, node, owner, s, e)
        if out is BAD:
            self.error("N301", f"{p.name} of {owner} takes {kind_text(p)}, got {type_name(v)}", s, e)
            return v
        return out

    def subparse(self, node: Str):
        """Values written inside a string, e.g. optimizer: "Adam(learning_rate=1e-4)"."""
        value = parse_one_value(node.value)
        if value is None:
            return None
        shift(value, 0, node.start + 1)  # from the string's body to the file
        self.detached.append(value)
        return value
