"""Nightly: each viewer's top 1–3 categories (Gemini may propose them when configured)."""

from django.core.management.base import BaseCommand

from recommendations import services


class Command(BaseCommand):
    help = "Compute each viewer's top 1-3 categories from weighted, decayed engagement."

    def add_arguments(self, parser):
        parser.add_argument("--local", action="store_true", help="never ask Gemini, even when configured")

    def handle(self, *args, local, **options):
        updated = services.preferences_analyze(use_gemini=False if local else None)
        self.stdout.write(f"profiles_updated={updated}")
