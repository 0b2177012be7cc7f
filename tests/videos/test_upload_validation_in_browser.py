"""The upload form checks every field in the browser before the file is sent (a missing category
never reaches the server), writes each error where aria-describedby points, and a refusal from the
server keeps the chosen file, so the creator corrects the field and sends again without re-choosing."""

import pytest

from tests.conftest import save_artifact
from tests.media import make_clip
from tests.videos.fixtures import default_categories  # noqa: F401  (autouse)
from tests.videos.player_browser import sign_in as log_in
from videos.models import Video

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESCRIBED_BY_EXISTS = """name => Array.from(document.querySelectorAll('[name="' + name + '"]')).every(el =>
  (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean).every(id => document.getElementById(id)))"""


def uploads_sent(page):
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/upload" in r.url else None)
    return posts


def test_a_missing_category_is_refused_in_the_browser_without_sending_the_file(live_server, page, make_user, tmp_path):
    clip = make_clip(tmp_path / "pier.mp4", seconds=2, width=320, height=240)
    log_in(page, live_server, make_user("maya"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/upload/")
    posts = uploads_sent(page)
    page.fill("#id_title", "Sunset at the pier")
    page.set_input_files("#id_file", str(clip))
    page.click("#upload-submit")
    error = page.locator("#id_categories_error")
    error.wait_for()
    assert error.inner_text() == "Pick at least one category."
    assert page.get_attribute("#id_categories_0", "aria-invalid") == "true"
    assert "id_categories_error" in page.get_attribute("#id_categories_0", "aria-describedby")
    assert page.evaluate(DESCRIBED_BY_EXISTS, "categories")
    page.locator("#id_categories_error").scroll_into_view_if_needed()
    save_artifact(page, "upload-refuses-missing-category")
    page.wait_for_timeout(300)
    assert posts == [] and Video.objects.count() == 0

    # A missing title is refused the same way, beside its field.
    page.fill("#id_title", "")
    page.get_by_label("Travel", exact=True).check()
    page.click("#upload-submit")
    page.locator("#id_title_error").wait_for()
    assert page.locator("#id_categories_error").is_hidden()
    assert posts == []

    # Corrected, it goes: one request, and the status page.
    page.fill("#id_title", "Sunset at the pier")
    page.click("#upload-submit")
    page.wait_for_url("**/status/")
    assert len(posts) == 1 and Video.objects.get().title == "Sunset at the pier"


def test_a_too_short_clip_is_refused_before_it_is_sent(live_server, page, make_user, tmp_path, settings):
    settings.VIDEO_MIN_SECONDS = 3.0
    clip = make_clip(tmp_path / "short.mp4", seconds=1.5, width=320, height=240)
    log_in(page, live_server, make_user())
    page.goto(f"{live_server.url}/upload/")
    posts = uploads_sent(page)
    page.fill("#id_title", "Too short")
    page.get_by_label("Travel", exact=True).check()
    page.set_input_files("#id_file", str(clip))
    page.locator("#id_file_error").wait_for()
    assert "it must be at least 3 s" in page.locator("#id_file_error").inner_text()
    page.click("#upload-submit")
    page.wait_for_timeout(300)
    assert posts == [] and Video.objects.count() == 0


def test_a_refusal_from_the_server_keeps_the_chosen_file(live_server, page, make_user, tmp_path):
    clip = make_clip(tmp_path / "pier.mp4", seconds=2, width=320, height=240)
    log_in(page, live_server, make_user())
    page.goto(f"{live_server.url}/upload/")
    posts = uploads_sent(page)
    # Spaces pass the browser's "required" but not the server, which strips them: a 422.
    page.fill("#id_title", "   ")
    page.get_by_label("Travel", exact=True).check()
    page.set_input_files("#id_file", str(clip))
    page.click("#upload-submit")
    page.locator("#id_title_error").wait_for()
    assert len(posts) == 1 and Video.objects.count() == 0
    assert page.evaluate("document.getElementById('id_file').files[0].name") == "pier.mp4"
    assert page.locator("#upload-file-kept").inner_text() == "Still selected: pier.mp4"
    assert page.evaluate(DESCRIBED_BY_EXISTS, "title")
    save_artifact(page, "upload-server-refusal-keeps-file")
    page.fill("#id_title", "Sunset at the pier")
    page.click("#upload-submit")
    page.wait_for_url("**/status/")
    assert Video.objects.get().title == "Sunset at the pier"
