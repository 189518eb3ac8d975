"""Replays every case of tests/vectors/*.json (except signing.json) through the Python
API against the scripted server, as the Rust and Node suites do."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import apigw_management as am
from apigw_management.testing import ScriptServer

from conftest import VECTORS

KIND_CLASSES = {
    "Gone": am.GoneException,
    "Forbidden": am.ForbiddenException,
    "LimitExceeded": am.LimitExceededException,
    "PayloadTooLarge": am.PayloadTooLargeException,
    "Service": am.ServiceError,
    "Timeout": am.TransportError,
    "Connect": am.TransportError,
    "Tls": am.TransportError,
    "Protocol": am.TransportError,
    "Credentials": am.CredentialsError,
    "Config": am.ConfigError,
    "InvalidInput": ValueError,
}


def load_cases() -> List[Tuple[str, Dict[str, Any]]]:
    cases = []
    for path in sorted(Path(VECTORS).glob("*.json")):
        if path.name == "signing.json" or path.name.startswith("signing"):
            continue
        doc = json.loads(path.read_text())
        for case in doc["cases"] if isinstance(doc, dict) else doc:
            cases.append((f"{path.stem}: {case['name']}", case))
    return cases


CASES = load_cases()


def data_of(spec: Dict[str, Any]) -> bytes | str:
    if "utf8" in spec:
        return str(spec["utf8"])
    if "base64" in spec:
        return base64.b64decode(spec["base64"])
    if "repeat" in spec:
        return str(spec["repeat"]) * int(spec["times"])
    raise AssertionError(f"unknown data spec {spec}")


def client_options(spec: Dict[str, Any]) -> Dict[str, Any]:
    units = {
        "max_attempts": ("max_attempts", 1),
        "retry_base_delay_ms": ("retry_base_delay", 1000),
        "timeout_ms": ("timeout", 1000),
        "connect_timeout_ms": ("connect_timeout", 1000),
        "retry_ambiguous": ("retry_ambiguous", 1),
        "max_payload_bytes": ("max_payload_bytes", 1),
    }
    options: Dict[str, Any] = {}
    for key, value in spec.items():
        assert key in units, f"unknown client option {key}"
        name, div = units[key]
        options[name] = value / div if div != 1 else value
    return options


def check_error(err: BaseException, want: Dict[str, Any], where: str) -> None:
    kind = want.get("kind")
    if kind is not None:
        cls = KIND_CLASSES[kind]
        assert isinstance(err, cls), f"{where}: expected {cls.__name__}, got {err!r}"
        assert isinstance(err, am.ApiGatewayManagementError), f"{where}: {err!r}"
        assert err.kind == kind, f"{where}: kind {err.kind} != {kind}"
    assert isinstance(err, am.ApiGatewayManagementError)
    if "code" in want:
        assert err.code == want["code"], f"{where}: code {err.code!r}"
    if "status" in want:
        assert err.status_code == want["status"], f"{where}: status {err.status_code!r}"
    if "message" in want:
        assert err.message == want["message"], f"{where}: message {err.message!r}"
    if "message_contains" in want:
        assert want["message_contains"] in err.message, f"{where}: message {err.message!r}"
    if "request_id" in want:
        assert err.request_id == want["request_id"], f"{where}: request id {err.request_id!r}"
    if "attempts" in want:
        assert err.attempts == want["attempts"], f"{where}: attempts {err.attempts}"
    if "retryable" in want:
        assert err.retryable == want["retryable"], f"{where}: retryable {err.retryable}"


def call(client: am.Client, spec: Dict[str, Any]) -> Any:
    op = spec["op"]
    if op == "post_to_connection":
        return client.post_to_connection(spec["connection_id"], data_of(spec["data"]))
    if op == "get_connection":
        return client.get_connection(spec["connection_id"])
    if op == "delete_connection":
        return client.delete_connection(spec["connection_id"])
    kwargs = {"concurrency": spec["concurrency"]} if "concurrency" in spec else {}
    if op == "broadcast":
        return client.broadcast(spec["connection_ids"], data_of(spec["data"]), **kwargs)
    if op == "post_many":
        items = [(i["connection_id"], data_of(i["data"])) for i in spec["items"]]
        return client.post_many(items, **kwargs)
    raise AssertionError(f"unknown op {op}")


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[n for n, _ in CASES])
def test_vector(case: Dict[str, Any]) -> None:
    name = case["name"]
    with ScriptServer(case["script"]) as server:
        client = server.client(**client_options(case.get("client", {})))
        expect = case["expect"]
        error: Exception | None = None
        try:
            result = call(client, case["call"])
        except Exception as e:  # noqa: BLE001 - checked against the case
            error = e
        if error is not None:
            assert "error" in expect, f"{name}: unexpected {error!r}"
            check_error(error, expect["error"], name)
        else:
            assert "error" not in expect, f"{name}: expected an error, got {result!r}"
            if "connection" in expect:
                want = expect["connection"]
                assert isinstance(result, am.Connection)
                assert result.connected_at.isoformat(timespec="milliseconds").replace("+00:00", "Z") == want["connected_at"]
                assert result.last_active_at.isoformat(timespec="milliseconds").replace("+00:00", "Z") == want["last_active_at"]
                assert result.connected_at.utcoffset() is not None
                assert result.identity.source_ip == want["source_ip"]
                assert result.identity.user_agent == want["user_agent"]
            elif "broadcast" in expect:
                want = expect["broadcast"]
                assert isinstance(result, am.BroadcastResult)
                assert result.delivered == want["delivered"], f"{name}: {result!r}"
                assert result.gone == want["gone"], f"{name}: {result.gone}"
                assert len(result.failed) == len(want["failed"]), f"{name}: {result.failed}"
                for (cid, err), w in zip(result.failed, want["failed"]):
                    assert cid == w["connection_id"]
                    check_error(err, {k: v for k, v in w.items() if k != "connection_id"}, name)
                assert bool(result) == (not want["failed"])
            else:
                assert expect.get("ok") is True
                assert result is None
        requests = server.requests()
        if not case.get("allow_signature_errors"):
            bad = [r for r in requests if r["signature_error"]]
            assert not bad, f"{name}: signature errors {[r['signature_error'] for r in bad]}"
        if "expect_request_count" in case:
            assert len(requests) == case["expect_request_count"], f"{name}: {len(requests)} requests"
        if "expect_requests" in case:
            got = [{"method": r["method"], "path": r["path"], **({"body": r["body"]} if "body" in w else {})}
                   for r, w in zip(requests, case["expect_requests"])]
            assert len(requests) == len(case["expect_requests"]), f"{name}: {len(requests)} requests"
            assert got == case["expect_requests"], name


def test_there_are_vectors() -> None:
    assert len(CASES) >= 20
