"""Bad input raises before any request is sent."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import apigw_management as am
from apigw_management.testing import ScriptServer

SCRIPT = {"responses": {"*": [{"status": 200}]}}


@pytest.fixture
def server() -> Any:
    with ScriptServer(SCRIPT) as s:
        yield s


@pytest.mark.parametrize("bad", [1, 1.5, None, ["x"], {"a": 1}, object()], ids=lambda v: type(v).__name__)
def test_data_of_another_type_is_a_type_error_naming_it(server: ScriptServer, bad: Any) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        server.client().post_to_connection("abc=", bad)
    assert server.requests() == []


@pytest.mark.parametrize("bad", [1, None, b"abc="], ids=lambda v: type(v).__name__)
def test_connection_id_must_be_str(server: ScriptServer, bad: Any) -> None:
    with pytest.raises(TypeError, match="connection_id must be str"):
        server.client().get_connection(bad)
    assert server.requests() == []


def test_empty_id_is_a_value_error(server: ScriptServer) -> None:
    c = server.client()
    for call in (lambda: c.post_to_connection("", "x"), lambda: c.get_connection(""), lambda: c.delete_connection("")):
        with pytest.raises(ValueError) as info:
            call()
        assert isinstance(info.value, am.InvalidInputError)
        assert info.value.attempts == 0 and info.value.status_code is None
    assert server.requests() == []


def test_too_large_and_bad_broadcast_arguments(server: ScriptServer) -> None:
    c = server.client(max_payload_bytes=10)
    with pytest.raises(am.PayloadTooLargeException):
        c.post_to_connection("abc=", "x" * 11)
    with pytest.raises(am.PayloadTooLargeException):
        c.broadcast(["a=", "b="], "x" * 11)
    with pytest.raises(TypeError, match="iterable of str"):
        c.broadcast("abc=", "x")
    with pytest.raises(TypeError, match="pairs"):
        c.post_many(["abc="])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        c.broadcast(["a=", 3], "x")  # type: ignore[list-item, unused-ignore]
    with pytest.raises(ValueError):
        c.broadcast(["a="], "x", concurrency=0)
    assert server.requests() == []


def test_a_bytearray_changed_after_the_call_does_not_change_what_was_sent(server: ScriptServer) -> None:
    data = bytearray(b"before")
    server.client().post_to_connection("abc=", data)
    data[:] = b"after!"
    assert server.requests()[0]["body"] == {"utf8": "before"}


# Conversions the vectors cannot express (tests/vectors/bad_input.json has the rest):
# each raises the documented class naming the option, before any I/O, never a panic or
# a silently clamped value.
BAD_OPTIONS = [
    ("timeout", float("nan"), am.ConfigError),
    ("timeout", float("inf"), am.ConfigError),
    ("timeout", 10**400, am.ConfigError),
    ("connect_timeout", -0.001, am.ConfigError),
    ("retry_base_delay", float("-inf"), am.ConfigError),
    ("timeout", True, am.InvalidTypeError),
    ("max_attempts", float("nan"), am.ConfigError),
    ("max_attempts", 10**30, am.ConfigError),
    ("max_attempts", 2**200, am.ConfigError),
    ("max_attempts", "3", am.InvalidTypeError),
    ("max_attempts", False, am.InvalidTypeError),
    ("max_payload_bytes", -1, am.ConfigError),
    ("max_payload_bytes", 1e300, am.ConfigError),
    ("retry_ambiguous", "false", am.InvalidTypeError),
    ("region", 5, am.InvalidTypeError),
    ("region", "\ud800", am.ConfigError),
    ("proxy", b"http://proxy", am.InvalidTypeError),
]


@pytest.mark.parametrize("name, value, cls", BAD_OPTIONS, ids=[f"{n}={v!r}"[:40] for n, v, _ in BAD_OPTIONS])
def test_bad_option_values_are_refused_naming_the_option(server: ScriptServer, name: str, value: Any,
                                                          cls: "type[am.ApiGatewayManagementError]") -> None:
    with pytest.raises(cls) as info:
        am.Client(server.endpoint, **{"region": "us-east-1", "credentials": server.credentials, name: value})
    assert name in str(info.value) and info.value.attempts == 0
    assert isinstance(info.value, am.ApiGatewayManagementError) and isinstance(info.value, (TypeError, ValueError))
    if cls is am.InvalidTypeError:
        assert isinstance(info.value, TypeError) and info.value.kind == "InvalidInput"
    assert server.requests() == []


def test_a_whole_float_is_a_count_and_the_client_works(server: ScriptServer) -> None:
    server.client(max_attempts=2.0, max_payload_bytes=1e3).post_to_connection("abc=", "x")
    assert len(server.requests()) == 1


@pytest.mark.parametrize("call", [
    lambda c: c.broadcast(["a="], "x", concurrency=-1),
    lambda c: c.broadcast(["a="], "x", concurrency=2.5),
    lambda c: c.post_many([("a=", "x")], concurrency=10**30),
    lambda c: c.broadcast(["a="], "x", deadline=float("nan")),
    lambda c: c.broadcast(["a="], "x", deadline=-1),
    lambda c: c.post_to_connection("\udc80", "x"),
    lambda c: c.post_to_connection("abc=", "lone \ud800 surrogate"),
], ids=["concurrency -1", "concurrency 2.5", "concurrency 1e30", "deadline nan", "deadline -1", "id surrogate",
        "data surrogate"])
def test_bad_call_arguments_are_invalid_input(server: ScriptServer, call: Any) -> None:
    with pytest.raises(am.InvalidInputError) as info:
        call(server.client())
    assert info.value.kind == "InvalidInput" and info.value.attempts == 0
    assert server.requests() == []


def test_wrong_types_are_type_errors_with_kind_invalid_input(server: ScriptServer) -> None:
    c: Any = server.client()
    calls: "list[Callable[[], object]]" = [
        lambda: c.broadcast(["a="], "x", concurrency="4"), lambda: c.post_to_connection(7, "x"),
        lambda: c.post_to_connection("a=", 7), lambda: c.broadcast(["a="], "x", deadline="1")]
    for call in calls:
        with pytest.raises(TypeError) as info:
            call()
        assert isinstance(info.value, am.InvalidTypeError) and info.value.kind == "InvalidInput"
    assert server.requests() == []
