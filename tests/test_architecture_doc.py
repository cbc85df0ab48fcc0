"""docs/architecture.md matches the code: every path and module it names exists, every package
folder has its section with an "Invariant:" and an "API boundary:" line, and the invariants a
machine can check hold (what compiler/, neural_lsp/ and the runner's training, store and
datasets folders import, no import circles)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "architecture.md"
PACKAGES = ("compiler", "runner", "neural_lsp")
TOP = ("compiler", "runner", "neural_lsp", "tests", "scripts", "benchmarks", "editors", "examples",
       "docs", "vscode-extension")
CODE = re.compile(r"`([^`\n]+)`")
SECTION = re.compile(r"^### `([^`]+)`\s*$", re.M)

# What each package may import at all (module level or inside a function): the standard library
# and these. The language server must start with no ML framework installed and never runs the
# runner in process; the compiler is pure Python.
ALLOWED = {
    "compiler": {"compiler"},
    "neural_lsp": {"neural_lsp", "compiler", "pygls", "lsprotocol"},
}


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _sections(text: str) -> dict[str, str]:
    """`### `path`` heading -> the text up to the next heading."""
    heads = list(SECTION.finditer(text))
    out = {}
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        out[m.group(1)] = text[m.end():end]
    return out


def _module_names() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for f in (REPO / pkg).rglob("*.py"):
            parts = list(f.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = f
    return mods


def _defines(path: Path, name: str) -> bool:
    """Does the module bind `name` at its top level (def, class, assignment, import)?"""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
    return False


def test_every_path_the_doc_names_exists():
    named = set()
    for span in CODE.findall(_doc()):
        for word in span.split():
            word = word.strip(",;:()")
            if word.split("/")[0] in TOP and "/" in word and "*" not in word and "<" not in word:
                named.add(word)
    assert len(named) > 30, "the code map names the folders and modules it describes"
    missing = sorted(w for w in named if not (REPO / w.rstrip("/")).exists())
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_dotted_name_the_doc_names_resolves():
    mods = _module_names()
    bad = []
    for span in CODE.findall(_doc()):
        m = re.match(r"[A-Za-z_][\w.]*", span)
        if not m or m.group(0).split(".")[0] not in PACKAGES or "." not in m.group(0):
            continue
        name = m.group(0).rstrip(".")
        if name in mods:
            continue
        parent, _, attr = name.rpartition(".")
        while parent and parent not in mods:  # `module.Class.method`: check the class
            parent, _, attr = parent.rpartition(".")
        if not parent or not _defines(mods[parent], attr):
            bad.append(name)
    assert not bad, f"docs/architecture.md names modules or definitions that do not exist: {bad}"


def test_every_package_folder_has_a_section_with_its_invariant_and_api_boundary():
    sections = _sections(_doc())
    folders = {f"{p.parent.relative_to(REPO).as_posix()}/" for pkg in PACKAGES
               for p in (REPO / pkg).rglob("__init__.py")}
    missing = sorted(folders - set(sections))
    assert not missing, f"package folders without a `### `folder/`` section: {missing}"
    for name, body in sections.items():
        assert "Invariant:" in body, f"{name}: no Invariant: line"
        assert "API boundary:" in body, f"{name}: no API boundary: line"


def _imports(path: Path) -> set[str]:
    """Top-level names of every absolute import in the file, wherever it stands."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_invariant_allows(package):
    allowed = ALLOWED[package] | set(sys.stdlib_module_names) | {"__future__"}
    bad = {}
    for f in sorted((REPO / package).rglob("*.py")):
        extra = _imports(f) - allowed
        if extra:
            bad[f.relative_to(REPO).as_posix()] = sorted(extra)
    assert not bad, f"{package} imports outside its invariant: {bad}"


