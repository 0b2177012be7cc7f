"""Recommendations' part of a person's data (registered in accounts.registry by
RecommendationsConfig.ready()): the viewer profile the feed keeps for a signed-in person (taste
per category, recent anchors, picked interests, exploration counts).

Deletion removes the profile row. The trained model under MODEL_ROOT has a row for the account
(learned from its engagement events) until the next nightly training, which no longer sees the
events; it holds numbers only."""

from recommendations.models import ViewerProfile
from videos.models import Category, Video


def _category_names(ids) -> dict[int, str]:
    wanted = {int(i) for i in ids if str(i).lstrip("-").isdigit()}
    return dict(Category.objects.filter(pk__in=wanted).values_list("pk", "name"))


def export(user) -> dict:
    profile = ViewerProfile.objects.filter(user=user).first()
    if profile is None:
        return {"recommendation_profile.json": {}}
    weights = profile.category_weights or {}
    names = _category_names([*weights, *profile.interests, *profile.top_categories])
    recent_ids = [int(entry[0]) for entry in profile.recent or [] if entry]
    public_ids = dict(Video.objects.filter(pk__in=recent_ids).values_list("pk", "public_id"))
    return {
        "recommendation_profile.json": {
            "category_weights": {names.get(int(k), str(k)): v for k, v in weights.items() if str(k).isdigit()},
            "interests": [names.get(int(c), str(c)) for c in profile.interests],
            "top_categories": [names.get(int(c), str(c)) for c in profile.top_categories],
            "recent_videos": [
                {"video": public_ids[int(entry[0])], "weight": entry[1]}
                for entry in profile.recent or []
                if entry and int(entry[0]) in public_ids
            ],
            "events_counted": profile.event_count,
            "updated_at": profile.updated_at,
        }
    }


def erase(user) -> None:
    ViewerProfile.objects.filter(user=user).delete()
