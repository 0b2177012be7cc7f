"""The README's screenshots, taken in headless Chromium: the feed, a video's status page while it
converts and Discover at phone size (390 × 844), the moderators' queue at 1280 × 800 (work done at
a desk). Every run saves them to test-artifacts/; with README_SCREENSHOTS=1 they are also written,
palette-compressed, into docs/screenshots/, which is how the committed ones were made:

    README_SCREENSHOTS=1 .venv/bin/pytest tests/test_readme_screenshots.py
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone
from PIL import Image

from moderation.models import ModerationDecision
from moderation.services import decision_record
from recommendations.selectors import caches_clear
from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from tests.videos.player_browser import PHONE, sign_in
from videos.models import Encoding, Video

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
TITLES = [
    ("Sunset at the pier", "Golden hour at the old pier #sunset #travel", ["Travel"]),
    ("Three-minute lemon cake", "No oven needed #baking #dessert", ["Lifestyle"]),
    ("Kickflip, finally", "Took me a year #skate", ["Sports"]),
    ("Rainy day lo-fi", "Beats to study to #lofi", ["Music"]),
    ("My cat vs. the laser", "She never wins #cats", ["Comedy"]),
    ("Watercolour in 60 s", "A quick sky wash #art", ["Art"]),
]


@pytest.fixture
def catalogue(settings):
    settings.STAFF_2FA = False
    cache.clear()
    caches_clear()
    makers = [make_user(f"maker{i}", display_name=name) for i, name in enumerate(["Maya", "Theo", "Ines"])]
    videos = []
    for i, (title, description, categories) in enumerate(TITLES):
        video = ready_video(makers[i % 3], title=title, description=description, categories=categories,
                            hashtags=[w.lstrip("#") for w in description.split() if w.startswith("#")])  # fmt: skip
        Video.objects.filter(pk=video.pk).update(like_count=40 - 5 * i, view_count=900 - 100 * i)
        videos.append(video)
    return {"makers": makers, "videos": videos, "viewer": make_user("viewer")}


def publish(page, name: str) -> Path:
    path = save_artifact(page, f"readme-{name}")
    if os.environ.get("README_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as image:
            image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
                DOCS / f"{name}.png", optimize=True
            )
    return path


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def test_the_feed(live_server, phone, catalogue):
    sign_in(phone, live_server, catalogue["viewer"])
    phone.goto(live_server.url + "/")
    playing = "() => { const v = document.querySelector('video.player'); return v && v.currentTime > .5 }"
    phone.wait_for_function(playing)
    assert phone.locator(".slide[data-video]").count() >= 3
    publish(phone, "feed")


def test_the_status_page_while_converting(live_server, phone, catalogue):
    creator = catalogue["makers"][0]
    video = Video.objects.create(creator=creator, title="Harbour lights", processing=Video.Processing.TRANSCODING)
    started = timezone.now() - timedelta(seconds=24)
    for rendition in ("720p", "360p"):
        Encoding.objects.create(video=video, rendition=rendition, status=Encoding.Status.RUNNING, progress=0.46,
                                claimed_at=started)  # fmt: skip
    sign_in(phone, live_server, creator)
    phone.goto(f"{live_server.url}/v/{video.public_id}/status/")
    assert phone.locator("#processing-stage").inner_text() == "Converting to 720p and 360p…"
    publish(phone, "upload-status")


def test_discover(live_server, phone, catalogue):
    sign_in(phone, live_server, catalogue["viewer"])
    phone.goto(live_server.url + "/discover/")
    assert phone.locator("#trending-h + .grid a.tile-link").count() > 0
    publish(phone, "discover")


def test_the_moderators_queue(live_server, phone, catalogue):
    held = catalogue["videos"][2]
    Video.objects.filter(pk=held.pk).update(moderation=Video.Moderation.REVIEW)
    decision_record(
        item=held, source=ModerationDecision.Source.AUTO, outcome=ModerationDecision.Outcome.REVIEW,
        action="screen", reason="Held for review: violence 0.62 in frames 3-5.", subject_user=held.creator,
        scores={"V": 0.62, "H": 0.08, "S": 0.03},
    )  # fmt: skip
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    sign_in(phone, live_server, moderator)
    phone.set_viewport_size({"width": 1280, "height": 800})
    phone.goto(f"{live_server.url}/admin/moderation/videoreview/")
    assert phone.locator("#result_list", has_text=held.title).count() == 1
    publish(phone, "moderation-queue")
