"""Thresholds that match the model: the migrations leave the policy rows at the shipped artifact's
proposed thresholds, and `apply_comment_thresholds` applies an artifact's proposals without ever
overwriting a value a moderator changed in the admin."""

import importlib
import json

import pytest
from django.core.management import call_command

from moderation import classifier
from moderation.models import CATEGORIES, ModerationPolicy
from tests.factories import make_user
from tiktok.models import ModelVersion

pytestmark = pytest.mark.django_db
migration = importlib.import_module("moderation.migrations.0011_policy_thresholds_from_the_model")


def _shipped():
    return json.loads((classifier.SHIPPED_DIR / "meta.json").read_text())["thresholds"]


def test_the_migration_and_the_shipped_artifact_agree():
    shipped = _shipped()
    assert {c: (v["review"], v["reject"]) for c, v in shipped.items()} == migration.THRESHOLDS
    for scope in ("comments", "profiles"):
        rows = {p.category: p for p in ModerationPolicy.objects.filter(scope=scope)}
        assert {c: (rows[c].review_threshold, rows[c].reject_threshold) for c in CATEGORIES} == migration.THRESHOLDS
        assert not any(r.changed_by_moderator for r in rows.values())


def test_a_value_a_moderator_changed_in_the_admin_is_kept(client, settings, tmp_path, capsys):
    row = ModerationPolicy.objects.get(scope="comments", category="H")
    client.force_login(make_user("ops", is_staff=True, is_superuser=True))
    response = client.post(
        f"/admin/moderation/moderationpolicy/{row.pk}/change/",
        {"scope": "comments", "category": "H", "review_threshold": "0.42", "reject_threshold": "0.97"},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.changed_by_moderator and (row.review_threshold, row.reject_threshold) == (0.42, 0.97)

    # An artifact proposing other thresholds everywhere: an active trained version under MODEL_ROOT.
    artifact = tmp_path / "artifact"
    artifact.mkdir()
    for name in ("heads.npz", "adapter.npz"):
        if (classifier.SHIPPED_DIR / name).exists():
            (artifact / name).write_bytes((classifier.SHIPPED_DIR / name).read_bytes())
    meta = json.loads((classifier.SHIPPED_DIR / "meta.json").read_text())
    meta["thresholds"] = {c: {"review": 0.33, "reject": 0.88} for c in CATEGORIES}
    meta["version"] = "cc-proposing"
    (artifact / "meta.json").write_text(json.dumps(meta))
    settings.MODEL_ROOT = tmp_path
    ModelVersion.objects.create(
        kind="comment_classifier", version="cc-proposing", artifact_path="artifact", active=True
    )
    classifier.reset()
    try:
        call_command("apply_comment_thresholds", "--dry-run")
        assert capsys.readouterr().out.strip() == "changed=15 kept=1 same=0 dry_run=1"
        assert ModerationPolicy.objects.filter(review_threshold=0.33).count() == 0

        call_command("apply_comment_thresholds")
        out, err = capsys.readouterr()
        assert out.strip() == "changed=15 kept=1 same=0" and "kept comments/H: changed by a moderator" in err
    finally:
        classifier.reset()
    row.refresh_from_db()
    assert (row.review_threshold, row.reject_threshold) == (0.42, 0.97)
    others = ModerationPolicy.objects.filter(scope__in=["comments", "profiles"]).exclude(pk=row.pk)
    assert {(p.review_threshold, p.reject_threshold) for p in others} == {(0.33, 0.88)}
    # Video rows also threshold the frame and speech stages: not the comment model's to set.
    assert not ModerationPolicy.objects.filter(scope="videos", review_threshold=0.33).exists()

    call_command("apply_comment_thresholds")
    assert capsys.readouterr().out.strip() == "changed=0 kept=1 same=15"
