"""Builds the project's comment-moderation training data from the public reference sets and the
written examples: maps every source to the eight categories and assigns fixed splits.

Run once by hand (the product never reads the reference folder):
    python -m moderation.training.build_dataset /path/to/shared/data/moderation
How many held-out rows have a near-duplicate in train:
    python -m moderation.training.build_dataset --leakage moderation/training/data
Writes data/{train,validation,heldout}.jsonl.gz next to this file. A label that a source does not
speak to is left out of the row (unknown), so that head does not learn from it.
"""

import csv
import functools
import gzip
import hashlib
import json
import random
import re
import sys
import unicodedata
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


def toxic_spans(folder: Path, rng: random.Random):
    """Civil Comments posts (all pre-selected as toxic) with per-rater span types. Counting the raters
    who marked at least one span of a type: Insult >= 2 -> HR; Threat >= 2 -> V; Identity based Attack
    >= 2 -> H; Threat and Identity attack both >= 2 -> H2. A type no rater marked is 0 for its
    category; one rater alone leaves it unknown. Two or more "not toxic" ticks and no span, or
    Profane/Obscene spans only -> 0 for H, HR, V (profanity is no category). S, SH, S3, V2 unknown.
    The Insult positives are sampled to 5,000 (they would otherwise outnumber every other source)."""
    base = folder / "toxic-spans"
    with open(base / "comments.csv", newline="") as f:
        texts = {r["comment_id"]: r["comment_text"] for r in csv.DictReader(f)}
    owner, not_toxic = {}, {}
    with open(base / "annotations.csv", newline="") as f:
        for r in csv.DictReader(f):
            owner[r["annotation"]] = (r["comment_id"], r["worker"])
            if r["not toxic"] == "True":
                not_toxic[r["comment_id"]] = not_toxic.get(r["comment_id"], 0) + 1
    fix = {"Insu": "Insult", "Identity based ": "Identity based Attack", "": "Other Toxicity"}
    raters: dict[str, dict[str, set]] = {}
    with open(base / "spans.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["annotation"] not in owner:
                continue
            cid, worker = owner[r["annotation"]]
            kind = fix.get(r["type"], r["type"])
            raters.setdefault(cid, {}).setdefault(kind, set()).add(worker)
    out, insults = [], []
    for cid, text in texts.items():
        text = shorten(tidy_tweet(text))
        if len(text) < 5:
            continue
        n = {k: len(v) for k, v in raters.get(cid, {}).items()}
        if not n:
            if not_toxic.get(cid, 0) >= 2:
                out.append(row(text, {"H": 0, "HR": 0, "V": 0}, "toxic-spans"))
            continue
        if set(n) == {"Profane/Obscene"}:
            out.append(row(text, {"H": 0, "HR": 0, "V": 0}, "toxic-spans"))
            continue
        labels = {}
        for cat, kind in (("HR", "Insult"), ("V", "Threat"), ("H", "Identity based Attack")):
            count = n.get(kind, 0)
            if count >= 2:
                labels[cat] = 1
            elif count == 0:
                labels[cat] = 0
        if n.get("Threat", 0) >= 2 and n.get("Identity based Attack", 0) >= 2:
            labels["H2"] = 1
        if not any(v == 1 for v in labels.values()):
            continue  # toxic by one rater's reading only: too weak to teach anything
        item = row(text, labels, "toxic-spans")
        (insults if set(k for k, v in labels.items() if v == 1) == {"HR"} else out).append(item)
    return out + rng.sample(insults, min(5000, len(insults)))


def _marked(r: dict, annotator: str, key: str) -> bool:
    return r.get(f"{annotator}_{key}", "") not in ("", "0", "0.0")


def convabuse(folder: Path):
    """User turns to a chatbot with 1-7 expert annotators. Majority abusive (-1..-3) and aimed at the
    bot or a person (target.system / target.individual by any annotator) -> HR; any annotator's
    sex_harassment -> S; racist, homophobic, transphobic or sexist with target.generalised -> H.
    Majority "not abuse" -> 0 for HR, S, H. Split or ambiguous turns are left out; the other five
    categories are unknown (not annotated)."""
    out = []
    for part in ("train", "valid", "test"):
        with open(folder / "convabuse" / f"ConvAbuseEMNLP{part}.csv", newline="") as f:
            for r in csv.DictReader(f):
                text = tidy_tweet(r["user"])
                if len(text) < 3:
                    continue
                ids = sorted({k.split("_", 1)[0] for k in r if k.startswith("Annotator") and r[k] != ""})
                votes = [
                    a
                    for a in ids
                    if r.get(f"{a}_is_abuse.1")
                    or r.get(f"{a}_is_abuse.0")
                    or any(r.get(f"{a}_is_abuse.-{s}") for s in (1, 2, 3))
                ]
                if not votes:
                    continue
                flag = functools.partial(_marked, r)
                abusive = sum(1 for a in votes if any(flag(a, f"is_abuse.-{s}") for s in (1, 2, 3)))
                clean = sum(1 for a in votes if flag(a, "is_abuse.1"))
                if clean * 2 > len(votes):
                    out.append(row(text, {"HR": 0, "S": 0, "H": 0}, "convabuse"))
                    continue
                if abusive * 2 <= len(votes):
                    continue
                labels = {}
                if any(flag(a, "target.system") or flag(a, "target.individual") for a in votes):
                    labels["HR"] = 1
                if any(flag(a, "sex_harassment") for a in votes):
                    labels["S"] = 1
                groupish = any(flag(a, k) for a in votes for k in ("racist", "homophobic", "transphobic", "sexist"))
                if groupish and any(flag(a, "target.generalised") for a in votes):
                    labels["H"] = 1
                if labels:
                    out.append(row(text, labels, "convabuse"))
    return out


def wiki_identity(folder: Path):
    """Wikipedia talk comments that mention an identity term: not toxic -> 0 for H and HR (hard
    negatives against over-flagging group mentions). Toxic ones say nothing per category: left out."""
    out = []
    with open(folder / "wiki-toxicity-identity" / "toxicity_nonfuzzed_testset.csv", newline="") as f:
        for r in csv.DictReader(f):
            text = shorten(r["comment"])
            if len(text) >= 5 and r["toxic"] == "False":
                out.append(row(text, {"H": 0, "HR": 0}, "wiki-identity"))
    return out


def mlma_en(folder: Path):
    """MLMA's English tweets: hateful aimed at a group -> H; hostile (abusive, offensive, disrespectful,
    hateful) aimed at an individual -> HR; "normal" only -> 0 for H and HR; the rest unknown."""
    out = []
    with open(folder / "mlma" / "en_dataset_with_stop_words.csv", newline="") as f:
        for r in csv.DictReader(f):
            text = tidy_tweet(r["tweet"])
            if len(text) < 5:
                continue
            tags, group = set(r["sentiment"].split("_")), r["group"]
            labels = {}
            if tags == {"normal"}:
                labels = {"H": 0, "HR": 0}
            else:
                if "hateful" in tags and group != "individual":
                    labels["H"] = 1
                if tags & {"abusive", "offensive", "disrespectful", "hateful"} and group == "individual":
                    labels["HR"] = 1
            if labels:
                out.append(row(text, labels, "mlma-en"))
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


PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
NGRAM = 8
OVERLAP = 0.5  # share of the shorter text's word 8-grams that makes two texts one


def normalise(text: str) -> str:
    """What two texts must differ in to count as different: Unicode NFKC, case, punctuation,
    @mentions and URLs are ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = MENTION.sub(" ", URL.sub(" ", re.sub(r"\bhttp://url\b|@user\b", " ", text)))
    return " ".join(PUNCT.sub(" ", text).split())


def grams(norm: str) -> set[int]:
    words = norm.split()
    return {hash(" ".join(words[i : i + NGRAM])) for i in range(len(words) - NGRAM + 1)}


def deduplicate(rows: list[dict]) -> list[dict]:
    """Drops a row whose normalised text was seen before, or that shares at least half of its (or
    the earlier row's) word 8-grams with an earlier row from another family. Variants of one
    family are near-duplicates on purpose and share a split, so they stay; so do written "double"
    variants, which quote a sibling family's core from the same split."""
    kept, seen, index, kept_grams = [], set(), {}, []
    for r in rows:
        norm = normalise(r["prompt"])
        if not norm or norm in seen:
            continue
        g = grams(norm)
        family = r.get("family")
        split = split_of(family) if r.get("written") else None
        hits: dict[int, int] = {}
        for h in g:
            for k in index.get(h, ()):
                hits[k] = hits.get(k, 0) + 1
        near = any(
            shared >= OVERLAP * min(len(g), len(kept_grams[k]))
            and (family is None or kept[k].get("family") != family)
            and not (split and kept[k].get("written") and split_of(kept[k]["family"]) == split)
            for k, shared in hits.items()
        )
        if near:
            continue
        seen.add(norm)
        for h in g:
            index.setdefault(h, []).append(len(kept))
        kept.append(r)
        kept_grams.append(g)
    return kept


LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})


