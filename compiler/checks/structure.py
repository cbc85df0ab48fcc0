"""Networks and their sections: inputs, the layer statements, duplicate names and sections,
and each network's search space."""

from __future__ import annotations

from typing import Any

from compiler import diagnostics as dg
from compiler import vocab as V
from compiler.checks.common import CheckState, did_you_mean
from compiler.diagnostics import Fix, Related
from compiler.model import LayerIR, NetworkIR, StmtIR
from compiler.space import HPOParam, Space
from compiler.syntax import HPO, Const, DictV, LayerStmt, Network, Num, TupleV


class StructureChecks(CheckState):
    """A file's networks: sections, inputs and the statements of `layers:`."""

    def check(self) -> list[NetworkIR]:
        """Check the whole file: its macros, then each network."""
        self.check_defines()
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
        if dims[0] is None and len(dims) > 2:
            # `None` is a dimension of variable size and stays one: `(None, 8)` is sequences of
            # any length (Keras's Input(shape=(None, 8))). Before two or more sizes it is more
            # likely a batch axis written by habit: say so, and offer to remove it.
            first = items[0]
            end = items[1].start
            self.error("N312", "`None` is a dimension of variable size here; input shapes leave "
                       "out the batch dimension, so if it is the batch, remove it",
                       first.start, first.end,
                       fixes=(Fix("Remove the batch dimension", first.start, end, ""),))
        return tuple(dims)
