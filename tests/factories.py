"""Test data: users and listable videos with real, playable media made once per session by ffmpeg."""

import functools
import itertools
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.utils import timezone

from accounts.models import User
from moderation.models import ModerationDecision
from moderation.services import decision_record
from tiktok import media_store
from videos.models import Category, Encoding, Hashtag, Video
from videos.search_index import video_tokens_refresh

CLIP_SECONDS = 2.0


@functools.cache
def _clip_dir() -> Path:
    """Encode one tiny portrait clip (H.264/AAC, +faststart), its preview and a poster, once."""
    out = Path(tempfile.mkdtemp(prefix="clip-fixture-"))
    common = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
    subprocess.run(
        [
            *common,
            "-f", "lavfi", "-i", f"testsrc2=size=320x568:rate=24:duration={CLIP_SECONDS}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={CLIP_SECONDS}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-profile:v", "high",
            "-c:a", "aac", "-b:a", "48k", "-shortest", "-movflags", "+faststart",
            str(out / "720p.mp4"),
        ],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [*common, "-i", str(out / "720p.mp4"), "-an", "-vf", "scale=160:-2", "-c:v", "libx264", "-preset",
         "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(out / "preview.mp4")],
        check=True,
    )  # fmt: skip
    poster = [*common, "-ss", "1", "-i", str(out / "720p.mp4"), "-frames:v", "1", str(out / "poster.jpg")]
    subprocess.run(poster, check=True)
    return out


_user_numbers = itertools.count(1)


def make_user(username: str | None = None, password: str = "a-Str0ng-pass!", **extra):
    """The one way tests make an account (also the `make_user` fixture)."""
    username = username or f"user{next(_user_numbers)}"
    return User.objects.create_user(
        username=username, email=extra.pop("email", f"{username}@example.com"), password=password, **extra
    )


def ready_video(
    creator,
    title: str = "A test clip",
    description: str = "",
    categories=(),
    hashtags=(),
    visibility: str = "public",
    allow_comments: bool = True,
    media: bool = True,
    **fields,
):
    """A listable (or, by `visibility`, watchable/private) video with real files in the media
    layout, an Encoding row per rendition, and an approving decision on record."""
    video = Video.objects.create(
        creator=creator,
        title=title,
        description=description,
        visibility=visibility,
        allow_comments=allow_comments,
        processing=Video.Processing.READY,
        moderation=Video.Moderation.APPROVED,
        published_at=fields.pop("published_at", timezone.now()),
        duration=CLIP_SECONDS,
        width=320,
        height=568,
        has_audio=True,
        **fields,
    )
    folder = f"videos/{video.public_id}"
    if media:
        source = _clip_dir()
        # Through the media store, so the video is the same on local disk and in a bucket.
        with media_store.work_dir() as work:
            for name in ("720p.mp4", "360p.mp4", "preview.mp4", "poster.jpg"):
                shutil.copyfile(source / ("720p.mp4" if name == "360p.mp4" else name), work / name)
                media_store.put_file(work / name, f"{folder}/{name}")
        video.poster = f"{folder}/poster.jpg"
        video.preview = f"{folder}/preview.mp4"
        video.save(update_fields=["poster", "preview"])
        for rendition in ("720p", "360p"):
            Encoding.objects.create(
                video=video,
                rendition=rendition,
                status=Encoding.Status.DONE,
                progress=1.0,
                path=f"{folder}/{rendition}.mp4",
                width=320,
                height=568,
                size_bytes=(source / "720p.mp4").stat().st_size,
            )
    for name in categories:
        slug = name.lower().replace(" ", "-")
        cat, _ = Category.objects.get_or_create(slug=slug, defaults={"name": name})
        video.categories.add(cat)
    for name in hashtags:
        tag, _ = Hashtag.objects.get_or_create(name=name.lower().lstrip("#"))
        video.hashtags.add(tag)
    decision_record(
        item=video,
        source=ModerationDecision.Source.HUMAN,
        outcome=ModerationDecision.Outcome.APPROVED,
        reason="Approved by the test fixture.",
        text_snapshot=f"{title}\n{description}",
        subject_user=creator,
    )
    video_tokens_refresh(video=video)  # searchable, as videos.services makes a video it publishes
    return video


@contextmanager
def counting_queries():
    """Every statement this thread runs, counted where it is executed."""
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield statements