def test_the_doc_states_the_checked_invariants():
    sections = _sections(_doc())
    assert "runner" in sections["neural_lsp/"].split("Invariant:")[1].split("\n")[0]
    line = sections["compiler/"].split("Invariant:")[1].split("\n")[0]
    assert "standard library" in line


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, at module level or inside functions (an
    import under `if TYPE_CHECKING:` runs never and is left out)."""
    mods = _module_names()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for mod, path in mods.items():
        pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        out: set[str] = set()
        todo = list(ast.parse(path.read_text(encoding="utf-8")).body)
        while todo:
            node = todo.pop()
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                todo.extend(node.orelse)
                continue
            if isinstance(node, ast.Import):
                out.update(r for a in node.names if (r := resolve(a.name)))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
                    base = ".".join([*parts, base] if base else parts)
                for a in node.names:
                    full = f"{base}.{a.name}"
                    r = full if full in mods else resolve(base)
                    if r:
                        out.add(r)
            else:
                todo.extend(n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt))
                for h in getattr(node, "handlers", []):
                    todo.extend(h.body)
        out.discard(mod)
        graph[mod] = out
    return graph


# Circles still open: listed so that no new one can come in; when one is undone the test
# fails until it is taken off this list. (Issue #19 closed the last two: runner/hpo
# engine-results-analysis-trials and runner/tracking manager-report.)
KNOWN_CIRCLES: list[list[str]] = []


def test_no_module_imports_one_that_imports_it_back():
    """Not even inside a function: a circle means two modules settle one concept between them."""
    graph = _import_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    new = [c for c in circles if c not in KNOWN_CIRCLES]
    assert not new, f"modules that import each other (directly or round a circle): {new}"
    gone = [c for c in KNOWN_CIRCLES if c not in circles]
    assert not gone, f"these circles are gone: take them off KNOWN_CIRCLES: {gone}"


# What a runner folder may import of this project (docs/architecture.md, its Invariant: lines):
# training knows no compiler (it trains any contract module), the store knows nothing of
# training or search, the datasets take from the compiler only the names it checks.
PROJECT_IMPORTS = {
    "runner/training": ("runner.training", "runner.data", "runner.metrics"),
    "runner/tracking": ("runner.tracking", "runner.webui", "compiler.metrics", "compiler.store"),
    "runner/data": ("runner.data", "compiler.datasets"),
}


def _project_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                 else [])
        out.update(n for n in names if n.split(".")[0] in PACKAGES)
    return out


@pytest.mark.parametrize("folder", sorted(PROJECT_IMPORTS))
def test_runner_folder_imports_only_the_parts_its_invariant_names(folder):
    allowed = PROJECT_IMPORTS[folder]
    bad = {}
    for f in sorted((REPO / folder).rglob("*.py")):
        extra = sorted(n for n in _project_imports(f)
                       if not any(n == a or n.startswith(a + ".") for a in allowed))
        if extra:
            bad[f.relative_to(REPO).as_posix()] = extra
    assert not bad, f"{folder} imports parts of the project its invariant rules out: {bad}"


# The language server's layers (docs/architecture.md, neural_lsp/core/'s Invariant: line): the
# core depends on nothing above it; neural_lsp/handlers.py registers the features on it.
LSP_ABOVE_CORE = ("neural_lsp.features", "neural_lsp.results", "neural_lsp.query", "neural_lsp.handlers")


def _absolute_imports(path: Path, package: str) -> set[str]:
    """Every module name the file imports, wherever the import stands (inside functions, under
    `if TYPE_CHECKING:`), relative imports resolved against `package`."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # `from neural_lsp import handlers`
    return out


def test_the_lsp_core_imports_nothing_above_it():
    bad = {}
    for f in sorted((REPO / "neural_lsp" / "core").rglob("*.py")):
        above = sorted(n for n in _absolute_imports(f, "neural_lsp.core")
                       if any(n == a or n.startswith(a + ".") for a in LSP_ABOVE_CORE))
        if above:
            bad[f.relative_to(REPO).as_posix()] = above
    assert not bad, f"neural_lsp/core/ imports the layers above it: {bad}"


# Features answer with offsets; core/convert.py is the one step that makes LSP ranges and
# positions of them (docs/architecture.md, neural_lsp/features/'s Invariant: line).
# (semantic.py's `lines.column` is exempt: the token stream is line and column deltas.)
BUILDS_POSITIONS = re.compile(
    r"lines\.(range|position|units)\(|types\.(Range|Position|Location|TextEdit|LocationLink)\(")


def test_no_lsp_feature_builds_ranges_or_positions_itself():
    bad = {}
    for f in sorted((REPO / "neural_lsp").rglob("*.py")):
        rel = f.relative_to(REPO).as_posix()
        if rel.startswith("neural_lsp/core/") or rel == "neural_lsp/handlers.py":
            continue
        hits = [f"{i}: {line.strip()}" for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
                if BUILDS_POSITIONS.search(line)]
        if hits:
            bad[rel] = hits
    assert not bad, f"convert offsets with neural_lsp/core/convert.py, not in the feature: {bad}"
