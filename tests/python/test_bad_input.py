"""Bad input raises before any request is sent."""

from __future__ import annotations

from typing import Any

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
