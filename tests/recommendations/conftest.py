"""The trained world most recommender tests start from."""

import pytest

from recommendations.selectors import caches_clear
from recommendations.services import recommender_train
from tests.recommendations.catalogue import make_catalogue, plant_engagement


@pytest.fixture
def world(db):
    caches_clear()
    cats, people, videos, by_cat = make_catalogue()
    plant_engagement(by_cat)
    recommender_train()
    caches_clear()
    yield cats, people, videos, by_cat
    caches_clear()
