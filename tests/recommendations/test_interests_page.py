import pytest

from recommendations.models import ViewerProfile
from videos.models import Category

pytestmark = pytest.mark.django_db


def test_a_viewer_picks_interests_and_bad_input_changes_nothing(client, make_user):
    cats = [Category.objects.get_or_create(name=f"Pick {n}", defaults={"slug": f"pick-{n}"})[0] for n in range(3)]
    viewer = make_user()
    client.force_login(viewer)
    assert client.get("/recommendations/interests/").status_code == 200
    bad = client.post("/recommendations/interests/", {"category": ["x"]})
    assert bad.status_code == 400
    assert not ViewerProfile.objects.filter(user=viewer).exists()
    response = client.post("/recommendations/interests/", {"category": [cats[0].pk, cats[2].pk]})
    assert response.status_code == 302
    profile = ViewerProfile.objects.get(user=viewer)
    assert sorted(profile.interests) == sorted([cats[0].pk, cats[2].pk])
    assert profile.category_weights[str(cats[0].pk)] > 0


def test_picking_interests_needs_an_account(client):
    response = client.get("/recommendations/interests/")
    assert response.status_code == 302
    assert "login" in response["Location"]
