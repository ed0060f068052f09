"""The layout's rules, read from the source (AST; no third-party tool): the folders show the parts, data flows one
way (core → model → engine → outputs; surfaces control the engine through its public API), no import cycles,
the clock never imports torch, no module over ~500 lines."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import re
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


def torch_free_modules() -> list[str]:
    """The control path — the engine's control API, the control surfaces, ``rvae osc`` and the Max patch generator —
    and the player process (its child program and what it runs: the player, the cursor, the clocks, the outputs)."""
    names = [
        name
        for name in modules()
        if name.startswith(("rvae_server.surfaces", "maxpatch", "rvae_server.session.player"))
        or name in ("rvae_server.engine.api", "rvae_server.cli.osc_send", "rvae_server.model.planes")
        or name in ("rvae_server.engine.player", "rvae_server.engine.cursor", "rvae_server.outputs.midiout")
    ]
    return sorted(names)


def test_the_control_path_and_the_player_process_never_import_torch():
    """Importing the control-path and player-process modules one after the other in a fresh interpreter leaves torch
    (and safetensors) out of ``sys.modules`` after each: ``rvae osc``, the Max generator and the player process start
    in a fraction of a second. Torch, once loaded, stays: the first module that loads it is the one named."""
    names = torch_free_modules()
    assert len(names) >= 25 and "rvae_server.surfaces.osc.table" in names
    code = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'safetensors'))\n"
        "    if heavy:\n"
        "        print(name, 'loads', heavy[0])\n"
        "        break\n"
    )
    result = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", result.stdout


def test_rvae_osc_parses_and_runs_without_torch_and_help_lists_every_command():
    """``rvae osc`` builds only its own subcommand's parser (the others import the model); ``rvae --help`` still
    lists every subcommand."""
    code = (
        "import contextlib, io, sys\n"
        "from rvae_server.cli import COMMANDS, build_parser, main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['-v', 'osc', '--list']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))\n"
        "print(' '.join(COMMANDS))\n"
        "print(build_parser().format_help())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded, commands, help_text = result.stdout.split("\n", 2)
    assert loaded == "[]"
    assert len(commands.split()) == 14
    for command in commands.split():
        assert f"\n    {command} " in help_text, command


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


#: A cross-reference in a docstring: ``:func:`name```, ``:class:`~a.b.C```, ``:meth:`C.m``` …
ROLE = re.compile(r":(func|class|meth|mod|data|attr|exc|obj):`~?([^`<>]+?)`")
#: References known to be stale (none: every one must resolve).
PENDING: set[str] = set()


def _docstrings(tree: ast.Module) -> list[tuple[list[str], str]]:
    """``(enclosing classes, docstring)`` of the module, its classes and functions."""
    out: list[tuple[list[str], str]] = []

    def visit(node: ast.AST, owner: list[str]) -> None:
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                out.append((owner, doc))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, [*owner, child.name])
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, owner)

    visit(tree, [])
    return out


def _found(scope: object, parts: list[str]) -> bool:
    """``scope.a.b.c`` exists, or ``c`` is an instance attribute its class assigns or annotates."""
    obj = scope
    for k, part in enumerate(parts):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        if k != len(parts) - 1 or not inspect.isclass(obj):
            return False
        try:
            source = inspect.getsource(obj)
        except (OSError, TypeError):
            return False
        return re.search(rf"(self\.{part}\b\s*[:=])|(^\s+{part}\s*:)", source, re.MULTILINE) is not None
    return True


def _resolves(target: str, module: str, owner: list[str]) -> bool:
    """Like Sphinx: a dotted name from an importable module, or a name seen from the docstring's module (or class)."""
    target = target.strip().removesuffix("()")
    if target.startswith("."):
        package = module if modules()[module].name == "__init__.py" else module.rpartition(".")[0]
        target = package + target
    parts = target.split(".")
    for k in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        if _found(found, parts[k:]):
            return True
        break
    scopes: list[object] = [builtins, importlib.import_module(module)]
    for name in owner:
        scopes.append(getattr(scopes[-1], name))
    return any(_found(scope, parts) for scope in scopes)


def test_every_docstring_cross_reference_names_something_that_exists():
    """Every ``:func:``/``:class:``/``:meth:``/``:mod:``/``:data:``/``:attr:`` reference in a docstring under
    rvae_server/ resolves (a renamed or moved name leaves no stale reference behind)."""
    stale, seen = [], 0
    for name, path in sorted(modules().items()):
        if not name.startswith("rvae_server"):
            continue
        for owner, doc in _docstrings(ast.parse(path.read_text(encoding="utf-8"))):
            for role, target in ROLE.findall(doc):
                seen += 1
                if not _resolves(target, name, owner):
                    stale.append(f"{name} :{role}:`{target}`")
    assert seen > 300
    assert set(stale) >= PENDING, f"no longer stale, remove from PENDING: {sorted(PENDING - set(stale))}"
    wrong = sorted(set(stale) - PENDING)
    assert not wrong, "docstrings naming what does not exist:\n" + "\n".join(wrong)


def test_the_rules_see_a_violation():
    """The checks above can fail: a module importing the model's network is caught by the torch rule's closure."""
    assert "rvae_server.model.network" in _closure("rvae_server.model.inference")
    assert {"torch"} <= third_party_imports("rvae_server.model.network")
    assert part("rvae_server.engine.clock.base") == "engine" and part("rvae_server.cli") == "cli"
    assert part("rvae_server.system") == "system" and part("rvae_server") == ""
