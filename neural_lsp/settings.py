"""The `neural` configuration section, as the VS Code extension declares it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LEVELS = {"error": 1, "warning": 2, "information": 3, "info": 3, "hint": 4}


@dataclass(frozen=True, slots=True)
class Settings:
    inlay_shapes: bool = True
    diagnostics_level: int = 4  # the least severe level published (LSP severity number)
    inlay_best_values: bool = True  # the best value found so far after each HPO expression
    experiments_dir: str = ""  # the experiment store ("" : see neural_lsp.experiments)

    @classmethod
    def from_client(cls, value: Any) -> tuple[Settings, list[str]]:
        """Settings from a `neural` section (or an object holding one); bad values keep
        their default and are reported, never raised."""
        problems: list[str] = []
        if isinstance(value, dict) and isinstance(value.get("neural"), dict):
            value = value["neural"]
        if not isinstance(value, dict):
            if value is not None:
                problems.append(f"the 'neural' settings are not an object: {value!r}")
            return cls(), problems
        shapes = _get(value, "inlayHints", "shapes")
        if shapes is None:
            shapes = cls.inlay_shapes
        elif not isinstance(shapes, bool):
            problems.append(f"neural.inlayHints.shapes must be true or false, got {shapes!r}")
            shapes = cls.inlay_shapes
        level_name = _get(value, "diagnostics", "level")
        level = cls.diagnostics_level
        if level_name is not None:
            if isinstance(level_name, str) and level_name.lower() in LEVELS:
                level = LEVELS[level_name.lower()]
            else:
                problems.append("neural.diagnostics.level must be one of error, warning, "
                                f"information, hint; got {level_name!r}")
        best = _get(value, "inlayHints", "bestValues")
        if best is not None and not isinstance(best, bool):
            problems.append(f"neural.inlayHints.bestValues must be true or false, got {best!r}")
            best = None
        base = _get(value, "experiments", "baseDir")
        if base is not None and not isinstance(base, str):
            problems.append(f"neural.experiments.baseDir must be a path, got {base!r}")
            base = None
        # (not cls.inlay_best_values: on a slots dataclass that is a descriptor, not the default)
        return cls(shapes, level, True if best is None else best, base or ""), problems


def _get(d: dict, *path: str) -> Any:
    """`d["a"]["b"]`, or the flat key `d["a.b"]` some clients send."""
    flat = d.get(".".join(path))
    if flat is not None:
        return flat
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d
