"""Shape inference over the whole HPO space.

Shapes flow layer by layer as a set: each possible shape carries a witness, the HPO values
that lead to it. A layer whose shape-changing parameters are searched is run once per
combination of their values (wide integer ranges become a `Span` dimension instead), so a
choice of kernel sizes gives every output shape, and a shape error that happens only for
some values is reported with those values.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from compiler import diagnostics as dg
from compiler import dims as D
from compiler.diagnostics import Diagnostic, Related
from compiler.dims import Dim, Shape, ShapeError, Span
from compiler.display import show
from compiler.model import HPORef, LayerIR, NetworkIR
from compiler.space import HPOParam

MAX_SHAPES = 256  # distinct shapes kept per layer
MAX_COMBOS = 4096  # value combinations tried per layer
SPAN_PARAMS = {"units", "filters", "output_dim", "depth_multiplier", "ff_dim", "key_dim"}

# A witness is a persistent linked list of (name, value) cells: (name, value, rest) or ().
# Extending it is O(1) whatever the depth, which keeps inference linear in layers.
Witness = tuple


def witness_items(w: Witness) -> list[tuple[str, Any]]:
    out = []
    while w:
        name, value, w = w
        out.append((name, value))
    out.reverse()
    return out


def witness_get(w: Witness, name: str, default: Any = None) -> Any:
    while w:
        n, value, w = w
        if n == name:
            return value
    return default


_MISSING = object()


@dataclass(slots=True, eq=False)
class LayerShape:
    """What inference found for one layer occurrence (after macro and `* N` expansion)."""

    layer: LayerIR
    inputs: dict[Shape, Witness] | None  # None: unknown (after an unknown layer)
    outputs: dict[Shape, Witness] | None
    params: Dim = None  # parameter count (a Span when HPO changes it)
    stmt_index: int = -1


@dataclass(slots=True, eq=False)
class NetworkShapes:
    network: NetworkIR
    layers: list[LayerShape] = field(default_factory=list)
    total_params: Dim = None
    stmt_diags: list[list[Diagnostic]] = field(default_factory=list)  # by statement index
    # Layers inside blocks (ResidualConnection { ... }), by statement index: each one's
    # shapes over every input its block receives.
    stmt_nested: list[dict[int, LayerShape]] = field(default_factory=list)
    inference: Inference | None = None  # kept so an edit can re-run part of it

    @property
    def output(self) -> dict[Shape, Witness] | None:
        if not self.layers:
            return None
        return self.layers[-1].outputs


def describe_witness(w: Witness, params: dict[str, HPOParam]) -> str:
    parts = []
    for name, v in witness_items(w):
        p = params.get(name)
        if p is not None and p.kind in ("choice", "custom") and isinstance(v, int):
            parts.append(f"{name}={p.option_display(v)}")  # (3, 3), "relu", Dense(64)
        else:
            parts.append(f"{name}={show(v)}")
    return " and ".join(parts)


class Inference:
    def __init__(self, net: NetworkIR) -> None:
        self.net = net
        self.diags: list[Diagnostic] = []
        self.params = {p.name: p for p in (net.space or [])}
        self.reported: set[tuple] = set()
        self.nested: dict[int, LayerShape] = {}
        self.block_total: tuple | None = None  # (layer, shape, witness, its children's total)
        self.static: dict[int, dict] = {}
        # Parameters used by more than one layer occurrence (macros, `* N`) must keep one value.
        seen: set[str] = set()
        self.shared: set[str] = set()
        self.has_blocks = False
        for layer in net.layers:
            for _pname, ref in self._plan(layer).refs if layer.spec else []:
                n = ref.param.name
                (self.shared if n in seen else seen).add(n)
            if layer.choice is not None:
                n = layer.choice.name
                (self.shared if n in seen else seen).add(n)
                self.shared.update(p.name for p in layer.choice.children)
            if layer.children:
                self.has_blocks = True
                self.shared.update(p.name for p in (net.space or []))

    def _plan(self, layer: LayerIR) -> _Plan:
        """What binding a layer's parameters needs, worked out once per layer (an edit empties
        `static`: compiler.incremental)."""
        key = id(layer)
        got = self.static.get(key)
        if got is None:
            got = self.static[key] = _Plan(self._shape_refs(layer))
        return got

    def _static(self, layer: LayerIR) -> dict:
        """Parameters of a layer with nothing searched that changes its shape (cached)."""
        plan = self._plan(layer)
        if plan.static is None:
            plan.static = self._bind(layer, {}, plan)
        return plan.static

    # ------------------------------------------------------------------ values
    def _values(self, ref: HPORef, name: str) -> list[Any]:
        p = ref.param
        vals = p.values()
        if vals is not None:
            return vals
        if p.kind == "range" and p.is_int and name in SPAN_PARAMS:
            return [Span(int(p.low), int(p.high))]
        if p.kind in ("range", "log_range"):
            lo, hi = p.low, p.high
            if p.is_int:
                return [int(lo), int(hi)]
            return [lo, hi]
        return [p.default()]

    def _shape_refs(self, layer: LayerIR) -> list[tuple[str, HPORef]]:
        """Searched parameters that change this layer's shape (the wrapped layer's too)."""
        out = []
        if layer.spec is None:
            return out
        for pname, v in layer.params.items():
            spec_p = layer.spec.param(pname)
            if isinstance(v, HPORef) and spec_p is not None and spec_p.shape:
                out.extend(self._flatten_ref(pname, v))
            elif isinstance(v, LayerIR):
                out.extend(self._shape_refs(v))
        return out

    def _flatten_ref(self, pname: str, ref: HPORef) -> list[tuple[str, HPORef]]:
        out = [(pname, ref)]
        p = ref.param
        for o in p.options if p.kind == "choice" or p.spreads else []:
            if p.spreads and isinstance(o, dict):
                o = o.get(pname)  # an HPO inside a custom option's argument
            if isinstance(o, HPORef):
                out.extend(self._flatten_ref(pname, o))
        return out

    def _bind(self, layer: LayerIR, assign: dict[str, Any], plan: _Plan | None = None) -> dict:
        """The layer's parameters with defaults, HPO values from `assign` (not to be modified:
        a layer without HPO or wrapped layer shares one dictionary)."""
        if plan is None:
            plan = self._plan(layer)
        if plan.dynamic is None:  # the first binding (a layer after an unknown shape has none)
            plan.base = layer.full_params()
            # (defaults are plain values: only given arguments are searched or layers)
            plan.dynamic = tuple(k for k, v in layer.params.items() if isinstance(v, (HPORef, LayerIR)))
        if not plan.dynamic:
            return plan.base
        out = dict(plan.base)
        for k in plan.dynamic:
            v = out[k]
            if isinstance(v, HPORef):
                got = self._resolve(v, assign, k)
                if got is _MISSING:  # a custom option that leaves this argument out
                    spec_p = layer.spec.param(k) if layer.spec else None
                    got = spec_p.default if spec_p is not None else None
                out[k] = got
            elif isinstance(v, LayerIR):
                out[k] = _Bound(v.spec, self._bind(v, assign)) if v.spec else None
        return out

    def _resolve(self, ref: HPORef, assign: dict[str, Any], pname: str) -> Any:
        p = ref.param
        v = assign.get(p.name)
        if v is None:
            v = p.default()
        if p.kind in ("choice", "custom") and isinstance(v, int) and not isinstance(v, Span):
            opt = p.options[v] if v < len(p.options) else None
            if isinstance(opt, HPORef):
                return self._resolve(opt, assign, pname)
            if p.spreads and isinstance(opt, dict):
                opt = opt.get(pname, _MISSING)
                return self._resolve(opt, assign, pname) if isinstance(opt, HPORef) else opt
            return opt
        return v

    # ------------------------------------------------------------------ inference
    def run(self) -> NetworkShapes:
        res = NetworkShapes(self.net, inference=self)
        state = self.input_state()
        for stmt in self.net.stmts:
            state = self.stmt(stmt, state, res.layers, res.stmt_diags, res.stmt_nested)
        res.total_params = total_params(res.layers)
        return res

    def input_state(self) -> dict[Shape, Witness] | None:
        return {self.net.inputs[0]: ()} if len(self.net.inputs) == 1 else None

    def stmt(self, stmt, state, out: list[LayerShape], diags: list[list[Diagnostic]],
             nested: list[dict[int, LayerShape]]):
        """Infer one statement's layers from `state`; returns the state after it."""
        mark = len(self.diags)
        self.nested = {}
        for layer in stmt.layers:
            ls = self.layer(layer, state, stmt.stmt.start, stmt.stmt.end)
            ls.stmt_index = stmt.index
            out.append(ls)
            state = ls.outputs
        diags.append(self.diags[mark:])
        nested.append(self.nested)
        for ls in self.nested.values():
            ls.stmt_index = stmt.index
        return state

    def _record(self, ls: LayerShape) -> None:
        """A block's layer: its shapes from every input the block receives, merged."""
        got = self.nested.get(id(ls.layer))
        if got is None:
            self.nested[id(ls.layer)] = LayerShape(
                ls.layer, dict(ls.inputs) if ls.inputs is not None else None,
                dict(ls.outputs) if ls.outputs is not None else None, ls.params)
            return
        if got.inputs is not None and ls.inputs is not None:
            for k, w in ls.inputs.items():
                got.inputs.setdefault(k, w)
        if ls.outputs is not None:
            if got.outputs is None:
                got.outputs = {}
            for k, w in ls.outputs.items():
                if len(got.outputs) < MAX_SHAPES:
                    got.outputs.setdefault(k, w)
        got.params = _merge_counts([got.params, ls.params])

    def layer(self, layer: LayerIR, state, use_s: int, use_e: int) -> LayerShape:
        if state is None:
            return LayerShape(layer, None, None, None)
        if layer.choice is not None:
            return self.choice_layer(layer, state, use_s, use_e)
        spec = layer.spec
        if spec is None or not layer.valid:
            return LayerShape(layer, state, None, None)
        plan = self.static.get(id(layer)) or self._plan(layer)
        refs = plan.refs
        out: dict[Shape, Witness] = {}
        counts: list[Dim] = []
        failures: list[tuple[Witness, ShapeError]] = []
        warns: list = []
        # A layer holding a block runs its children (apply, count); any other is its rule.
        block = spec.block != "no" and layer.children is not None
        rule, count = (self.apply, self.count) if block else (None, spec.count)
        # Unless a searched value was set by an earlier layer (a shared parameter), every input
        # shape tries the same assignments: bind the parameters for each of them once.
        shared = self.shared
        same = None if any(ref.param.name in shared for _p, ref in refs) else self._combos(layer, refs, ())
        for shape, wit in state.items():
            for cells, bound in same if same is not None else self._combos(layer, refs, wit):
                own = wit
                for k, v in cells:
                    own = (k, v, own)
                try:
                    o = (rule(layer, shape, bound, warns, own) if block else
                         spec.shape(shape, bound, warns))
                except ShapeError as e:
                    failures.append((own, e))
                    continue
                except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError, IndexError):
                    # A value the checks already reported (e.g. an HPO option of the wrong
                    # type): the shape is unknown, nothing more to say.
                    continue
                if o not in out and len(out) < MAX_SHAPES:
                    out[o] = own
                try:
                    counts.append(count(layer, shape, bound, o, own) if block else
                                  count(shape, bound, o))
                except (ShapeError, KeyError, TypeError, ValueError, ZeroDivisionError,
                        AttributeError, IndexError):
                    counts.append(None)
        if failures or warns:
            self.report(layer, failures, bool(out), use_s, use_e, warns)
        return LayerShape(layer, state, out if out else None, _merge_counts(counts))

    def _combos(self, layer: LayerIR, refs: list[tuple[str, HPORef]], wit: Witness) -> list[tuple[tuple, dict]]:
        """The assignments to try (at most MAX_COMBOS), each as the (name, value) cells it adds
        to the witness and the layer's parameters bound with it. A shared parameter that `wit`
        already sets keeps its value there."""
        if not refs:
            return [((), self._static(layer))]
        plan = self.static.get(id(layer)) or self._plan(layer)
        if len(refs) == 1:  # one searched parameter (the common case), not set earlier
            pname, ref = refs[0]
            pn = ref.param.name
            if pn not in self.shared or witness_get(wit, pn, _MISSING) is _MISSING:
                return [(((pn, v),), self._bind(layer, {pn: v}, plan))
                        for v in self._values(ref, pname)[:MAX_COMBOS]]
        names: list[str] = []
        choices: list[list[Any]] = []
        fixed: dict[str, Any] = {}
        for pname, ref in refs:
            pn = ref.param.name
            if pn in names or pn in fixed:
                continue
            prior = witness_get(wit, pn, _MISSING) if pn in self.shared else _MISSING
            if prior is not _MISSING:
                fixed[pn] = prior
                continue
            names.append(pn)
            choices.append(self._values(ref, pname))
        out = []
        for combo in itertools.islice(itertools.product(*choices), MAX_COMBOS):
            cells = tuple(zip(names, combo, strict=True))
            out.append((cells, self._bind(layer, {**fixed, **dict(cells)}, plan)))
        return out

    def apply(self, layer: LayerIR, shape: Shape, bound: dict, warns: list, assign) -> Shape:
        spec = layer.spec
        if spec.block != "no" and layer.children is not None:
            cur: dict[Shape, Witness] | None = {shape: assign}
            total: Dim = 0
            # count() takes the block's total from here: walking the children again there
            # doubled the work at every level of nesting (2**depth).
            self.block_total = (layer, shape, assign, None)
            for child in layer.children:
                ls = self.layer(child, cur, layer.start, layer.end)
                self._record(ls)
                total = D.add(total, ls.params)
                cur = ls.outputs
                if cur is None:
                    self.block_total = (layer, shape, assign, None)
                    return shape
            self.block_total = (layer, shape, assign, total)
            outs = list(cur)
            if spec.name == "ResidualConnection":
                bad = [o for o in outs if not _same(o, shape)]
                if bad:
                    raise ShapeError(
                        "N503",
                        f"ResidualConnection adds its input {D.fmt(shape)} to its block's output "
                        f"{D.fmt(bad[0])}: the shapes must match (keep the channels and use "
                        f'padding="same")',
                    )
                return shape
            return outs[0]
        return spec.shape(shape, bound, warns)

    def count(self, layer: LayerIR, shape: Shape, bound: dict, out: Shape, assign) -> Dim:
        spec = layer.spec
        if spec.block != "no" and layer.children is not None:
            got = self.block_total  # set by apply() for this layer, shape and witness
            ok = got is not None and got[0] is layer and got[1] == shape and got[2] is assign
            return got[3] if ok else None
        return spec.count(shape, bound, out)

    def choice_layer(self, layer: LayerIR, state, use_s: int, use_e: int) -> LayerShape:
        param = layer.choice
        out: dict[Shape, Witness] = {}
        counts: list[Dim] = []
        for j, alt in enumerate(param.options):
            sub: dict[Shape, Witness] = {}
            for shape, wit in state.items():
                prior = witness_get(wit, param.name, _MISSING)
                if prior is not _MISSING and prior != j:
                    continue
                sub[shape] = wit if prior is not _MISSING else (param.name, j, wit)
            if not sub:
                continue
            ls = self.layer(alt, sub, use_s, use_e)
            counts.append(ls.params)
            for o, w in (ls.outputs or {}).items():
                out.setdefault(o, w)
        return LayerShape(layer, state, out or None, _merge_counts(counts))

    def report(self, layer: LayerIR, failures, any_ok: bool, use_s: int, use_e: int, warns) -> None:
        s, e = layer.start, layer.end
        related: tuple[Related, ...] = ()
        if layer.macro:
            related = (Related(f"{layer.name} in macro '{layer.macro}'", s, e),)
            s, e = layer.use_start, layer.use_end
        for code, msg in warns:
            key = (s, code)  # one warning of a kind per layer, whatever the HPO values
            if key not in self.reported:
                self.reported.add(key)
                self.diags.append(dg.make(code, msg, s, e, related=related, severity=dg.Severity.WARNING))
        if not failures:
            return
        wit, err = failures[0]
        if any_ok and wit:
            msg = f"with {describe_witness(wit, self.params)}: {err.message}"
            if len(failures) > 1:
                msg += f" (and {len(failures) - 1} more combination{'s' if len(failures) > 2 else ''})"
        else:
            msg = err.message
        # One error of a kind per layer: a layer in a block meets each of the block's input
        # shapes (e.g. one per value of an earlier HPO choice) and would repeat it per shape.
        key = (s, layer.start, err.code)
        if key in self.reported:
            return
        self.reported.add(key)
        self.diags.append(dg.make(err.code, msg, s, e, related=related))


