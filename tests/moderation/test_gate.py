"""The content gate fails closed: with a gate that raises (or none at all), a new comment stays held,
a new video stays pending and unlisted, and a changed profile stays unseen, never published. Once
the real gate is back, the sweeper moderates what waited."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Notification
from moderation.models import ModerationDecision, VideoModerationJob
from moderation.video_jobs import moderation_sweep
from tests.factories import make_user, ready_video
from tests.media import make_clip
from tiktok import gate, jobs
from videos import commenting, transcoding, uploads
from videos.models import Comment, Video
from videos.selectors import listable_videos

pytestmark = pytest.mark.django_db


class BrokenGate:
    """Every call raises, as a gate whose model, database or code is broken would."""

    def __getattr__(self, name):
        def broken(**kwargs):
            raise RuntimeError(f"the gate is broken ({name})")

        return broken


@pytest.fixture(params=["tests.moderation.test_gate.BrokenGate", "no_such_module.Gate"], ids=["raising", "missing"])
def failing_gate(request, settings):
    settings.CONTENT_GATE = request.param
    return request.param


def test_a_new_comment_stays_held(failing_gate):
    video = ready_video(make_user("maker"), media=False)
    comment = commenting.comment_post(user=make_user("writer"), video=video, text="what a lovely clip")
    comment.refresh_from_db()
    assert comment.state == Comment.State.HELD
    video.refresh_from_db()
    assert video.comment_count == 0
    assert not Notification.objects.filter(kind="comment").exists()
    assert not ModerationDecision.objects.filter(object_id=comment.pk, content_type__model="comment").exists()


def test_a_new_video_stays_pending_and_unlisted_until_the_gate_works_again(failing_gate, settings):
    source = uploads.upload_temp_path()
    make_clip(source, seconds=1.5)
    video = uploads.video_create(creator=make_user("maker"), source_path=source, title="Sunset", enqueue=False)
    video = transcoding.video_process_inline(video=video)
    assert video.processing == Video.Processing.READY
    assert video.moderation == Video.Moderation.PENDING
    assert not listable_videos().filter(pk=video.pk).exists()
    assert not ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video").exists()
    # The real gate is back: the sweeper finds the ready, pending video and its moderation runs.
    settings.CONTENT_GATE = "moderation.gate.ModerationGate"
    Video.objects.filter(pk=video.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    with jobs.inline():
        assert moderation_sweep() == 1
    video.refresh_from_db()
    assert video.moderation != Video.Moderation.PENDING
    assert VideoModerationJob.objects.get(video=video).status == VideoModerationJob.Status.DONE


def test_an_edited_profile_stays_unseen(failing_gate):
    user = make_user("dancer")
    account_services.profile_update(user=user, display_name="Dancing Queen", bio="I dance")
    user.refresh_from_db()
    assert user.name == "dancer"  # others see the username, not the unchecked display name
    assert user.bio == ""
    assert (user.staged_display_name, user.staged_bio) == ("Dancing Queen", "I dance")  # waiting


def test_an_avatar_is_refused(failing_gate):
    with pytest.raises(ValidationError, match="could not be checked"):
        gate.avatar_check(data=b"\x89PNG not really")


def test_the_gate_is_loaded_from_settings(settings):
    settings.CONTENT_GATE = "tests.moderation.test_gate.BrokenGate"
    assert isinstance(gate.gate(), BrokenGate)
    settings.CONTENT_GATE = "moderation.gate.ModerationGate"
    assert type(gate.gate()).__name__ == "ModerationGate"
