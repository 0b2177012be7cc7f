"""Fine-tuning the comment encoder with a low-rank adapter (LoRA, Hu et al. 2021), written here in a
few lines of PyTorch rather than pulled in as a dependency.

Every linear layer inside the encoder's six transformer blocks (query, key, value, attention output,
feed-forward in and out) gets a trainable update B @ A of rank `rank`, scaled by alpha / rank; the
original weights stay frozen. A multi-label head over the mean-pooled, L2-normalised embedding (the
same pooling the classifier uses) is trained with it, with binary cross-entropy over the eight
categories and a row's unknown labels masked out. The head is thrown away afterwards: the adapter is
merged into the encoder's weights (W + alpha / rank * B @ A) and the usual logistic heads and
calibration are fitted on the merged encoder's embeddings, so the cheap head retraining on
moderators' decisions works on top of it unchanged.

The adapter is saved as float16 arrays in one .npz (about 2.5 MB at rank 16). Training saves a
checkpoint every `checkpoint_minutes` and `resume=True` carries on from the last one."""

import hashlib
import json
import logging
import math
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from moderation.categories import CATEGORIES

log = logging.getLogger(__name__)
ADAPTER_FILE = "adapter.npz"
# torch is imported inside the functions (heavy; see moderation/classifier.py).


@dataclass
class FineTuneConfig:
    rank: int = 16
    alpha: float = 32.0
    max_length: int = 64
    batch_size: int = 32
    epochs: float = 1.0
    lr: float = 1e-3
    head_lr: float = 1e-2
    warmup_steps: int = 100
    layers: int = 6  # adapt the top N transformer blocks (the blocks below run without gradients)
    threads: int = 2
    checkpoint_minutes: float = 10.0
    minutes: float | None = None  # stop (and save) after this much training time
    seed: int = 13
    eval_rows: int = 1500  # validation rows scored at each checkpoint (a progress signal, not the gate)


def _lora_targets(model, layers: int):
    import torch  # noqa: PLC0415  (heavy)

    first = model.config.num_hidden_layers - layers
    return [
        (name, mod)
        for name, mod in model.encoder.named_modules()
        if isinstance(mod, torch.nn.Linear) and int(name.split(".")[1]) >= first
    ]


def _build(base_dir: Path, config: FineTuneConfig):
    import torch  # noqa: PLC0415  (heavy)
    from transformers import AutoModel  # noqa: PLC0415

    torch.manual_seed(config.seed)
    model = AutoModel.from_pretrained(str(base_dir), local_files_only=True)
    for p in model.parameters():
        p.requires_grad_(False)
    scale = config.alpha / config.rank

    class LoRALinear(torch.nn.Module):
        def __init__(self, base):
            super().__init__()
            self.base = base
            self.lora_a = torch.nn.Parameter(torch.randn(config.rank, base.in_features) / math.sqrt(base.in_features))
            self.lora_b = torch.nn.Parameter(torch.zeros(base.out_features, config.rank))

        def forward(self, x):
            return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * scale

    adapters = {}
    for name, mod in _lora_targets(model, config.layers):
        parent_name, _, attr = name.rpartition(".")
        parent = model.encoder.get_submodule(parent_name) if parent_name else model.encoder
        wrapped = LoRALinear(mod)
        setattr(parent, attr, wrapped)
        adapters[f"encoder.{name}"] = wrapped
    head = torch.nn.Linear(model.config.hidden_size, len(CATEGORIES))
    return model, adapters, head


def _pool(model, ids, mask):
    import torch  # noqa: PLC0415  (heavy)

    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


def _tokenize(base_dir: Path, texts: list[str], max_length: int) -> list[list[int]]:
    from transformers import AutoTokenizer  # noqa: PLC0415  (heavy)

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True)
    return tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]


def _batch(token_lists: list[list[int]]):
    import torch  # noqa: PLC0415  (heavy)

    width = max(len(t) for t in token_lists)
    ids = torch.zeros((len(token_lists), width), dtype=torch.long)
    mask = torch.zeros((len(token_lists), width), dtype=torch.long)
    for i, t in enumerate(token_lists):
        ids[i, : len(t)] = torch.tensor(t)
        mask[i, : len(t)] = 1
    return ids, mask


def _labels(rows: list[dict]) -> np.ndarray:
    return np.array([[r.get(c, -1) for c in CATEGORIES] for r in rows], dtype=np.float32)


