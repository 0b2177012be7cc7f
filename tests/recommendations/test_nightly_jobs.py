import io

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from recommendations import services
from recommendations.models import ViewerProfile
from recommendations.selectors import caches_clear
from tests.recommendations.catalogue import make_catalogue, plant_engagement, record
from tiktok.models import ModelVersion
from tiktok.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_the_nightly_jobs_are_scheduled_in_the_long_cluster():
    jobs = {s.func: s for s in SCHEDULES}
    assert jobs["recommendations.tasks.train_recommender"].daily_at == "03:00"
    assert jobs["recommendations.tasks.analyze_preferences"].daily_at == "04:00"
    assert {jobs[f].cluster for f in jobs if f.startswith("recommendations.")} == {"long"}


def test_training_and_preference_commands_record_a_model_and_top_categories(make_user, settings):
    caches_clear()
    cats, _people, _videos, by_cat = make_catalogue(per_category=10, creators=6)
    plant_engagement(by_cat, viewers_per_category=3, per_viewer=4)
    out = io.StringIO()
    call_command("train_recommender", stdout=out)
    mv = ModelVersion.objects.get(kind="recommender", active=True)
    assert out.getvalue().startswith(f"version={mv.version} videos=40 ")
    assert (settings.MODEL_ROOT / mv.artifact_path).is_file()
    assert mv.params["w_collab"] == 1.0 and mv.metrics["events"] > 0

    viewer = make_user()
    for video in by_cat[cats[2].pk][:3]:
        record(viewer, video, "like")
    record(viewer, by_cat[cats[0].pk][0], "watch", completion=1.0)
    out = io.StringIO()
    call_command("analyze_preferences", "--local", stdout=out)
    assert "profiles_updated=" in out.getvalue()
    assert ViewerProfile.objects.get(user=viewer).top_categories == [cats[2].pk, cats[0].pk]
    caches_clear()


def test_training_reads_the_same_events_in_primary_key_ranges(monkeypatch):
    """Events are read one id range per query (the MySQL driver buffers a whole result): ranges
    far smaller than the table give exactly the arrays of one big range."""
    _cats, _people, _videos, by_cat = make_catalogue(per_category=10, creators=6)
    plant_engagement(by_cat, viewers_per_category=3, per_viewer=4)
    now, params = timezone.now(), services.settings_params()
    whole = services.load_training_data(now=now, params=params, horizon_days=None)
    assert whole["events"] > 20
    monkeypatch.setattr(services, "EVENT_ID_RANGE", 7)
    ranged = services.load_training_data(now=now, params=params, horizon_days=None)
    for name in ("users", "items", "weights", "raw_weights", "times"):
        assert np.array_equal(ranged[name], whole[name]), name
