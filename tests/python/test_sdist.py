"""The sdist (`maturin sdist`, `make dist`) builds from source: pip installs it into a fresh
venv on a machine with Rust (compiling the extension), and the installed package posts,
describes and deletes against a local gateway. These run under `make dist-check`
(REQUIRE_ARTEFACTS=1), where a missing or stale sdist fails."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import ROOT
from run_smoke import SMOKE, run_smoke
from test_wheel import NOT_REQUIRED, REQUIRED, newest_source

SDISTS = sorted((ROOT / "target" / "wheels-python").glob("apigw_management-*.tar.gz"))


@pytest.fixture
def sdist() -> Path:
    if not REQUIRED:
        pytest.skip(NOT_REQUIRED)
    problem = None
    if not SDISTS:
        problem = "no sdist in target/wheels-python: run make dist"
    elif SDISTS[-1].stat().st_mtime < newest_source():
        problem = f"{SDISTS[-1].name} is older than its sources: run make dist"
    if problem:
        pytest.fail(problem)
    return SDISTS[-1]


def test_sdist_holds_the_sources_and_license(sdist: Path) -> None:
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    for want in ["pyproject.toml", "Cargo.lock", "LICENSE", "python/Cargo.toml", "python/src/lib.rs", "core/src/lib.rs", "local/src/lib.rs", "python/apigw_management/py.typed"]:
        assert want in names, f"the sdist lacks {want}"


def test_sdist_installs_from_source_in_a_fresh_venv_and_posts(sdist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    # Not the checkout's target directory (kept between runs, so a re-run is quicker).
    env["CARGO_TARGET_DIR"] = str(ROOT / "target" / "sdist-build")
    python = str(venv / "bin" / "python")
    build = subprocess.run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-binary", "apigw-management", str(sdist)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3000,
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    seen = run_smoke([python, str(SMOKE)], cwd=tmp_path, env=env)
    assert seen["module"].startswith(str(venv)), seen["module"]
