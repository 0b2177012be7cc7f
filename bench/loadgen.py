"""Closed-schedule load generator: N signed-in viewers on loopback, each on its own timetable.

Each viewer fetches a feed page every 5 s, posts an engagement event every 2 s, opens a comment
panel every 20 s and likes a video every 30 s. Prints, last:
`rps=… p50_ms=… p99_ms=… errors=… throttled=…` (errors: 5xx, timeouts, socket failures;
throttled: 429s).

One asyncio loop drives every viewer over plain HTTP/1.1 sockets, so the generator takes about
0.1 of a core at 200 viewers and the server, which shares the machine, gets the rest. (A thread
per viewer with `requests` took about 0.24 of a core, and its latencies included the wait for
the client's own GIL.)"""

import argparse
import asyncio
import random
import re
import statistics
import sys
import time
from urllib.parse import quote, urlencode, urlsplit

SCHEDULE = {"feed": 5.0, "event": 2.0, "comments": 20.0, "like": 30.0}
VIDEO_ID = re.compile(r"/v/([A-Za-z0-9_-]{10,30})/")
COOKIE = re.compile(r"^([^=;\s]+)=([^;]*)")


class Client:
    """One browser's worth of HTTP: its cookies, a connection per request (gunicorn's sync
    workers close each one), the response's status and body."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.base = base.rstrip("/")
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, *, data=None, headers=None, timeout: float = 10.0):
        return await asyncio.wait_for(self._request(method, path, data, headers or {}), timeout)

    async def _request(self, method, path, data, headers):
        body = urlencode(data).encode() if data is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if data is not None:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            status = int(status_line.split(" ", 2)[1])
            length, chunked = None, False
            for line in header_lines:
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip()
                if name == "set-cookie" and (m := COOKIE.match(value)):
                    if "max-age=0" in value.lower() or m.group(2) in ('""', ""):
                        self.cookies.pop(m.group(1), None)
                    else:
                        self.cookies[m.group(1)] = m.group(2)
                elif name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
            if method == "HEAD" or status in (204, 304):
                payload = b""
            elif chunked:
                payload = b""
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    payload += (await reader.readexactly(size + 2))[:-2]
                await reader.readuntil(b"\r\n")
            elif length is not None:
                payload = await reader.readexactly(length)
            else:
                payload = await reader.read()
            return status, payload.decode("utf-8", "replace")
        finally:
            writer.close()


async def sign_in(base: str, username: str, password: str) -> Client:
    client = Client(base)
    await client.request("GET", "/accounts/login/", timeout=60)
    token = client.cookies.get("csrftoken", "")
    status, _ = await client.request(
        "POST",
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/"},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=60,
    )
    if status != 302:
        raise SystemExit(f"could not sign in {username}: HTTP {status}")
    return client


async def send(client: Client, action: str, video: str, rng, *, seen=(), timeout: float = 10.0):
    """One request of the schedule, as the player and the pages send it: (status, body)."""
    csrf = client.cookies.get("csrftoken", "")
    headers = {"X-CSRFToken": csrf, "Referer": f"{client.base}/", "HX-Request": "true"}
    if action == "feed":
        path = "/feed/more/?" + urlencode({"seen": ",".join(seen)}, quote_via=quote)
        return await client.request("GET", path, headers=headers, timeout=timeout)
    if action == "event":
        kind = rng.choice(["impression", "play", "watch"])
        data = {"video": video, "kind": kind, "csrfmiddlewaretoken": csrf, "slot": "ranked"}
        if kind == "watch":
            data.update(watch_seconds="1.5", completion="0.5")
        return await client.request("POST", "/events/", data=data, headers=headers, timeout=timeout)
    if action == "comments":
        return await client.request("GET", f"/v/{video}/comments/", headers=headers, timeout=timeout)
    return await client.request("POST", f"/v/{video}/like/", data={}, headers=headers, timeout=timeout)


class Stats:
    def __init__(self):
        self.latencies: list[float] = []
        self.errors = 0
        self.throttled = 0
        self.by_status: dict[int, int] = {}
        self.by_action: dict[str, list[float]] = {}
        self.by_window: dict[int, list[float]] = {}  # 10 s windows from the start
        self.cards: list[int] = []  # videos on each feed page

    def record(self, seconds: float, status: int | None, action: str, window: int = 0):
        if status is None or status >= 500:
            self.errors += 1
        elif status == 429:
            self.throttled += 1
        self.by_status[status or 0] = self.by_status.get(status or 0, 0) + 1
        self.latencies.append(seconds)
        self.by_action.setdefault(action, []).append(seconds)
        self.by_window.setdefault(window, []).append(seconds)


async def viewer(client: Client, stats: Stats, started: float, deadline: float, video_ids, args):
    rng = random.Random()
    now = time.monotonic()
    due = {action: now + rng.uniform(0, period) for action, period in SCHEDULE.items()}
    seen: list[str] = []
    while True:
        action = min(due, key=due.get)
        if due[action] > deadline:
            return
        if (wait := due[action] - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        due[action] += SCHEDULE[action]
        start = time.monotonic()
        status = None
        try:
            # As the page's "more" link does, unless --full-pages: then no page names what came
            # before, so every page is a full one, as on a catalogue too large to run out of.
            recent = () if args.full_pages else seen[-40:]
            status, body = await send(client, action, rng.choice(video_ids), rng, seen=recent, timeout=args.timeout)
            if action == "feed":
                shown = list(dict.fromkeys(VIDEO_ID.findall(body)))
                stats.cards.append(len(shown))
                seen.extend(v for v in shown if v not in seen)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            status = None
        stats.record(time.monotonic() - start, status, action, int((start - started) // 10))


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(len(values) * q))] if values else 0.0


async def run(args) -> None:
    _, public = await Client(args.base).request("GET", "/", timeout=60)
    video_ids = list(dict.fromkeys(VIDEO_ID.findall(public)))
    if not video_ids:
        raise SystemExit("the feed shows no videos: load demo content first")
    # Sign-ins check a slow password hash: a few at a time keeps every core busy.
    gate = asyncio.Semaphore(4)

    async def signed_in(i):
        async with gate:
            return await sign_in(args.base, f"{args.prefix}{i}", args.password)

    clients = await asyncio.gather(*(signed_in(i) for i in range(args.users)))
    print(f"signed in {len(clients)} viewers; {len(video_ids)} videos on the first page", file=sys.stderr)
    # Warm-up, not measured: every worker process loads its models and templates once.
    for client in clients[:20]:
        await client.request("GET", "/feed/more/", headers={"HX-Request": "true"}, timeout=60)

    stats = Stats()
    started = time.monotonic()
    deadline = started + args.seconds
    await asyncio.gather(*(viewer(c, stats, started, deadline, video_ids, args) for c in clients))
    elapsed = time.monotonic() - started
    latencies = sorted(stats.latencies)
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    p99 = percentile(latencies, 0.99) * 1000
    print(f"statuses: {dict(sorted(stats.by_status.items()))}", file=sys.stderr)
    if stats.cards:
        print(f"videos per feed page: mean {statistics.mean(stats.cards):.1f}, min {min(stats.cards)}", file=sys.stderr)
    for action, values in sorted(stats.by_action.items()):
        values.sort()
        print(
            f"{action}: n={len(values)} p50_ms={statistics.median(values) * 1000:.1f} "
            f"p99_ms={percentile(values, 0.99) * 1000:.1f}",
            file=sys.stderr,
        )
    print(
        "p99_ms by 10 s window: "
        + " ".join(f"{percentile(sorted(v), 0.99) * 1000:.0f}" for _, v in sorted(stats.by_window.items())),
        file=sys.stderr,
    )
    print(
        f"rps={len(latencies) / elapsed:.1f} p50_ms={p50:.1f} p99_ms={p99:.1f} "
        f"errors={stats.errors} throttled={stats.throttled}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--password", required=True)
    parser.add_argument("--prefix", default="viewer")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument(
        "--full-pages",
        action="store_true",
        help="send no seen ids, so every feed page is full (the demo's 30 videos run out after a few pages)",
    )
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
