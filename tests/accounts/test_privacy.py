"""A person exports their data and deletes their account: nothing personal remains, and the
moderation history stays consistent as tombstones."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from accounts.models import Follow, User
from moderation.models import ModerationDecision
from moderation.services import decision_record
from videos.models import Comment, EngagementEvent, Like, Video

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def person_with_history(make_user, settings):
    person = make_user("leaving", password="leaving-password-1")
    other = make_user("staying")
    video = Video.objects.create(creator=person, title="My dog", processing="ready", moderation="approved")
    folder = Path(settings.MEDIA_ROOT) / "videos" / video.public_id
    folder.mkdir(parents=True)
    (folder / "720p.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    (folder / "poster.jpg").write_bytes(b"jpeg")
    others_video = Video.objects.create(creator=other, title="Cats", processing="ready", moderation="approved")
    comment = Comment.objects.create(video=others_video, author=person, text="lovely cats", state="published")
    decision_record(item=comment, source="auto", outcome="approved", text_snapshot=comment.text, subject_user=person)
    decision_record(item=video, source="human", outcome="approved", text_snapshot="My dog", subject_user=person)
    Like.objects.create(user=person, video=others_video)
    Follow.objects.create(follower=person, followee=other)
    EngagementEvent.objects.create(user=person, video=others_video, kind="watch", watch_seconds=3.5, completion=0.7)
    return person, other, video, folder


def test_the_export_holds_every_kind_of_data_and_the_media(client, person_with_history):
    person, _, video, _ = person_with_history
    client.force_login(person)
    response = client.post("/accounts/data/")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"profile.json", "videos.json", "comments.json", "likes.json", "following.json"} <= names
    assert "engagement_events.json" in names
    assert f"media/videos/{video.public_id}.mp4" in names
    assert json.loads(archive.read("profile.json"))["email"] == "leaving@example.com"
    assert json.loads(archive.read("comments.json"))[0]["text"] == "lovely cats"
    assert json.loads(archive.read("engagement_events.json"))[0]["watch_seconds"] == 3.5


def test_deleting_the_account_leaves_no_personal_row_or_file(client, person_with_history):
    person, other, video, folder = person_with_history
    person_id = person.pk
    client.force_login(person)

    wrong = client.post("/accounts/delete/", {"password": "nope"})
    assert wrong.status_code == 400
    assert User.objects.filter(pk=person_id).exists()

    response = client.post("/accounts/delete/", {"password": "leaving-password-1"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=person_id).exists()
    assert not folder.exists()

    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and field.related_model is User:
                leftover = model._default_manager.filter(**{field.name: person_id}).count()
                assert leftover == 0, f"{model.__name__}.{field.name} still points at the deleted account"

    tombstones = ModerationDecision.objects.filter(tombstoned=True)
    assert tombstones.count() == 2
    assert set(tombstones.values_list("text_snapshot", flat=True)) == {""}
    assert Video.objects.filter(creator=other).count() == 1
    assert "_auth_user_id" not in client.session
