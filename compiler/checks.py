"""From syntax tree to checked model: names, structure, values, HPO expressions, macros.

Every problem becomes a diagnostic (N2xx, N3xx, N4xx, N6xx) with the range of the text at
fault; checking goes on after each one, so one pass reports everything.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from compiler import diagnostics as dg
from compiler import layers as L
from compiler import vocab as V
from compiler.diagnostics import Diagnostic, Fix, Related
from compiler.display import show
from compiler.layers import Param
from compiler.model import CallValue, HPORef, LayerIR, NetworkIR, OptimizerIR, StmtIR, Symbol
from compiler.offsets import shift
from compiler.parser import Parser
from compiler.space import HPOParam, Space
from compiler.syntax import (
    HPO,
    Arg,
    Branch,
    Call,
    Const,
    Define,
    DictV,
    File,
    Ident,
    LayerStmt,
    ListV,
    Network,
    Num,
    Str,
    TupleV,
)

HPO_KINDS = ("choice", "range", "log_range", "custom")
LR_NAMES = {"learning_rate", "initial_learning_rate", "lr"}


def macro_for(name: str, macros) -> str | None:
    """The macro a call named `name` uses: its exact name, or, when no built-in layer has the
    name, a macro spelled in another case (names match case-insensitively, as layers do)."""
    if name in macros:
        return name
    if L.lookup(name) is None:
        low = name.lower()
        return next((m for m in macros if m.lower() == low), None)
    return None



def _dict_options(node: Any) -> bool:
    """`HPO(custom({...}))` whose options are all dictionaries."""
    if not (isinstance(node, HPO) and node.kind.lower() == "custom" and len(node.args) == 1):
        return False
    d = node.args[0].value
    return isinstance(d, DictV) and bool(d.items) and all(isinstance(v, DictV) for *_k, v in d.items)

def did_you_mean(word: str, candidates, n: int = 1) -> str | None:
    low = {c.lower(): c for c in candidates}
    hit = difflib.get_close_matches(word.lower(), list(low), n=n, cutoff=0.6)
    return low[hit[0]] if hit else None


def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, Symbol):
        return f"name {v}"
    if isinstance(v, str):
        return f'string "{v}"'
    if v is None:
        return "none"
    if isinstance(v, tuple):
        return "tuple"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "dictionary"
    if isinstance(v, LayerIR):
        return f"layer {v.name}"
    if isinstance(v, CallValue):
        return f"call {v.name}(...)"
    return type(v).__name__


def _show(v: Any) -> str:
    """As written; a bare name (`loss: mse`) stays bare."""
    return str(v) if isinstance(v, Symbol) else show(v)


class Checker:
    def __init__(self, text: str, tree: File) -> None:
        self.text = text
        self.tree = tree
        self.diags: list[Diagnostic] = []
        self.macros: dict[str, Define] = {}
        self.macro_layers: dict[str, list[LayerIR]] = {}
        self.macro_params: dict[str, list[HPOParam]] = {}
        self.expanding: list[str] = []
        self.params: list[HPOParam] = []  # parameters met while building the current unit
        self.parent_stack: list[tuple[HPOParam, int]] = []  # enclosing choice option
        self.detached: list = []  # syntax parsed from inside strings (not in the tree)

    # ------------------------------------------------------------------ util
    def error(self, code: str, msg: str, start: int, end: int, **kw: Any) -> None:
        self.diags.append(dg.make(code, msg, start, end, **kw))

    # ------------------------------------------------------------------ file
    def check(self) -> list[NetworkIR]:
        for d in self.tree.defines:
            if not d.name:
                continue
            if d.name in self.macros:
                first = self.macros[d.name]
                self.error("N603", f"macro '{d.name}' is defined twice", d.name_start, d.name_end,
                           related=(Related("first definition", first.name_start, first.name_end),))
                continue
            self.macros[d.name] = d
            if L.lookup(d.name):
                self.error("N604", f"macro '{d.name}' has the name of a built-in layer; "
                           "the macro is used", d.name_start, d.name_end)
            if d.has_params:
                self.error("N605", f"macro '{d.name}' takes no parameters: write `define {d.name} {{ ... }}`",
                           d.name_start, d.name_end)
        for name in self.macros:
            self.expand_macro(name, None)
        seen: dict[str, Network] = {}
        nets = []
        for n in self.tree.networks:
            if n.name in seen:
                self.error("N210", f"network '{n.name}' is defined twice", n.name_start, n.name_end,
                           related=(Related("first definition", seen[n.name].name_start,
                                            seen[n.name].name_end),))
            else:
                seen[n.name] = n
            nets.append(self.check_network(n))
        return nets

    # ------------------------------------------------------------------ macros
    def expand_macro(self, name: str, use: Call | None) -> list[LayerIR] | None:
        if name in self.macro_layers:
            return self.macro_layers[name]
        if name in self.expanding:
            cycle = " -> ".join([*self.expanding[self.expanding.index(name):], name])
            if use is not None:
                self.error("N602", f"macro '{name}' uses itself ({cycle})", use.name_start, use.name_end)
            return None
        d = self.macros[name]
        self.expanding.append(name)
        saved_params, saved_stack = self.params, self.parent_stack
        self.params, self.parent_stack = [], []
        out: list[LayerIR] = []
        for j, stmt in enumerate(d.body):
            out.extend(self.build_stmt(stmt, f"{name}.layers[{j}]", macro=name))
        self.macro_params[name] = self.params
        self.params, self.parent_stack = saved_params, saved_stack
        self.expanding.pop()
        self.macro_layers[name] = out
        return out

    # ------------------------------------------------------------------ network
    def check_network(self, n: Network) -> NetworkIR:
        self.params = []
        self.parent_stack = []
        first: dict[str, Any] = {}
        for sec in n.sections:
            if sec.key in first:
                f = first[sec.key]
                self.error("N207", f"'{sec.key}' is given twice in network '{n.name}'",
                           sec.key_start, sec.key_end,
                           related=(Related(f"first '{sec.key}'", f.key_start, f.key_end),))
            else:
                first[sec.key] = sec
        inputs = self.check_inputs(n)
        net = NetworkIR(n.name, n, inputs)
        if n.layers is None:
            self.error("N206", f"network '{n.name}' has no 'layers:' section", n.name_start, n.name_end)
        elif not n.layers:
            ks, ke = n.layers_key
            self.error("N208", "the 'layers:' section is empty", ks, ke)
        for i, stmt in enumerate(n.layers or []):
            net.stmts.append(self.check_stmt(stmt, i))
        if n.loss is not None:
            self.check_loss(net, n.loss)
        if n.optimizer is not None:
            net.optimizer = self.check_optimizer(n.optimizer, "optimizer")
        if n.metrics is not None:
            net.metrics = self.check_metrics(n.metrics)
        net.train = self.check_entries(n.train, V.TRAIN_KEYS, "train")
        net.execute = self.check_entries(n.execute, V.EXECUTE_KEYS, "execute")
        dev = net.execute.get("device")
        if isinstance(dev, str):
            e = next(e for e in n.execute if e.key == "device")
            self.check_device(dev, e.value.start, e.value.end)
        for e in n.unknown:
            hint = did_you_mean(e.key, [*V.TRAIN_KEYS, "input", "layers", "loss", "optimizer", "metrics"])
            msg = f"unknown section '{e.key}'" + (f"; did you mean '{hint}'?" if hint else "")
            fixes = (Fix(f"Change to '{hint}'", e.key_start, e.key_end, hint),) if hint else ()
            self.error("N209", msg, e.key_start, e.key_end, fixes=fixes)
        mark = len(self.diags)
        self.check_output_vs_loss(net)
        net.tail_diags = self.diags[mark:]
        # The network's space: its own parameters and those of the macros it uses.
        seen: set[int] = set()
        params: list[HPOParam] = []
        for p in self.params + [q for m in self.used_macros(net) for q in self.macro_params.get(m, [])]:
            if id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        params.sort(key=lambda p: p.node.start)
        net.space = Space(params)
        return net

    def check_stmt(self, stmt: LayerStmt, index: int) -> StmtIR:
        """One statement of `layers:`, with the diagnostics and HPO parameters it produced."""
        mark, first = len(self.diags), len(self.params)
        layers = self.build_stmt(stmt, f"layers[{index}]", macro=None)
        return StmtIR(stmt, layers, index, self.diags[mark:], self.params[first:])

    def used_macros(self, net: NetworkIR) -> list[str]:
        out: list[str] = []

        def walk(layers):
            for layer in layers:
                if layer.macro and layer.macro not in out:
                    out.append(layer.macro)
                if layer.children:
                    walk(layer.children)
                if layer.choice:
                    walk([o for o in layer.choice.options if isinstance(o, LayerIR)])
        walk(net.layers)
        return out

    def check_inputs(self, n: Network) -> list:
        if not n.inputs:
            if not any(s.key == "input" for s in n.sections):
                self.error("N206", f"network '{n.name}' has no 'input:' section", n.name_start, n.name_end)
            return []
        shapes = []
        for node in n.inputs:
            if isinstance(node, DictV):
                self.error("N213", "named inputs (`input: { name: shape }`) are not supported; "
                           "give one shape", node.start, node.end)
                return []
            shapes.append(self.check_shape(node))
        if len(shapes) > 1:
            self.error("N213", f"network '{n.name}' has {len(shapes)} inputs; layers, shapes and code "
                       "generation use a single input", n.inputs[1].start, n.inputs[-1].end,
                       severity=dg.Severity.WARNING)
        return [s for s in shapes if s is not None] if all(s is not None for s in shapes) else []

    def check_shape(self, node) -> tuple | None:
        items = node.items if isinstance(node, TupleV) else [node]
        dims: list = []
        ok = True
        for it in items:
            if isinstance(it, Const) and it.value is None:
                dims.append(None)
            elif isinstance(it, Num) and isinstance(it.value, int):
                if it.value <= 0:
                    self.error("N306", f"input dimensions must be positive, got {it.value}", it.start, it.end)
                    ok = False
                dims.append(it.value)
            elif isinstance(it, HPO):
                self.error("N410", "HPO cannot choose the input shape: the data fixes it", it.start, it.end)
                ok = False
            else:
                self.error("N306", f"an input dimension must be a positive integer, got "
                           f"{self.text[it.start:it.end]}", it.start, it.end)
                ok = False
        if not items:
            self.error("N306", "the input shape is empty", node.start, node.end)
            return None
        if not ok:
            return None
        if dims[0] is None and len(dims) > 1:
            first = items[0]
            end = items[1].start
            self.error("N312", "input shapes leave out the batch dimension; this leading `None` "
                       "is read as the batch and ignored", first.start, first.end,
                       fixes=(Fix("Remove the batch dimension", first.start, end, ""),))
            dims = dims[1:]
        return tuple(dims)

    # ------------------------------------------------------------------ layers
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
        errors_before = sum(d.is_error for d in self.diags)
        layer.params = self.bind_args(spec.name, spec.params, call.args or [], call,
                                      f"{path}.{spec.name}", layer_mode=True)
        layer.valid = sum(d.is_error for d in self.diags) == errors_before
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
            if a.name is None and k == 0 and layer_mode and params and _dict_options(a.value):
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

    # ------------------------------------------------------------------ values
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

    # ------------------------------------------------------------------ validation
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
                self.validate_range(p, hp, hp.node)
            return value
        if value is None and node is None:
            return None
        return self.check_kind(p, value, node, owner)

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
            self.error("N301", f"{p.name} takes {self._kind_text(p)}, not a numeric range",
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

    def _kind_text(self, p: Param) -> str:
        return {
            "int": "an integer", "float": "a number", "bool": "true or false",
            "str": "a string", "enum": "one of " + ", ".join(f'"{c}"' for c in p.choices),
            "activation": "an activation name", "padding": '"valid", "same" or an integer',
            "ints": f"an integer or a tuple of {p.rank}", "shape": "a tuple of integers",
            "layer": "a layer", "any": "a value",
        }[p.kind]

    def check_bounds(self, p: Param, v: float, node) -> bool:
        if p.min is not None and (v < p.min or (p.min_open and v == p.min)):
            rel = "greater than" if p.min_open else "at least"
            self.error("N302", f"{p.name} must be {rel} {_show(p.min)}, got {_show(v)}", node.start, node.end)
            return False
        if p.max is not None and (v > p.max or (p.max_open and v == p.max)):
            rel = "below" if p.max_open else "at most"
            self.error("N302", f"{p.name} must be {rel} {_show(p.max)}, got {_show(v)}", node.start, node.end)
            return False
        return True

    def check_kind(self, p: Param, v: Any, node, owner: str) -> Any:
        k = p.kind
        s, e = (node.start, node.end) if node is not None else (0, 0)
        bad = False
        if k == "any":
            return v
        if k == "int":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                bad = True
            elif isinstance(v, float):
                if not v.is_integer():
                    self.error("N301", f"{p.name} must be an integer, got {_show(v)}", s, e)
                    return v
                self.error("N304", f"{p.name} is an integer: {_show(v)} is read as {int(v)}", s, e,
                           fixes=(Fix(f"Write {int(v)}", s, e, str(int(v))),))
                v = int(v)
            if not bad:
                self.check_bounds(p, v, node)
        elif k == "float":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                if isinstance(v, CallValue) and p.name in LR_NAMES:
                    return self.check_schedule(v, node)
                if isinstance(v, str) and p.name in LR_NAMES and "(" in v:
                    sub = self.subparse(node)
                    if sub is not None:
                        return self.check_kind(p, sub, node, owner)
                bad = True
            else:
                self.check_bounds(p, v, node)
        elif k == "bool":
            bad = not isinstance(v, bool)
        elif k == "str":
            bad = not isinstance(v, str)
        elif k in ("enum", "activation"):
            if v is None and k == "activation":
                return v
            if not isinstance(v, str):
                bad = True
            else:
                choices = L.ACTIVATIONS if k == "activation" else p.choices
                if v.lower() not in choices:
                    hint = did_you_mean(v, choices)
                    msg = f"{p.name} {_show(v)} is not one of: {', '.join(choices)}"
                    if hint:
                        msg = f"unknown {p.name} {_show(v)}; did you mean \"{hint}\"?"
                    q = '"'
                    fixes = (Fix(f'Change to "{hint}"', s, e, f"{q}{hint}{q}"),) if hint else ()
                    self.error("N303", msg, s, e, fixes=fixes)
                    return v
                return v.lower()
        elif k == "padding":
            if isinstance(v, str):
                if v.lower() not in L.PADDINGS:
                    hint = did_you_mean(v, L.PADDINGS)
                    self.error("N303", f'padding must be "valid", "same" or an integer, got {_show(v)}', s, e,
                               fixes=(Fix(f'Change to "{hint}"', s, e, f'"{hint}"'),) if hint else ())
                    return v
                return v.lower()
            if isinstance(v, int) and not isinstance(v, bool):
                if v < 0:
                    self.error("N302", f"padding must be at least 0, got {v}", s, e)
                return v
            bad = True
        elif k == "ints":
            items = v if isinstance(v, (tuple, list)) else (v,)
            if isinstance(v, (tuple, list)) and len(v) != p.rank:
                self.error("N301", f"{p.name} takes {p.rank} integer{'s' if p.rank > 1 else ''}, "
                           f"got {len(v)}: {self.text[s:e]}", s, e)
                return v
            for it in items:
                if isinstance(it, bool) or not isinstance(it, int):
                    if isinstance(it, float) and it.is_integer():
                        continue
                    bad = True
                    break
                if p.min is not None and it < p.min:
                    self.error("N302", f"{p.name} values must be at least {int(p.min)}, got {self.text[s:e]}",
                               s, e)
                    return v
            if not bad:
                return tuple(int(x) for x in items) if isinstance(v, (tuple, list)) else int(v)
        elif k == "shape":
            items = v if isinstance(v, (tuple, list)) else (v,)
            if not all(isinstance(x, int) and not isinstance(x, bool) and (x > 0 or x == -1) for x in items):
                self.error("N301", f"{p.name} must be a tuple of positive integers (one may be -1), "
                           f"got {self.text[s:e]}", s, e)
                return v
            return tuple(items)
        elif k == "layer":
            bad = not isinstance(v, LayerIR)
        if bad:
            self.error("N301", f"{p.name} of {owner} takes {self._kind_text(p)}, got {_type_name(v)}", s, e)
        return v

    def subparse(self, node: Str):
        """Values written inside a string, e.g. optimizer: "Adam(learning_rate=1e-4)"."""
        p = Parser(node.value)
        value = p.parse_value()
        if value is None or p.kinds[p.i] != "eof" or p.diags:
            return None
        shift(value, 0, node.start + 1)  # from the string's body to the file
        self.detached.append(value)
        return value

    # ------------------------------------------------------------------ training config
    def check_device(self, dev: str, s: int, e: int) -> bool:
        if not V.DEVICE_RE.match(dev.lower()):
            self.error("N307", f'unknown device "{dev}": use one of {V.DEVICES_TEXT}', s, e)
            return False
        return True

    def check_loss(self, net: NetworkIR, node) -> None:
        if isinstance(node, HPO):
            ref = self.eval_hpo(node, "loss", "value")
            if ref is not None:
                for j, o in enumerate(ref.param.options):
                    if isinstance(o, str):
                        canon = self.loss_name(o, ref.param.option_nodes[j])
                        if canon:
                            ref.param.options[j] = canon
                net.loss = ref
            return
        if isinstance(node, Call):
            canon = self.loss_name(node.name, node)
            net.loss = canon
            if canon:
                net.loss_params = self.bind_args(node.name, tuple(V.LOSS_PARAMS.values()), node.args or [],
                                                 node, "loss", layer_mode=None)
            return
        if isinstance(node, (Str, Ident)):
            text = node.value if isinstance(node, Str) else node.name
            net.loss = self.loss_name(text, node)
            return
        self.error("N301", "loss is a name such as \"categorical_crossentropy\"", node.start, node.end)

    def loss_name(self, text: str, node) -> str | None:
        key = text.lower()
        canon = V.LOSS_ALIASES.get(key) or V.LOSS_ALIASES.get(key.replace("_", ""))
        if canon:
            return canon
        hint = did_you_mean(text, list(V.LOSS_ALIASES))
        hint = V.LOSS_ALIASES.get(hint) if hint else None
        msg = f"unknown loss '{text}'" + (f"; did you mean '{hint}'?" if hint else
                                         f" (known: {', '.join(V.LOSSES)})")
        fixes = (Fix(f'Change to "{hint}"', node.start, node.end, f'"{hint}"'),) if hint else ()
        self.error("N308", msg, node.start, node.end, fixes=fixes)
        return None

    def check_optimizer(self, node, path: str):
        if isinstance(node, Str):
            sub = self.subparse(node) if "(" in node.value else Ident(node.value.strip(), node.start, node.end)
            if sub is None:
                self.error("N309", f'cannot read the optimizer "{node.value}"', node.start, node.end)
                return None
            node = sub
        if isinstance(node, HPO):
            ref = self.eval_hpo_optimizer(node, path)
            return ref
        if isinstance(node, Ident):
            node = Call(node.name, node.start, node.end, None, None, node.start, node.end)
            self.detached.append(node)  # not in the tree; the optimizer's offsets are its
        if not isinstance(node, Call):
            self.error("N301", "optimizer is a name or a call such as Adam(learning_rate=0.001)",
                       node.start, node.end)
            return None
        canon = V.OPTIMIZER_NAMES.get(node.name.lower())
        if canon is None:
            hint = did_you_mean(node.name, list(V.OPTIMIZERS))
            msg = f"unknown optimizer '{node.name}'" + (f"; did you mean '{hint}'?" if hint else
                                                       f" (known: {', '.join(V.OPTIMIZERS)})")
            fixes = (Fix(f"Change to '{hint}'", node.name_start, node.name_end, hint),) if hint else ()
            self.error("N309", msg, node.name_start, node.name_end, fixes=fixes)
            return None
        params = self.bind_args(canon, V.OPTIMIZERS[canon], node.args or [], node,
                                f"{path}.{canon}", layer_mode=None)
        return OptimizerIR(canon, params, node)

    def eval_hpo_optimizer(self, node: HPO, path: str):
        if node.kind.lower() != "choice":
            self.error("N410", "an optimizer is chosen with HPO(choice(Adam(...), SGD(...)))",
                       node.start, node.end)
            return None
        param = HPOParam(path, "choice", node, source=self.text)
        for j, a in enumerate(node.args):
            self.parent_stack.append((param, j))
            try:
                opt = self.check_optimizer(a.value, f"{path}.choice[{j}]")
            finally:
                self.parent_stack.pop()
            param.options.append(opt)
            param.option_nodes.append(a.value)
        if not node.args:
            self.error("N406", "HPO choice(...) needs at least one option", node.start, node.end)
            return None
        self.params.append(param)
        return HPORef(param)

    def check_schedule(self, v: CallValue, node) -> Any:
        canon = V.SCHEDULE_NAMES.get(v.name.lower())
        call = node if isinstance(node, Call) else None
        if canon is None or call is None:
            hint = did_you_mean(v.name, list(V.SCHEDULES))
            self.error("N303", f"unknown learning-rate schedule '{v.name}'"
                       + (f"; did you mean '{hint}'?" if hint else f" (known: {', '.join(V.SCHEDULES)})"),
                       v.start, v.end)
            return v
        specs = V.SCHEDULES[canon]
        out: dict[str, Any] = {}
        for k, a in enumerate(call.args or []):
            if a.name is None:
                if k >= len(specs):
                    self.error("N205", f"{canon} takes at most {len(specs)} positional arguments", a.start, a.end)
                    continue
                p = specs[k]
                val = v.params.get(k)
            else:
                p = next((q for q in specs if q.name == a.name), None)
                if p is None:
                    hint = did_you_mean(a.name, [q.name for q in specs])
                    self.error("N202", f"{canon} has no parameter '{a.name}'"
                               + (f"; did you mean '{hint}'?" if hint else ""), a.name_start, a.name_end)
                    continue
                val = v.params.get(a.name)
            out[p.name] = self.validate(p, val, a.value, canon)
        missing = [p.name for p in specs if p.required and p.name not in out]
        if missing:
            self.error("N203", f"{canon} needs " + ", ".join(f"'{m}'" for m in missing),
                       call.name_start, call.name_end)
        return CallValue(canon, out, v.node)

    def check_metrics(self, node) -> list[str]:
        items = node.items if isinstance(node, (ListV, TupleV)) else [node]
        out = []
        for it in items:
            if isinstance(it, (Str, Ident)):
                text = it.value if isinstance(it, Str) else it.name
                canon = V.METRIC_ALIASES.get(text.lower())
                if canon is None:
                    hint = did_you_mean(text, list(V.METRIC_ALIASES))
                    self.error("N303", f"unknown metric '{text}'" + (
                        f"; did you mean '{hint}'?" if hint else f" (known: {', '.join(V.METRICS)})"),
                        it.start, it.end)
                else:
                    out.append(canon)
            else:
                self.error("N301", "metrics is a list of names such as [\"accuracy\"]", it.start, it.end)
        return out

    def check_entries(self, entries, table: dict[str, Param], section: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first = {}
        for e in entries:
            key = V.TRAIN_ALIASES.get(e.key, e.key) if section == "train" else e.key
            p = table.get(key) if key else None
            if p is None:
                hint = did_you_mean(e.key, table)
                fixes = (Fix(f"Change to '{hint}'", e.key_start, e.key_end, hint),) if hint else ()
                self.error("N209", f"unknown {section} setting '{e.key}'"
                           + (f"; did you mean '{hint}'?" if hint else f" (known: {', '.join(table)})"),
                           e.key_start, e.key_end, fixes=fixes)
                continue
            if key in first:
                self.error("N204", f"'{key}' is given twice", e.key_start, e.key_end,
                           related=(Related("first given here", first[key].key_start, first[key].key_end),))
                continue
            first[key] = e
            if isinstance(e.value, HPO) and key in V.NOT_SEARCHABLE:
                self.error("N410", f"HPO cannot choose '{key}'", e.value.start, e.value.end)
                continue
            value = self.eval_value(e.value, f"{section}.{key}")
            out[key] = self.validate(p, value, e.value, section)
        return out

    def check_output_vs_loss(self, net: NetworkIR) -> None:
        last = next((s.layers[-1] for s in reversed(net.stmts) if s.layers), None)
        if not isinstance(net.loss, str) or last is None:
            return
        if last.spec is None or last.spec.name not in ("Output", "Dense"):
            return
        act = last.params.get("activation")
        units = last.params.get("units")
        if isinstance(act, HPORef) or isinstance(units, HPORef):
            return
        loss = net.loss
        msg = None
        if act == "softmax" and loss == "binary_crossentropy" and units == 1:
            msg = "softmax over 1 unit always outputs 1; use sigmoid with binary_crossentropy"
        elif act == "softmax" and units == 1:
            msg = "softmax over 1 unit always outputs 1"
        elif act == "sigmoid" and loss in ("categorical_crossentropy", "sparse_categorical_crossentropy") \
                and isinstance(units, int) and units > 1:
            msg = f"sigmoid outputs with {loss} do not form a distribution; use softmax"
        elif act == "softmax" and loss in ("mse", "mae") :
            msg = f"softmax output with the regression loss {loss}; use a linear output or a crossentropy"
        elif act in ("relu", "tanh") and loss in V.CLASSIFICATION_LOSSES:
            msg = f"{act} output with {loss}: use softmax (or sigmoid for binary)"
        if msg:
            self.error("N310", msg, last.start, last.end)
