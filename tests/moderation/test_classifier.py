"""The comment classifier with the real encoder and the shipped artifact: independent calibrated
probabilities, chunked scoring of long texts, script detection, explanations and versions."""

import pytest

from moderation import classifier
from tiktok.models import ModelVersion

pytestmark = pytest.mark.django_db

FRIENDLY = "what a lovely dance, the colours in this video are beautiful"
HOSTILE = "I will find you and kill you, you worthless piece of trash"


def test_it_gives_each_text_an_independent_probability_for_every_category():
    scores = classifier.score_texts([FRIENDLY, HOSTILE])
    assert len(scores) == 2
    for row in scores:
        assert list(row) == classifier.CATEGORIES
        assert all(0.0 <= p <= 1.0 for p in row.values())
    # Independent heads: probabilities need not sum to one, and a threat raises more than one category.
    assert max(scores[1].values()) > max(scores[0].values())
    assert scores[1]["V"] > scores[0]["V"] and scores[1]["HR"] > scores[0]["HR"]


def test_a_long_text_is_judged_on_all_of_it_by_the_maximum_over_chunks():
    padding = " ".join(["We walked along the river and talked about the weather and the garden."] * 70)
    assert len(padding) > 4000
    ending = " ".join(["kill yourself you worthless ugly loser, nobody wants you here."] * 6)
    encoder = classifier.get_encoder()
    assert len(encoder.chunk_ids([padding + " " + ending])[0]) > 5
    benign = classifier.score_texts([padding])[0]
    late = classifier.score_texts([padding + " " + ending])[0]
    # The insult sits only after the first 4,000 characters; a truncating model would never see it.
    assert late["HR"] > 10 * benign["HR"] and late["HR"] > 0.3


def test_text_mostly_in_another_script_is_recognised():
    assert classifier.foreign_script("Это очень хорошее видео, спасибо")
    assert classifier.foreign_script("这个视频太好看了")
    assert not classifier.foreign_script("Ça c'est très joli, merci beaucoup")
    assert not classifier.foreign_script("😂😂😂")


def test_explain_points_at_the_words_that_scored():
    words = classifier.explain("nice colours but I will kill you tomorrow", "V", top_k=3)
    assert words and any("kill" in w for w in words)
    assert classifier.explain("", "V") == []
    story = " ".join(["We walked along the river and talked about the weather."] * 60)
    assert any("kill" in w for w in classifier.explain(story + " I will kill you tomorrow. " + story, "V"))
    with pytest.raises(ValueError):
        classifier.explain("text", "XX")


def test_the_shipped_artifact_is_used_until_a_trained_version_is_active(settings, tmp_path):
    shipped = classifier.active_version()
    assert shipped == classifier.Heads.load(classifier.SHIPPED_DIR).version
    heads = classifier.Heads.load(classifier.SHIPPED_DIR)
    heads.version = "cc-test-copy"
    heads.save(settings.MODEL_ROOT / "comment_classifier" / "cc-test-copy")
    ModelVersion.objects.create(
        kind="comment_classifier", version="cc-test-copy", artifact_path="comment_classifier/cc-test-copy", active=True
    )
    assert classifier.active_version() == "cc-test-copy"


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "x" * 2001, "\u200b\u200c\u200d\x00\x07", "😂🔥💀", "<script>alert(1)</script> hi"],
)
def test_odd_texts_score_without_crashing(text):
    row = classifier.score_texts([text])[0]
    assert set(row) == set(classifier.CATEGORIES)
    assert classifier.clean_text("\u200b\u200c\x00 a\u200db ") == "ab"
