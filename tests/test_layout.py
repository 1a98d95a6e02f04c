"""The package tree tells the data flow, and its imports keep to it (read with ast, not by
importing, so a function-level import counts as much as one at the top).

desk → asr | ocr → language → letters → review: a part imports only parts below it in
that order (the desk, at the edge, may call any stage); learning/ (what approvals and past
letters teach) sits beside them, called by the desk and review, calling only language/;
only desk/ and review/ open the job database, and learning/ only its own practice database;
no two folders import each other, directly or round a loop.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
PARTS = ("desk", "asr", "ocr", "language", "letters", "review", "learning")
# The core's foundation: what every part may import, so it imports no part itself.
FOUNDATION = ("records", "config", "errors", "files")
FORBIDDEN = {
    "asr": {"language", "letters", "desk", "review", "learning"},
    "ocr": {"language", "letters", "desk", "review", "learning"},
    "letters": {"desk", "review"},
    "learning": {"desk", "review", "letters", "asr", "ocr"},
    "language": {"desk", "letters", "review", "learning"},
}
DATABASE_OPENERS = {"desk", "review"}
PRACTICE_DATABASE = {"learning"}  # practice.sqlite3, never the job database (it imports no desk/)
MAX_LINES = 300  # a module longer than this splits (one concept a module)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def node_of(module: str) -> str:
    """The folder a module belongs to (``asr``), or ``core.<name>`` for the core's modules."""
    parts = module.split(".")
    if len(parts) == 1:
        return "core"
    head = parts[1]
    return head if head in PARTS else f"core.{head}"


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    """(pipeline modules imported, other top-level modules imported) by one file."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    ours, others = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                (ours if alias.name.split(".")[0] == "pipeline" else others).add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "pipeline":
                others.add(target)
                continue
            for alias in node.names:  # `from . import outbox` imports the module pipeline.desk.outbox
                candidate = f"{target}.{alias.name}"
                as_module = PACKAGE.parent / Path(*candidate.split("."))
                ours.add(candidate if as_module.with_suffix(".py").is_file() or as_module.is_dir() else target)
    return ours, others


def package_graph() -> dict[str, dict[str, set[str]]]:
    """For each module of the package: the pipeline modules and the other modules it imports."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        ours, others = imports_of(path)
        graph[module_name(path)] = {"ours": ours, "others": others}
    return graph


def rule_breaks(graph: dict[str, dict[str, set[str]]]) -> list[str]:
    breaks = []
    for module, imports in graph.items():
        here = node_of(module)
        for target in sorted(imports["ours"]):
            there = node_of(target)
            if there in FORBIDDEN.get(here, ()):
                breaks.append(f"{module} imports {target}: {here}/ must not import {there}/")
            if here.removeprefix("core.") in FOUNDATION and there != here and there != "core" \
                    and there.removeprefix("core.") not in FOUNDATION:
                breaks.append(f"{module} imports {target}: the core's {here} imports no part")
            if there == "core.cli" and here != "core.cli":
                breaks.append(f"{module} imports {target}: nothing calls the command line")
        opens_db = "sqlite3" in imports["others"] or "pipeline.desk.store" in imports["ours"]
        if opens_db and here not in DATABASE_OPENERS | PRACTICE_DATABASE:
            breaks.append(f"{module} opens the job database: only desk/ and review/ may")
    return breaks


def folder_cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """Groups of folders (and core modules) that import each other round a loop (Tarjan)."""
    edges: dict[str, set[str]] = {}
    for module, imports in graph.items():
        here = node_of(module)
        edges.setdefault(here, set()).update(node_of(t) for t in imports["ours"] if node_of(t) != here)
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_imports_point_down_the_flow():
    assert rule_breaks(package_graph()) == []


def test_no_import_cycle_between_folders():
    assert folder_cycles(package_graph()) == []


def test_the_checks_catch_what_they_guard():
    """The two checks above, on imports planted to break each rule."""
    planted = {
        "pipeline.asr.faster": {"ours": {"pipeline.language.lexicons"}, "others": set()},
        "pipeline.language.clinical": {"ours": {"pipeline.letters.draft"}, "others": {"sqlite3"}},
        "pipeline.letters.draft": {"ours": {"pipeline.desk.outbox"}, "others": set()},
        "pipeline.config": {"ours": {"pipeline.ocr.pages"}, "others": set()},
        "pipeline.desk.watch": {"ours": {"pipeline.review.edits"}, "others": set()},
        "pipeline.review.edits": {"ours": {"pipeline.desk.store"}, "others": set()},
        "pipeline.ocr.read": {"ours": {"pipeline.desk.store"}, "others": set()},
    }
    breaks = "\n".join(rule_breaks(planted))
    for expected in ("asr/ must not import language/", "language/ must not import letters/",
                     "letters/ must not import desk/", "the core's core.config imports no part",
                     "pipeline.language.clinical opens the job database", "pipeline.ocr.read imports pipeline.desk"):
        assert expected in breaks
    assert "pipeline.review.edits opens" not in breaks  # review/ may open it
    assert folder_cycles(planted) == [["desk", "review"]]
    # a module imported by name (`from . import outbox`) is resolved to the module itself
    ours, _ = imports_of(PACKAGE / "desk" / "watch.py")
    assert "pipeline.desk.outbox" in ours and "pipeline.desk.approval" in ours


def test_the_tree_shows_the_parts():
    for part in PARTS:
        init = PACKAGE / part / "__init__.py"
        assert init.is_file(), f"pipeline/{part}/ is not a package"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 80, f"pipeline/{part}/__init__.py should say what the part does and hands on"
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert top == {"records", "config", "errors", "files", "process"}, top


def test_modules_stay_short():
    long = {str(p.relative_to(PACKAGE)): n for p in sorted(PACKAGE.rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"split these by concept: {long}"
