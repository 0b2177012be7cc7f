"""Creators manage their videos (status page, edit, poster, delete) and staff act in the admin."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from moderation.decisions import video_decide
from moderation.models import ModerationDecision
from tests.media import make_clip
from tests.videos.fixtures import default_categories  # noqa: F401  (autouse)
from tiktok import jobs, media_store
from videos import services, transcoding, uploads
from videos.models import Category, Encoding, Video

pytestmark = [pytest.mark.django_db, pytest.mark.media]


@pytest.fixture
def finished(make_user):
    def _make(user=None, **clip):
        source = uploads.upload_temp_path()
        make_clip(source, **({"seconds": 2, "width": 160, "height": 120} | clip))
        video = uploads.video_create(
            creator=user or make_user(),
            source_path=source,
            title="Sunset",
            description="#beach",
            categories=Category.objects.filter(name="Travel"),
            enqueue=False,
        )
        return transcoding.video_process_inline(video=video, screen=False)

    return _make


def test_the_status_page_polls_until_the_final_state_and_then_stops(client, make_user):
    user = make_user()
    source = uploads.upload_temp_path()
    make_clip(source, seconds=1.2, width=64, height=48)
    video = uploads.video_create(creator=user, source_path=source, title="Poll", enqueue=False)
    client.force_login(user)
    url = reverse("videos:status", args=[video.public_id])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "<html" not in fragment
    video = transcoding.video_process_inline(video=video)
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment
    assert 'id="moderation-state"' in fragment
    assert video.get_moderation_display() in fragment


def test_the_status_page_is_only_for_the_creator_and_moderators(client, make_user, finished):
    video = finished()
    url = reverse("videos:status", args=[video.public_id])
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    client.force_login(make_user(is_staff=True))  # staff status alone opens nothing
    assert client.get(url).status_code == 404
    moderator = make_user(is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(moderator)
    assert client.get(url).status_code == 200
    client.force_login(video.creator)
    assert client.get(url).status_code == 200


def test_a_failed_video_shows_its_reason(client, make_user):
    user = make_user()
    source = uploads.upload_temp_path()
    make_clip(source, seconds=1.2, width=64, height=48)
    video = uploads.video_create(creator=user, source_path=source, title="Doomed", enqueue=False)
    transcoding.video_fail(video=video, reason="Transcoding 720p failed after 3 attempts: disk full")
    client.force_login(user)
    page = client.get(reverse("videos:status", args=[video.public_id])).content.decode()
    assert "disk full" in page and "every 1s" not in page


def test_editing_the_text_of_a_published_video_moderates_the_new_text_only(client, finished):
    video = finished()
    video_decide(video=video, outcome="approved", actor=None, note="ok")
    client.force_login(video.creator)
    before = ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video").count()
    # The new text is staged and decided by the text decision in the request; the video stays up.
    with jobs.inline():
        response = client.post(
            reverse("videos:edit", args=[video.public_id]),
            {
                "title": "Sunset at the pier",
                "description": "now with #pier",
                "categories": [Category.objects.get(name="Art").pk],
                "visibility": "unlisted",
                "poster_time": "1.5",
            },
        )
    assert response.status_code == 302
    video.refresh_from_db()
    assert video.title == "Sunset at the pier" and video.visibility == "unlisted" and not video.allow_comments
    assert list(video.hashtags.values_list("name", flat=True)) == ["pier"]
    assert list(video.categories.values_list("name", flat=True)) == ["Art"]
    assert video.poster_time == 1.5
    decisions = ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video")
    assert decisions.count() == before + 1
    assert (
        decisions.first().action == "edit" and decisions.first().text_snapshot == "Sunset at the pier\nnow with #pier"
    )
    assert video.moderation == Video.Moderation.APPROVED and video.moderation_reason == "ok"  # never taken down
    assert video.staged_at is None


def test_only_the_creator_can_edit_or_delete(client, make_user, finished):
    video = finished()
    client.force_login(make_user())
    assert client.get(reverse("videos:edit", args=[video.public_id])).status_code == 404
    assert client.post(reverse("videos:delete", args=[video.public_id])).status_code == 404
    video.refresh_from_db()
    assert video.deleted_at is None


def test_deleting_removes_the_files_and_the_video_everywhere(client, settings, finished):
    video = finished()
    assert media_store.exists(f"videos/{video.public_id}/720p.mp4")
    client.force_login(video.creator)
    assert client.get(reverse("videos:delete", args=[video.public_id])).status_code == 405
    response = client.post(reverse("videos:delete", args=[video.public_id]))
    assert response.status_code == 302
    video.refresh_from_db()
    assert video.deleted_at is not None and list(media_store.listing(f"videos/{video.public_id}")) == []
    assert client.get(reverse("videos:media", args=[video.public_id, "720p"])).status_code == 404


def test_staff_approve_and_re_transcode_in_the_admin(client, make_user, finished, django_capture_on_commit_callbacks):
    video = finished()
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    changelist = reverse("admin:videos_video_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:videos_video_change", args=[video.pk])).status_code == 200
    client.post(changelist, {"action": "approve", "_selected_action": [video.pk], "note": "Looks fine"})
    video.refresh_from_db()
    assert video.moderation == Video.Moderation.APPROVED and video.is_listable
    decision = ModerationDecision.objects.filter(object_id=video.pk, source="human").get()
    assert (decision.actor, decision.reason) == (admin, "Looks fine")
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(changelist, {"action": "retranscode", "_selected_action": [video.pk], "note": ""})
    assert len(callbacks) == 1
    assert set(Encoding.objects.filter(video=video).values_list("status", flat=True)) == {"queued"}


def test_categories_are_editable_in_the_admin(client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:videos_category_changelist")).status_code == 200
    assert "Pets &amp; Animals" in client.get(reverse("admin:videos_category_changelist")).content.decode()


def test_a_video_deleted_before_its_job_runs_is_never_transcoded(client, settings, make_user):
    user = make_user()
    source = uploads.upload_temp_path()
    make_clip(source, seconds=1.2, width=64, height=48)
    video = uploads.video_create(creator=user, source_path=source, title="Gone", enqueue=False)
    services.video_delete(video=video)
    transcoding.video_transcode(video_id=video.pk)
    assert not (settings.MEDIA_ROOT / "videos" / video.public_id).exists()
    assert not list(settings.UPLOAD_TMP_ROOT.iterdir())
    assert set(Encoding.objects.filter(video=video).values_list("status", flat=True)) == {"failed"}
