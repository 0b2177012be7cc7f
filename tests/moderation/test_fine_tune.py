"""Fine-tuning the encoder: `train_comment_moderator --fine-tune` trains a low-rank adapter for a few
steps on 200 rows, checkpoints and resumes, and ships it beside the heads; `prepare_models` merges it
into the installed encoder under MODEL_ROOT, and the artifact's heads then read text through it."""

import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from safetensors.numpy import load_file

from moderation import classifier
from moderation.training import finetune

pytestmark = pytest.mark.django_db

TINY = ["--rows", "200", "--limit", "200", "--heldout-limit", "60", "--epochs", "1", "--max-length", "32"]
TINY += ["--rank", "4", "--layers", "1", "--batch-size", "25", "--no-human"]


def test_a_tiny_fine_tune_ships_an_adapter_that_prepare_models_merges(settings, tmp_path, capsys, caplog):
    caplog.set_level("INFO", logger="moderation.training")
    settings.COMMENT_ENCODER_BACKEND = "torch"  # the ONNX export is measured elsewhere; this is about the adapter
    ship, work = tmp_path / "artifact", tmp_path / "work"
    call_command("train_comment_moderator", "--fine-tune", *TINY, "--work-dir", str(work), "--ship", str(ship))
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("shipped=") and "any_auprc=" in out[0]
    assert (work / "checkpoint.pt").exists()
    assert "checkpoint step 8/8" in caplog.text  # 200 rows in batches of 25

    adapter = ship / "adapter.npz"
    meta, arrays = finetune.load_adapter(adapter)
    assert meta["rank"] == 4 and adapter.stat().st_size < 200_000
    # The top block only: its six linear layers, A and B each.
    assert len(arrays) == 12 and all(".layer.5." in name for name in arrays)
    assert any(np.abs(a).max() > 0 for name, a in arrays.items() if name.endswith("lora_b"))
    shipped = json.loads((ship / "meta.json").read_text())
    assert shipped["fine_tune"]["rows"] == 200 and set(shipped["thresholds"]) == set(classifier.CATEGORIES)

    # Resuming from the finished run's checkpoint carries on from where it stopped.
    caplog.clear()
    call_command(
        "train_comment_moderator",
        "--fine-tune",
        *TINY,
        "--work-dir",
        str(work),
        "--resume",
        "--ship",
        str(tmp_path / "again"),
    )
    assert "resumed at step 8 of 8" in caplog.text

    call_command("prepare_models", "--artifact", str(ship), "--comment-only")
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("models_ready=1")
    [merged] = (Path(settings.MODEL_ROOT) / "encoders").glob(f"*-lora-{finetune.adapter_sha(adapter)}")
    assert (merged / "config.json").exists() and (merged / "tokenizer.json").exists()
    base = load_file(str(classifier.base_encoder_dir() / "model.safetensors"))
    new = load_file(str(merged / "model.safetensors"))
    changed = {k for k in base if not np.array_equal(base[k], new[k])}
    assert changed and all(".layer.5." in k and k.endswith(".weight") for k in changed)
    key = next(k for k in changed if k.endswith("attention.self.query.weight"))
    delta = arrays["encoder.layer.5.attention.self.query.lora_b"].astype(np.float32) @ arrays[
        "encoder.layer.5.attention.self.query.lora_a"
    ].astype(np.float32)
    assert np.allclose(new[key], base[key] + meta["alpha"] / meta["rank"] * delta, atol=1e-5)

    # The shipped heads read text through the merged encoder, and score like the training run said.
    heads = classifier.Heads.load(ship)
    assert heads.adapter == adapter
    assert classifier.get_encoder(heads.adapter).path == merged
    probs = classifier.score_with(heads, ["you are a worthless idiot", "lovely video, thanks"])
    assert probs.shape == (2, 8) and np.isfinite(probs).all()


def test_an_adapter_for_other_base_weights_is_refused(tmp_path):
    adapter = tmp_path / "adapter.npz"
    meta = json.dumps({"rank": 2, "alpha": 4, "base": "not-these"}).encode()
    np.savez(adapter, __meta__=np.frombuffer(meta, dtype=np.uint8))
    with pytest.raises(ValueError, match="other base weights"):
        finetune.merge_adapter(classifier.base_encoder_dir(), adapter, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()
