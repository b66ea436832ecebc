"""The core stays light (no Textual/NumPy/Rich/YAML at import) and import-linter's contracts hold."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CORE = ("trainer.cli, trainer.deck, trainer.grading, trainer.session, trainer.stats, trainer.batch, "
        "trainer.scheduler, trainer.reviewlog, trainer.notes.parse, trainer.notes.write, trainer.notes.store")


def _env():
    return dict(os.environ, PYTHONPATH=str(REPO))


def test_core_imports_no_heavy_modules():
    code = (f"import {CORE}; import sys, json; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual','numpy','rich','yaml'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=REPO, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []


def test_yaml_is_imported_only_when_a_note_is_parsed():
    code = ("import sys, json; from trainer.notes.parse import parse_note; "
            "a = 'yaml' in sys.modules; parse_note(b'# no frontmatter', 'x.md'); b = 'yaml' in sys.modules; "
            "parse_note(b'---\\na: 1\\n---\\n', 'x.md'); print(json.dumps([a, b, 'yaml' in sys.modules]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=REPO, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [False, False, True]


def test_cli_check_does_not_import_the_tui(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "n.md").write_text("---\nreview_count: 0\n---\n# Q\n")
    code = ("import sys, json; from trainer.cli import main; rc = main(['--deck', sys.argv[1], 'check', '--json']); "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual','numpy'))), file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "d")], capture_output=True, text=True, env=_env(),
                       cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stderr.strip().splitlines()[-1]) == []


def test_import_linter_contracts():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"]
    r = subprocess.run(cmd + ["--no-cache"], capture_output=True, text=True, cwd=REPO, env=_env(), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "broken" not in r.stdout.lower().replace("0 broken", "")


def test_no_import_cycle_in_trainer():
    """No module of trainer/ imports, directly or through others, a module that imports it back
    (imports under ``if TYPE_CHECKING`` do not count: they never run)."""
    import grimp

    graph = grimp.build_graph("trainer", exclude_type_checking_imports=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                m = stack.pop()
                on_stack.discard(m)
                component.append(m)
                if m == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert cycles == []
