"""`define` blocks: duplicates, names that shadow layers, and expansion (with cycles)."""

from __future__ import annotations

from compiler import layers as L
from compiler.checks.common import CheckState
from compiler.diagnostics import Related
from compiler.model import LayerIR
from compiler.syntax import Call


class MacroChecks(CheckState):
    """Macros are checked once each and expanded where used."""

    def check_defines(self) -> None:
        """Register every `define` (reporting duplicates and odd names), then expand each once."""
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