@dataclass(slots=True, eq=False)
class _Plan:
    """A layer's shape-changing HPO references, and its parameters with their defaults, of
    which `dynamic` names those bound anew for each assignment (HPO and wrapped layers)."""

    refs: list[tuple[str, HPORef]]
    base: dict | None = None  # (None until the layer is first bound)
    dynamic: tuple[str, ...] | None = None
    static: dict | None = None  # bound with no assignment


@dataclass(slots=True)
class _Bound:
    """A wrapped layer with concrete parameters, as wrapper shape rules expect it."""

    spec: Any
    params: dict


def _same(a: Shape, b: Shape) -> bool:
    return len(a) == len(b) and all(x == y or x is None or y is None for x, y in zip(a, b, strict=True))


def _merge_counts(counts: list[Dim]) -> Dim:
    if not counts or None in counts:
        return None
    types = set(map(type, counts))
    if len(types) == 1 and int in types:  # no Span: the common case, without the calls
        lo, hi = min(counts), max(counts)
        return lo if lo == hi else Span(lo, hi)
    return D.make(min(D.lo(v) for v in counts), max(D.hi(v) for v in counts))


def total_params(layers: list[LayerShape]) -> Dim:
    total: Dim = 0
    for ls in layers:
        total = D.add(total, ls.params)
    return total


def infer(net: NetworkIR) -> tuple[NetworkShapes, list[Diagnostic]]:
    inf = Inference(net)
    res = inf.run()
    return res, inf.diags
