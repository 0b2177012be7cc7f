"""Avatars pass through the NSFW image model like video frames: a picture at or above the profiles'
S review threshold is refused before anything is stored, and so is one the model cannot read."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import avatar_process
from moderation import nsfw
from moderation.models import ModerationPolicy
from tests.media import make_png

pytestmark = pytest.mark.django_db


def upload(tmp_path):
    path = make_png(tmp_path / "face.png", 96, 96)
    return SimpleUploadedFile("face.png", path.read_bytes(), content_type="image/png")


def test_an_ordinary_picture_passes_the_image_model(tmp_path):
    content = avatar_process(upload=upload(tmp_path))
    assert nsfw.score_image_bytes(content.read()) < 0.2


def test_a_picture_scoring_at_the_review_threshold_is_refused(tmp_path):
    ModerationPolicy.objects.update_or_create(
        scope="profiles", category="S", defaults={"review_threshold": 0.0, "reject_threshold": 0.5}
    )
    with pytest.raises(ValidationError, match="cannot be used as an avatar"):
        avatar_process(upload=upload(tmp_path))


def test_when_the_model_cannot_run_the_avatar_is_refused(tmp_path, monkeypatch):
    def broken(data):
        raise nsfw.NSFWUnavailable("model missing")

    monkeypatch.setattr(nsfw, "score_image_bytes", broken)
    with pytest.raises(ValidationError, match="could not be checked"):
        avatar_process(upload=upload(tmp_path))
