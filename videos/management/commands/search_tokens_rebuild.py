"""Rebuild the search index (videos/search_index.py): tokens for every listable video, none for
the others. Migration 0004 fills the index once; run this after restoring a backup, after bulk
changes made outside the services, or to index creators' new display names at once.

Last stdout line: videos=… tokens=…"""

from django.core.management.base import BaseCommand

from videos import search_index
from videos.models import SearchToken, Video
from videos.selectors import listable_videos


class Command(BaseCommand):
    help = "Rewrite the search tokens of every listable video and drop those of every other video."

    def handle(self, *args, **options):
        ids = set(listable_videos().values_list("pk", flat=True))
        ids |= set(SearchToken.objects.values_list("video_id", flat=True).distinct())
        tokens = sum(search_index.video_tokens_refresh(video=Video(pk=pk)) for pk in sorted(ids))
        self.stdout.write(f"videos={len(ids)} tokens={tokens}")
