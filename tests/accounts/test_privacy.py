"""A person exports their data and deletes their account: the export holds every kind of data
every app keeps about them (through accounts.registry), nothing personal remains after deletion,
and the moderation history stays consistent as tombstones."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import privacy
from accounts.models import Block, DataExport, Follow, Notification, User
from accounts.registry import register_personal_data, registered, unregister_personal_data
from moderation.models import ModerationDecision, Report
from moderation.services import decision_record
from recommendations.models import ViewerProfile
from tests.factories import ready_video
from tiktok import jobs, media_store
from videos.models import Category, Comment, EngagementEvent, Favourite, Like, NotInterested, VideoView

pytestmark = pytest.mark.django_db(transaction=True)

# Every foreign key to the user, and the export file that holds the person's rows through it.
EXPORTED = {
    ("accounts.Follow", "follower"): "following.json",
    ("accounts.Follow", "followee"): "followers.json",
    ("accounts.Block", "blocker"): "blocks.json",
    ("accounts.Notification", "recipient"): "notifications.json",
    ("videos.Video", "creator"): "videos.json",
    ("videos.Comment", "author"): "comments.json",
    ("videos.Like", "user"): "likes.json",
    ("videos.Favourite", "user"): "favourites.json",
    ("videos.NotInterested", "user"): "not_interested.json",
    ("videos.VideoView", "user"): "watch_history.json",
    ("videos.EngagementEvent", "user"): "engagement_events.json",
    ("moderation.ModerationDecision", "subject_user"): "moderation_decisions.json",
    ("moderation.Report", "reporter"): "reports.json",
    ("recommendations.ViewerProfile", "user"): "recommendation_profile.json",
    ("otp_totp.TOTPDevice", "user"): "two_factor_devices.json",
}
# Foreign keys to the user deliberately left out of the export, and why.
LEFT_OUT = {
    ("accounts.Block", "blocked"): "who blocked the person is the blocker's private choice",
    ("accounts.Notification", "actor"): "other people's inboxes; the rows go with the account",
    ("accounts.DataExport", "user"): "the export's own bookkeeping (status, file name)",
    ("moderation.ModerationDecision", "actor"): (
        "decisions the person made as staff about other people's content (an appeal names the "
        "person as subject too, so it is exported)"
    ),
    ("admin.LogEntry", "user"): "staff's audit trail of admin changes to other people's rows",
}
# Rows about the person without a foreign key to the user, and why they are not exported.
NOT_BY_FOREIGN_KEY = {
    "moderation.Report": "reports by others about the person's content: the reporters' identities are theirs",
    "tiktok.EngagementDaily": "daily counts per video, with no link to who watched",
    "sessions.Session": "a browser's log-in (account id and a hash), cleared when it expires",
    "django_q.Task": "job arguments are row ids, not personal data; the rows are capped by Q_CLUSTER save_limit",
}


def _user_foreign_keys() -> set[tuple[str, str]]:
    found = set()
    for model in apps.get_models():
        if model._meta.proxy:  # the review queues (VideoReview, CommentReview) are videos' and comments' rows
            continue
        for field in model._meta.get_fields():
            if field.concrete and (field.many_to_one or field.one_to_one) and field.related_model is User:
                found.add((model._meta.label, field.name))
    return found


@pytest.fixture
def person_with_history(make_user):
    person = make_user("leaving", password="leaving-password-1", display_name="Leaving Person", bio="I like dogs")
    other = make_user("staying")
    third = make_user("third")
    music, _ = Category.objects.get_or_create(slug="music", defaults={"name": "Music"})
    video = ready_video(person, title="My dog", description="Walking the dog", categories=["Music"])
    folder = Path(video.poster).parent
    others_video = ready_video(other, title="Cats")
    comment = Comment.objects.create(video=others_video, author=person, text="lovely cats", state="published")
    decision_record(item=comment, source="auto", outcome="approved", text_snapshot=comment.text, subject_user=person)
    Like.objects.create(user=person, video=others_video)
    Favourite.objects.create(user=person, video=others_video)
    NotInterested.objects.create(user=person, video=ready_video(third, title="Not for me"))
    VideoView.objects.create(video=others_video, viewer_key=f"u:{person.pk}", user=person)
    Follow.objects.create(follower=person, followee=other)
    Follow.objects.create(follower=third, followee=person)
    Block.objects.create(blocker=person, blocked=third)
    Notification.objects.create(recipient=person, actor=third, kind="follow", text="third started following you")
    Report.objects.create(reporter=person, content_type_id=_ct(others_video), object_id=others_video.pk, category="H")
    EngagementEvent.objects.create(user=person, video=others_video, kind="watch", watch_seconds=3.5, completion=0.7)
    ViewerProfile.objects.create(user=person, interests=[music.pk], category_weights={str(music.pk): 2.5})
    TOTPDevice.objects.create(user=person, name="my phone", confirmed=True)
    return person, other, video, folder


def _ct(instance) -> int:
    return ContentType.objects.get_for_model(instance).pk


def exported_zip(client, person) -> zipfile.ZipFile:
    """Ask for the export as the person does, with the job run at once, and download it."""
    client.force_login(person)
    with jobs.inline():
        assert client.post("/accounts/data/").status_code == 302
    export = DataExport.objects.get(user=person)
    assert export.status == DataExport.Status.READY, export.error
    page = client.get("/accounts/data/").content.decode()
    link = f"/accounts/data/exports/{export.token}/"
    assert link in page
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_export_holds_every_kind_of_data_and_the_media(client, person_with_history, settings):
    person, _, video, _ = person_with_history
    archive = exported_zip(client, person)
    names = set(archive.namelist())
    assert {"profile.json", "videos.json", "comments.json", "likes.json", "following.json"} <= names
    assert "engagement_events.json" in names
    rendition = Path(settings.MEDIA_ROOT) / "videos" / video.public_id / "720p.mp4"
    assert archive.read(f"media/videos/{video.public_id}.mp4") == rendition.read_bytes()
    assert json.loads(archive.read("profile.json"))["email"] == "leaving@example.com"
    assert json.loads(archive.read("comments.json"))[0]["text"] == "lovely cats"
    assert json.loads(archive.read("engagement_events.json"))[0]["watch_seconds"] == 3.5
    assert json.loads(archive.read("recommendation_profile.json"))["interests"] == ["Music"]
    devices = json.loads(archive.read("two_factor_devices.json"))
    assert devices == [{"type": "TOTPDevice", "name": "my phone", "confirmed": True}]
    assert "key" not in archive.read("two_factor_devices.json").decode()


def test_every_model_keyed_to_a_person_is_exported_or_left_out_for_a_stated_reason(client, person_with_history):
    keys = _user_foreign_keys()
    assert keys - set(EXPORTED) - set(LEFT_OUT) == set(), "a new model points at the user: export it or say why not"
    assert set(EXPORTED) | set(LEFT_OUT) == keys
    assert all(reason for reason in LEFT_OUT.values())
    for label in NOT_BY_FOREIGN_KEY:
        assert apps.get_model(label) is not None
    person = person_with_history[0]
    archive = exported_zip(client, person)
    for (label, field), name in EXPORTED.items():
        assert apps.get_model(label)._default_manager.filter(**{field: person}).exists(), f"fixture lacks {label}"
        payload = json.loads(archive.read(name))
        assert payload, f"{name} is empty although {label}.{field} has the person's rows"


def test_the_export_has_a_file_for_every_registered_kind(client, person_with_history):
    person = person_with_history[0]
    archive = exported_zip(client, person)
    names = set(archive.namelist())
    parts = registered()
    assert [p.name for p in parts][:4] == ["accounts", "videos", "moderation", "recommendations"]
    for part in parts:
        for name in part.export(person) if part.export else {}:
            assert name in names, f"{part.name}'s {name} is missing from the export"
            assert json.loads(archive.read(name)), f"{part.name}'s {name} is empty"


@pytest.fixture
def probe_part(tmp_path):
    """An app's contribution, registered as any app does from its ready()."""
    calls = []
    extra = tmp_path / "probe.txt"
    extra.write_text("probe media")
    leftover = tmp_path / "probe-cache"
    leftover.mkdir()

    def erase(user):
        calls.append(("erase", connection.in_atomic_block, User.objects.filter(pk=user.pk).exists()))

    register_personal_data(
        "probe",
        export=lambda user: {"probe.json": [{"username": user.username}]},
        export_media=lambda user: [(extra, "media/probe.txt")],
        erase=erase,
        media=lambda user: [leftover],
    )
    yield calls, leftover
    unregister_personal_data("probe")


