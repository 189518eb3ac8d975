"""Replays every case of tests/vectors/*.json (except signing.json) through the Python
API against the scripted server, as the Rust and Node suites do."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple, Union

import pytest

import apigw_management as am
from apigw_management.testing import ScriptServer

from conftest import VECTORS

KIND_CLASSES: Dict[str, Union[type, Tuple[type, ...]]] = {
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
    # A bad value is an InvalidInputError (a ValueError); a value of the wrong type an
    # InvalidTypeError (a TypeError, and an InvalidInputError too).
    "InvalidInput": (ValueError, TypeError),
}


CASE_KEYS = {"name", "client", "call", "script", "expect", "expect_requests", "expect_request_count",
             "expect_signature_errors", "expect_gaps_ms", "skip"}
CLIENT_KEYS = {"max_attempts", "retry_base_delay_ms", "timeout_ms", "connect_timeout_ms", "retry_ambiguous",
               "max_payload_bytes", "endpoint", "region", "proxy"}
CALL_KEYS = {"op", "connection_id", "data", "connection_ids", "items", "concurrency"}
ERROR_KEYS = {"kind", "code", "status", "message", "message_contains", "request_id", "attempts", "retryable"}
CONNECTION_KEYS = {"connected_at", "last_active_at", "source_ip", "user_agent"}


def keys(v: Any, allowed: Set[str], required: Set[str], what: str) -> None:
    """A key outside `allowed` fails the case (a typo must not be ignored), as does a
    missing one of `required`."""
    assert isinstance(v, dict), f"{what} is not an object: {v!r}"
    unknown = set(v) - allowed
    assert not unknown, f"unknown key {sorted(unknown)} in {what}"
    missing = required - set(v)
    assert not missing, f"{what} lacks {sorted(missing)}"


def data_keys(v: Any, what: str) -> None:
    if isinstance(v, dict) and "repeat" in v:
        keys(v, {"repeat", "times"}, {"repeat", "times"}, what)
    elif isinstance(v, dict) and "base64" in v:
        keys(v, {"base64"}, {"base64"}, what)
    else:
        keys(v, {"utf8"}, {"utf8"}, what)


def validate(case: Dict[str, Any]) -> None:
    """Checks every key of a case against tests/vectors/README.md."""
    keys(case, CASE_KEYS, {"name", "client", "call", "script", "expect"}, "the case")
    keys(case["client"], CLIENT_KEYS, set(), "client")
    call = case["call"]
    keys(call, CALL_KEYS, {"op"}, "call")
    if "data" in call:
        data_keys(call["data"], "call.data")
    for item in call.get("items", []):
        keys(item, {"connection_id", "data"}, {"connection_id", "data"}, "an item")
        data_keys(item["data"], "an item's data")
    expect = case["expect"]
    keys(expect, {"ok", "connection", "error", "broadcast"}, set(), "expect")
    assert len(expect) == 1, "expect needs exactly one of ok, connection, error, broadcast"
    if "error" in expect:
        keys(expect["error"], ERROR_KEYS, set(), "expect.error")
    if "connection" in expect:
        keys(expect["connection"], CONNECTION_KEYS, CONNECTION_KEYS, "expect.connection")
    if "broadcast" in expect:
        every = {"delivered", "gone", "failed"}
        keys(expect["broadcast"], every, every, "expect.broadcast")
        for f in expect["broadcast"]["failed"]:
            keys(f, ERROR_KEYS | {"connection_id"}, {"connection_id"}, "failed")
    for r in case.get("expect_requests", []):
        keys(r, {"method", "path", "body"}, {"method", "path", "body"}, "expect_requests")
        data_keys(r["body"], "a request's body")


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
    """The case's options in Python's names and units (seconds). A value that is not a
    number is passed as it is: the binding must reject it, not the runner."""
    units = {
        "max_attempts": ("max_attempts", 1),
        "retry_base_delay_ms": ("retry_base_delay", 1000),
        "timeout_ms": ("timeout", 1000),
        "connect_timeout_ms": ("connect_timeout", 1000),
        "retry_ambiguous": ("retry_ambiguous", 1),
        "max_payload_bytes": ("max_payload_bytes", 1),
        "endpoint": ("endpoint", 1),
        "region": ("region", 1),
        "proxy": ("proxy", 1),
    }
    options: Dict[str, Any] = {}
    for key, value in spec.items():
        assert key in units, f"unknown client option {key}"
        name, div = units[key]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        options[name] = value / div if div != 1 and number else value
    return options


def make_client(server: ScriptServer, spec: Dict[str, Any]) -> am.Client:
    """The case's client: the server's endpoint, keys and region unless the case sets its
    own endpoint (`{server}` there is the server's `http://127.0.0.1:PORT`), region or proxy."""
    options = {"credentials": server.credentials, "region": "us-east-1", **client_options(spec)}
    endpoint = options.pop("endpoint", server.endpoint)
    if isinstance(endpoint, str):
        endpoint = endpoint.replace("{server}", server.endpoint.rsplit("/", 1)[0])
    return am.Client(endpoint, **options)


def check_error(err: BaseException, want: Dict[str, Any], where: str) -> None:
    kind = want.get("kind")
    if kind is not None:
        cls = KIND_CLASSES[kind]
        assert isinstance(err, cls), f"{where}: expected {cls}, got {err!r}"
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


def time_bound(spec: Dict[str, Any]) -> float | None:
    """Seconds a call may take at most: every attempt using its whole connect and
    response timeouts, plus 1 s for backoff and scheduling (the faults must fail within
    the configured timeouts, never the 10 s defaults or not at all)."""
    nums = [spec.get(k) for k in ("max_attempts", "timeout_ms", "connect_timeout_ms")]
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) and 0 <= n < 1e6 for n in nums):
        return None
    attempts, timeout, connect = (float(n) for n in nums)  # type: ignore[arg-type]
    return attempts * (timeout + connect) / 1000 + 1.0


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
    validate(case)
    if "python" in case.get("skip", []):
        pytest.skip("the case cannot be expressed in Python")
    with ScriptServer(case["script"]) as server:
        expect = case["expect"]
        error: Exception | None = None
        result: Any = None
        started = 0.0
        try:
            # A client that cannot be built is the outcome to compare, as a failed call is.
            client = make_client(server, case.get("client", {}))
            started = time.monotonic()
            result = call(client, case["call"])
        except Exception as e:  # noqa: BLE001 - checked against the case
            error = e
        took = time.monotonic() - started if started else 0.0
        bound = time_bound(case.get("client", {}))
        assert bound is None or took <= bound, f"{name}: took {took:.2f} s, bound {bound:.2f} s"
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
        check_requests(case, server.requests())


def check_requests(case: Dict[str, Any], requests: List[Dict[str, Any]]) -> None:
    """Compares the requests the server saw with the case: count, bytes, signatures, gaps."""
    name = case["name"]
    if "expect_request_count" in case:
        assert len(requests) == case["expect_request_count"], f"{name}: {len(requests)} requests"
    if "expect_requests" in case:
        got = [{"method": r["method"], "path": r["path"], "body": r["body"]} for r in requests]
        assert got == case["expect_requests"], name
    # Every request verifies unless the case names the ones that must not (in order).
    signatures = [r["signature_error"] for r in requests]
    assert signatures == case.get("expect_signature_errors", [None] * len(requests)), f"{name}: {signatures}"
    if "expect_gaps_ms" in case:
        at = [r["received_ms"] for r in requests]
        gaps = [b - a for a, b in zip(at, at[1:])]
        want = case["expect_gaps_ms"]
        fits = len(gaps) == len(want) and all(lo <= g <= hi for g, (lo, hi) in zip(gaps, want))
        assert fits, f"{name}: gaps between requests {gaps} ms, expected within {want}"


def test_there_are_vectors() -> None:
    assert len(CASES) >= 20
    assert any(n.startswith("bad_input: ") for n, _ in CASES)
