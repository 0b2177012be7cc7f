"""The comment model's proposed thresholds and the policy rows: the artifact's meta.json carries the
review and reject thresholds that training chose on the validation split; applying them updates the
ModerationPolicy rows of the text scopes, except a row a moderator changed in the admin."""

from django.db import transaction

from moderation import classifier
from moderation.models import CATEGORIES, ModerationPolicy

# The scopes decided by the comment model's scores alone. Video rows also threshold the frame and
# speech stages' scores, so they are left to moderators.
TEXT_SCOPES = [ModerationPolicy.Scope.COMMENTS, ModerationPolicy.Scope.PROFILES]


class ThresholdError(ValueError):
    """The artifact proposes no usable thresholds."""


def proposed_thresholds(heads=None) -> dict[str, dict[str, float]]:
    """{"H": {"review": 0.4, "reject": 0.9}, ...} from the artifact in use (or `heads`), checked."""
    heads = heads or classifier.active_heads()
    proposed = heads.meta.get("thresholds") or {}
    out = {}
    for c in CATEGORIES:
        pair = proposed.get(c)
        try:
            review, reject = float(pair["review"]), float(pair["reject"])
        except (TypeError, KeyError, ValueError):
            raise ThresholdError(f"the artifact {heads.version} proposes no thresholds for {c}") from None
        if not 0 < review <= reject <= 1:
            raise ThresholdError(f"the artifact {heads.version} proposes review {review} > reject {reject} for {c}")
        out[c] = {"review": review, "reject": reject}
    return out


@transaction.atomic
def thresholds_apply(*, thresholds: dict, scopes=TEXT_SCOPES, dry_run: bool = False) -> dict[str, list[str]]:
    """Set the policy rows of `scopes` to `thresholds`; a missing row is created, a row a moderator
    changed is kept. Returns {"changed": [...], "kept": [...], "same": [...]} as "scope/category"."""
    report = {"changed": [], "kept": [], "same": []}
    for scope in scopes:
        for c in CATEGORIES:
            review, reject = thresholds[c]["review"], thresholds[c]["reject"]
            row = ModerationPolicy.objects.select_for_update().filter(scope=scope, category=c).first()
            key = f"{scope}/{c}"
            if row is not None and row.changed_by_moderator:
                report["kept"].append(key)
                continue
            if row is not None and (row.review_threshold, row.reject_threshold) == (review, reject):
                report["same"].append(key)
                continue
            report["changed"].append(key)
            if dry_run:
                continue
            if row is None:
                ModerationPolicy.objects.create(
                    scope=scope, category=c, review_threshold=review, reject_threshold=reject
                )
            else:
                row.review_threshold, row.reject_threshold = review, reject
                row.save(update_fields=["review_threshold", "reject_threshold"])
    return report
