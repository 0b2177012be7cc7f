"""A generated dataset in the neutral recommender layout (items.csv, train.csv, test.csv), shaped
like a bookmarking site: a large sparse catalogue, no timestamps, value 1 for every interaction.

Items belong to planted topics and, within a topic, to small clusters of items bookmarked
together; popularity inside a topic follows a power law. Each viewer keeps to a few topics and
a few clusters in them, with some popular items from anywhere. The held-out item of each viewer
with at least three is a seeded random one (there is no order to take the latest from).

    python -m tests.recommendations.synthetic OUT_DIR [--items 17000 --users 5500 ...]
"""

import argparse
import csv
from pathlib import Path

import numpy as np


def write_bookmarks_dataset(
    out: Path,
    *,
    items: int = 17_000,
    users: int = 5_500,
    interactions: int = 190_000,
    topics: int = 60,
    cluster_size: int = 15,
    seed: int = 0,
) -> dict:
    """Write the three files into `out`; returns their row counts."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    topic_of = rng.integers(0, topics, size=items)
    members = [np.flatnonzero(topic_of == t) for t in range(topics)]
    # Popularity inside a topic: a power law over a random order of its items.
    pop = np.empty(items)
    for m in members:
        pop[m] = 1.0 / np.arange(1, len(m) + 1)[rng.permutation(len(m))] ** 0.9
    clusters = [[m[i : i + cluster_size] for i in range(0, len(m), cluster_size)] for m in rng_shuffled(members, rng)]
    global_p = pop / pop.sum()
    per_user = np.maximum(3, rng.lognormal(np.log(interactions / users) - 0.5, 1.0, size=users).astype(int))
    rows_by_user = []
    for u in range(users):
        mine = rng.choice(topics, size=rng.integers(1, 4), replace=False)
        picked_clusters = [clusters[t][rng.integers(len(clusters[t]))] for t in mine for _ in range(rng.integers(1, 4))]
        pool_cluster = np.unique(np.concatenate(picked_clusters))
        pool_topic = np.concatenate([members[t] for t in mine])
        want = min(int(per_user[u]), len(pool_topic))
        chosen: set[int] = set()
        for _ in range(want * 3):
            if len(chosen) >= want:
                break
            roll = rng.random()
            if roll < 0.55:
                item = int(rng.choice(pool_cluster))
            elif roll < 0.85:
                p = pop[pool_topic] / pop[pool_topic].sum()
                item = int(rng.choice(pool_topic, p=p))
            else:
                item = int(rng.choice(items, p=global_p))
            chosen.add(item)
        rows_by_user.append(rng.permutation(np.fromiter(chosen, dtype=np.int64)))
    train, test = [], []
    for u, row in enumerate(rows_by_user):
        held = int(rng.integers(len(row))) if len(row) >= 3 else -1
        for k, item in enumerate(row):
            if k == held:
                test.append((f"u{u}", f"i{item}"))
            else:
                train.append((f"u{u}", f"i{item}"))
    with open(out / "items.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["item", "categories"])
        for i in range(items):
            tags = [f"topic{topic_of[i]}"] if rng.random() < 0.7 else []
            tags += [f"tag{t}" for t in rng.choice(200, size=rng.integers(0, 3), replace=False)]
            w.writerow([f"i{i}", "|".join(tags)])
    with open(out / "train.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user", "item", "value", "timestamp"])
        w.writerows((user, item, 1, "") for user, item in train)
    with open(out / "test.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user", "item"])
        w.writerows(test)
    return {"items": items, "users": users, "train": len(train), "test": len(test)}


def rng_shuffled(groups, rng):
    return [g[rng.permutation(len(g))] for g in groups]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    for name, default in (("items", 17_000), ("users", 5_500), ("interactions", 190_000), ("topics", 60)):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = write_bookmarks_dataset(
        args.out, items=args.items, users=args.users, interactions=args.interactions, topics=args.topics, seed=args.seed
    )
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
