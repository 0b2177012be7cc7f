"""Nightly: train the recommender on engagement and activate the new version."""

from django.core.management.base import BaseCommand

from recommendations import services


class Command(BaseCommand):
    help = "Train the recommender from engagement events and activate the new model version."

    def add_arguments(self, parser):
        parser.add_argument("--no-activate", action="store_true", help="record the version without activating it")

    def handle(self, *args, no_activate, **options):
        mv = services.recommender_train(activate=not no_activate)
        m = mv.metrics
        self.stdout.write(
            f"version={mv.version} videos={m['videos']} users={m['users']} events={m['events']} "
            f"train_s={m['load_s'] + m['train_s'] + m['content_s']:.2f}"
        )
