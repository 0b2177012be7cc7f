"""A video's content signal is computed when it is published and again when an edit is approved,
and is left alone when nothing it comes from changed."""

import pytest

from moderation.decisions import video_decide
from recommendations.models import VideoContent
from videos.models import Video

pytestmark = pytest.mark.django_db


def test_publishing_and_editing_refresh_the_content_signal(make_user):
    creator, moderator = make_user(), make_user(is_staff=True)
    video = Video.objects.create(creator=creator, title="Sunset surfing", description="#waves", processing="ready")
    video_decide(video=video, outcome="approved", actor=moderator, note="fine")
    first = VideoContent.objects.get(video=video)
    assert "sunset" in first.terms and "surfing" in first.terms

    video_decide(video=video, outcome="approved", actor=moderator, note="again")
    assert VideoContent.objects.get(video=video).updated_at == first.updated_at

    video.title = "Mountain biking"
    video.save(update_fields=["title"])
    video_decide(video=video, outcome="approved", actor=moderator, note="edited")
    assert "mountain" in VideoContent.objects.get(video=video).terms
