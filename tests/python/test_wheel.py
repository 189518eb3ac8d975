"""The release wheel (scripts/build-python-wheel.sh) installs on Lambda: it needs no
glibc symbol newer than 2.17 (manylinux2014; Amazon Linux 2 has 2.26) and is small."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

WHEELS = sorted((ROOT / "target" / "wheels-python").glob("apigw_management-*-abi3-*.whl"))


def glibc_versions(so: Path) -> set[tuple[int, ...]]:
    out = subprocess.run(["objdump", "-T", str(so)], capture_output=True, text=True, check=True).stdout
    return {tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_([0-9.]+)", out)}


@pytest.mark.skipif(not WHEELS, reason="no release wheel: run scripts/build-python-wheel.sh")
@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump (binutils) is not installed")
def test_wheel_needs_old_glibc_and_is_small() -> None:
    wheel = WHEELS[-1]
    assert "manylinux" in wheel.name and "abi3" in wheel.name, wheel.name
    assert wheel.stat().st_size <= 6 * 1024 * 1024, f"{wheel.name}: {wheel.stat().st_size} bytes"
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        assert "apigw_management/py.typed" in names and "apigw_management/_native.pyi" in names
        so = next(n for n in names if n.endswith(".so"))
        path = Path(z.extract(so, tmp))
        versions = glibc_versions(path)
    assert versions, "no GLIBC_ symbol versions found"
    assert max(versions) <= (2, 17), f"needs GLIBC_{'.'.join(map(str, max(versions)))}"
