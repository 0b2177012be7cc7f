"""The data export as a background job: asked for on the data page, queued once the request
commits, built by the job into a zip under MEDIA_ROOT/exports/, downloaded only by its owner, at
most once per DATA_EXPORT_INTERVAL_HOURS, and removed after DATA_EXPORT_KEEP_DAYS."""

import io
import os
import time
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import privacy, tasks
from accounts.models import DataExport
from tests.factories import ready_video

pytestmark = pytest.mark.django_db
PAGE = "/accounts/data/"


def link(export) -> str:
    return f"/accounts/data/exports/{export.token}/"


@pytest.fixture
def person(make_user):
    user = make_user("exporting")
    ready_video(user, title="Holiday")
    return user


def test_asking_queues_the_job_on_commit_and_the_page_shows_preparing_then_the_link(
    client, person, django_capture_on_commit_callbacks
):
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(PAGE)
    assert response.status_code == 302 and response["Location"] == PAGE
    export = DataExport.objects.get(user=person)
    assert export.status == "preparing" and export.file == ""
    assert len(callbacks) == 1  # the job is sent only once the request's transaction commits
    queued = [q.task for q in OrmQ.objects.all()]
    assert [(t["func"], t["args"]) for t in queued] == [("accounts.tasks.build_data_export", (export.pk,))]

    page = client.get(PAGE).content.decode()
    assert "Preparing your file" in page and 'hx-trigger="every 3s"' in page
    poll = client.get(PAGE, headers={"HX-Request": "true"}).content.decode()
    assert poll.lstrip().startswith('<div id="data-export"') and "<html" not in poll

    tasks.build_data_export(export.pk)  # what the worker runs
    export.refresh_from_db()
    assert export.status == "ready" and export.size_bytes > 0
    poll = client.get(PAGE, headers={"HX-Request": "true"}).content.decode()
    assert link(export) in poll and "hx-trigger" not in poll
    response = client.get(link(export))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"] and response["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "videos.json" in archive.namelist()

    tasks.build_data_export(export.pk)  # a re-delivered job does nothing to a ready export
    assert DataExport.objects.get(pk=export.pk).file == export.file


def test_a_second_request_within_the_interval_is_refused_and_changes_nothing(
    client, person, settings, django_capture_on_commit_callbacks
):
    settings.DATA_EXPORT_INTERVAL_HOURS = 24
    client.force_login(person)
    client.post(PAGE)
    first = DataExport.objects.get(user=person)
    assert client.post(PAGE).status_code == 302  # still preparing: the same export, not a second
    assert DataExport.objects.filter(user=person).count() == 1

    tasks.build_data_export(first.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(PAGE)
    assert response.status_code == 429
    assert "once every 24 hours" in response.content.decode()
    assert DataExport.objects.filter(user=person).count() == 1
    assert callbacks == []  # no job queued
    assert "You can ask for a new copy" in client.get(PAGE).content.decode()

    DataExport.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert client.post(PAGE).status_code == 302
    assert DataExport.objects.filter(user=person).count() == 2


def test_a_failed_or_lost_export_does_not_count_against_the_limit(client, person, settings):
    client.force_login(person)
    failed = DataExport.objects.create(user=person, status="failed")
    lost = DataExport.objects.create(user=person)
    long_ago = timezone.now() - timedelta(seconds=settings.Q_LONG_RETRY * 4)
    DataExport.objects.filter(pk=lost.pk).update(created_at=long_ago)
    assert "did not work" in client.get(PAGE).content.decode()  # a lost job reads as failed
    assert client.post(PAGE).status_code == 302
    assert DataExport.objects.filter(user=person).exclude(pk__in=[failed.pk, lost.pk]).count() == 1


def test_only_the_owner_downloads_their_export(client, person, make_user):
    export = privacy.data_export_request(user=person)
    privacy.data_export_build(export_id=export.pk)
    url = link(export)

    assert "/login/" in Client().get(url)["Location"]
    stranger = Client()
    stranger.force_login(make_user("stranger"))
    assert stranger.get(url).status_code == 404
    staff = Client()
    staff.force_login(make_user("root", is_staff=True, is_superuser=True))
    assert staff.get(url).status_code == 404
    client.force_login(person)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405
    assert client.get(f"/accounts/data/exports/{uuid.uuid4()}/").status_code == 404


def test_the_download_is_handed_to_nginx_in_production(client, person, settings):
    settings.MEDIA_X_ACCEL_PREFIX = "/protected/"
    export = privacy.data_export_request(user=person)
    privacy.data_export_build(export_id=export.pk)
    client.force_login(person)
    response = client.get(link(export))
    export.refresh_from_db()
    assert response["X-Accel-Redirect"] == f"/protected/{export.file}"
    assert response["Content-Disposition"] == 'attachment; filename="clip-exporting-data.zip"'


def test_expired_exports_lose_their_file_and_their_link(client, person, settings):
    settings.DATA_EXPORT_KEEP_DAYS = 7
    export = privacy.data_export_request(user=person)
    privacy.data_export_build(export_id=export.pk)
    export.refresh_from_db()
    path = Path(settings.MEDIA_ROOT) / export.file
    exports = path.parent
    partial = exports / ".abandoned.zip.part"
    partial.write_bytes(b"half a zip")
    old = time.time() - 2 * 86400
    os.utime(partial, (old, old))
    assert privacy.data_exports_expire() == 1  # only the abandoned partial file: the export is new
    assert path.is_file() and not partial.exists()

    DataExport.objects.filter(pk=export.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert tasks.remove_expired_exports() == 1
    assert not path.exists() and not DataExport.objects.filter(pk=export.pk).exists()
    client.force_login(person)
    assert client.get(link(export)).status_code == 404


def test_an_expired_export_keeps_counting_against_a_longer_interval(client, person, settings):
    settings.DATA_EXPORT_KEEP_DAYS = 1
    settings.DATA_EXPORT_INTERVAL_HOURS = 72
    export = privacy.data_export_request(user=person)
    privacy.data_export_build(export_id=export.pk)
    DataExport.objects.filter(pk=export.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert privacy.data_exports_expire() == 1
    export.refresh_from_db()
    assert export.status == "expired" and export.file == ""
    client.force_login(person)
    assert client.get(link(export)).status_code == 404
    assert client.post(PAGE).status_code == 429


def test_an_export_whose_account_went_while_it_was_built_leaves_no_file(person, settings):
    export = privacy.data_export_request(user=person)
    privacy.user_delete(user=person)
    assert privacy.data_export_build(export_id=export.pk) is None
    exports = Path(settings.MEDIA_ROOT) / "exports"
    assert not exports.exists() or list(exports.iterdir()) == []


CAPPED = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@CAPPED
@given(segment=st.one_of(st.text(min_size=1, max_size=80), st.uuids().map(str)))
def test_the_download_url_answers_only_the_exact_token_and_never_500(client, person, segment):
    export = DataExport.objects.filter(user=person, status="ready").first()
    if export is None:
        export = privacy.data_export_request(user=person)
        privacy.data_export_build(export_id=export.pk)
    client.force_login(person)
    response = client.get(f"/accounts/data/exports/{quote(segment, safe='')}/")
    expected = 200 if segment == str(export.token) else 404
    assert response.status_code == expected
