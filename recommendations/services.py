"""Recommender writes."""


def profile_on_event(*, event) -> None:
    """Update the viewer's profile from one engagement event, inside the request that records
    it. (Filled in by the recommender; a no-op until then.)"""
    return None
