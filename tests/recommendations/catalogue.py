"""A small generated catalogue for recommender tests: rows only (no media), four categories,
creators with a handful of videos each, and viewers whose engagement has a planted structure."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from recommendations.services import profile_on_event
from videos.models import Category, EngagementEvent, Video


def make_catalogue(*, per_category: int = 30, creators: int = 12):
    now = timezone.now()
    cats = [Category.objects.get_or_create(name=f"Topic {n}", defaults={"slug": f"topic-{n}"})[0] for n in "ABCD"]
    people = User.objects.bulk_create(
        [User(username=f"maker{i}", email=f"maker{i}@example.com", password="!") for i in range(creators)]
    )
    videos = []
    for c, cat in enumerate(cats):
        for i in range(per_category):
            videos.append(
                Video(
                    creator=people[(c * per_category + i) % creators],
                    title=f"{cat.name} clip {i}",
                    description=f"about {cat.name.lower()} number {i}",
                    processing="ready",
                    moderation="approved",
                    visibility="public",
                    published_at=now - timedelta(hours=c * per_category + i),
                    # Every fourth video is new to the audience: exploration's pool.
                    impression_count=500 + i if i % 4 else i,
                    play_count=400 if i % 4 else i // 2,
                    completion_sum=200.0 if i % 4 else i / 5,
                    like_count=20 + (i % 7) if i % 4 else 0,
                )
            )
    videos = Video.objects.bulk_create(videos)
    through = Video.categories.through
    through.objects.bulk_create(
        [through(video_id=v.pk, category_id=cats[k // per_category].pk) for k, v in enumerate(videos)]
    )
    by_cat = {cat.pk: videos[k * per_category : (k + 1) * per_category] for k, cat in enumerate(cats)}
    return cats, people, videos, by_cat


def plant_engagement(by_cat, *, viewers_per_category: int = 6, per_viewer: int = 8):
    """Viewers who each finish and like videos of one category: co-engagement stays in category."""
    events = []
    now = timezone.now()
    n = 0
    for vids in by_cat.values():
        for _ in range(viewers_per_category):
            viewer = User.objects.create(username=f"fan{n}", email=f"fan{n}@example.com", password="!")
            n += 1
            for j in range(per_viewer):
                video = vids[(n * 3 + j) % len(vids)]
                when = now - timedelta(hours=per_viewer - j)
                events.append(EngagementEvent(user=viewer, video=video, kind="watch", completion=1.0, created_at=when))
                events.append(EngagementEvent(user=viewer, video=video, kind="like", created_at=when))
    EngagementEvent.objects.bulk_create(events)


def record(user, video, kind, *, completion=0.0, slot="ranked"):
    """What the viewer pages do: write the event row, then update the profile in the request."""
    event = EngagementEvent.objects.create(user=user, video=video, kind=kind, completion=completion, slot=slot)
    profile_on_event(event=event)
    return event