def test_an_apps_registered_part_is_exported_and_erased(client, person_with_history, probe_part):
    calls, leftover = probe_part
    person = person_with_history[0]
    archive = exported_zip(client, person)
    assert json.loads(archive.read("probe.json")) == [{"username": "leaving"}]
    assert archive.read("media/probe.txt") == b"probe media"

    assert client.post("/accounts/delete/", {"password": "leaving-password-1"}).status_code == 302
    assert calls == [("erase", True, True)]  # inside the transaction, before the user row went
    assert not leftover.exists()


def test_a_part_that_breaks_the_export_rules_fails_the_export_and_leaves_no_file(person_with_history, settings):
    person = person_with_history[0]
    register_personal_data("bad", export=lambda user: {"../outside.json": {}})
    try:
        with jobs.inline():
            export = privacy.data_export_request(user=person)
        export.refresh_from_db()
        assert export.status == DataExport.Status.FAILED
        assert export.error == ImproperlyConfigured.__name__
        assert list(media_store.listing("exports")) == []
        assert not any(Path(settings.MEDIA_WORK_ROOT).rglob("*.zip"))
        assert not (Path(settings.MEDIA_ROOT).parent / "outside.json").exists()
    finally:
        unregister_personal_data("bad")


def test_deleting_the_account_leaves_no_personal_row_or_file(client, person_with_history, settings):
    person, other, video, folder = person_with_history
    person_id = person.pk
    exported_zip(client, person)
    archive_file = Path(settings.MEDIA_ROOT) / DataExport.objects.get(user=person).file
    assert archive_file.is_file()
    client.force_login(person)

    wrong = client.post("/accounts/delete/", {"password": "nope"})
    assert wrong.status_code == 400
    assert User.objects.filter(pk=person_id).exists()

    response = client.post("/accounts/delete/", {"password": "leaving-password-1"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=person_id).exists()
    assert not (Path(settings.MEDIA_ROOT) / folder).exists()
    assert not archive_file.exists()

    for label, field in _user_foreign_keys():
        leftover = apps.get_model(label)._default_manager.filter(**{field: person_id}).count()
        assert leftover == 0, f"{label}.{field} still points at the deleted account"

    tombstones = ModerationDecision.objects.filter(tombstoned=True)
    assert tombstones.count() == 2
    assert set(tombstones.values_list("text_snapshot", flat=True)) == {""}
    assert set(ready.title for ready in other.videos.all()) == {"Cats"}
    assert "_auth_user_id" not in client.session
