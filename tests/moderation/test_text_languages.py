"""Text in other languages: detected offline; English and the languages the multilingual model reads
well enough are decided here; the rest goes to Gemini's text check (the real google-genai client
against the local fake server) and is held without it or when it fails. Comments, profiles and the
evaluation all take this path."""

import json

import pytest

from moderation import languages, services
from moderation.categories import CATEGORIES
from moderation.models import ModerationDecision, ModerationPolicy
from tests.factories import make_user, ready_video
from tests.moderation.fake_gemini import FakeGemini, well_formed_answer
from videos.models import Comment

pytestmark = pytest.mark.django_db

ARABIC = "شكرا على هذا الفيديو الجميل، استمتعت كثيرا بمشاهدته"  # "thanks for this lovely video, I enjoyed it"
RUSSIAN = "Мой новый ролик о путешествии по горам"  # "my new clip about a trip in the mountains"
PORTUGUESE_FRIENDLY = "que vídeo lindo, adorei a música e as cores, parabéns pelo trabalho"
PORTUGUESE_INSULT = "cala a boca seu idiota imbecil, você é um lixo nojento e burro"


@pytest.fixture
def fake_gemini(settings):
    started = []

    def start(**scenario):
        fake = FakeGemini(**scenario).start()
        settings.GEMINI_API_KEY = "test-key"
        settings.GEMINI_BASE_URL = fake.base_url
        settings.GEMINI_RETRY_BASE_SECONDS = 0.01
        settings.GEMINI_SEND = "public"
        started.append(fake)
        return fake

    settings.GEMINI_API_KEY = ""
    yield start
    for fake in started:
        fake.stop()


def _comment(text):
    video = ready_video(make_user(f"maker{Comment.objects.count()}"), title="Trip", media=False)
    comment = Comment.objects.create(video=video, author=make_user(f"a{Comment.objects.count()}"), text=text,
                                     state="held")  # fmt: skip
    state = services.comment_screen(comment=comment)
    return state, services.decisions_for(item=comment).first()


def test_the_detector_reads_languages_and_short_latin_text_as_english():
    assert languages.detect("Das ist wirklich ein schöner Film über die Berge").code == "de"
    assert languages.detect(ARABIC).route == languages.ROUTE_OTHER
    assert languages.detect(RUSSIAN).code == "ru"
    assert languages.detect("trash af").route == languages.ROUTE_ENGLISH  # too short to trust the detector
    assert languages.detect("🎉🎉 @someone https://example.com").route == languages.ROUTE_ENGLISH
    assert languages.detect(PORTUGUESE_FRIENDLY).route == languages.ROUTE_LOCAL


def test_declared_languages_are_exactly_those_that_reached_the_bar():
    meta = json.loads((languages.LOCAL_DIR / "meta.json").read_text())
    bar = meta["bar"]["any_auprc_at_prevalence"]
    reached = sorted(lang for lang, f in meta["heldout"].items() if (f["any_auprc_adjusted"] or 0) >= bar)
    assert sorted(languages.local_languages()) == reached
    assert "ar" not in reached
    # Share-alike data went into the weights: its licence travels with them.
    assert "ShareAlike" in (languages.LOCAL_DIR / "LICENSE-told-br.txt").read_text()


def test_the_multilingual_model_tells_an_insult_from_praise():
    friendly, insult = languages.local_scores([PORTUGUESE_FRIENDLY, PORTUGUESE_INSULT])
    assert insult["HR"] > 0.5 > friendly["HR"]
    assert max(friendly.values()) < 0.3


def test_portuguese_is_decided_here_with_both_models(fake_gemini):
    fake = fake_gemini()
    published, decision = _comment(PORTUGUESE_FRIENDLY)
    assert published == "published"
    assert decision.stages["language"] == {**decision.stages["language"], "code": "pt", "route": "local"}
    assert decision.model_versions["multilingual"] == languages.local_model().version
    insulted, decision = _comment(PORTUGUESE_INSULT)
    assert insulted in ("held", "rejected") and decision.scores["HR"] > 0.5
    assert fake.requests == []  # nothing left the platform


def test_an_arabic_comment_is_held_without_gemini():
    state, decision = _comment(ARABIC)
    assert state == "held"
    assert decision.outcome == ModerationDecision.Outcome.REVIEW
    assert "ar" in decision.reason and decision.stages["language"]["route"] == "other"


def test_an_arabic_comment_is_decided_by_gemini_when_configured(fake_gemini):
    fake = fake_gemini()
    state, decision = _comment(ARABIC)
    assert state == "published"
    assert decision.stages["gemini"]["status"] == "ok" and decision.model_versions["gemini"]
    assert fake.count("POST", r":generateContent$") == 1
    sent = json.dumps(fake.prompts[0], ensure_ascii=False)
    assert ARABIC in sent and "<<<USER_CONTENT>>>" in sent
    assert fake.prompts[0]["generationConfig"]["responseMimeType"] == "application/json"


def test_gemini_scores_decide_through_the_policy_rows(fake_gemini):
    hateful = well_formed_answer(scores={**dict.fromkeys(CATEGORIES, 0.01), "H": 0.99}, verdict="reject")
    fake_gemini(generate=[hateful])
    state, decision = _comment(ARABIC)
    assert state == "rejected"
    assert decision.scores["H"] == 0.99


def test_a_cautious_gemini_verdict_holds_even_with_low_scores(fake_gemini):
    fake_gemini(generate=[well_formed_answer(verdict="review")])
    assert _comment(ARABIC)[0] == "held"


def test_gemini_failures_are_retried_then_hold(fake_gemini):
    fake = fake_gemini(generate=[503, 503, 503, 503])
    state, decision = _comment(ARABIC)
    assert state == "held"
    assert decision.stages["gemini"]["status"] == "failed"
    assert fake.count("POST", r":generateContent$") == 3
    fake_gemini(generate=["{not json"])
    assert _comment(ARABIC)[0] == "held"


def test_gemini_send_none_sends_no_text(fake_gemini, settings):
    fake = fake_gemini()
    settings.GEMINI_SEND = "none"
    assert _comment(ARABIC)[0] == "held"
    assert fake.requests == []


def test_a_cyrillic_profile_is_held_without_gemini_and_published_with_it(fake_gemini):
    held = services.texts_screen(texts=[RUSSIAN], scope=ModerationPolicy.Scope.PROFILES)[0]
    assert held.outcome == ModerationDecision.Outcome.REVIEW
    fake_gemini()
    decided = services.texts_screen(texts=[RUSSIAN, "A calm walk by the lake"], scope=ModerationPolicy.Scope.VIDEOS)
    assert [v.outcome for v in decided] == [ModerationDecision.Outcome.APPROVED] * 2
    assert decided[0].stages["gemini"]["status"] == "ok" and "gemini" not in decided[1].stages


def test_a_caller_can_keep_a_text_from_gemini(fake_gemini):
    fake = fake_gemini()
    (verdict,) = services.texts_screen(texts=[RUSSIAN], scope=ModerationPolicy.Scope.VIDEOS, gemini_allowed=False)
    assert verdict.outcome == ModerationDecision.Outcome.REVIEW
    assert fake.requests == []
