"""A staff member's decision on a video from the command line: the same service as the admin's
review queue (decision row, strike policy, reports closed, creator notified)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from moderation import decisions
from videos.models import Video


def find_video(ref: str) -> Video:
    lookup = {"pk": int(ref)} if ref.isdigit() else {"public_id": ref}
    video = Video.objects.filter(deleted_at__isnull=True, **lookup).select_related("creator").first()
    if video is None:
        raise CommandError(f"No video {ref!r}.")
    return video


def find_actor(username: str):
    users = get_user_model().objects.filter(is_staff=True, is_active=True)
    if not username:
        actor = users.filter(is_superuser=True).order_by("pk").first()
        if actor is None:
            raise CommandError("No active superuser to record the decision as; pass --actor.")
        return actor
    actor = users.filter(username__iexact=username).first()
    if actor is None:
        raise CommandError(f"No active staff member named {username!r}.")
    return actor


def add_decision_arguments(parser) -> None:
    parser.add_argument("video", help="primary key or public id")
    parser.add_argument("--note", required=True, help="why; kept in the decision history and sent to the creator")
    parser.add_argument("--actor", default="", help="username of the staff member deciding (default: first superuser)")


def decide(command: BaseCommand, options: dict, outcome: str) -> None:
    note = options["note"].strip()
    if not note:
        raise CommandError("A note is required.")
    video = find_video(options["video"])
    actor = find_actor(options["actor"])
    decisions.video_decide(video=video, outcome=outcome, actor=actor, note=note)
    video.refresh_from_db()
    command.stdout.write(f"video={video.pk} moderation={video.moderation} listable={video.is_listable}")


class Command(BaseCommand):
    help = "Approve (or --reject / --review) a video by primary key or public id, recording a human decision."

    def add_arguments(self, parser):
        add_decision_arguments(parser)
        outcome = parser.add_mutually_exclusive_group()
        outcome.add_argument("--reject", action="store_const", dest="outcome", const=Video.Moderation.REJECTED)
        outcome.add_argument("--review", action="store_const", dest="outcome", const=Video.Moderation.REVIEW)
        parser.set_defaults(outcome=Video.Moderation.APPROVED)

    def handle(self, *args, **options):
        decide(self, options, options["outcome"])
