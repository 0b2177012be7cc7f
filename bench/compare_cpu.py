"""Server CPU per request, two builds side by side.

Runs the load test's four actions against two running servers (say, the previous commit and
this one, each a one-worker gunicorn on the same database), interleaved in small batches so
both see the same machine, and reads each server's CPU time (master and workers) from /proc.
Prints one line per action, last: `feed_ratio=… event_ratio=… comments_ratio=… like_ratio=…`
(new CPU / old CPU; below 1 is cheaper).

    python bench/compare_cpu.py --old http://127.0.0.1:8767 --old-pid 123 \\
        --new http://127.0.0.1:8766 --new-pid 456 --password …
"""

import argparse
import asyncio
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import VIDEO_ID, Client, send, sign_in  # noqa: E402

ACTIONS = ("feed", "event", "comments", "like")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a gunicorn master and its workers."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for p in [pid, *map(int, children)]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, loop, base: str, pid: int, usernames: list[str], password: str):
        self.loop, self.base, self.pid = loop, base.rstrip("/"), pid
        _, public = loop.run_until_complete(Client(self.base).request("GET", "/", timeout=30))
        self.video_ids = list(dict.fromkeys(VIDEO_ID.findall(public)))
        if not self.video_ids:
            raise SystemExit(f"{base} shows no videos")
        self.sessions = [loop.run_until_complete(sign_in(self.base, name, password)) for name in usernames]

    def request(self, action: str, session: Client, rng: random.Random) -> int:
        video = rng.choice(self.video_ids)
        return self.loop.run_until_complete(send(session, action, video, rng, timeout=30))[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", required=True)
    parser.add_argument("--old-pid", type=int, required=True)
    parser.add_argument("--new", required=True)
    parser.add_argument("--new-pid", type=int, required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--prefix", default="viewer")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    # Each server gets its own viewers, so one build's likes and history never shape the other's.
    names = [f"{args.prefix}{i}" for i in range(2 * args.users)]
    loop = asyncio.new_event_loop()
    servers = {
        "old": Server(loop, args.old, args.old_pid, names[: args.users], args.password),
        "new": Server(loop, args.new, args.new_pid, names[args.users :], args.password),
    }
    rng = random.Random(1)
    ratios = {}
    for action in ACTIONS:
        spent = dict.fromkeys(servers, 0.0)
        for server in servers.values():  # warm-up, not measured
            for session in server.sessions:
                server.request(action, session, rng)
        for _ in range(args.rounds):
            for name, server in servers.items():
                before = cpu_seconds(server.pid)
                for session in server.sessions:
                    status = server.request(action, session, rng)
                    if status >= 400:
                        raise SystemExit(f"{name} {action}: HTTP {status}")
                spent[name] += cpu_seconds(server.pid) - before
        n = args.rounds * args.users
        old_ms, new_ms = spent["old"] / n * 1000, spent["new"] / n * 1000
        ratios[action] = new_ms / old_ms if old_ms else float("nan")
        print(f"{action}: old_cpu_ms={old_ms:.1f} new_cpu_ms={new_ms:.1f}", file=sys.stderr)
    print(" ".join(f"{action}_ratio={ratios[action]:.2f}" for action in ACTIONS))


if __name__ == "__main__":
    main()
