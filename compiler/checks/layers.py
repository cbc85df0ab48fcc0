"""Layer statements and calls: repetition, devices, blocks, and binding arguments to a
layer's parameters (positional, named, and custom options that give named arguments)."""

from __future__ import annotations

from typing import Any

from compiler import diagnostics as dg
from compiler import layers as L
from compiler import support
from compiler.checks.common import CheckState, dict_options, did_you_mean, macro_for
from compiler.diagnostics import Fix, Related
from compiler.layers import Param
from compiler.model import HPORef, LayerIR
from compiler.syntax import HPO, Arg, Branch, Call, LayerStmt


class LayerChecks(CheckState):
    """From a layer statement to its checked layers."""

    def build_stmt(self, stmt: LayerStmt, path: str, macro: str | None) -> list[LayerIR]:
        expr = stmt.expr
        device = None
        if stmt.device is not None:
            if self.check_device(stmt.device.value, stmt.device.start, stmt.device.end):
                device = stmt.device.value
        times = 1
        if stmt.repeat is not None:
            r = stmt.repeat
            if not isinstance(r.value, int) or r.value < 1:
                self.error("N311", f"a repetition count must be a positive integer, got {r.text}",
                           r.start, r.end)
            else:
                times = r.value
        if isinstance(expr, Branch):
            self.error("N213", "named branches (`name: { ... }`) are not supported; "
                       "use ResidualConnection { ... } or a sequence of layers",
                       expr.name_start, expr.name_end)
            return []
        if isinstance(expr, HPO):
            ref = self.eval_hpo(expr, path, mode="layer")
            if ref is None:
                return []
            opts = [o for o in ref.param.options if isinstance(o, LayerIR)]
            if len(opts) != len(ref.param.options):
                self.error("N301", "a layer position takes a choice of layers, e.g. "
                           "HPO(choice(Dense(64), Dropout(0.5)))", expr.start, expr.end)
                return []
            chooser = LayerIR(None, "choice", {}, path, expr, choice=ref.param, device=device,
                              macro=macro)
            return [chooser] * times
        built = self.build_layer(expr, path, macro)
        if built is None:
            return []
        for layer in built:
            if device is not None:
                layer.device = device
        return built * times

    def build_layer(self, call: Call, path: str, macro: str | None) -> list[LayerIR] | None:
        name = call.name
        real = macro_for(name, self.macros)
        if real is not None:
            if call.args:
                self.error("N605", f"macro '{real}' takes no arguments", call.args_start, call.args_end)
            if call.block is not None:
                self.error("N211", f"macro '{real}' takes no block", call.start, call.end)
            body = self.expand_macro(real, call)
            if body is None:
                return None
            out = []
            for layer in body:
                clone = LayerIR(layer.spec, layer.name, layer.params, layer.path, layer.node,
                                layer.children, layer.device, layer.choice, real, call,
                                layer.valid)
                out.append(clone)
            return out
        if name.lower() in L.CODE_LAYERS:
            self.error("N305", f"{name}(...) holds code, and code in a .neural file is never "
                       "evaluated; use built-in layers", call.start, call.end)
            return None
        spec = L.lookup(name)
        if spec is None:
            hint = did_you_mean(name, [*L.canonical_names(), *self.macros])
            if hint and hint in self.macros:
                code, what = "N601", "undefined macro"
            else:
                code, what = "N201", "unknown layer"
            msg = f"{what} '{name}'" + (f"; did you mean '{hint}'?" if hint else "")
            fixes = (Fix(f"Change to '{hint}'", call.name_start, call.name_end, hint),) if hint else ()
            self.error(code, msg, call.name_start, call.name_end, fixes=fixes)
            # Still evaluate the arguments: HPO inside them is reported and named.
            for k, a in enumerate(call.args or []):
                self.eval_value(a.value, f"{path}.{name}.{a.name or f'[{k}]'}")
            return [LayerIR(None, name, {}, path, call, macro=macro)]
        layer = LayerIR(spec, spec.name, {}, path, call, macro=macro)
        r = support.layer_refusal(spec.name)
        if r is not None:
            self.error("N701", r.message(), call.name_start, call.name_end,
                       severity=dg.Severity.WARNING)
        mark = len(self.diags)  # only what binding adds is looked at: every diagnostic so far,
        # counted at each layer, made a program with an error per layer quadratic
        layer.params = self.bind_args(spec.name, spec.params, call.args or [], call,
                                      f"{path}.{spec.name}", layer_mode=True)
        layer.valid = not any(d.is_error for d in self.diags[mark:])
        if call.block is not None:
            if spec.block == "no":
                brace = self.text.find("{", call.args_end if call.args_end > 0 else call.name_end)
                self.error("N211", f"{spec.name} does not take a block of layers", brace, call.end)
            else:
                layer.children = []
                for j, st in enumerate(call.block):
                    layer.children.extend(self.build_stmt(st, f"{path}.{spec.name}.layers[{j}]", macro))
        elif spec.block == "required":
            self.error("N211", f"{spec.name} needs a block of layers: {spec.name} {{ ... }}",
                       call.name_start, call.name_end)
        return [layer]

    def bind_args(self, owner: str, params: tuple[Param, ...], args: list[Arg], call: Call,
                  path: str, layer_mode: bool = False, positional_names: bool = True) -> dict:
        by = {p.name: p for p in params}
        out: dict[str, Any] = {}
        where: dict[str, Arg] = {}
        seen_named = False
        spread: Arg | None = None
        for k, a in enumerate(args):
            if a.name is None and k == 0 and layer_mode and params and dict_options(a.value):
                spread, seen_named = a, True  # its options are named arguments
                continue
            if a.name is None:
                if seen_named:
                    self.error("N212", "a positional argument cannot follow a named one"
                               + (" (the custom options before it are named arguments)"
                                  if spread is not None else ""), a.start, a.end)
                    continue
                if k >= len(params):
                    self.error("N205", f"{owner} takes at most {len(params)} positional "
                               f"argument{'s' if len(params) != 1 else ''}", a.start, a.end)
                    continue
                p = params[k]
            else:
                seen_named = True
                p = by.get(a.name)
                if p is None:
                    hint = did_you_mean(a.name, by)
                    msg = f"{owner} has no parameter '{a.name}'" + (
                        f"; did you mean '{hint}'?" if hint else "")
                    fixes = (Fix(f"Change to '{hint}'", a.name_start, a.name_end, hint),) if hint else ()
                    self.error("N202", msg, a.name_start, a.name_end, fixes=fixes)
                    self.eval_value(a.value, f"{path}.{a.name}")
                    continue
            if p.name in out:
                self.error("N204", f"'{p.name}' is given twice", a.start, a.end,
                           related=(Related("first given here", where[p.name].start, where[p.name].end),))
                continue
            sub = f"{path}.{p.name}" if positional_names or a.name else f"{path}[{k}]"
            value = self.eval_value(a.value, sub, mode="layer" if p.kind == "layer" else "value")
            where[p.name] = a
            if value is None and isinstance(a.value, (HPO, Call)):
                out[p.name] = None  # already reported where it went wrong
                continue
            out[p.name] = self.validate(p, value, a.value, owner)
        if spread is not None:
            self.spread_custom(owner, params, spread, out, where, path)
            return out  # each option was checked for the required arguments
        missing = [p.name for p in params if p.required and p.name not in out]
        if missing and layer_mode is not None:
            names = ", ".join(f"'{m}'" for m in missing)
            self.error("N203", f"{owner} needs {names}", call.name_start, call.name_end)
        return out

    def spread_custom(self, owner: str, params: tuple[Param, ...], a: Arg, out: dict[str, Any],
                      where: dict[str, Arg], path: str) -> None:
        """`Dense(HPO(custom({"small": {"units": 64}, ...})))`: every option is checked as
        the layer's named arguments (with those written after it), so what check passes
        each option also compiles; every parameter an option sets refers to the one HPO."""
        ref = self.eval_value(a.value, f"{path}.{params[0].name}")
        if not isinstance(ref, HPORef):
            out.setdefault(params[0].name, None)  # already reported
            return
        hp = ref.param
        hp.spreads = True
        hp.context = owner
        by = {p.name: p for p in params}
        options = a.value.args[0].value.items
        keys: set[str] = set()
        for j, (label, ls, le, node) in enumerate(options):
            got: dict[str, Any] = {}
            for key, ks, ke, vnode in node.items:
                p = by.get(key)
                if p is None:
                    hint = did_you_mean(key, by)
                    fixes = (Fix(f"Change to '{hint}'", ks, ke, f'"{hint}"'),) if hint else ()
                    self.error("N202", f"{owner} has no parameter '{key}' (custom option "
                               f"'{label}' gives the layer's arguments)"
                               + (f"; did you mean '{hint}'?" if hint else ""), ks, ke, fixes=fixes)
                    continue
                if key in where or key in got:
                    first = where.get(key)
                    rel = (Related("also given here", first.start, first.end),) if first else ()
                    self.error("N204", f"'{key}' is given twice (custom option '{label}')", ks, ke,
                               related=rel)
                    continue
                got[key] = self.validate(p, hp.options[j].get(key), vnode, owner)
            hp.options[j] = got
            keys.update(got)
            if not node.items:
                self.error("N402", f"custom option '{label}' gives none of {owner}'s arguments",
                           ls, le)
                continue
            missing = [p.name for p in params if p.required and p.name not in out and p.name not in got]
            if missing:
                names = ", ".join(f"'{m}'" for m in missing)
                self.error("N203", f"{owner} needs {names}: custom option '{label}' does not give "
                           f"{'it' if len(missing) == 1 else 'them'}", ls, le)
        for key in keys:
            out[key] = ref
