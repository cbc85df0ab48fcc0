"""The training configuration: loss, optimizer (and its learning-rate schedule), metrics,
`train`/`execute` settings, devices, and the last layer against the loss."""

from __future__ import annotations

from typing import Any

from compiler import vocab as V
from compiler.checks.common import CheckState, did_you_mean
from compiler.diagnostics import Fix, Related
from compiler.layers import Param
from compiler.model import CallValue, HPORef, NetworkIR, OptimizerIR
from compiler.space import HPOParam
from compiler.syntax import HPO, Call, Ident, ListV, Str, TupleV


class TrainingChecks(CheckState):
    """Everything of a network besides its input and layers."""

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
