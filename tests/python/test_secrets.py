"""Secrets never leak: with a distinctive secret key and session token, every error path
this suite can force (403 wrong secret, 500, timeout, half response, malformed
response, bad JSON, connect refused, TLS refused, config and bad input, through Client,
AsyncClient and boto3_compat) is run, and the repr/str of the clients, of every error
(and its fields, its boto3 `response`, its pickle) and all log output at DEBUG are
searched for the secret, the token and the signatures of the requests actually sent."""

from __future__ import annotations

import asyncio
import io
import logging
import pickle
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

import apigw_management as am
from apigw_management import boto3_compat
from apigw_management.testing import LocalGateway, ScriptServer

from test_transport import TlsServer, free_port, self_signed  # noqa: F401 - a fixture

KEY = "AKIDLEAKCHECK0000001"
SECRET = "sEcReT/LeakCheck+9f3Qz7Kx1Wv5Ty8Un2Rm4Lp6Jh0"
TOKEN = "ToKeN//LeakCheck+IQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJHMEUCIQDexample=="
OTHER_SECRET = "gAtEwAySeCrEt/OnlyTheServerKnows+5s8d"
ID = "L0SM9cOFvHcCIhw="
FAST: Dict[str, Any] = {"region": "us-east-1", "retry_base_delay": 0.001, "timeout": 0.2, "connect_timeout": 1.0,
                        "max_attempts": 2}


def texts_of(obj: object) -> List[str]:
    """Everything a user could print about an object or an exception."""
    out = [repr(obj), str(obj), f"{obj!s:>10}"]
    if isinstance(obj, BaseException):
        out += [repr(obj.args), repr(getattr(obj, "__dict__", {})), repr(getattr(obj, "response", None))]
        out.append(repr(pickle.dumps(obj)))
        cause = obj.__cause__ or obj.__context__
        if cause is not None:
            out += texts_of(cause)
    return out


Capture = Tuple[List[str], Callable[[object], None], io.StringIO]


@pytest.fixture
def capture() -> Iterator[Capture]:
    """Texts collected by the test, and a stream with every log record of any logger at
    DEBUG (the `apigw_management` logger included), formatted."""
    texts: List[str] = []
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    ours = logging.getLogger("apigw_management")
    old = (root.level, ours.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    ours.setLevel(logging.DEBUG)
    try:
        yield texts, lambda obj: texts.extend(texts_of(obj)), stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old[0])
        ours.setLevel(old[1])


def raises(add: Callable[[object], None], call: Callable[[], object]) -> BaseException:
    try:
        call()
    except Exception as e:  # noqa: BLE001 - every error is collected
        add(e)
        return e
    raise AssertionError("no error")


