"""HPO expressions: choice, range, log_range and custom, their options, and ranges checked
against the parameter they stand for."""

from __future__ import annotations

import math
from typing import Any

from compiler.checks.common import HPO_KINDS, LR_NAMES, CheckState, did_you_mean
from compiler.checks.kinds import kind_text
from compiler.diagnostics import Fix
from compiler.layers import Param
from compiler.model import HPORef, LayerIR
from compiler.space import HPOParam
from compiler.syntax import HPO, Arg, DictV, Num


class HPOChecks(CheckState):
    """HPO expressions and the search parameters they become."""

    def eval_hpo(self, node: HPO, path: str, mode: str) -> HPORef | None:
        kind = node.kind
        if kind == "":
            inner = node.args[0].value if node.args else None
            if isinstance(inner, HPO):
                self.error("N408", "HPO(...) directly inside HPO(...): write HPO(choice(...)) "
                           "with the inner HPO as an option", node.start, node.end)
            else:
                self.error("N402", "HPO takes one of choice(...), range(...), log_range(...), "
                           "custom(...)", node.start, node.end)
            return None
        low = kind.lower()
        if low not in HPO_KINDS:
            hint = did_you_mean(kind, HPO_KINDS)
            fixes = (Fix(f"Change to '{hint}'", node.kind_start, node.kind_end, hint),) if hint else ()
            self.error("N401", f"unknown HPO function '{kind}'" + (f"; did you mean '{hint}'?" if hint else "")
                       + " (choice, range, log_range, custom)", node.kind_start, node.kind_end, fixes=fixes)
            return None
        param = HPOParam(path, low, node, source=self.text)
        if self.parent_stack:
            parent, _ = self.parent_stack[-1]
            param.parent = parent
            parent.children.append(param)
        if low == "choice":
            ok = self.hpo_choice(param, node, path, mode)
        elif low == "custom":
            ok = self.hpo_custom(param, node, path)
        else:
            ok = self.hpo_range(param, node)
        if not ok:
            if param.parent is not None:
                param.parent.children.remove(param)
            return None
        self.params.append(param)
        return HPORef(param)

    def hpo_choice(self, param: HPOParam, node: HPO, path: str, mode: str) -> bool:
        if not node.args:
            self.error("N406", "HPO choice(...) needs at least one option", node.start, node.end)
            return False
        if any(a.name for a in node.args):
            a = next(a for a in node.args if a.name)
            self.error("N402", "choice(...) takes options only, not named arguments", a.start, a.end)
            return False
        kinds = {}
        for j, a in enumerate(node.args):
            self.parent_stack.append((param, j))
            try:
                v = self.eval_value(a.value, f"{path}.choice[{j}]", mode)
            finally:
                self.parent_stack.pop()
            param.options.append(v)
            param.option_nodes.append(a.value)
            kinds.setdefault(self._kind_of(v), a.value)
        if len(kinds) > 1 and None not in kinds:
            names = " and ".join(sorted(k for k in kinds))
            self.error("N407", f"HPO choice mixes {names} options; all options must be of one kind",
                       node.start, node.end)
            return False
        return True

    def _kind_of(self, v: Any) -> str | None:
        if isinstance(v, HPORef):
            p = v.param
            if p.kind in ("range", "log_range"):
                return "number"
            kinds = {self._kind_of(o) for o in p.options}
            return kinds.pop() if len(kinds) == 1 else None
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, (int, float)):
            return "number"
        if isinstance(v, str):
            return "string"
        if isinstance(v, (tuple, list)):
            return "tuple"
        if isinstance(v, LayerIR):
            return "layer"
        if v is None:
            return None
        return "call"

    def hpo_custom(self, param: HPOParam, node: HPO, path: str) -> bool:
        if len(node.args) != 1 or not isinstance(node.args[0].value, DictV) or node.args[0].name:
            self.error("N402", 'custom(...) takes one dictionary of named options: '
                       'custom({"small": {...}, "large": {...}})', node.start, node.end)
            return False
        d = node.args[0].value
        if not d.items:
            self.error("N406", "HPO custom(...) needs at least one option", node.start, node.end)
            return False
        for j, (key, _ks, _ke, v) in enumerate(d.items):
            self.parent_stack.append((param, j))
            try:
                val = self.eval_value(v, f"{path}.custom[{key}]")
            finally:
                self.parent_stack.pop()
            param.options.append(val)
            param.labels.append(key)
            param.option_nodes.append(v)
        return True

    def hpo_range(self, param: HPOParam, node: HPO) -> bool:
        kind = param.kind
        pos = [a for a in node.args if a.name is None]
        named = {a.name: a for a in node.args if a.name is not None}
        bounds: list[Arg | None] = [
            pos[0] if len(pos) > 0 else named.get("low") or named.get("start") or named.get("min"),
            pos[1] if len(pos) > 1 else named.get("high") or named.get("end") or named.get("max"),
        ]
        step = pos[2] if len(pos) > 2 else named.get("step")
        allowed = {"low", "start", "min", "high", "end", "max"} | ({"step"} if kind == "range" else set())
        for a in node.args:
            if a.name is not None and a.name not in allowed:
                self.error("N402", f"{kind}(...) has no argument '{a.name}'", a.start, a.end)
                return False
        if len(pos) > (3 if kind == "range" else 2):
            self.error("N402", f"{kind}(...) takes {'low, high, step=' if kind == 'range' else 'low, high'}",
                       node.start, node.end)
            return False
        if bounds[0] is None or bounds[1] is None:
            self.error("N402", f"{kind}(...) needs a lower and an upper bound: "
                       f"{kind}(low, high{', step=s' if kind == 'range' else ''})", node.start, node.end)
            return False
        vals = []
        for a in [*bounds, step]:
            if a is None:
                vals.append(None)
                continue
            if not isinstance(a.value, Num):
                self.error("N402", f"{kind}(...) bounds and step must be numbers", a.value.start, a.value.end)
                return False
            vals.append(a.value.value)
        lo, hi, st = vals
        if kind == "log_range":
            bad = [(v, a) for v, a in zip((lo, hi), bounds, strict=True) if v <= 0]
            if bad:
                v, a = bad[0]
                self.error("N405", f"log_range bounds must be greater than 0, got {v}", a.start, a.end)
                return False
        if lo >= hi:
            self.error("N403", f"the lower bound {lo} must be below the upper bound {hi}",
                       bounds[0].start, bounds[1].end)
            return False
        if st is not None and st <= 0:
            self.error("N404", f"the step must be greater than 0, got {st}", step.start, step.end)
            return False
        param.low, param.high, param.step = lo, hi, st
        param.is_int = kind == "range" and all(isinstance(v, int) for v in (lo, hi, st) if v is not None)
        if st is not None:
            k = (hi - lo) / st
            if abs(k - round(k)) > 1e-9:
                last = lo + math.floor(k + 1e-9) * st
                self.error("N411", f"the step {st} does not divide [{lo}, {hi}]: the last value is "
                           f"{float(f'{last:.12g}')}", step.start, step.end)
        return True

    def validate_range(self, p: Param, hp: HPOParam, node: HPO) -> None:
        args = [a for a in node.args]
        lo_node = args[0].value if args else node
        hi_node = args[1].value if len(args) > 1 else node
        if p.kind in ("int", "ints"):
            for v, n in ((hp.low, lo_node), (hp.high, hi_node)):
                if isinstance(v, float) and not v.is_integer():
                    self.error("N301", f"{p.name} takes integers, but this range gives {v}", n.start, n.end)
                    return
            if hp.step is not None and isinstance(hp.step, float) and not hp.step.is_integer():
                self.error("N301", f"{p.name} takes integers; the step {hp.step} is not one",
                           node.start, node.end)
                return
            hp.is_int = True
        elif p.kind not in ("float", "any"):
            self.error("N301", f"{p.name} takes {kind_text(p)}, not a numeric range",
                       node.start, node.end)
            return
        for v, n in ((hp.low, lo_node), (hp.high, hi_node)):
            self.check_bounds(p, v, n)
        if p.name in LR_NAMES and hp.kind == "range" and hp.low > 0 and hp.high / hp.low >= 100:
            decades = math.log10(hp.high / hp.low)
            lo_t = self.text[lo_node.start:lo_node.end]
            hi_t = self.text[hi_node.start:hi_node.end]
            self.error("N409", f"{p.name} searched linearly over {decades:.1g} decades: most trials "
                       f"land near {hp.high}; use log_range", node.start, node.end,
                       fixes=(Fix("Use log_range", node.start, node.end,
                                  f"HPO(log_range({lo_t}, {hi_t}))"),))
