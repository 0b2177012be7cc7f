"""A staff member's decision on a video from the command line (the same service as the admin)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from moderation.services import video_decide_by_human
from videos.models import Video


class Command(BaseCommand):
    help = "Approve (or --reject / --review) a video by primary key or public id, recording a human decision."

    def add_arguments(self, parser):
        parser.add_argument("video", help="primary key or public id")
        parser.add_argument("--note", required=True, help="why; kept in the decision history")
        parser.add_argument(
            "--actor", default="", help="username of the staff member deciding (default: first superuser)"
        )
        outcome = parser.add_mutually_exclusive_group()
        outcome.add_argument("--reject", action="store_const", dest="outcome", const=Video.Moderation.REJECTED)
        outcome.add_argument("--review", action="store_const", dest="outcome", const=Video.Moderation.REVIEW)
        parser.set_defaults(outcome=Video.Moderation.APPROVED)

    def handle(self, *args, **options):
        ref = options["video"]
        lookup = {"pk": int(ref)} if ref.isdigit() else {"public_id": ref}
        video = Video.objects.filter(deleted_at__isnull=True, **lookup).select_related("creator").first()
        if video is None:
            raise CommandError(f"No video {ref!r}.")
        if not options["note"].strip():
            raise CommandError("A note is required.")
        users = get_user_model().objects.filter(is_staff=True, is_active=True)
        if options["actor"]:
            actor = users.filter(username__iexact=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No active staff member named {options['actor']!r}.")
        else:
            actor = users.filter(is_superuser=True).order_by("pk").first()
        video_decide_by_human(video=video, outcome=options["outcome"], actor=actor, note=options["note"].strip())
        video.refresh_from_db()
        self.stdout.write(f"video={video.pk} moderation={video.moderation} listable={video.is_listable}")