def test_no_secret_in_any_error_repr_or_log(capture: Capture, self_signed: Tuple[Path, Path],  # noqa: F811
                                            capfd: pytest.CaptureFixture[str]) -> None:
    texts, add, log = capture
    creds = (KEY, SECRET, TOKEN)
    kinds: List[str] = []
    sent: List[Dict[str, Any]] = []

    def collect(e: BaseException) -> None:
        kinds.append(getattr(e, "kind", type(e).__name__))

    # Scripted faults, signed with the distinctive keys (the server knows them).
    script = {"responses": {
        "five=": [{"status": 500, "body": '{"message":"Internal server error"}'}],
        "hang=": [{"action": "hang"}],
        "half=": [{"action": "partial"}],
        "bad=": [{"action": "raw", "raw": "HTTP/1.1 banana\r\n\r\n"}],
        "close=": [{"action": "close"}],
        "json=": [{"status": 200, "body": "<html>"}],
        "gone=": [{"status": 410}],
    }}
    with ScriptServer(script, access_key_id=KEY, secret_access_key=SECRET) as server:
        client = am.Client(server.endpoint, credentials=creds, **FAST)
        add(client)
        for cid in ("five=", "hang=", "half=", "bad=", "close=", "gone="):
            collect(raises(add, lambda: client.post_to_connection(cid, "payload")))
        collect(raises(add, lambda: client.get_connection("json=")))
        result = client.broadcast(["five=", "gone=", "hang="], "payload")
        add(result)
        for _, err in result.failed:
            add(err)
        aclient = am.AsyncClient(server.endpoint, credentials=creds, **FAST)
        add(aclient)

        async def async_errors() -> None:
            for cid in ("five=", "hang="):
                try:
                    await aclient.post_to_connection(cid, "payload")
                except am.ApiGatewayManagementError as e:
                    add(e)
                    collect(e)

        asyncio.run(async_errors())
        boto = boto3_compat.client("apigatewaymanagementapi", endpoint_url=server.endpoint, region_name="us-east-1",
                                   aws_access_key_id=KEY, aws_secret_access_key=SECRET, aws_session_token=TOKEN)
        add(boto)
        collect(raises(add, lambda: boto.post_to_connection(ConnectionId="five=", Data=b"payload")))
        collect(raises(add, lambda: boto.get_connection(ConnectionId="gone=")))
        sent = server.requests()

    # 403: the gateway knows another secret (InvalidSignatureException).
    with LocalGateway(credentials=(KEY, OTHER_SECRET)) as gw:
        ws = gw.connect()
        client = am.Client(gw.endpoint, credentials=creds, **FAST)
        collect(raises(add, lambda: client.post_to_connection(ws.connection_id, "payload")))
    # Connect refused, TLS refused, bad configuration, bad input.
    refused = am.Client(f"http://127.0.0.1:{free_port()}/prod", credentials=creds, **FAST)
    add(refused)
    collect(raises(add, lambda: refused.delete_connection(ID)))
    tls = TlsServer(*self_signed)
    try:
        collect(raises(add, lambda: am.Client(tls.endpoint, credentials=creds, **FAST).post_to_connection(ID, "x")))
    finally:
        tls.close()
    collect(raises(add, lambda: am.Client("ftp://example.com/prod", credentials=creds, region="us-east-1")))
    collect(raises(add, lambda: am.Client("http://127.0.0.1:1/prod", credentials=creds, timeout="1")))  # type: ignore[arg-type]
    collect(raises(add, lambda: am.Client("http://127.0.0.1:1/prod", credentials=(KEY, SECRET, 7))))
    collect(raises(add, lambda: am.Client("http://127.0.0.1:1/prod", credentials=("", SECRET, TOKEN))))
    collect(raises(add, lambda: refused.post_to_connection("", "x")))
    collect(raises(add, lambda: refused.post_to_connection(ID, "x" * 200_000)))
    collect(raises(add, lambda: refused.post_to_connection(ID, 3)))  # type: ignore[arg-type]
    refused.close()
    add(refused)

    # Every path was reached (so the search below means something).
    for kind in ("Service", "Timeout", "Protocol", "Connect", "Gone", "Forbidden", "Tls", "Config",
                 "InvalidInput", "PayloadTooLarge"):
        assert kind in kinds, (kind, kinds)
    stdout, stderr = capfd.readouterr()
    texts += [stdout, stderr, log.getvalue()]
    # The DEBUG attempt lines were captured, for every kind of failure.
    assert "apigw_management DEBUG PostToConnection five= attempt 1: HTTP 500" in log.getvalue()
    assert "InvalidSignatureException" in log.getvalue() and "Tls error" in log.getvalue()

    # The signatures and tokens the server received: none of them may appear either.
    signatures = []
    for r in sent:
        for name, value in r["headers"]:
            if name.lower() == "authorization":
                signatures.append(value.rsplit("Signature=", 1)[1])
            if name.lower() == "x-amz-security-token":
                assert value == TOKEN
    assert signatures
    everything = "\n".join(texts)
    for needle in [SECRET, TOKEN, OTHER_SECRET, *signatures]:
        assert needle not in everything, f"{needle[:12]}… leaked"
    # Nor a recognisable piece of them (a truncated or escaped copy).
    for needle in (SECRET, TOKEN):
        for piece in (needle[:16], needle[-16:], needle.replace("/", "%2F")[:20]):
            assert piece not in everything, f"a piece of {needle[:8]}… leaked"
