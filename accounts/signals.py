"""What accounts tells the apps above it, without knowing who listens."""

from django.dispatch import Signal

# A person signed in or signed up in this browser: `user`, and `previous_session_key`, the
# signed-out session's key before log-in replaced it (recommendations carries its profile over).
signed_in = Signal()

# What others see of a profile changed (its moderation state, hence its display name): `user`.
# videos refreshes the search tokens of the person's videos, which carry the name.
profile_shown_changed = Signal()
