"""Training: moderators' decisions enter the next training set (not those about deleted accounts),
a candidate worse than the active model is registered but not activated, a better one is."""

import pytest
from django.core.management import call_command

from moderation import classifier, decisions, services
from moderation.training import trainer
from tests.factories import make_user, ready_video
from tiktok.models import ModelVersion
from videos.models import Comment

pytestmark = pytest.mark.django_db


def _train(capsys, *args):
    call_command("train_comment_moderator", "--no-human", *args)
    out, err = capsys.readouterr()
    return out.strip().splitlines()[-1], err


def test_a_moderators_decision_enters_the_next_training_set_unless_the_account_is_gone():
    video = ready_video(make_user("maker"), media=False)
    moderator = make_user("mod", is_staff=True)
    kept_author, gone_author = make_user("kept"), make_user("gone")
    kept = Comment.objects.create(video=video, author=kept_author, text="you absolute clown, log off", state="held")
    gone = Comment.objects.create(video=video, author=gone_author, text="some text by a leaver", state="held")
    ok = Comment.objects.create(video=video, author=kept_author, text="killing it as always", state="held")
    decisions.comment_decide(comment=kept, outcome="rejected", actor=moderator, note="insult", categories=["HR"])
    decisions.comment_decide(comment=gone, outcome="rejected", actor=moderator, note="spam", categories=["S"])
    decisions.comment_decide(comment=ok, outcome="approved", actor=moderator, note="idiom")
    gone_author.delete()

    rows = {r["prompt"]: r for r in trainer.human_rows()}
    assert set(rows) == {"you absolute clown, log off", "killing it as always"}
    assert rows["you absolute clown, log off"]["HR"] == 1 and "H" not in rows["you absolute clown, log off"]
    assert all(rows["killing it as always"][c] == 0 for c in classifier.CATEGORIES)

    run = trainer.train_candidate(limit=60, heldout_limit=60)
    assert run["counts"]["human"] == 2
    assert {r["prompt"] for r in run["human_rows"]} == set(rows)


def test_a_worse_candidate_is_not_activated_and_a_better_one_is(capsys, caplog):
    caplog.set_level("INFO", logger="moderation")
    # A crippled candidate: 40 training rows and heavy regularisation, against the shipped model.
    last, _ = _train(capsys, "--limit", "40", "--C", "0.01", "--heldout-limit", "300")
    assert "activated=no" in last
    crippled = ModelVersion.objects.get(kind="comment_classifier")
    assert not crippled.active and crippled.metrics["comparison"]["activated"] is False
    assert crippled.metrics["comparison"]["active_any_auprc"] > crippled.metrics["comparison"]["candidate_any_auprc"]
    assert "comparison" in caplog.text
    assert classifier.active_version() == classifier.Heads.load(classifier.SHIPPED_DIR).version

    # Once the crippled one is active, a candidate trained on more data replaces it.
    services.comment_model_activate(model_version=crippled)
    classifier.reset()
    assert classifier.active_version() == crippled.version
    last, _ = _train(capsys, "--limit", "400", "--heldout-limit", "300")
    assert "activated=yes" in last
    better = ModelVersion.objects.filter(active=True).get()
    assert better.pk != crippled.pk
    classifier.reset()
    assert classifier.active_version() == better.version
    assert (better.metrics["heldout"]["any_auprc"]) >= crippled.metrics["heldout"]["any_auprc"]
