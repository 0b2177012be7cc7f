"""The content gate: how `videos` and `accounts` hand content to moderation without importing it.

`settings.CONTENT_GATE` names the gate class (like Django's EMAIL_BACKEND); the default,
`moderation.gate.ModerationGate`, screens comments and profile text at once and queues a video's
moderation job. The gate is told that:

- a comment was created                      `comment_created(comment=)`
- a video's source was accepted              `video_source_accepted(video=)`
- a video's source decodes (transcoding starts) `video_source_checked(video=)`
- a video's renditions are ready             `video_renditions_ready(video=)`
- a video's title, description or captions changed   `video_text_changed(video=)` (a published
  video's new title and description are staged: tiktok.staging)
- a private or unlisted video was made public `video_made_public(video=)`
- a profile's display name, bio or avatar was staged   `profile_changed(user=)`
- an avatar is about to be stored            `avatar_check(data=)` (raises ValidationError to refuse)

Content starts unpublished (a comment held, a video pending, an edit staged beside the approved
version), and only the gate publishes it, so a gate that is missing or raises fails closed: the
item stays where it started, the error is logged, and the sweepers and re-scoring jobs try again
later."""

import functools
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@functools.cache
def _gate_for(path: str):
    return import_string(path)()


def gate():
    return _gate_for(settings.CONTENT_GATE)


def _tell(event: str, **kwargs) -> bool:
    """Call the gate inside a savepoint: whatever it wrote is undone if it raises. Returns
    whether it ran."""
    try:
        with transaction.atomic():
            getattr(gate(), event)(**kwargs)
    except Exception:
        logger.exception("content gate failed on %s; the item stays unpublished", event)
        return False
    return True


def comment_created(*, comment) -> bool:
    return _tell("comment_created", comment=comment)


def video_source_accepted(*, video) -> bool:
    return _tell("video_source_accepted", video=video)


def video_source_checked(*, video) -> bool:
    return _tell("video_source_checked", video=video)


def video_renditions_ready(*, video) -> bool:
    return _tell("video_renditions_ready", video=video)


def video_text_changed(*, video) -> bool:
    return _tell("video_text_changed", video=video)


def video_made_public(*, video) -> bool:
    return _tell("video_made_public", video=video)


def profile_changed(*, user) -> bool:
    return _tell("profile_changed", user=user)


def avatar_check(*, data: bytes) -> None:
    """Raise ValidationError unless the gate accepts the picture; a gate that fails refuses it."""
    try:
        gate().avatar_check(data=data)
    except ValidationError:
        raise
    except Exception:
        logger.exception("content gate failed on avatar_check; the picture is refused")
        raise ValidationError("The picture could not be checked right now; please try again later.") from None
