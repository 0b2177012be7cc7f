"""Training and evaluating the comment classifier's heads: shipped data plus moderators' decisions,
frozen encoder embeddings (cached), one logistic regression per category, Platt calibration on the
validation split (to a common reference base rate), thresholds from the validation split,
comparison on the fixed held-out split."""

import gzip
import hashlib
import io
import json
import logging
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import User
from moderation import classifier
from moderation.classifier import CATEGORIES, Heads, clean_text
from moderation.models import ModerationDecision
from videos.models import Comment

DATA_DIR = Path(__file__).resolve().parent / "data"
HUMAN_WEIGHT = 5.0  # a moderator's label outweighs a mapped public one
# The base rates the probabilities are calibrated to: a prior for user text on an open platform
# (sexual content and insults commonest, sexual content about minors rarest), not the split's own
# rates, which reflect how the data was gathered (27 % hate, under 1 % graphic violence).
REFERENCE_RATES = {"S": 0.1, "H": 0.06, "V": 0.05, "HR": 0.06, "SH": 0.03, "S3": 0.01, "H2": 0.02, "V2": 0.02}
log = logging.getLogger(__name__)
# scikit-learn (~1 s to import, measured with `python -X importtime`) is imported inside the functions
# that fit and measure heads: this module is loaded by every web worker through moderation.services,
# and only training and evaluation need it.


class DataError(ValueError):
    """An evaluation or training file that cannot be read."""


# ---------------------------------------------------------------------------------------------
# Data


def read_jsonl(path: Path) -> list[dict]:
    """JSON Lines, gzipped or not (decided by the file's first bytes). Each row needs a "prompt";
    a category key that is missing means unknown for that row."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.GzipFile(fileobj=io.BytesIO(raw)).read()
        except (OSError, EOFError) as exc:
            raise DataError(f"{path} is not a readable gzip file: {exc}") from exc
    rows = []
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path} line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict) or not isinstance(item.get("prompt"), str):
            raise DataError(f'{path} line {number}: expected an object with a "prompt" string')
        for c in CATEGORIES:
            if c in item and item[c] is not None:
                try:
                    item[c] = int(float(item[c]) >= 0.5)
                except (TypeError, ValueError) as exc:
                    raise DataError(f"{path} line {number}: label {c} is not a number") from exc
            else:
                item.pop(c, None)
        rows.append(item)
    return rows


def load_split(name: str, limit: int | None = None) -> list[dict]:
    rows = read_jsonl(DATA_DIR / f"{name}.jsonl.gz")
    return rows[:limit] if limit else rows


def human_rows() -> list[dict]:
    """Moderators' latest decisions on comments and profiles as labelled rows. A decision about an
    account that is gone or tombstoned is dropped. Approved: negative for every category. Rejected:
    positive for the categories the moderator named (else those the model flagged, else its top
    one); the rest stay unknown, since a person judged one thing, not all eight."""
    types = [ContentType.objects.get_for_model(Comment), ContentType.objects.get_for_model(User)]
    decisions = (
        ModerationDecision.objects.filter(
            source=ModerationDecision.Source.HUMAN,
            content_type__in=types,
            tombstoned=False,
            subject_user__isnull=False,
        )
        .exclude(text_snapshot="")
        .order_by("content_type_id", "object_id", "-created_at", "-id")
    )
    rows, seen = [], set()
    for d in decisions:
        key = (d.content_type_id, d.object_id)
        if key in seen:
            continue
        seen.add(key)
        if d.outcome == ModerationDecision.Outcome.APPROVED:
            labels = dict.fromkeys(CATEGORIES, 0)
        elif d.outcome == ModerationDecision.Outcome.REJECTED:
            named = [c for c in (d.evidence or {}).get("categories", []) if c in CATEGORIES]
            if not named and d.scores:
                flagged = (d.thresholds or {}).items()
                named = [c for c, t in flagged if c in CATEGORIES and d.scores.get(c, 0) >= t.get("review", 1)]
                named = named or [max(CATEGORIES, key=lambda c: d.scores.get(c, 0))]
            if not named:
                continue
            labels = dict.fromkeys(named, 1)
        else:
            continue
        rows.append({"prompt": d.text_snapshot, **labels, "source": "moderator", "decision": d.pk})
    return rows


# ---------------------------------------------------------------------------------------------
# Embeddings


def embed_rows(encoder, rows: list[dict], cache_dir: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Chunk embeddings and owners for rows; cached by (encoder, texts) so retraining is quick."""
    texts = [clean_text(r["prompt"]) for r in rows]
    path = None
    if cache_dir is not None:
        parts = [encoder.name, encoder.signature, str(encoder.dim), *texts]
        key = hashlib.sha1("\x00".join(parts).encode()).hexdigest()
        path = Path(cache_dir) / f"{key}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as data:
                return data["embeddings"], data["owners"]
    embeddings, owners = encoder.embed(texts)
    owners = np.asarray(owners, dtype=np.int64)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, embeddings=embeddings.astype(np.float32), owners=owners)
        tmp.replace(path)
    return embeddings, owners


