"""The Python rows of the bench: one program, the row named on the command line.

    python row.py ROW load ENDPOINT N WARMUP CONCURRENCY
    python row.py ROW cold ENDPOINT
    python row.py ROW ids  ENDPOINT FILE CONCURRENCY
    python row.py floor-threads|floor-async floor N CONCURRENCY   (no client)

Rows: ours-threads, ours-async, ours-broadcast (apigw_management), boto3-seq,
boto3-threads, aiobotocore. Only the standard library is imported before the row's own
import, so a cold run's import time is the client's alone. Prints one JSON line.
Credentials and region come from the environment through each client's default chain.
"""

import json
import os
import sys
import time


def cpu():
    # getrusage has microsecond resolution (os.times() counts 10 ms clock ticks).
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


BODY = (b"0123456789abcdef" * 64)[:1024]


def ids(start, n):
    return [f"conn-{i}=" for i in range(start, start + n)]


class Tally:
    def __init__(self):
        self.ok = 0
        self.errors = 0
        self.first_error = None

    def fail(self, e):
        self.errors += 1
        if self.first_error is None:
            self.first_error = f"{type(e).__name__}: {e}"


# --- apigw_management -------------------------------------------------------------------


def ours_client(endpoint, asynchronous=False):
    import apigw_management

    return (apigw_management.AsyncClient if asynchronous else apigw_management.Client)(endpoint)


def ours_threads(client, id_list, concurrency):
    from concurrent.futures import ThreadPoolExecutor

    t = Tally()

    def one(i):
        try:
            client.post_to_connection(i, BODY)
            return None
        except Exception as e:  # noqa: BLE001 - counted, reported once
            return e

    with ThreadPoolExecutor(concurrency) as ex:
        for e in ex.map(one, id_list):
            if e is None:
                t.ok += 1
            else:
                t.fail(e)
    return t


async def workers(send, id_list, concurrency):
    """`concurrency` coroutines pulling ids from one iterator (as the JS rows' promise
    workers do)."""
    import asyncio

    t = Tally()
    it = iter(id_list)

    async def worker():
        for i in it:
            try:
                await send(i)
                t.ok += 1
            except Exception as e:  # noqa: BLE001
                t.fail(e)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return t


def ours_broadcast(client, id_list, concurrency):
    t = Tally()
    r = client.broadcast(id_list, BODY, concurrency=concurrency)
    t.ok = r.delivered
    t.errors = len(id_list) - r.delivered
    if t.errors:
        t.first_error = repr(r)[:300]
    return t


# --- boto3 / aiobotocore ----------------------------------------------------------------


def boto3_client(endpoint, pool):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        config=Config(max_pool_connections=pool),
    )


def boto3_run(client, id_list, concurrency):
    t = Tally()

    def one(i):
        try:
            client.post_to_connection(ConnectionId=i, Data=BODY)
            return None
        except Exception as e:  # noqa: BLE001
            return e

    if concurrency <= 1:
        results = map(one, id_list)
        for e in results:
            if e is None:
                t.ok += 1
            else:
                t.fail(e)
        return t
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(concurrency) as ex:
        for e in ex.map(one, id_list):
            if e is None:
                t.ok += 1
            else:
                t.fail(e)
    return t


# --- the three modes --------------------------------------------------------------------


def floor(row, n, conc):
    """The row's concurrency with no client: ThreadPoolExecutor(conc) over a call that
    releases the GIL (`time.sleep(0)`), or `conc` coroutines awaiting a future the loop
    resolves in batches (as the AsyncClient's are). What a per-call row cannot go below."""
    if row == "floor-threads":

        class NoClient:
            def post_to_connection(self, i, data):
                time.sleep(0)

        ours_threads(NoClient(), ids(0, 256), conc)
        c0 = cpu()
        t = ours_threads(NoClient(), ids(0, n), conc)
        return t, cpu() - c0
    import asyncio

    async def run():
        loop = asyncio.get_running_loop()
        pending = []

        def drain():
            items = pending[:]
            pending.clear()
            for f in items:
                f.set_result(None)

        def send(i):
            f = loop.create_future()
            if not pending:
                loop.call_soon(drain)
            pending.append(f)
            return f

        await workers(send, ids(0, 256), conc)
        c0 = cpu()
        t = await workers(send, ids(0, n), conc)
        return t, cpu() - c0

    return asyncio.run(run())


