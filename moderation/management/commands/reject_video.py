"""A staff member rejects a video from the command line: the same service as the admin's review
queue. Last line: video=<pk> moderation=rejected listable=False."""

from django.core.management.base import BaseCommand

from moderation.management.commands.approve_video import add_decision_arguments, decide
from videos.models import Video


class Command(BaseCommand):
    help = "Reject a video by primary key or public id (strike, reports closed, creator notified)."

    def add_arguments(self, parser):
        add_decision_arguments(parser)

    def handle(self, *args, **options):
        decide(self, options, Video.Moderation.REJECTED)
