"""Sessions read from the cache and written through to the database, surviving a cache outage
(Django's cached_db backend still raises when it re-fills or clears the cache during one)."""

import logging

from django.contrib.sessions.backends import cached_db, db

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            return super().load()
        except Exception as exc:  # the cache is down: the database holds every session
            logger.warning("session cache unavailable, reading the database: %s", exc)
            session = self._get_session_from_db()
            return self.decode(session.session_data) if session else {}

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except Exception:
            return db.SessionStore.exists(self, session_key)

    def delete(self, session_key=None):
        try:
            super().delete(session_key)
        except Exception as exc:  # the database row is gone already; only the cache copy stays
            logger.warning("session cache unavailable while deleting: %s", exc)
