"""Every recurring job in one list; `manage.py setup_schedules` creates or updates them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Recurring:
    name: str
    func: str
    minutes: int | None = None  # every N minutes, or
    daily_at: str | None = None  # "HH:MM" in TIME_ZONE (with weekday: once a week)
    weekday: int | None = None  # 0 Monday .. 6 Sunday, for a weekly job at daily_at
    cluster: str | None = None  # "long" for heavy jobs


SCHEDULES: list[Recurring] = [
    Recurring("sweep stuck encodings", "videos.tasks.sweep_stuck_work", minutes=5),
    Recurring("sweep stuck video moderation", "moderation.tasks.sweep_stuck_moderation", minutes=5),
    Recurring("re-score held comments", "moderation.tasks.rescore_held_comments", minutes=30),
    Recurring("train recommender", "recommendations.tasks.train_recommender", daily_at="03:00", cluster="long"),
    Recurring(
        "analyze viewer preferences", "recommendations.tasks.analyze_preferences", daily_at="04:00", cluster="long"
    ),
    Recurring(
        "retrain comment classifier heads",
        "moderation.tasks.retrain_comment_heads",
        daily_at="03:30",
        weekday=6,
        cluster="long",
    ),
    Recurring("remove orphaned media", "videos.tasks.cleanup_media", daily_at="05:00"),
    Recurring("remove expired data exports", "accounts.tasks.remove_expired_exports", daily_at="05:15"),
    Recurring("clear expired sessions", "tiktok.tasks.clear_expired_sessions", daily_at="05:30"),
    Recurring("roll up old engagement events", "videos.tasks.roll_up_events", daily_at="02:30", cluster="long"),
]
