"""The .pyi stubs match the extension (stubtest), and mypy --strict passes on the package,
the examples and this suite."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_strict() -> None:
    out = run("mypy", "--strict", "python/apigw_management", "examples/python", "tests/python")
    assert out.returncode == 0, out.stdout + out.stderr


def test_stubtest() -> None:
    out = run("mypy.stubtest", "apigw_management._native", "--allowlist", "tests/python/stubtest-allowlist.txt")
    assert out.returncode == 0, out.stdout + out.stderr
