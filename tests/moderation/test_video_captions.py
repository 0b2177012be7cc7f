"""Captions: the creator edits them on a page; a malformed file is refused with one line and changes
nothing; markup does not survive; edited words go through text moderation like a title."""

import pytest

from moderation.models import ModerationDecision
from videos.models import Video

pytestmark = pytest.mark.django_db

GENERATED = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\nHello friends\n"


@pytest.fixture
def video(make_user):
    return Video.objects.create(
        creator=make_user("maker"), title="Cake", processing="ready", moderation="approved", duration=6.0,
        captions_vtt=GENERATED,
    )  # fmt: skip


def url(video):
    return f"/v/{video.public_id}/captions/edit/"


def test_only_the_creator_opens_the_caption_editor(client, make_user, video):
    client.force_login(make_user())
    assert client.get(url(video)).status_code == 404
    client.force_login(video.creator)
    response = client.get(url(video))
    assert response.status_code == 200 and b"Hello friends" in response.content


def test_a_malformed_file_is_refused_with_one_line_and_changes_nothing(client, video):
    client.force_login(video.creator)
    for bad, message in [
        ("1\n00:00:00.000 --> 00:00:01.000\nhi", b"must start with the line WEBVTT"),
        ("WEBVTT\n\n00:00:xx --> 00:00:01.000\nhi", b"cue time"),
        ("WEBVTT\n\n00:00:03.000 --> 00:00:01.000\nhi", b"ends before it starts"),
    ]:
        response = client.post(url(video), {"vtt": bad})
        assert response.status_code == 400 and message in response.content
    video.refresh_from_db()
    assert video.captions_vtt == GENERATED
    assert not ModerationDecision.objects.filter(action="captions").exists()


def test_an_edit_is_saved_without_markup_and_recorded_as_a_decision(client, video):
    client.force_login(video.creator)
    edited = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\nHello <b>dear</b> friends & family\n"
    response = client.post(url(video), {"vtt": edited})
    assert response.status_code == 302
    video.refresh_from_db()
    assert "Hello &lt;b&gt;dear&lt;/b&gt; friends &amp; family" in video.captions_vtt
    decision = ModerationDecision.objects.get(action="captions")
    assert decision.text_snapshot.startswith("Hello <b>dear</b>")
    assert video.moderation == decision.outcome


def test_hateful_captions_hold_or_remove_the_video(client, video):
    client.force_login(video.creator)
    hateful = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nAll of those people are vermin and we will kill them all\n"
    client.post(url(video), {"vtt": hateful})
    video.refresh_from_db()
    assert video.moderation in ("review", "rejected")
    assert video.moderation_reason.startswith("Captions edited") or "could not be checked" in video.moderation_reason
