"""What accounts tells the apps above it, without knowing who listens."""

from django.dispatch import Signal

# A person signed in or signed up in this browser: `user`, and `previous_session_key`, the
# signed-out session's key before log-in replaced it (recommendations carries its profile over).
signed_in = Signal()
