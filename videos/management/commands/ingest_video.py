"""Ingest a video file from disk through the same service as the web upload."""

import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from videos import transcoding, uploads
from videos.models import Category, Video


def published_status(video: Video) -> str:
    """The word scripts read: published | review | rejected | failed (or queued without --wait)."""
    if video.processing == Video.Processing.FAILED:
        return "failed"
    if video.processing != Video.Processing.READY:
        return "queued"
    if video.moderation == Video.Moderation.APPROVED:
        return "published"
    if video.moderation == Video.Moderation.REJECTED:
        return "rejected"
    return "review"


class Command(BaseCommand):
    help = (
        "Upload a video file as USERNAME. With --wait every stage runs here (no cluster needed). "
        "Last stdout line: video=<pk> status=<published|review|rejected|failed>."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", required=True, help="username of the creator")
        parser.add_argument("--title", default="", help="defaults to the file name")
        parser.add_argument("--description", default="")
        parser.add_argument("--category", action="append", default=[], help="a category name; repeat for more")
        parser.add_argument("--visibility", choices=Video.Visibility.values, default=Video.Visibility.PUBLIC)
        parser.add_argument("--no-comments", action="store_true", help="turn comments off")
        parser.add_argument("--wait", action="store_true", help="transcode and screen inline, then report")

    def handle(self, *args, **options):
        path: Path = options["path"]
        try:
            user = get_user_model().objects.get(username__iexact=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {options['user']!r}.") from None
        categories = []
        for name in options["category"]:
            category = Category.objects.filter(name__iexact=name.strip()).first()
            if category is None:
                raise CommandError(f"Unknown category {name!r}.")
            categories.append(category)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > settings.UPLOAD_MAX_BYTES:
            raise CommandError(f"The file is larger than the {settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB limit.")
        # The service owns (moves or deletes) the file it is given, so it gets a copy.
        copy = uploads.upload_temp_path()
        shutil.copyfile(path, copy)
        try:
            video = uploads.video_create(
                creator=user,
                source_path=copy,
                title=options["title"] or path.stem,
                description=options["description"],
                categories=categories,
                visibility=options["visibility"],
                allow_comments=not options["no_comments"],
                enqueue=not options["wait"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if options["wait"]:
            video = transcoding.video_process_inline(video=video)
        status = published_status(video)
        if status == "failed":
            self.stderr.write(f"Processing failed: {video.processing_error}")
        self.stdout.write(f"video={video.pk} status={status}")
        if status == "failed":
            sys.exit(2)
