"""Build the written training rows (written.jsonl) from the hand-written sets in
written_examples.yaml: each core sentence (a family) plus seeded variants (slang, typos, casing, emoji,
surrounding chatter, longer paragraphs), labelled as the data file states. build_dataset.py reads
the result; commit both files together."""

import json
import os
import random
import re
import tempfile
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from moderation.training.build_dataset import CATEGORIES, spelling_variant, split_of

TRAINING = Path(__file__).resolve().parents[2] / "training"
SOURCE = TRAINING / "written_examples.yaml"
OUTPUT = TRAINING / "written.jsonl"
TAXONOMY = [*CATEGORIES, "OK"]
SEED = 7
KINDS = ["slang", "typo", "caps", "wrap", "paragraph", "lower", "double", "paragraph", "wrap", "spelling"]
SET_KEYS = {"name", "about", "labels", "texts"}


def _labels(value, where: str) -> dict[str, int]:
    if not isinstance(value, list) or not value:
        raise CommandError(f"{where}: labels must be a non-empty list, e.g. [V, HR] or [OK]")
    unknown = [v for v in value if v not in TAXONOMY]
    if unknown:
        raise CommandError(f"{where}: unknown label {unknown[0]!r} (known: {', '.join(TAXONOMY)})")
    if "OK" in value and len(value) > 1:
        raise CommandError(f"{where}: OK means no category and cannot be combined with {value}")
    return {c: int(c in value) for c in CATEGORIES}


def load(path: Path) -> dict:
    """The data file, checked: every set has a name, labels from the taxonomy and texts."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except yaml.YAMLError as e:
        raise CommandError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict) or not {"groups", "variants", "sets"} <= set(data):
        raise CommandError(f"{path}: needs top-level groups, variants and sets")
    names, sets = set(), []
    for i, one in enumerate(data["sets"]):
        name = one.get("name") if isinstance(one, dict) else None
        where = f"{path.name} set {name or f'#{i + 1}'}"
        if not isinstance(one, dict) or set(one) - SET_KEYS or not {"name", "labels", "texts"} <= set(one):
            raise CommandError(f"{where}: a set has name, labels, texts (and optional about), nothing else")
        if not isinstance(name, str) or not re.fullmatch(r"\w+", name) or name in names:
            raise CommandError(f"{where}: the name must be a unique word")
        names.add(name)
        default = _labels(one["labels"], where)
        texts = []
        for k, item in enumerate(one["texts"] or []):
            if isinstance(item, str):
                texts.append((item, default))
            elif isinstance(item, dict) and set(item) == {"text", "labels"} and isinstance(item["text"], str):
                texts.append((item["text"], _labels(item["labels"], f"{where} text #{k + 1}")))
            else:
                raise CommandError(f"{where} text #{k + 1}: write a string or {{text: ..., labels: [...]}}")
        if not texts:
            raise CommandError(f"{where}: no texts")
        sets.append((name, texts))
    variants = data["variants"]
    if not isinstance(variants, dict) or set(variants) != {"openers", "closers", "slang", "filler"}:
        raise CommandError(f"{path}: variants has exactly openers, closers, slang and filler")
    if not isinstance(variants["slang"], dict):
        raise CommandError(f"{path}: variants.slang maps a word to its slang, e.g. 'you: u'")
    return {
        "groups": data["groups"],
        "openers": variants["openers"],
        "closers": variants["closers"],
        # Whole words, case-insensitive; the order matters (the seeded draw picks by position).
        "slang": [(rf"\b{re.escape(word)}\b", rep) for word, rep in variants["slang"].items()],
        "filler": variants["filler"],
        "sets": sets,
    }


def misspell(text: str, rng: random.Random) -> str:
    words = text.split()
    for _ in range(max(1, len(words) // 8)):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if rng.random() < 0.5 else w[:j] + w[j + 1 :]
    return " ".join(words)


def variants(core: str, rng: random.Random, pool: list[str], n: int, data: dict) -> list[str]:
    out = [core]
    for kind in rng.sample(KINDS, min(n - 1, len(KINDS))):
        t = core
        if kind == "slang":
            for pat, rep in rng.sample(data["slang"], 4):
                t = re.sub(pat, rep, t, flags=re.I)
        elif kind == "typo":
            t = misspell(t, rng)
        elif kind == "spelling":
            # A dropped letter, leet or letter-spacing in the longest word, as on the public rows.
            t = spelling_variant(t, rng) or misspell(t, rng)
        elif kind == "caps":
            t = t.upper() + rng.choice(["!!", "!!!", ""])
        elif kind == "wrap":
            t = rng.choice(data["openers"]) + t + rng.choice(data["closers"])
        elif kind == "lower":
            t = t.lower().replace(",", "").replace("'", "")
        elif kind == "double":
            # Two sentences of the same kind: longer and with a second voice. The second comes from
            # a family in the same split (the pool), so no core crosses from train to held-out.
            t = t[0].upper() + t[1:] + ". " + rng.choice(pool).replace("{g}", rng.choice(data["groups"]))
        elif kind == "paragraph":
            before = " ".join(rng.sample(data["filler"], rng.randint(1, 3)))
            after = " ".join(rng.sample(data["filler"], rng.randint(0, 2)))
            t = f"{before} {t[0].upper() + t[1:]}. {after}".strip()
        out.append(t)
    return out


def build_rows(data: dict) -> list[dict]:
    """Every core text with its variants (10 per text, or 3 for each of 4 groups where the text
    names {g}), in file order, dropping case-insensitive duplicates."""
    rng = random.Random(SEED)
    groups = data["groups"]
    rows, seen = [], set()
    for name, texts in data["sets"]:
        split = [split_of(f"{name}-{k}") for k in range(len(texts))]
        for k, (core, labels) in enumerate(texts):
            tail = {"source": "written", "written": True, "family": f"{name}-{k}"}
            pool = [c for i, (c, _) in enumerate(texts) if split[i] == split[k]]
            fills = rng.sample(groups, 4) if "{g}" in core else [None]
            per = 10 if not fills[0] else 3
            for fill in fills:
                base = core.replace("{g}", fill) if fill else core
                for text in variants(base, rng, pool, per, data):
                    text = text.replace("{g}", rng.choice(groups))
                    if text.lower() in seen:
                        continue
                    seen.add(text.lower())
                    rows.append({"prompt": text, **labels, **tail})
    return rows


def write_rows(rows: list[dict], path: Path) -> None:
    """Write through a temporary file in the same folder, so a failure leaves the old file whole."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class Command(BaseCommand):
    help = "Build written.jsonl (the written training rows) from written_examples.yaml."

    def add_arguments(self, parser):
        parser.add_argument("--source", type=Path, default=SOURCE, help="the data file (default: %(default)s)")
        parser.add_argument("--output", type=Path, default=OUTPUT, help="the rows file (default: %(default)s)")

    def handle(self, *args, **opts):
        output = opts["output"]
        if not output.parent.is_dir():
            raise CommandError(f"{output.parent}: no such folder")
        rows = build_rows(load(opts["source"]))
        write_rows(rows, output)
        counts = {c: sum(r[c] for r in rows) for c in CATEGORIES}
        counts["OK"] = sum(1 for r in rows if not any(r[c] for c in CATEGORIES))
        self.stdout.write(f"rows={len(rows)} " + " ".join(f"{c}={n}" for c, n in counts.items()))
