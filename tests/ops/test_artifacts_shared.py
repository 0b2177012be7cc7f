"""Machines that share no disk share trained models through the media store: an artifact trained
on one machine (its own MODEL_ROOT) is published with its ModelVersion row, and another machine,
with an empty MODEL_ROOT, loads the active version from the store without a restart."""

import dataclasses

import pytest
from django.utils import timezone

from moderation import classifier
from recommendations import store
from recommendations.services import recommender_train
from tests.recommendations.catalogue import make_catalogue, plant_engagement
from tiktok.artifacts import artifact_publish
from tiktok.models import ModelVersion

pytestmark = [pytest.mark.django_db, pytest.mark.media]


@pytest.fixture(autouse=True)
def fresh_model_caches():
    store.forget()
    classifier.reset()
    yield
    store.forget()
    classifier.reset()


def test_a_recommender_trained_on_one_machine_is_served_by_another(s3_media, settings, tmp_path):
    server, bucket = s3_media
    _, _, _, by_cat = make_catalogue(per_category=8, creators=4)
    plant_engagement(by_cat, viewers_per_category=4, per_viewer=5)
    settings.MODEL_ROOT = tmp_path / "machine-b" / "models"
    trained = recommender_train(version="trained-on-b")
    assert "models/recommender/trained-on-b.npz" in server.keys(bucket)

    settings.MODEL_ROOT = tmp_path / "machine-a" / "models"  # nothing trained here
    store.forget()
    model = store.active_model()
    assert model is not None and model.version_id == trained.pk
    assert (tmp_path / "machine-a" / "models" / "recommender" / "trained-on-b.npz").is_file()


def test_comment_heads_trained_on_one_machine_are_served_by_another(s3_media, settings, tmp_path):
    server, bucket = s3_media
    shipped = classifier.load_heads(classifier.SHIPPED_DIR)
    heads = dataclasses.replace(shipped, version="heads-on-b", bias=shipped.bias + 0.25)
    settings.MODEL_ROOT = tmp_path / "machine-b" / "models"
    heads.save(settings.MODEL_ROOT / "comment_classifier" / heads.version)
    artifact_publish(f"comment_classifier/{heads.version}")  # as comment_model_register does
    ModelVersion.objects.create(
        kind="comment_classifier",
        version=heads.version,
        artifact_path=f"comment_classifier/{heads.version}",
        active=True,
        activated_at=timezone.now(),
    )
    assert f"models/comment_classifier/{heads.version}/heads.npz" in server.keys(bucket)

    settings.MODEL_ROOT = tmp_path / "machine-a" / "models"
    classifier.reset()
    served = classifier.active_heads()
    assert served.version == "heads-on-b"
    assert (served.bias == (shipped.bias + 0.25).astype("float32")).all()
    assert classifier.active_artifact_dir() == tmp_path / "machine-a" / "models" / "comment_classifier" / "heads-on-b"
