"""The shipped wheels (scripts/build-python-wheel.sh TARGET, `make dist`) install where users
run them: each needs no glibc symbol newer than 2.17 (manylinux2014; Lambda's Amazon
Linux 2 has 2.26), is at most 8 MB, ships its types, and, installed with pip into a fresh
venv, posts, describes and deletes against a local gateway. The aarch64 wheel runs under
qemu-user in the arm64 userland of scripts/arm64-userland.sh.

These run under `make dist-check` and `make dist-ci` (REQUIRE_ARTEFACTS=1), where a
missing or stale wheel fails; `make test` skips them (the builds take minutes)."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from run_smoke import SMOKE, run_smoke

WHEELS = ROOT / "target" / "wheels-python"
ARM64_ROOT = ROOT / "target" / "arm64-root"
MAX_BYTES = 8 * 1024 * 1024
REQUIRED = os.environ.get("REQUIRE_ARTEFACTS") == "1"
NOT_REQUIRED = "artefact checks run under make dist-check and make dist-ci"
# What the wheel is built from: a wheel older than any of these is stale.
SOURCES = ["core/src", "local/src", "python", "Cargo.toml", "Cargo.lock", "pyproject.toml"]
ARCHES = ["x86_64", "aarch64"]


def newest_source(sources: list[str] = SOURCES) -> float:
    """The newest modification time of the tracked files under `sources`."""
    files = subprocess.run(["git", "ls-files", *sources], cwd=ROOT, capture_output=True, text=True, check=True)
    return max((ROOT / f).stat().st_mtime for f in files.stdout.split() if (ROOT / f).exists())


def wheel_for(arch: str) -> Path:
    """The built wheel for `arch`; fails if missing or stale."""
    if not REQUIRED:
        pytest.skip(NOT_REQUIRED)
    found = sorted(WHEELS.glob(f"apigw_management-*-abi3-*manylinux*_{arch}.whl"))
    problem = None
    if not found:
        problem = f"no {arch} wheel in target/wheels-python: run scripts/build-python-wheel.sh"
    elif found[-1].stat().st_mtime < newest_source():
        problem = f"{found[-1].name} is older than its sources: run scripts/build-python-wheel.sh"
    if problem:
        pytest.fail(problem)
    return found[-1]


def glibc_versions(so: Path) -> set[tuple[int, ...]]:
    out = subprocess.run(["readelf", "--dyn-syms", "-W", str(so)], capture_output=True, text=True, check=True).stdout
    return {tuple(int(p) for p in v.split(".")) for v in re.findall(r"@GLIBC_([0-9.]+)", out)}


def runner(arch: str) -> list[str]:
    """How to start a program of `arch` here: directly, or under qemu-user."""
    if arch == platform.machine():
        return []
    if shutil.which("qemu-aarch64") is None or not (ARM64_ROOT / "usr/bin/python3.11").exists():
        problem = "no qemu-aarch64 or arm64 userland: run scripts/arm64-userland.sh"
        if REQUIRED:
            pytest.fail(problem)
        pytest.skip(problem)
    return ["qemu-aarch64", "-L", str(ARM64_ROOT)]


@pytest.mark.parametrize("arch", ARCHES)
def test_wheel_needs_old_glibc_is_small_and_ships_types(arch: str, tmp_path: Path) -> None:
    wheel = wheel_for(arch)
    assert wheel.stat().st_size <= MAX_BYTES, f"{wheel.name}: {wheel.stat().st_size} bytes"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        assert "apigw_management/py.typed" in names and "apigw_management/_native.pyi" in names
        assert not [n for n in names if n.endswith((".rs", "Cargo.toml"))], names
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        so = next(n for n in names if n.endswith(".so"))
        path = Path(z.extract(so, tmp_path))
    assert "License-Expression: Apache-2.0" in meta
    out = subprocess.run(["readelf", "-h", str(path)], capture_output=True, text=True, check=True).stdout
    assert {"x86_64": "X86-64", "aarch64": "AArch64"}[arch] in out
    versions = glibc_versions(path)
    assert versions, "no GLIBC_ symbol versions found"
    assert max(versions) <= (2, 17), f"needs GLIBC_{'.'.join(map(str, max(versions)))}"


def pip_wheel() -> Path:
    """pip itself, as the wheel that ensurepip bundles (pure Python: runs on any arch)."""
    import ensurepip

    bundled = Path(ensurepip.__file__).parent / "_bundled"
    return sorted(bundled.glob("pip-*.whl"))[-1]


@pytest.mark.parametrize("arch", ARCHES)
def test_wheel_installs_in_a_fresh_venv_and_posts(arch: str, tmp_path: Path) -> None:
    wheel = wheel_for(arch)
    run = runner(arch)
    python = sys.executable if not run else str(ARM64_ROOT / "usr/bin/python3.11")
    venv = tmp_path / "venv"
    subprocess.run([*run, python, "-m", "venv", "--without-pip", "--copies", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    pip = [*run, str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "install", "--no-index", "--no-deps", str(wheel)],
        env={**env, "PYTHONPATH": str(pip_wheel())},
        check=True,
        timeout=600,
    )
    # Run outside the checkout, so only the installed package can be imported.
    seen = run_smoke([*run, str(venv / "bin" / "python"), str(SMOKE)], cwd=tmp_path, env=env)
    assert seen["machine"] == arch
    assert seen["module"].startswith(str(venv)), seen["module"]
