"""Re-run automatic moderation for one video and print the decision with its per-category scores."""

from django.core.management.base import BaseCommand, CommandError

from moderation.models import CATEGORIES, ModerationDecision
from moderation.video_jobs import video_moderation_run
from videos.models import Video


class Command(BaseCommand):
    help = (
        "Run every moderation stage on one video (by primary key or public id) inline and record the "
        "decision. Prints one line per stage, the reason, and last: "
        "video=<pk> outcome=<approved|review|rejected> S=… H=… V=… HR=… SH=… S3=… H2=… V2=…"
    )

    def add_arguments(self, parser):
        parser.add_argument("video", help="the video's primary key or public id")

    def handle(self, *args, **options):
        key = options["video"].strip()
        video = Video.objects.filter(public_id=key).first()
        if video is None and key.isdigit():
            video = Video.objects.filter(pk=int(key)).first()
        if video is None:
            raise CommandError(f"No video {key!r}.")
        if video.deleted_at is not None:
            raise CommandError(f"Video {video.pk} was deleted.")
        if video.processing != Video.Processing.READY:
            raise CommandError(f"Video {video.pk} is not transcoded (processing is {video.processing}).")
        before = ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video").count()
        video_moderation_run(video=video)
        decision = ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video").first()
        after = ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video").count()
        if decision is None or after == before:
            raise CommandError("Moderation is already running for this video elsewhere; try again later.")
        for name, stage in decision.stages.items():
            if not isinstance(stage, dict):
                continue
            scores = " ".join(f"{c}={v:.3f}" for c, v in stage.get("scores", {}).items())
            note = stage.get("error") or stage.get("note") or ""
            self.stdout.write(
                f"stage {name}: {stage.get('status')} {stage.get('seconds', 0):.2f}s {scores} {note}".rstrip()
            )
        self.stdout.write(f"reason: {decision.reason}")
        scores = " ".join(f"{c}={decision.scores.get(c, 0.0):.3f}" for c in CATEGORIES)
        self.stdout.write(f"video={video.pk} outcome={decision.outcome} {scores}")
