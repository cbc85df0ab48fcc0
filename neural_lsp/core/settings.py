"""The `neural` configuration section, as the VS Code extension declares it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LEVELS = {"error": 1, "warning": 2, "information": 3, "info": 3, "hint": 4}


def _bool(v: Any) -> bool | None:
    return v if isinstance(v, bool) else None


def _path(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _level(v: Any) -> int | None:
    return LEVELS.get(v.lower()) if isinstance(v, str) else None


# field -> (path in the section, reader returning None for a value of the wrong type, what it takes)
FIELDS = {
    "inlay_shapes": (("inlayHints", "shapes"), _bool, "true or false"),
    "diagnostics_level": (("diagnostics", "level"), _level,
                          "one of error, warning, information, hint"),
    "inlay_best_values": (("inlayHints", "bestValues"), _bool, "true or false"),
    "experiments_dir": (("experiments", "baseDir"), _path, "a path"),
}


@dataclass(frozen=True, slots=True)
class Settings:
    inlay_shapes: bool = True
    diagnostics_level: int = 4  # the least severe level published (LSP severity number)
    inlay_best_values: bool = True  # the best value found so far after each HPO expression
    experiments_dir: str = ""  # the experiment store ("" : see neural_lsp.results.experiments)

    @classmethod
    def from_client(cls, value: Any) -> tuple[Settings, list[str]]:
        """Settings from a `neural` section (or an object holding one). Each field defaults
        on its own: a client may send `{}`, null, a part of the section or values of the wrong
        type (Neovim, Helix and Emacs do), and each bad value is reported, never raised."""
        problems: list[str] = []
        if isinstance(value, dict) and isinstance(value.get("neural"), dict):
            value = value["neural"]
        if not isinstance(value, dict):
            if value is not None:
                problems.append(f"the 'neural' settings are not an object: {value!r}")
            return cls(), problems
        chosen: dict[str, Any] = {}
        for name, (path, read, takes) in FIELDS.items():
            raw = _get(value, *path)
            if raw is None:
                continue
            got = read(raw)
            if got is None:
                problems.append(f"neural.{'.'.join(path)} must be {takes}; got {raw!r} "
                                "(the default is used)")
            else:
                chosen[name] = got
        return cls(**chosen), problems


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
