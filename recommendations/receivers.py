"""How recommendations hears about what happens below it (connected in RecommendationsConfig.ready())."""

from recommendations.services import content_refresh, profile_adopt_session, profile_on_event


def on_video_published(sender, *, video, **kwargs) -> None:
    # Its content signal follows its current text (a no-op when nothing it is computed from changed).
    content_refresh(video=video)


def on_engagement(sender, *, event, **kwargs) -> None:
    # The viewer's profile follows in the same request, so the next page reflects the event.
    profile_on_event(event=event)


def on_signed_in(sender, *, user, previous_session_key: str, **kwargs) -> None:
    # What this browser did while signed out carries over to the account's feed.
    profile_adopt_session(user=user, session_key=previous_session_key)