def spelling_variant(text: str, rng: random.Random) -> str | None:
    """The longest word (of four letters or more) dropped a letter, written in leet, or spaced out
    letter by letter; the rest of the text unchanged. None when no word is long enough."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long_words:
        return None
    i = max(long_words, key=lambda k: (len(words[k]), rng.random()))
    w = words[i]
    kind = rng.choice(["drop", "leet", "spaced"])
    if kind == "drop":
        j = rng.randrange(1, len(w) - 1)
        words[i] = w[:j] + w[j + 1 :]
    elif kind == "leet":
        words[i] = w.lower().translate(LEET)
    else:
        words[i] = " ".join(w)
    return " ".join(words)


def with_spelling_variants(rows: list[dict], rng: random.Random, share: float = 0.08) -> list[dict]:
    """Adds a spelling variant of a seeded share of the public rows with a positive label (and of as
    many clean ones, so a misspelling is no sign of harm). A variant keeps its row's labels and
    joins its family (the row's own text), so it always lands in the row's split."""
    out = []
    for r in rows:
        out.append(r)
        if r.get("written") or rng.random() >= share:
            continue
        variant = spelling_variant(r["prompt"], rng)
        if variant:
            r.setdefault("family", "pub-" + hashlib.sha1(normalise(r["prompt"]).encode()).hexdigest()[:12])
            out.append({**r, "prompt": variant, "variant": "spelling"})
    return out


def main(folder: Path) -> None:
    rng = random.Random(SEED)
    public = (
        davidson(folder, rng)
        + implicit_hate(folder, rng)
        + toxigen(folder)
        + reddit(folder)
        + toxic_spans(folder, rng)
        + convabuse(folder)
        + wiki_identity(folder)
        + mlma_en(folder)
    )
    public = deduplicate(public)
    rows = deduplicate(with_spelling_variants(public, rng) + written())
    splits = {"train": [], "validation": [], "heldout": []}
    for r in rows:
        # A family (a written core and its variants, or a public row and its spelling variant)
        # shares one split, so the held-out set never sees a sibling.
        splits[split_of(r.get("family") or normalise(r["prompt"]))].append(r)
    out_dir = HERE / "data"
    out_dir.mkdir(exist_ok=True)
    for name, items in splits.items():
        rng.shuffle(items)
        with gzip.GzipFile(out_dir / f"{name}.jsonl.gz", "wb", mtime=0) as gz:
            for r in items:
                gz.write((json.dumps(r, ensure_ascii=False) + "\n").encode())
        counts = {c: sum(1 for r in items if r.get(c) == 1) for c in CATEGORIES}
        sys.stderr.write(f"{name} {len(items)} {counts}\n")


def leakage(folder: Path) -> str:
    """How many held-out rows have a sibling in train: the same normalised text, or at least half
    of the word 8-grams of one of the two in common."""
    train = [json.loads(line) for line in gzip.open(folder / "train.jsonl.gz")]
    held = [json.loads(line) for line in gzip.open(folder / "heldout.jsonl.gz")]
    seen, index, sizes = set(), {}, []
    for k, r in enumerate(train):
        norm = normalise(r["prompt"])
        seen.add(norm)
        g = grams(norm)
        sizes.append(len(g))
        for h in g:
            index.setdefault(h, set()).add(k)
    exact = near = 0
    for r in held:
        norm = normalise(r["prompt"])
        if norm in seen:
            exact += 1
            continue
        g, hits = grams(norm), {}
        for h in g:
            for k in index.get(h, ()):
                hits[k] = hits.get(k, 0) + 1
        near += any(shared >= OVERLAP * min(len(g), sizes[k]) for k, shared in hits.items())
    share = (exact + near) / len(held)
    return f"heldout_rows={len(held)} same_text_in_train={exact} near_duplicate_in_train={near} share={share:.3f}"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--leakage":
        sys.stdout.write(leakage(Path(sys.argv[2])) + "\n")
    elif len(sys.argv) == 2:
        main(Path(sys.argv[1]))
    else:
        sys.exit("usage: build_dataset.py SHARED_MODERATION_FOLDER | --leakage DATA_FOLDER")
