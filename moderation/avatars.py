"""Avatar screening: the same NSFW image model as video frames, before a picture is stored."""

import logging

from django.core.exceptions import ValidationError

from moderation import nsfw
from moderation.models import ModerationPolicy
from moderation.services import policy_thresholds

log = logging.getLogger(__name__)


def avatar_check(*, data: bytes) -> float:
    """A picture at or above the profiles' S review threshold is refused (so nothing is stored),
    and so is one the model could not read (fail closed). Returns the score."""
    try:
        score = nsfw.score_image_bytes(data)
    except nsfw.NSFWUnavailable as exc:
        log.error("avatar could not be screened: %s", exc)
        raise ValidationError("The picture could not be checked right now; please try again later.") from None
    if score >= policy_thresholds(scope=ModerationPolicy.Scope.PROFILES)["S"]["review"]:
        raise ValidationError("This picture cannot be used as an avatar.")
    return score
