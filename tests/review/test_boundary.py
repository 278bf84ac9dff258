"""`review/` is the domain: it imports no web framework (STYLE habit 1)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import review

WEB = ("fastapi", "starlette", "jinja2")
REVIEW_DIR = Path(review.__file__).parent


def test_no_module_of_review_names_a_web_framework_in_an_import() -> None:
    offenders = []
    for path in sorted(REVIEW_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.relative_to(REVIEW_DIR)}: {name}" for name in names if name.split(".")[0] in WEB]
    assert offenders == []


def test_importing_every_module_of_review_loads_no_web_framework() -> None:
    script = (
        "import importlib, pkgutil, sys, review\n"
        "for module in pkgutil.walk_packages(review.__path__, 'review.'):\n"
        "    importlib.import_module(module.name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {WEB!r}))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
