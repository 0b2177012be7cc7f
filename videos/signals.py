"""What videos tells the apps above it, without knowing who listens (recommendations connects in
its AppConfig.ready()). Sent after the row changed, inside the same transaction."""

from django.dispatch import Signal

# A video became listable with an approved decision, or was re-approved after an edit: `video`.
video_published = Signal()

# One engagement event was stored (play, watch, like, comment, ...): `event`, an EngagementEvent.
engagement_recorded = Signal()
