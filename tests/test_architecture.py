"""The layout's rules, read from the source (AST; no third-party tool): the folders show the parts, data flows one
way (core → model → engine → outputs; surfaces control the engine through its public API), no import cycles,
the clock never imports torch, no module over ~500 lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rvae_server"
MAX_LINES = 500

#: What each part may import of the project (besides itself). ``engine.api`` is the engine's public control API.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "system": {"core"},
    "model": {"core"},
    "mining": {"core", "model"},
    "melody": {"core", "model"},
    "engine": {"core", "system", "model", "melody"},
    "outputs": {"core", "system", "engine.api"},
    "surfaces": {"core", "system", "model", "engine.api"},
    "web": {"core", "model", "engine.api", "surfaces"},
    "session": {"core", "system", "model", "melody", "engine", "outputs", "surfaces", "web"},
    "cli": {"core", "system", "model", "melody", "engine", "outputs", "surfaces", "web", "session", "mining"},
    "testing": {"core", "model", "engine", "surfaces"},  # the test kit: imported by no part (tests/test_kit.py)
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    found.update({module_name(p): p for p in (ROOT / "maxpatch").glob("*.py")})
    return found


def imports_of(name: str) -> set[str]:
    """Every project module ``name`` imports, anywhere in the file (lazy imports in functions too)."""
    path = modules()[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules():
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def third_party_imports(name: str) -> set[str]:
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


def part(name: str) -> str:
    """``rvae_server.engine.clock.base`` → ``engine``; the top-level package itself → ``""``."""
    parts = name.split(".")
    return parts[1] if parts[0] == "rvae_server" and len(parts) > 1 else ""


def test_every_part_imports_only_what_lies_upstream():
    wrong = []
    for name in modules():
        if not name.startswith("rvae_server.") or not part(name):
            continue
        mine = part(name)
        for target in imports_of(name):
            if not target.startswith("rvae_server.") or target == "rvae_server":
                continue
            theirs = part(target)
            if theirs == mine:
                continue
            allowed = ALLOWED[mine]
            if theirs in allowed or any(target == f"rvae_server.{a}" for a in allowed if "." in a):
                continue
            wrong.append(f"{name} imports {target}")
    assert not wrong, "imports against the flow:\n" + "\n".join(sorted(wrong))


def test_core_imports_nothing_of_the_project_but_core():
    for name in modules():
        if name.startswith("rvae_server.core"):
            outside = {
                t for t in imports_of(name) if t.startswith("rvae_server") and not t.startswith("rvae_server.core")
            }
            assert not outside, f"{name} imports {outside}"


def test_surfaces_reach_the_engine_only_through_its_control_api():
    for name in modules():
        if name.startswith(("rvae_server.surfaces", "rvae_server.web")):
            engine = {t for t in imports_of(name) if t.startswith("rvae_server.engine")}
            assert engine <= {"rvae_server.engine.api"}, f"{name} imports {engine - {'rvae_server.engine.api'}}"


def test_no_import_cycle_between_modules():
    graph = {name: imports_of(name) for name in modules()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            cycle = visit(name)
            assert cycle is None, "import cycle: " + " → ".join(cycle)


def _closure(start: str) -> set[str]:
    """Modules loaded when ``start`` is imported: its imports, and the packages (``__init__``) above each."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parent = name.rpartition(".")[0]
        while parent:
            if parent in modules():
                todo.append(parent)
            parent = parent.rpartition(".")[0]
        todo.extend(imports_of(name))
    return seen


def test_nothing_in_the_clock_imports_torch():
    clock = [name for name in modules() if name.startswith("rvae_server.engine.clock")]
    assert len(clock) >= 5  # one module per clock source behind one interface
    for name in clock:
        heavy = {m for m in _closure(name) if third_party_imports(m) & {"torch", "safetensors"}}
        assert not heavy, f"{name} imports torch through {sorted(heavy)}"
    code = "import sys, rvae_server.engine.clock; print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]", result.stdout


def test_no_module_is_over_500_lines():
    sources = [
        *PACKAGE.rglob("*.py"),
        *(PACKAGE / "web" / "static").rglob("*.js"),
        *(ROOT / "maxpatch").glob("*.py"),
        *(ROOT / "benchmarks").glob("*.py"),
        *(ROOT / "scripts").glob("*.py"),
    ]
    assert len(sources) > 60
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_rules_see_a_violation():
    """The checks above can fail: a clock module importing the model is caught by the torch rule's closure."""
    assert "rvae_server.model.network" in _closure("rvae_server.engine.engine")
    assert {"torch"} <= third_party_imports("rvae_server.model.network")
    assert part("rvae_server.engine.clock.base") == "engine" and part("rvae_server.cli") == "cli"
    assert part("rvae_server.system") == "system" and part("rvae_server") == ""
