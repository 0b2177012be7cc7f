"""Builds the project's comment-moderation training data from the public reference sets and the
written examples: maps every source to the eight categories and assigns fixed splits.

Run once by hand (the product never reads the reference folder):
    python -m moderation.training.build_dataset /path/to/shared/data/moderation
Writes data/{train,validation,heldout}.jsonl.gz next to this file. A label that a source does not
speak to is left out of the row (unknown), so that head does not learn from it.
"""

import csv
import gzip
import hashlib
import json
import random
import re
import sys
from pathlib import Path

from moderation.categories import CATEGORIES

HERE = Path(__file__).resolve().parent
ALL_NEG = dict.fromkeys(CATEGORIES, 0)
SECOND_PERSON = re.compile(r"\b(you|u|ur|your|youre|you're|yours|yourself|ya)\b", re.I)
MENTION = re.compile(r"@\w+:?")
URL = re.compile(r"https?://\S+")
SEED = 20240601

csv.field_size_limit(10**8)


def split_of(key: str) -> str:
    """70 / 15 / 15 by a hash of the text (or of a written example's family), fixed forever."""
    bucket = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 70 else "validation" if bucket < 85 else "heldout"


def tidy_tweet(text: str) -> str:
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&#8220;", '"')
    text = re.sub(r"&#\d+;", "", text)
    text = MENTION.sub("@user", URL.sub("http://url", text))
    text = re.sub(r"^(!+\s*)?RT\s+@user\s*", "", text)
    return re.sub(r"\s+", " ", text).strip(' "')


def row(text, labels, source, **extra):
    return {"prompt": text, **labels, "source": source, **extra}


def davidson(folder: Path, rng: random.Random):
    """class 0 hate -> H; class 1 offensive -> HR when addressed to someone (second person), else
    unknown for HR; class 2 neither -> negative for every category. Profanity alone is no category."""
    out = []
    with open(folder / "davidson" / "labeled_data.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    offensive = [r for r in rows if r["class"] == "1"]
    keep_offensive = set(map(id, rng.sample(offensive, min(7000, len(offensive)))))
    for r in rows:
        text = tidy_tweet(r["tweet"])
        if len(text) < 5:
            continue
        if r["class"] == "0":
            out.append(row(text, {"H": 1, "SH": 0, "S3": 0}, "davidson"))
        elif r["class"] == "1":
            if id(r) not in keep_offensive:
                continue
            labels = {"H": 0, "H2": 0, "SH": 0, "S3": 0, "V2": 0}
            if SECOND_PERSON.search(text):
                labels["HR"] = 1
            out.append(row(text, labels, "davidson"))
        else:
            out.append(row(text, dict(ALL_NEG), "davidson"))
    return out


def implicit_hate(folder: Path, rng: random.Random):
    """explicit/implicit hate -> H; 'threatening' (primary or extra class) -> H2 and V; other
    implicit classes -> H2 negative; not_hate -> negative for H, H2, S, SH, S3, V2."""
    base = folder / "implicit-hate"
    stg2 = {}
    with open(base / "implicit_hate_v1_stg2_posts.tsv", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            stg2[r["post"].strip()] = {r["implicit_class"], r.get("extra_implicit_class") or ""}
    out = []
    with open(base / "implicit_hate_v1_stg1_posts.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    not_hate = [r for r in rows if r["class"] == "not_hate"]
    keep_not = set(map(id, rng.sample(not_hate, min(7000, len(not_hate)))))
    for r in rows:
        post = r["post"].strip()
        text = tidy_tweet(post.replace('""', '"').strip(' "'))
        if len(text) < 5:
            continue
        if r["class"] == "not_hate":
            if id(r) in keep_not:
                out.append(row(text, {"H": 0, "H2": 0, "S": 0, "SH": 0, "S3": 0, "V2": 0}, "implicit-hate"))
            continue
        labels = {"H": 1, "SH": 0, "S3": 0}
        classes = stg2.get(post)
        if classes is not None:
            if "threatening" in classes:
                labels.update(H2=1, V=1)
            else:
                labels["H2"] = 0
        out.append(row(text, labels, "implicit-hate"))
    return out


def toxigen(folder: Path):
    """hate -> H (H2 unknown: some seeds mention violence); neutral -> negative everywhere."""
    out = []
    with open(folder / "toxigen-seeds" / "toxigen_seed_sentences.csv", newline="") as f:
        for r in csv.DictReader(f):
            text = r["text"].strip().lstrip("- ").strip()
            if len(text) < 5:
                continue
            if r["label"] == "hate":
                out.append(row(text, {"H": 1, "SH": 0, "S3": 0}, "toxigen"))
            else:
                out.append(row(text, dict(ALL_NEG), "toxigen"))
    return out


SH_POSITIVE = {"suicidewatch"}
SH_MASKED = {"depression", "bpd", "lonely", "ForeverAlone", "EDAnonymous"}


def shorten(text: str, limit: int = 900) -> str:
    """Reddit posts run long; keep whole sentences up to about a long comment's length."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > limit // 3 else cut


def reddit(folder: Path):
    """r/SuicideWatch -> SH (noisy: labelled by subreddit); depression, bpd, lonely, ForeverAlone and
    EDAnonymous -> SH unknown; every other subreddit -> negative for all categories except V, which
    stays unknown for r/guns."""
    out = []
    with open(folder / "reddit-mental-health-27" / "rmhd_27subreddits_260posts.csv", newline="") as f:
        for r in csv.DictReader(f):
            text = shorten(r["post"])
            if len(text) < 10:
                continue
            sub = r["subreddit"]
            labels = dict(ALL_NEG)
            if sub in SH_POSITIVE:
                labels["SH"] = 1
            elif sub in SH_MASKED:
                del labels["SH"]
            elif sub == "guns":
                del labels["V"]
            out.append(row(text, labels, f"reddit-{sub.lower()}"))
    return out


def written():
    """The written examples' rows, built from written_examples.yaml by `manage.py build_written_examples`."""
    path = HERE / "written.jsonl"
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


def main(folder: Path) -> None:
    rng = random.Random(SEED)
    rows = davidson(folder, rng) + implicit_hate(folder, rng) + toxigen(folder) + reddit(folder) + written()
    seen, splits = set(), {"train": [], "validation": [], "heldout": []}
    for r in rows:
        key = r["prompt"].lower()
        if key in seen:
            continue
        seen.add(key)
        # Written variants of one family share a split, so the held-out set never sees a sibling.
        splits[split_of(r.get("family") or key)].append(r)
    out_dir = HERE / "data"
    out_dir.mkdir(exist_ok=True)
    for name, items in splits.items():
        rng.shuffle(items)
        with gzip.GzipFile(out_dir / f"{name}.jsonl.gz", "wb", mtime=0) as gz:
            for r in items:
                gz.write((json.dumps(r, ensure_ascii=False) + "\n").encode())
        counts = {c: sum(1 for r in items if r.get(c) == 1) for c in CATEGORIES}
        sys.stderr.write(f"{name} {len(items)} {counts}\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: build_dataset.py SHARED_MODERATION_FOLDER")
    main(Path(sys.argv[1]))
