"""What a search explores, as Optuna dimensions (`SearchDim`; not the shape dimensions of
compiler/dims.py): the program's own HPO expressions (compiler.space's parameters), plus or
replaced by an explicit `search_space` in the form the Neural DSL HPO documentation gives:

    {"learning_rate": {"type": "float", "min": 1e-4, "max": 1e-2, "log": True},
     "batch_size": {"type": "categorical", "values": [32, 64, 128]},
     "dropout_rate": {"type": "float", "min": 0.1, "max": 0.5}}

A key is a stable name (`layers[3].Dense.units`, `optimizer.Adam.learning_rate`,
`train.batch_size`) or one of the short names in ALIASES. A key naming a value the program
writes as a literal makes that literal searched; one naming an HPO expression replaces its
range. Every dimension knows where its value goes in the text, so a trial's program is the
original text with only those places changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from compiler.analysis import Analysis
from compiler.identity import dimension
from compiler.model import LayerIR, NetworkIR, OptimizerIR
from compiler.render import literal, render
from compiler.space import HPOParam
from compiler.syntax import HPO, Call, Const, Ident, Network, Num, Str, TupleV

ALIASES = {
    "learning_rate": "optimizer.*.learning_rate",
    "lr": "optimizer.*.learning_rate",
    "momentum": "optimizer.*.momentum",
    "batch_size": "train.batch_size",
    "epochs": "train.epochs",
    "dropout_rate": "*.Dropout.rate",
    "dropout": "*.Dropout.rate",
}
GRID_POINTS = 5  # continuous dimensions in grid search take this many evenly spaced values


class SearchSpaceError(ValueError):
    """An explicit search space that does not fit the program."""


@dataclass
class SearchDim:
    name: str
    kind: str  # categorical | int | float
    choices: list[Any] = field(default_factory=list)
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    param: HPOParam | None = None  # an HPO expression of the program
    targets: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, template)
    parent: str | None = None
    parent_option: int | None = None

    def size(self) -> int | None:
        if self.kind == "categorical":
            return len(self.choices)
        if self.kind == "int" and not self.log:
            return int((self.high - self.low) // (self.step or 1)) + 1
        if self.kind == "float" and self.step is not None:
            return int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        return None

    def grid_values(self) -> list[Any]:
        """Every value, or GRID_POINTS evenly spaced ones (log-spaced for log scales)."""
        n = self.size()
        if self.kind == "categorical":
            return list(self.choices)
        if n is not None and n <= 64:
            if self.kind == "int":
                return list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
            return [float(f"{self.low + i * self.step:.12g}") for i in range(n)]
        k = GRID_POINTS
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            vals = [math.exp(a + (b - a) * i / (k - 1)) for i in range(k)]
        else:
            vals = [self.low + (self.high - self.low) * i / (k - 1) for i in range(k)]
        if self.kind == "int":
            return sorted({int(round(v)) for v in vals})
        return [float(f"{v:.4g}") for v in vals]

    def suggest(self, trial: Any, grid: bool = False) -> Any:
        if grid and self.kind != "categorical" and (self.size() is None or self.size() > 64):
            return trial.suggest_categorical(self.name, self.grid_values())
        if self.kind == "categorical":
            return trial.suggest_categorical(self.name, self.choices)
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high),
                                     step=1 if self.log else int(self.step or 1), log=self.log)
        v = trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)
        return float(f"{v:.12g}") if self.step is not None else v  # 0.30000000000000004 -> 0.3

    def seed_form(self) -> dict[str, Any]:
        if self.kind == "categorical":
            out: dict[str, Any] = {"type": "categorical", "values": list(self.choices)}
        else:
            out = {"type": self.kind, "min": self.low, "max": self.high}
            if self.step is not None:
                out["step"] = self.step
            if self.log:
                out["log"] = True
        if self.parent is not None:
            out["condition"] = {"param": self.parent, "option": self.parent_option}
        return out

    def identity(self) -> dict[str, Any]:
        """This dimension in the search's identity (compiler.identity); for a program's own
        HPO expression it equals compiler.identity.param_dimension of that expression."""
        return dimension(self.name, self.kind, values=self.choices, low=self.low, high=self.high,
                         step=self.step, log=self.log, parent=self.parent, option=self.parent_option)

    def default(self) -> Any:
        if self.param is not None:
            return self.param.public_value(self.param.default())
        if self.kind == "categorical":
            return self.choices[0]
        if self.log:
            v = math.sqrt(self.low * self.high)
            return int(round(v)) if self.kind == "int" else float(f"{v:.6g}")
        return int(self.low) if self.kind == "int" else self.low


def _from_param(p: HPOParam) -> SearchDim:
    parent = p.parent.name if p.parent is not None else None
    option = None
    if p.parent is not None:
        option = next(i for i, (s, e) in enumerate(p.parent.option_spans)
                      if s <= p.node.start and p.node.end <= e)
    if p.kind in ("choice", "custom"):
        return SearchDim(p.name, "categorical", [p.public_value(i) for i in range(len(p.options))],
                         param=p, parent=parent, parent_option=option)
    if p.kind == "log_range":
        kind = "int" if p.is_int else "float"
        return SearchDim(p.name, kind, low=p.low, high=p.high, log=True, param=p, parent=parent,
                         parent_option=option)
    kind = "int" if p.is_int else "float"
    return SearchDim(p.name, kind, low=p.low, high=p.high, step=p.step, param=p, parent=parent,
                     parent_option=option)


# ------------------------------------------------------------------ literal locations


def _literal_sites(a: Analysis, net: NetworkIR) -> dict[str, tuple[int, int, str]]:
    """Stable name -> where its literal value stands (or where to insert one)."""
    sites: dict[str, tuple[int, int, str]] = {}

    def add_call(prefix: str, call: Call, names: list[str]) -> None:
        for k, arg in enumerate(call.args or []):
            name = arg.name or (names[k] if k < len(names) else None)
            if name is None or isinstance(arg.value, HPO):
                continue
            if isinstance(arg.value, (Num, Str, Const, Ident, TupleV)):
                sites[f"{prefix}.{name}"] = (arg.value.start, arg.value.end, "{v}")

    def walk(layers: list[LayerIR]) -> None:
        for layer in layers:
            if layer.spec is not None and isinstance(layer.node, Call):
                add_call(f"{layer.path}.{layer.spec.name}", layer.node, [p.name for p in layer.spec.params])
            if layer.children:
                walk(layer.children)

    walk(net.layers)
    node: Network = net.node
    opt = net.optimizer
    if isinstance(opt, OptimizerIR):
        from compiler.vocab import OPTIMIZERS

        names = [p.name for p in OPTIMIZERS[opt.name]]
        call = node.optimizer
        if isinstance(call, Call):
            add_call(f"optimizer.{opt.name}", call, names)
            if call.args is not None and not any(
                    (a_.name or (names[k] if k < len(names) else "")) == "learning_rate"
                    for k, a_ in enumerate(call.args)):
                at = call.args_start + 1
                sep = ", " if call.args else ""
                sites.setdefault(f"optimizer.{opt.name}.learning_rate", (at, at, "learning_rate={v}" + sep))
        elif isinstance(call, (Str, Ident)) and "(" not in getattr(call, "value", "("):
            sites.setdefault(f"optimizer.{opt.name}.learning_rate",
                             (call.start, call.end, opt.name + "(learning_rate={v})"))
    for e in node.train:
        if not isinstance(e.value, HPO):
            sites[f"train.{e.key}"] = (e.value.start, e.value.end, "{v}")
    close = node.end - 1  # the network's closing brace
    for key in ("batch_size", "epochs"):
        sites.setdefault(f"train.{key}", (close, close, f"  {key}: {{v}}\n"))
    return sites


def _match(pattern: str, name: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern.replace("[", "[[]"))


def build_dims(a: Analysis, net: NetworkIR, search_space: dict[str, Any] | None = None) -> list[SearchDim]:
    dims = [_from_param(p) for p in net.space or []]
    if not search_space:
        return dims
    sites = _literal_sites(a, net)
    by_name = {d.name: d for d in dims}
    for key, spec in search_space.items():
        new = _spec_dim(key, spec)
        if key in by_name:  # replaces the range of the program's own HPO expression
            old = by_name[key]
            node = old.param.node
            new.targets = [(node.start, node.end, "{v}")]
            dims = [d for d in dims if d is not old and not _inside(d, old)]
            dims.append(new)
            continue
        pattern = ALIASES.get(key, key)
        hits = [n for n in sites if _match(pattern, n)]
        if not hits and "*" not in pattern and "." not in pattern:
            hits = [n for n in sites if n.endswith("." + key)]
        hp = [d.name for d in dims if _match(pattern, d.name)]
        if hp and not hits:
            # e.g. "learning_rate" when the program already searches it: replace that range.
            for name in hp:
                old = next(d for d in dims if d.name == name)
                repl = _spec_dim(name if len(hp) > 1 else key, spec)
                repl.targets = [(old.param.node.start, old.param.node.end, "{v}")]
                dims = [d for d in dims if d is not old and not _inside(d, old)]
                dims.append(repl)
            continue
        if not hits:
            known = ", ".join(sorted(set(sites) | {d.name for d in dims})) or "none"
            raise SearchSpaceError(f"search_space key {key!r} matches nothing in network "
                                   f"{net.name!r}; names that do: {known}")
        new.targets = [sites[h] for h in hits]
        dims.append(new)
    return dims


def _inside(d: SearchDim, outer: SearchDim) -> bool:
    if d.param is None or outer.param is None:
        return False
    return outer.param.node.start <= d.param.node.start and d.param.node.end <= outer.param.node.end


def _spec_dim(name: str, spec: Any) -> SearchDim:
    if isinstance(spec, (list, tuple)):
        spec = {"type": "categorical", "values": list(spec)}
    if not isinstance(spec, dict):
        raise SearchSpaceError(f"search_space[{name!r}] must be a dict such as "
                               '{"type": "float", "min": 0.1, "max": 0.5}')
    kind = spec.get("type", "categorical" if "values" in spec or "choices" in spec else "float")
    if kind in ("categorical", "choice"):
        values = spec.get("values", spec.get("choices"))
        if not values:
            raise SearchSpaceError(f"search_space[{name!r}] needs a non-empty 'values' list")
        return SearchDim(name, "categorical", list(values))
    if kind not in ("int", "float"):
        raise SearchSpaceError(f"search_space[{name!r}]: unknown type {kind!r} (categorical, int, float)")
    lo = spec.get("min", spec.get("low"))
    hi = spec.get("max", spec.get("high"))
    if lo is None or hi is None or not lo < hi:
        raise SearchSpaceError(f"search_space[{name!r}] needs min < max, got {lo!r} and {hi!r}")
    log = bool(spec.get("log", False))
    if log and lo <= 0:
        raise SearchSpaceError(f"search_space[{name!r}]: a log scale needs min > 0")
    return SearchDim(name, kind, low=lo, high=hi, step=spec.get("step"), log=log)


# ------------------------------------------------------------------ values -> program


def is_active(d: SearchDim, by: dict[str, SearchDim], values: dict[str, Any]) -> bool:
    """A nested dimension counts only when the options above it are the chosen ones."""
    while d.parent is not None:
        parent = by.get(d.parent)
        if parent is None:
            return True
        chosen = values.get(parent.name, parent.default())
        if parent.choices.index(chosen) != d.parent_option:
            return False
        d = parent
    return True


def active_dims(dims: list[SearchDim], values: dict[str, Any]) -> list[SearchDim]:
    """Dimensions that matter under `values`."""
    by = {d.name: d for d in dims}
    return [d for d in dims if is_active(d, by, values)]


def render_values(text: str, net: NetworkIR, dims: list[SearchDim], values: dict[str, Any]) -> str:
    """The program text for a trial: the chosen values written where they belong."""
    internal: dict[str, Any] = {}
    edits: list[tuple[int, int, str]] = []
    for d in active_dims(dims, values):
        v = values.get(d.name, d.default())
        if d.param is not None and not d.targets:
            internal[d.name] = d.param.parse_public(v) if d.kind == "categorical" else v
        else:
            for s, e, tpl in d.targets:
                edits.append((s, e, tpl.format(v=literal(v))))
    return render(text, net.space, internal, edits)