def main():
    row, mode = sys.argv[1], sys.argv[2]
    if mode == "floor":
        t, used = floor(row, int(sys.argv[3]), int(sys.argv[4]))
        print(json.dumps({"ok": t.ok, "errors": t.errors, "cpu_s": used}), flush=True)
        return
    endpoint = sys.argv[3]
    if mode == "cold":
        return cold(row, endpoint)
    if mode == "load":
        n, warmup, conc = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
        warm, measured = ids(0, warmup), ids(0, n)
    elif mode == "ids":
        with open(sys.argv[4]) as f:
            measured = [line.strip() for line in f if line.strip()]
        conc = int(sys.argv[5])
        warm = measured[:1]
    else:
        raise SystemExit(f"unknown mode {mode}")
    n = len(measured)

    if row in ("ours-threads", "ours-broadcast"):
        client = ours_client(endpoint)
        fn = ours_threads if row == "ours-threads" else ours_broadcast
        if mode == "ids":
            try:
                client.get_connection(warm[0])
            except Exception:  # noqa: BLE001 - only to open a connection
                pass
        else:
            fn(client, warm, conc)
        c0, w0 = cpu(), time.monotonic()
        t = fn(client, measured, conc)
        wall, used = time.monotonic() - w0, cpu() - c0
    elif row in ("boto3-seq", "boto3-threads"):
        client = boto3_client(endpoint, max(conc, 10))
        boto3_run(client, warm, conc)
        c0, w0 = cpu(), time.monotonic()
        t = boto3_run(client, measured, conc)
        wall, used = time.monotonic() - w0, cpu() - c0
    elif row in ("ours-async", "aiobotocore"):
        import asyncio

        async def run():
            if row == "ours-async":
                client = ours_client(endpoint, asynchronous=True)

                async def send(i):
                    await client.post_to_connection(i, BODY)

                await workers(send, warm, conc)
                c0, w0 = cpu(), time.monotonic()
                t = await workers(send, measured, conc)
                return t, time.monotonic() - w0, cpu() - c0
            from aiobotocore.config import AioConfig
            from aiobotocore.session import get_session

            session = get_session()
            async with session.create_client(
                "apigatewaymanagementapi",
                endpoint_url=endpoint,
                config=AioConfig(max_pool_connections=conc),
            ) as client:

                async def send(i):
                    await client.post_to_connection(ConnectionId=i, Data=BODY)

                await workers(send, warm, conc)
                c0, w0 = cpu(), time.monotonic()
                t = await workers(send, measured, conc)
                return t, time.monotonic() - w0, cpu() - c0

        t, wall, used = asyncio.run(run())
    else:
        raise SystemExit(f"unknown row {row}")
    out = {
        "ok": t.ok,
        "errors": t.errors,
        "n": n,
        "wall_s": wall,
        "cpu_s": used,
        "process_cpu_s": cpu(),
    }
    if t.first_error:
        out["first_error"] = t.first_error
    print(json.dumps(out), flush=True)


def cold(row, endpoint):
    t0 = time.perf_counter()
    ok, err = 1, None
    if row.startswith("ours"):
        import apigw_management  # noqa: F401

        imported = time.perf_counter()
        try:
            if row == "ours-async":
                import asyncio

                async def one():
                    c = apigw_management.AsyncClient(endpoint)
                    await c.post_to_connection("conn-0=", BODY)

                asyncio.run(one())
            else:
                apigw_management.Client(endpoint).post_to_connection("conn-0=", BODY)
        except Exception as e:  # noqa: BLE001
            ok, err = 0, f"{type(e).__name__}: {e}"
    elif row.startswith("boto3"):
        import boto3

        imported = time.perf_counter()
        try:
            boto3.client("apigatewaymanagementapi", endpoint_url=endpoint).post_to_connection(
                ConnectionId="conn-0=", Data=BODY
            )
        except Exception as e:  # noqa: BLE001
            ok, err = 0, f"{type(e).__name__}: {e}"
    elif row == "aiobotocore":
        import aiobotocore.session

        imported = time.perf_counter()
        import asyncio

        async def one():
            s = aiobotocore.session.get_session()
            async with s.create_client("apigatewaymanagementapi", endpoint_url=endpoint) as c:
                await c.post_to_connection(ConnectionId="conn-0=", Data=BODY)

        try:
            asyncio.run(one())
        except Exception as e:  # noqa: BLE001
            ok, err = 0, f"{type(e).__name__}: {e}"
    else:
        raise SystemExit(f"unknown row {row}")
    ready = time.monotonic_ns()
    out = {"ok": ok, "errors": 1 - ok, "ready_ns": ready, "import_ms": (imported - t0) * 1e3}
    if err:
        out["first_error"] = err
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