def _batches(n: int, batch_size: int, lengths: list[int], rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (less padding): shuffle, cut into pools of 50 batches, sort
    each pool by length, cut into batches, shuffle the batches."""
    order = list(range(n))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, n, pool):
        chunk = sorted(order[start : start + pool], key=lambda k: lengths[k])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def adapter_state(adapters: dict) -> dict[str, np.ndarray]:
    out = {}
    for name, mod in adapters.items():
        out[f"{name}.lora_a"] = mod.lora_a.detach().numpy().astype(np.float16)
        out[f"{name}.lora_b"] = mod.lora_b.detach().numpy().astype(np.float16)
    return out


def save_adapter(path: Path, adapters: dict, config: FineTuneConfig, base_dir: Path, extra: dict | None = None):
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"rank": config.rank, "alpha": config.alpha, "base": base_sha(base_dir), **(extra or {})}
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **adapter_state(adapters)
    )
    os.replace(tmp, path)


def load_adapter(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["__meta__"]).decode())
        arrays = {k: data[k] for k in data.files if k != "__meta__"}
    return meta, arrays


def base_sha(base_dir: Path) -> str:
    """A short hash of the base encoder's weights (an adapter is only valid on the weights it was
    trained on)."""
    digest = hashlib.sha1()
    for p in sorted(Path(base_dir).glob("*.safetensors")):
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]


def adapter_sha(path: Path) -> str:
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()[:12]


def merge_adapter(base_dir: Path, adapter_path: Path, target: Path) -> Path:
    """Write base + adapter as a Hugging Face model folder at `target` (tokenizer files copied),
    atomically: a second process either finds the whole folder or builds its own copy."""
    import shutil  # noqa: PLC0415  (only here)

    from safetensors.numpy import load_file, save_file  # noqa: PLC0415  (heavy)

    meta, arrays = load_adapter(adapter_path)
    if meta.get("base") and meta["base"] != base_sha(base_dir):
        raise ValueError(f"the adapter {adapter_path.name} was trained on other base weights than {base_dir}")
    scale = float(meta["alpha"]) / float(meta["rank"])
    weights_file = next(iter(sorted(Path(base_dir).glob("*.safetensors"))))
    weights = load_file(str(weights_file))
    prefix = "" if any(k.startswith("encoder.") for k in weights) else None
    names = {k[: -len(".lora_a")] for k in arrays if k.endswith(".lora_a")}
    for name in names:
        key = f"{name}.weight"
        if prefix is None or key not in weights:
            alt = [k for k in weights if k.endswith(key)]
            if len(alt) != 1:
                raise ValueError(f"the adapter names {name}, which the base weights do not have")
            key = alt[0]
        delta = arrays[f"{name}.lora_b"].astype(np.float32) @ arrays[f"{name}.lora_a"].astype(np.float32)
        weights[key] = (weights[key].astype(np.float32) + scale * delta).astype(weights[key].dtype)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(base_dir, tmp, ignore=shutil.ignore_patterns("*.safetensors", "*.bin", "*.onnx", "onnx", ".*"))
    save_file(weights, str(tmp / weights_file.name), metadata={"format": "pt"})
    (tmp / "ADAPTER.json").write_text(json.dumps({**meta, "adapter": adapter_sha(adapter_path)}) + "\n")
    try:
        os.replace(tmp, target)
    except OSError:  # another process got there first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _auprc(probs: np.ndarray, labels: np.ndarray) -> dict[str, float | None]:
    from sklearn.metrics import average_precision_score  # noqa: PLC0415  (heavy)

    out = {}
    for j, c in enumerate(CATEGORIES):
        known = labels[:, j] >= 0
        y = labels[known, j]
        out[c] = float(average_precision_score(y, probs[known, j])) if 0 < y.sum() < len(y) else None
    any_y = (labels == 1).any(axis=1)
    out["any"] = float(average_precision_score(any_y, probs.max(axis=1))) if 0 < any_y.sum() < len(any_y) else None
    return out


def fine_tune(
    *,
    base_dir: Path,
    train_rows: list[dict],
    validation_rows: list[dict],
    work_dir: Path,
    config: FineTuneConfig,
    resume: bool = False,
    on_checkpoint=None,
) -> Path:
    """Train the adapter; returns the path of the final adapter file in work_dir. Checkpoints
    (adapter + head + optimiser + position) go to work_dir/checkpoint.pt every
    config.checkpoint_minutes; `on_checkpoint(adapter_path, metrics)` is called after each."""
    import torch  # noqa: PLC0415  (heavy)

    torch.set_num_threads(config.threads)
    work_dir.mkdir(parents=True, exist_ok=True)
    model, adapters, head = _build(base_dir, config)
    params = [p for m in adapters.values() for p in (m.lora_a, m.lora_b)]
    optimiser = torch.optim.AdamW(
        [{"params": params, "lr": config.lr}, {"params": head.parameters(), "lr": config.head_lr}], weight_decay=0.01
    )
    texts = [r["prompt"] for r in train_rows]
    tokens = _tokenize(base_dir, texts, config.max_length)
    labels = torch.from_numpy(_labels(train_rows))
    known = labels >= 0
    pos = ((labels == 1) & known).sum(0).float()
    neg = ((labels == 0) & known).sum(0).float()
    pos_weight = torch.clamp(torch.sqrt(neg / pos.clamp(min=1)), 1.0, 10.0)
    steps_per_epoch = math.ceil(len(texts) / config.batch_size)
    total_steps = max(1, int(steps_per_epoch * config.epochs))
    val_rows = validation_rows[: config.eval_rows]
    val_tokens = _tokenize(base_dir, [r["prompt"] for r in val_rows], config.max_length) if val_rows else []
    val_labels = _labels(val_rows)

    def lr_factor(step):
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        return max(0.05, 1 - (step - config.warmup_steps) / max(1, total_steps - config.warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lr_factor)
    step, trained_s = 0, 0.0
    checkpoint = work_dir / "checkpoint.pt"
    if resume and checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        for name, mod in adapters.items():
            mod.lora_a.data.copy_(state["adapters"][f"{name}.lora_a"])
            mod.lora_b.data.copy_(state["adapters"][f"{name}.lora_b"])
        head.load_state_dict(state["head"])
        optimiser.load_state_dict(state["optimiser"])
        scheduler.load_state_dict(state["scheduler"])
        step, trained_s = state["step"], state["trained_s"]
        log.info("resumed at step %d of %d (%.1f min trained)", step, total_steps, trained_s / 60)

    def evaluate():
        if not val_rows:
            return {}
        model.eval()
        probs = []
        with torch.inference_mode():
            for i in range(0, len(val_tokens), 64):
                ids, mask = _batch(val_tokens[i : i + 64])
                probs.append(torch.sigmoid(head(_pool(model, ids, mask) * 20)).numpy())
        model.train()
        return _auprc(np.concatenate(probs), val_labels)

    def save(final=False):
        adapter_path = work_dir / ("adapter.npz" if final else "adapter-checkpoint.npz")
        save_adapter(adapter_path, adapters, config, base_dir, {"step": step, "rows": len(texts)})
        state = {
            "adapters": {
                f"{n}.{k}": getattr(m, k).detach().clone() for n, m in adapters.items() for k in ("lora_a", "lora_b")
            },
            "head": head.state_dict(),
            "optimiser": optimiser.state_dict(),
            "scheduler": scheduler.state_dict(),
            "step": step,
            "trained_s": trained_s,
            "config": asdict(config),
        }
        torch.save(state, work_dir / "checkpoint.tmp.pt")
        os.replace(work_dir / "checkpoint.tmp.pt", checkpoint)
        scores = evaluate()
        log.info(
            "checkpoint step %d/%d, %.1f min: validation AUPRC %s",
            step,
            total_steps,
            trained_s / 60,
            " ".join(f"{k}={v:.3f}" for k, v in scores.items() if v is not None),
        )
        if on_checkpoint:
            on_checkpoint(adapter_path, scores)
        return adapter_path

    model.train()
    # The batch order is a function of the seed and the epoch, so a resumed run sees the same order.
    lengths = [len(t) for t in tokens]
    last_save, started, seen = time.monotonic(), time.monotonic(), 0
    done = False
    while not done and step < total_steps:
        epoch = step // steps_per_epoch
        batches = _batches(len(texts), config.batch_size, lengths, random.Random(config.seed + epoch))
        for b in batches[step - epoch * steps_per_epoch :]:
            t0 = time.monotonic()
            ids, mask = _batch([tokens[k] for k in b])
            y = labels[b]
            logits = head(_pool(model, ids, mask) * 20)
            m = (y >= 0).float()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y.clamp(min=0), weight=m, pos_weight=pos_weight, reduction="sum"
            ) / m.sum().clamp(min=1)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            scheduler.step()
            step += 1
            seen += len(b)
            trained_s += time.monotonic() - t0
            if step % 50 == 0:
                rate = seen / (time.monotonic() - started)
                log.info("step %d/%d loss %.4f, %.1f rows/s", step, total_steps, loss.item(), rate)
            if config.minutes is not None and trained_s >= config.minutes * 60:
                log.info("time budget of %.0f minutes reached at step %d", config.minutes, step)
                done = True
                break
            if time.monotonic() - last_save >= config.checkpoint_minutes * 60:
                save()
                last_save = time.monotonic()
            if step >= total_steps:
                break
    return save(final=True)
