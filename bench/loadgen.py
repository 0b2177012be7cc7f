"""Closed-schedule load generator: N signed-in viewers on loopback, each on its own timetable.

Each viewer fetches a feed page every 5 s, posts an engagement event every 2 s, opens a comment
panel every 20 s and likes a video every 30 s. Prints, last:
`rps=… p50_ms=… p99_ms=… errors=… throttled=…` (errors: 5xx, timeouts, socket failures;
throttled: 429s)."""

import argparse
import random
import re
import statistics
import sys
import threading
import time

import requests

SCHEDULE = {"feed": 5.0, "event": 2.0, "comments": 20.0, "like": 30.0}
VIDEO_ID = re.compile(r"/v/([A-Za-z0-9_-]{10,30})/")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0
        self.throttled = 0
        self.by_status: dict[int, int] = {}
        self.by_action: dict[str, list[float]] = {}

    def record(self, seconds: float, status: int | None, action: str = ""):
        with self.lock:
            if status is None or status >= 500:
                self.errors += 1
            elif status == 429:
                self.throttled += 1
            self.by_status[status or 0] = self.by_status.get(status or 0, 0) + 1
            self.latencies.append(seconds)
            self.by_action.setdefault(action, []).append(seconds)


def sign_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=30)
    token = session.cookies.get("csrftoken")
    response = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/"},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
        allow_redirects=False,
    )
    if response.status_code != 302:
        raise SystemExit(f"could not sign in {username}: HTTP {response.status_code}")
    return session


def send(base: str, session: requests.Session, action: str, video: str, rng, *, seen=(), timeout: float = 10.0):
    """One request of the schedule, as the player and the pages send it."""
    csrf = session.cookies.get("csrftoken")
    headers = {"X-CSRFToken": csrf, "Referer": f"{base}/", "HX-Request": "true"}
    if action == "feed":
        return session.get(f"{base}/feed/more/", params={"seen": ",".join(seen)}, headers=headers, timeout=timeout)
    if action == "event":
        kind = rng.choice(["impression", "play", "watch"])
        data = {"video": video, "kind": kind, "csrfmiddlewaretoken": csrf, "slot": "ranked"}
        if kind == "watch":
            data.update(watch_seconds="1.5", completion="0.5")
        return session.post(f"{base}/events/", data=data, headers=headers, timeout=timeout)
    if action == "comments":
        return session.get(f"{base}/v/{video}/comments/", headers=headers, timeout=timeout)
    return session.post(f"{base}/v/{video}/like/", headers=headers, timeout=timeout)


def viewer(base, session, stats, deadline, video_ids, timeout):
    rng = random.Random()
    now = time.monotonic()
    due = {action: now + rng.uniform(0, period) for action, period in SCHEDULE.items()}
    seen: list[str] = []
    while True:
        action = min(due, key=due.get)
        wait = due[action] - time.monotonic()
        if due[action] > deadline:
            return
        if wait > 0:
            time.sleep(wait)
        due[action] += SCHEDULE[action]
        video = rng.choice(video_ids)
        start = time.monotonic()
        status = None
        try:
            response = send(base, session, action, video, rng, seen=seen[-40:], timeout=timeout)
            if action == "feed":
                found = VIDEO_ID.findall(response.text)
                seen.extend(v for v in dict.fromkeys(found) if v not in seen)
            status = response.status_code
        except requests.RequestException:
            status = None
        stats.record(time.monotonic() - start, status, action)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--password", required=True)
    parser.add_argument("--prefix", default="viewer")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    public = requests.get(f"{args.base}/", timeout=30).text
    video_ids = list(dict.fromkeys(VIDEO_ID.findall(public)))
    if not video_ids:
        raise SystemExit("the feed shows no videos: load demo content first")
    sessions = [sign_in(args.base, f"{args.prefix}{i}", args.password) for i in range(args.users)]
    print(f"signed in {len(sessions)} viewers; {len(video_ids)} videos on the first page", file=sys.stderr)
    # Warm-up, not measured: every worker process loads its models and templates once.
    for session in sessions[:20]:
        session.get(f"{args.base}/feed/more/", headers={"HX-Request": "true"}, timeout=60)

    stats = Stats()
    started = time.monotonic()
    deadline = started + args.seconds
    threads = [
        threading.Thread(target=viewer, args=(args.base, s, stats, deadline, video_ids, args.timeout), daemon=True)
        for s in sessions
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = sorted(stats.latencies)
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0
    print(f"statuses: {dict(sorted(stats.by_status.items()))}", file=sys.stderr)
    for action, values in sorted(stats.by_action.items()):
        values.sort()
        print(
            f"{action}: n={len(values)} p50_ms={statistics.median(values) * 1000:.1f} "
            f"p99_ms={values[min(len(values) - 1, int(len(values) * 0.99))] * 1000:.1f}",
            file=sys.stderr,
        )
    print(
        f"rps={len(latencies) / elapsed:.1f} p50_ms={p50:.1f} p99_ms={p99:.1f} "
        f"errors={stats.errors} throttled={stats.throttled}"
    )


if __name__ == "__main__":
    main()