def text_max(values: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """Per text, the maximum over its chunks (values: chunks x categories)."""
    out = np.full((n, values.shape[1]), -np.inf, dtype=np.float64)
    np.maximum.at(out, owners, values)
    return out


# ---------------------------------------------------------------------------------------------
# Fitting


def label_matrix(rows: list[dict]) -> np.ndarray:
    """rows x categories with 1, 0, or -1 for unknown."""
    return np.array([[r.get(c, -1) for c in CATEGORIES] for r in rows], dtype=np.int8)


def fit_heads(
    *,
    train: tuple[np.ndarray, np.ndarray, list[dict]],
    validation: tuple[np.ndarray, np.ndarray, list[dict]],
    version: str,
    C: float = 1.0,
    meta: dict | None = None,
) -> Heads:
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415  (scikit-learn, see the note at the top)

    emb, owners, rows = train
    labels = label_matrix(rows)
    weights = np.array([HUMAN_WEIGHT if r.get("source") == "moderator" else 1.0 for r in rows])
    chunks_per_text = np.bincount(owners, minlength=len(rows))
    chunk_weight = weights[owners] / chunks_per_text[owners]
    dim = emb.shape[1]
    W, b = np.zeros((len(CATEGORIES), dim)), np.zeros(len(CATEGORIES))
    for j in range(len(CATEGORIES)):
        y_text = labels[:, j]
        known = y_text[owners] >= 0
        y = y_text[owners][known]
        if y.min() == y.max():
            # No positives (or no negatives): a constant head, honest about knowing nothing.
            b[j] = -6.0 if y.max() == 0 else 6.0
            continue
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
        model.fit(emb[known], y, sample_weight=chunk_weight[known])
        W[j], b[j] = model.coef_[0], model.intercept_[0]
    # Platt scaling on the validation split's text-level logits (max over chunks).
    v_emb, v_owners, v_rows = validation
    v_logits = text_max(v_emb @ W.T + b, v_owners, len(v_rows))
    v_labels = label_matrix(v_rows)
    a, bb = np.ones(len(CATEGORIES)), np.zeros(len(CATEGORIES))
    for j in range(len(CATEGORIES)):
        known = v_labels[:, j] >= 0
        y = v_labels[known, j]
        if known.sum() < 10 or y.min() == y.max():
            continue
        # Reweighted to the category's reference base rate, so the eight probabilities are comparable
        # (the max over them decides) and mean what they would on a comment stream.
        pos, rate = y == 1, REFERENCE_RATES[CATEGORIES[j]]
        weight = np.where(pos, rate / pos.mean(), (1 - rate) / (1 - pos.mean()))
        platt = LogisticRegression(C=100.0, max_iter=1000)
        platt.fit(v_logits[known, j : j + 1], y, sample_weight=weight)
        a[j], bb[j] = platt.coef_[0, 0], platt.intercept_[0]
    return Heads(
        version=version,
        weights=W.astype(np.float32),
        bias=b.astype(np.float32),
        platt_a=a.astype(np.float32),
        platt_b=bb.astype(np.float32),
        meta={"categories": CATEGORIES, "C": C, **(meta or {})},
    )


def text_probabilities(heads: Heads, emb: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    return text_max(heads.probabilities(emb), owners, n)


# ---------------------------------------------------------------------------------------------
# Metrics and thresholds


def metrics(probs: np.ndarray, rows: list[dict]) -> dict:
    """AUPRC per category over the rows where the label is known, and any_auprc: max over the eight
    probabilities against "at least one category is 1"."""
    from sklearn.metrics import average_precision_score  # noqa: PLC0415  (scikit-learn, see the note at the top)

    labels = label_matrix(rows)
    out = {"categories": {}}
    for j, c in enumerate(CATEGORIES):
        known = labels[:, j] >= 0
        positives = int((labels[known, j] == 1).sum())
        auprc = None
        if positives and positives < known.sum():
            auprc = float(average_precision_score(labels[known, j], probs[known, j]))
        elif positives:
            auprc = 1.0
        out["categories"][c] = {"auprc": auprc, "positives": positives, "known": int(known.sum())}
    # "Any" is known when a label is 1, or when every label is known and 0; a row with no positive and
    # an unknown label could be either, so it is left out, as a row with an unknown label is left out
    # of that label's score.
    any_pos = (labels == 1).any(axis=1)
    any_known = any_pos | (labels == 0).all(axis=1)
    y = any_pos[any_known]
    if y.any() and not y.all():
        out["any_auprc"] = float(average_precision_score(y, probs[any_known].max(axis=1)))
    else:
        out["any_auprc"] = None
    # The published convention: every row, a missing label counted as 0.
    out["any_auprc_all_rows"] = (
        float(average_precision_score(any_pos, probs.max(axis=1))) if any_pos.any() and not any_pos.all() else None
    )
    out["any_positives"] = int(any_pos.sum())
    known_scores = [v["auprc"] for v in out["categories"].values() if v["auprc"] is not None]
    out["mean_auprc"] = float(np.mean(known_scores)) if known_scores else None
    return out


REVIEW_PRECISION = 0.5  # a person looks at a text once it is at least as likely harmful as not
REJECT_PRECISION = 0.95  # removed without a person only when 19 in 20 such texts are harmful
REVIEW_FLOOR, REJECT_FLOOR = 0.15, 0.8
# Each category's review threshold holds at most this share of the clean validation rows (many of
# them written look-alikes: counter-speech, violent words in games or cooking, everyday family
# captions), whatever the precision rule says: the held harmless text a person would see.
CLEAN_HOLD_BUDGET = 0.02


def choose_thresholds(probs: np.ndarray, rows: list[dict]) -> dict:
    """Per category from the validation split (never the held-out one). Precision is counted with
    the validation rows reweighted to the category's reference base rate (REFERENCE_RATES, the rate
    the probabilities are calibrated to), because the split holds far more harmful text than a
    comment stream and its raw precision flatters low thresholds. Review: the lowest probability
    where that precision reaches REVIEW_PRECISION, and no lower than the score that at most
    CLEAN_HOLD_BUDGET of the clean validation rows (every label known and 0) reach, so harmless
    text is rarely held; reject: where precision reaches REJECT_PRECISION. Floors keep review >= 0.15
    and reject >= max(0.8, review + 0.05); a category with fewer than 5 positives keeps 0.5 / 0.95."""
    labels = label_matrix(rows)
    clean = (labels == 0).all(axis=1)
    out = {}
    for j, c in enumerate(CATEGORIES):
        known = labels[:, j] >= 0
        y, p = labels[known, j], probs[known, j]
        review, reject = 0.5, 0.95
        if y.sum() >= 5 and (y == 0).sum() >= 5:
            rate = REFERENCE_RATES[c]
            weight = np.where(y == 1, rate / y.mean(), (1 - rate) / (1 - y.mean()))
            order = np.argsort(-p, kind="stable")
            tp = np.cumsum(weight[order] * (y[order] == 1))
            total = np.cumsum(weight[order])
            precision = tp / total

            def lowest(target, precision=precision, order=order, p=p):
                # The lowest cut (scanning from the top score down) at which precision is still >= target.
                ok = np.nonzero(precision >= target)[0]
                return float(p[order][ok[-1]]) if len(ok) else None

            review = lowest(REVIEW_PRECISION) or review
            reject = lowest(REJECT_PRECISION) or reject
            if clean.sum() >= 100:
                review = max(review, float(np.quantile(probs[clean, j], 1 - CLEAN_HOLD_BUDGET)))
        review = round(min(max(review, REVIEW_FLOOR), 0.9), 2)
        reject = round(min(max(reject, review + 0.05, REJECT_FLOOR), 0.99), 2)
        out[c] = {"review": review, "reject": reject}
    return out


# ---------------------------------------------------------------------------------------------
# The whole run


def embedding_cache_dir() -> Path:
    return Path(settings.MODEL_ROOT) / "cache" / "comment-embeddings"


def train_candidate(
    *,
    limit: int | None = None,
    heldout_limit: int | None = None,
    C: float = 1.0,
    include_human: bool = True,
    version: str | None = None,
    adapter: Path | None | str = "active",
    extra_meta: dict | None = None,
) -> dict:
    """Fit, calibrate and measure a candidate, and measure the model in use on the same held-out
    rows. Returns {"heads", "thresholds", "validation", "heldout", "active", "counts"}; writes nothing
    but the embedding cache. The heads are fitted on the encoder with `adapter` merged in (by default
    the active artifact's, so retraining on moderators' decisions keeps the fine-tuned encoder)."""
    if adapter == "active":
        adapter = classifier.active_heads().adapter
    encoder = classifier.get_encoder(adapter)
    cache = embedding_cache_dir()
    train_rows = load_split("train", limit)
    human = human_rows() if include_human else []
    train_rows = train_rows + human
    val_rows = load_split("validation", limit)
    held_rows = load_split("heldout", heldout_limit)
    log.info("training on %d rows (%d from moderators), validating on %d", len(train_rows), len(human), len(val_rows))
    t_emb, t_own = embed_rows(encoder, train_rows, cache)
    v_emb, v_own = embed_rows(encoder, val_rows, cache)
    h_emb, h_own = embed_rows(encoder, held_rows, cache)
    version = version or "cc-" + timezone.now().strftime("%Y%m%d-%H%M%S")
    heads = fit_heads(
        train=(t_emb, t_own, train_rows),
        validation=(v_emb, v_own, val_rows),
        version=version,
        C=C,
        meta={
            "encoder": encoder.name,
            "backend": encoder.backend,
            "max_length": classifier.MAX_LENGTH,
            **(extra_meta or {}),
        },
    )
    heads.adapter = Path(adapter) if adapter else None
    v_probs = text_probabilities(heads, v_emb, v_own, len(val_rows))
    thresholds = choose_thresholds(v_probs, val_rows)
    heads.meta["thresholds"] = thresholds
    candidate = metrics(text_probabilities(heads, h_emb, h_own, len(held_rows)), held_rows)
    try:
        current_heads = classifier.active_heads()
        if current_heads.adapter == heads.adapter or (
            current_heads.adapter and heads.adapter and classifier.same_file(current_heads.adapter, heads.adapter)
        ):
            c_emb, c_own = h_emb, h_own
        else:  # the model in use reads text through another encoder
            c_emb, c_own = embed_rows(classifier.get_encoder(current_heads.adapter), held_rows, cache)
        current = metrics(text_probabilities(current_heads, c_emb, c_own, len(held_rows)), held_rows)
        current["version"] = current_heads.version
    except classifier.ClassifierUnavailable:
        current = None
    return {
        "heads": heads,
        "thresholds": thresholds,
        "validation": metrics(v_probs, val_rows),
        "heldout": candidate,
        "active": current,
        "counts": {
            "train": len(train_rows),
            "human": len(human),
            "validation": len(val_rows),
            "heldout": len(held_rows),
        },
        "human_rows": human,
    }


def not_worse(candidate: dict, current: dict | None) -> bool:
    """The candidate may replace the model in use when its held-out any_auprc is at least as good."""
    if current is None or current.get("any_auprc") is None:
        return True
    if candidate.get("any_auprc") is None:
        return False
    return candidate["any_auprc"] >= current["any_auprc"]


# ---------------------------------------------------------------------------------------------
# Fine-tuning the encoder (once per release; see finetune.py)

RARE = tuple(c for c in CATEGORIES if c not in ("H", "HR"))  # the categories with little public data


def fine_tune_rows(rows: list[dict], n: int | None, seed: int = 13) -> list[dict]:
    """At most n training rows for the fine-tune: every written row and every row positive for a
    rare category (S, V, SH, S3, H2, V2), then a seeded sample of the rest."""
    if n is None or n >= len(rows):
        return rows
    import random  # noqa: PLC0415  (only here)

    must = [r for r in rows if r.get("written") or any(r.get(c) == 1 for c in RARE)]
    rest = [r for r in rows if not (r.get("written") or any(r.get(c) == 1 for c in RARE))]
    rng = random.Random(seed)
    if len(must) >= n:
        return rng.sample(must, n)
    return must + rng.sample(rest, n - len(must))


def fine_tune_candidate(
    *,
    config,
    work_dir: Path,
    rows: int | None = None,
    resume: bool = False,
    limit: int | None = None,
    heldout_limit: int | None = None,
    C: float = 1.0,
    include_human: bool = True,
    version: str | None = None,
) -> dict:
    """Fine-tune an adapter on the training split (checkpointed in work_dir), then fit and measure
    heads on the merged encoder as train_candidate does. The run's figures go into the heads' meta."""
    import time  # noqa: PLC0415  (only here)

    from moderation.training import finetune  # noqa: PLC0415  (imports nothing heavy itself)

    train_rows = load_split("train", limit) + (human_rows() if include_human else [])
    chosen = fine_tune_rows(train_rows, rows)
    log.info(
        "fine-tuning on %d rows (rank %d, top %d layers, %d tokens)",
        len(chosen),
        config.rank,
        config.layers,
        config.max_length,
    )
    started = time.monotonic()
    adapter = finetune.fine_tune(
        base_dir=classifier.base_encoder_dir(),
        train_rows=chosen,
        validation_rows=load_split("validation", limit),
        work_dir=work_dir,
        config=config,
        resume=resume,
    )
    _, arrays = finetune.load_adapter(adapter)
    minutes = (time.monotonic() - started) / 60
    meta = {
        "fine_tune": {
            "rows": len(chosen),
            "epochs": config.epochs,
            "rank": config.rank,
            "alpha": config.alpha,
            "layers": config.layers,
            "max_length": config.max_length,
            "batch_size": config.batch_size,
            "minutes_this_run": round(minutes, 1),
            "adapter_parameters": int(sum(a.size for a in arrays.values())),
        }
    }
    return train_candidate(
        limit=limit,
        heldout_limit=heldout_limit,
        C=C,
        include_human=include_human,
        version=version,
        adapter=adapter,
        extra_meta=meta,
    )
