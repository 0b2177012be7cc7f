"""The status page says where a video is: a visible progress bar, the stage in words (checking,
converting 720p and 360p, moderating), an estimate of the time left, and what "Moderation: pending"
means while the automatic check runs."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from tests.conftest import save_artifact
from tests.media import make_clip
from tests.videos.player_browser import sign_in
from videos.models import Encoding, Video
from videos.status_stage import video_stage


def transcoding_video(creator, *, progress: float, started_seconds_ago: float, now=None):
    now = now or timezone.now()
    video = Video.objects.create(creator=creator, title="Sunset at the pier", processing=Video.Processing.TRANSCODING)
    for rendition in ("720p", "360p"):
        Encoding.objects.create(
            video=video, rendition=rendition, status=Encoding.Status.RUNNING, progress=progress,
            claimed_at=now - timedelta(seconds=started_seconds_ago),
        )  # fmt: skip
    return video


@pytest.mark.django_db
def test_each_state_names_its_stage_and_the_steps_before_it(make_user):
    creator, now = make_user(), timezone.now()
    video = transcoding_video(creator, progress=0.4, started_seconds_ago=20, now=now)
    stage = video_stage(video=video, now=now)
    assert (stage.key, stage.label, stage.percent) == ("converting 720p", "Converting to 720p and 360p", 40)
    assert stage.seconds_left == 30 and stage.time_left == "about 30 s left"
    assert [s[2] for s in stage.steps] == ["done", "done", "current", "current", "todo"]

    Video.objects.filter(pk=video.pk).update(processing=Video.Processing.PROBING)
    video.refresh_from_db()
    stage = video_stage(video=video, now=now)
    assert (stage.key, stage.seconds_left) == ("checking", None)

    video.encodings.update(status=Encoding.Status.DONE, progress=1.0)
    Video.objects.filter(pk=video.pk).update(processing=Video.Processing.READY)
    video.refresh_from_db()
    stage = video_stage(video=video, now=now)
    assert (stage.key, stage.percent) == ("moderating", 100)
    assert [s[2] for s in stage.steps] == ["done", "done", "done", "done", "current"]


@pytest.mark.django_db
def test_no_estimate_before_five_percent(make_user):
    video = transcoding_video(make_user(), progress=0.01, started_seconds_ago=3)
    assert video_stage(video=video).time_left == ""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_status_page_shows_the_bar_the_stage_and_then_what_moderation_is_doing(live_server, page, make_user):
    creator = make_user("maya")
    video = transcoding_video(creator, progress=0.37, started_seconds_ago=30)
    sign_in(page, live_server, creator)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/v/{video.public_id}/status/")

    assert page.locator("#processing-stage").inner_text() == "Converting to 720p and 360p…"
    bar = page.locator("#processing-bar").bounding_box()
    assert bar["height"] >= 8 and bar["width"] > 200, bar
    assert page.locator("#processing-bar").get_attribute("value") == "37"
    assert page.locator("#processing-eta").inner_text() == "about 50 s left"
    current = [" ".join(t.split()) for t in page.locator(".step[aria-current=step]").all_inner_texts()]
    assert current == ["3 Converting to 720p", "4 Converting to 360p"]
    save_artifact(page, "status-converting")

    # The job finishes the renditions; the page (polling every second) moves on to moderation.
    video.encodings.update(status=Encoding.Status.DONE, progress=1.0)
    Video.objects.filter(pk=video.pk).update(processing=Video.Processing.READY)
    page.locator("#moderation-explained").wait_for()
    assert page.locator("#moderation-state").inner_text() == "Pending"
    assert "automatic check" in page.locator("#moderation-explained").inner_text()
    assert page.locator(".step[aria-current=step]").inner_text().endswith("Moderating")
    save_artifact(page, "status-moderating")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_slow_upload_shows_its_percent_and_the_time_left(live_server, page, make_user, tmp_path):
    importlib.import_module("videos.migrations.0003_seed_categories").seed(apps, None)
    clip = make_clip(tmp_path / "pier.mp4", seconds=3, width=640, height=360)
    sign_in(page, live_server, make_user("maya"))
    page.goto(f"{live_server.url}/upload/")
    page.fill("#id_title", "Sunset at the pier")
    page.get_by_label("Travel", exact=True).check()
    page.set_input_files("#id_file", str(clip))
    # A slow uplink (about 4 s for this clip), through Chromium's own network throttling.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    rate = max(20_000, clip.stat().st_size // 4)
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": rate})  # fmt: skip
    page.click("#upload-submit")
    page.wait_for_function("() => /left/.test(document.getElementById('upload-percent').textContent)", timeout=20_000)
    label = page.locator("#upload-percent").inner_text()
    assert label.startswith("Uploading: ") and "left" in label, label
    bar = page.locator("#upload-bar").bounding_box()
    assert bar["height"] >= 8 and page.locator("#upload-percent").bounding_box()["x"] < 390 - 100
    page.locator("#upload-submit").scroll_into_view_if_needed()
    save_artifact(page, "upload-uploading-with-estimate")
    page.wait_for_url("**/status/", timeout=60_000)
