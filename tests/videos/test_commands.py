"""The operators' commands: ingest_video (last line and exit codes), approve_video, sweep_stuck_work,
bench_transcode (prints its line; timings are reported, never asserted) and seed_demo."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from moderation.models import ModerationDecision
from tests.media import make_clip
from tests.videos.fixtures import default_categories  # noqa: F401  (autouse)
from videos.models import Video

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_ingest_with_wait_processes_inline_and_prints_the_last_line(make_user, tmp_path):
    user = make_user("creator")
    clip = make_clip(tmp_path / "beach day.mp4", seconds=1.5, width=160, height=120)
    out, _ = run("ingest_video", str(clip), "--user", "creator", "--category", "travel", "--wait")
    video = Video.objects.get()
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(rf"video={video.pk} status=(published|review|rejected)", last)
    assert video.title == "beach day" and video.creator == user and video.processing == "ready"
    assert clip.is_file()  # the operator's file is copied, never moved


def test_ingest_refuses_bad_input_with_one_line_and_a_non_zero_exit(make_user, tmp_path, settings):
    make_user("creator")
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(CommandError, match="not a video we can read"):
        run("ingest_video", str(text), "--user", "creator", "--wait")
    with pytest.raises(CommandError, match="No user named"):
        run("ingest_video", str(text), "--user", "nobody")
    assert Video.objects.count() == 0
    assert [p for p in Path(settings.UPLOAD_TMP_ROOT).rglob("*") if p.is_file()] == []


def test_ingest_exits_non_zero_when_processing_fails(make_user, tmp_path, settings):
    make_user("creator")
    settings.TRANSCODE_MAX_ATTEMPTS = 1
    clip = make_clip(tmp_path / "clip.mp4", seconds=1.2, width=64, height=48)
    settings.FFMPEG_THREADS = -5  # an invalid thread count makes every real transcode fail
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("ingest_video", str(clip), "--user", "creator", "--wait", stdout=out, stderr=StringIO())
    assert exit_info.value.code != 0
    assert out.getvalue().strip().splitlines()[-1] == f"video={Video.objects.get().pk} status=failed"


def test_approve_video_records_a_human_decision(make_user, tmp_path):
    make_user("creator")
    staff = make_user("boss", is_staff=True, is_superuser=True)
    clip = make_clip(tmp_path / "clip.mp4", seconds=1.2, width=64, height=48)
    run("ingest_video", str(clip), "--user", "creator", "--wait")
    video = Video.objects.get()
    out, _ = run("approve_video", str(video.pk), "--note", "checked by hand")
    video.refresh_from_db()
    assert video.moderation == "approved" and video.is_listable
    assert "listable=True" in out
    decision = ModerationDecision.objects.filter(object_id=video.pk, source="human").get()
    assert (decision.actor, decision.reason) == (staff, "checked by hand")


def test_sweep_stuck_work_prints_its_counts():
    out, _ = run("sweep_stuck_work")
    assert out.strip() == "requeued=0 failed=0 jobs_sent=0"


@pytest.mark.slow
def test_bench_transcode_prints_its_line_last():
    out, _ = run("bench_transcode", "--seconds", "1.5", "--width", "320", "--height", "180", "--repeat", "1")
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"pipeline_s=\d+\.\d{3} ffmpeg_s=\d+\.\d{3} overhead_ratio=\d+\.\d{3}", last)
    assert Video.objects.count() == 0  # the benchmark cleans up after itself


def test_seed_demo_is_idempotent_and_approves_through_the_decision_service(settings):
    out, _ = run("seed_demo", "--count", "2", "--wait")
    assert "created=2" in out
    videos = Video.objects.all()
    assert videos.count() == 2 and all(v.is_listable for v in videos)
    assert {v.height > v.width for v in videos} == {True}  # the first clips are portrait
    human = ModerationDecision.objects.filter(source="human", object_id__in=[v.pk for v in videos])
    assert human.count() == 2 and all("seed_demo" in d.reason for d in human)
    out, _ = run("seed_demo", "--count", "2", "--wait")
    assert "created=0" in out and "existing=2" in out and Video.objects.count() == 2
