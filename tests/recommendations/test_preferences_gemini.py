import pytest

from recommendations.models import ViewerProfile
from recommendations.services import preferences_analyze
from tests.moderation.fake_gemini import FakeGemini
from tests.recommendations.catalogue import make_catalogue, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_with_taste(make_user):
    cats, _people, _videos, by_cat = make_catalogue(per_category=4, creators=4)
    viewer = make_user()
    for video in by_cat[cats[1].pk][:3]:
        record(viewer, video, "like")
    record(viewer, by_cat[cats[3].pk][0], "watch", completion=1.0)
    return cats, viewer


def run_with(settings, steps):
    fake = FakeGemini(generate=steps).start()
    settings.GEMINI_API_KEY = "test-key"
    settings.GEMINI_BASE_URL = fake.base_url
    try:
        preferences_analyze()
    finally:
        fake.stop()
    return fake


def test_gemini_proposals_are_kept_only_when_in_the_category_list(settings, viewer_with_taste):
    cats, viewer = viewer_with_taste
    fake = run_with(settings, ['["Topic D", "Not a category", "Topic B"]'])
    assert fake.count("POST", "generateContent") == 1
    assert ViewerProfile.objects.get(user=viewer).top_categories == [cats[3].pk, cats[1].pk]


def test_a_failing_gemini_falls_back_to_the_local_result(settings, viewer_with_taste):
    cats, viewer = viewer_with_taste
    run_with(settings, [400])
    assert ViewerProfile.objects.get(user=viewer).top_categories == [cats[1].pk, cats[3].pk]
