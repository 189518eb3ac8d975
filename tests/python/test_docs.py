"""Every Python block of the READMEs and docs/ runs against a local gateway, and every
JSON block parses (the Rust blocks are doctests of the core crate, the
JavaScript ones run in tests/node/docs.test.mjs).

A block's example endpoint and connection id are replaced by a fresh gateway's and one
of its live connections'; a ``handler`` the block defines is called with a route event.
A block fenced ``python notrun`` shows another SDK's code that this project does not
install; it is only compiled."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, NamedTuple

import pytest

from apigw_management.testing import LocalGateway

from conftest import ROOT

EXAMPLE_ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
EXAMPLE_ID = "L0SM9cOFvHcCIhw="
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.M | re.S)
PAGES = [ROOT / "README.md", ROOT / "python" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


class Block(NamedTuple):
    path: Path
    line: int
    info: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(*infos: str) -> List[Block]:
    out = []
    for path in PAGES:
        text = path.read_text()
        for m in FENCE.finditer(text):
            info = m.group(1).strip()
            if info in infos:
                out.append(Block(path, text.count("\n", 0, m.start()) + 1, info, m.group(2)))
    return out


PYTHON = blocks("python")


def test_the_docs_have_python_blocks() -> None:
    assert len(PYTHON) >= 10, [b.name for b in PYTHON]
    assert {b.path.name for b in PYTHON} >= {"README.md", "getting-started-python.md", "migration.md", "errors.md"}


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.name)
def test_python_block_runs_against_the_local_gateway(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    with LocalGateway(credentials=("AKIDLOCAL", "local-secret")) as gw:
        ws = gw.connect()
        for name, value in {
            "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": gw.endpoint,
            "AWS_ACCESS_KEY_ID": "AKIDLOCAL",
            "AWS_SECRET_ACCESS_KEY": "local-secret",
            "AWS_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        code = block.code.replace(EXAMPLE_ENDPOINT, gw.endpoint).replace(EXAMPLE_ID, ws.connection_id)
        namespace: Dict[str, Any] = {"__name__": "__docs__"}
        exec(compile(code, block.name, "exec"), namespace)
        if callable(namespace.get("handler")):
            answer = namespace["handler"](gw.event(ws.connection_id))
            assert answer["statusCode"] == 200, block.name
        if EXAMPLE_ID in block.code and re.search(r"post_to_connection|broadcast|handler", block.code):
            assert ws.receive(timeout=5.0) is not None, f"{block.name}: nothing reached the client"


@pytest.mark.parametrize("block", blocks("python notrun"), ids=lambda b: b.name)
def test_python_block_of_another_sdk_compiles(block: Block) -> None:
    compile(block.code, block.name, "exec")


@pytest.mark.parametrize("block", blocks("json"), ids=lambda b: b.name)
def test_json_block_parses(block: Block) -> None:
    json.loads(block.code)
