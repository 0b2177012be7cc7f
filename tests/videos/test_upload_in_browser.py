"""Acceptance: a creator uploads a generated clip through the page, watches the progress bar and
the status page reach its final state; the video is approved and plays."""

import threading

import pytest
from django.conf import settings as django_settings
from django.test import Client

from moderation.decisions import video_decide
from tests.conftest import save_artifact
from tests.media import make_clip
from tests.videos.fixtures import default_categories  # noqa: F401  (autouse)
from videos import transcoding
from videos.models import Video

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_PROGRESS = """() => {
  sessionStorage.setItem("progress", "[]");
  document.addEventListener("htmx:xhr:progress", (event) => {
    const seen = JSON.parse(sessionStorage.getItem("progress"));
    const box = document.getElementById("upload-progress");
    const percent = Math.round((100 * event.detail.loaded) / event.detail.total);
    seen.push({value: percent, visible: !!box && !box.hidden});
    sessionStorage.setItem("progress", JSON.stringify(seen));
  }, true);
}"""


def log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def test_a_creator_uploads_sees_progress_and_the_approved_video_plays(live_server, page, make_user, tmp_path):
    creator = make_user("maya")
    staff = make_user("moderator", is_staff=True)
    clip = make_clip(tmp_path / "sunset.mp4", seconds=2, width=320, height=240, text="Travel")
    log_in(page, live_server, creator)

    page.goto(f"{live_server.url}/upload/")
    page.fill("#id_title", "Sunset at the pier")
    page.fill("#id_description", "Golden hour #sunset #pier")
    for name in ("Travel", "Art"):
        page.get_by_label(name, exact=True).check()
    page.select_option("#id_visibility", "public")
    page.set_input_files("#id_file", str(clip))
    page.evaluate(RECORD_PROGRESS)
    save_artifact(page, "upload-form")
    page.click("#upload-submit")
    page.wait_for_url("**/status/")

    progress = page.evaluate("JSON.parse(sessionStorage.getItem('progress') || '[]')")
    assert progress, "the upload reported no progress"
    assert all(p["visible"] for p in progress) and progress[-1]["value"] == 100

    video = Video.objects.get()
    assert video.creator == creator and sorted(c.name for c in video.categories.all()) == ["Art", "Travel"]
    # The page polls while the job runs; no cluster runs in tests, so the job runs here.
    assert page.locator("#video-state[hx-trigger]").count() == 1
    worker = threading.Thread(target=transcoding.video_process_inline, kwargs={"video": video})
    worker.start()
    page.wait_for_selector("#video-state.is-final", timeout=120_000)
    worker.join()
    video.refresh_from_db()
    assert video.processing == Video.Processing.READY
    assert page.locator("#moderation-state").inner_text() == video.get_moderation_display()
    assert page.locator("#video-state[hx-trigger]").count() == 0  # polling stopped

    video_decide(video=video, outcome="approved", actor=staff, note="Fine")
    page.reload()
    assert page.locator("#moderation-state").inner_text() == "Approved"
    page.evaluate("() => { const v = document.getElementById('status-player'); v.muted = true; v.play(); }")
    page.wait_for_function(
        "() => { const v = document.getElementById('status-player');"
        " return v.readyState >= 2 && v.currentTime > 0.3; }",
        timeout=20_000,
    )
    save_artifact(page, "upload-status-playing")


def test_the_browser_refuses_an_oversized_file_before_sending_it(live_server, page, make_user, tmp_path, settings):
    settings.UPLOAD_MAX_BYTES = 10_000
    clip = make_clip(tmp_path / "big.mp4", seconds=1.5, width=320, height=240)
    log_in(page, live_server, make_user())
    page.goto(f"{live_server.url}/upload/")
    requests = []
    page.on("request", lambda request: requests.append(request) if request.method == "POST" else None)
    page.fill("#id_title", "Too big")
    page.get_by_label("Travel", exact=True).check()
    page.set_input_files("#id_file", str(clip))
    assert "larger than the" in page.locator("#upload-error").inner_text()
    page.click("#upload-submit")
    page.wait_for_timeout(500)
    assert requests == [] and Video.objects.count() == 0
