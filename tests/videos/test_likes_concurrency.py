"""Two hundred concurrent like/unlike requests on one video leave like_count equal to the rows."""

import random
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import make_user, ready_video
from videos.models import Like, Video


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_hundred_concurrent_likes_and_unlikes_keep_the_count_equal_to_the_rows():
    video = ready_video(make_user("maker"), title="Hot", media=False)
    fans = [make_user(f"fan{i}") for i in range(20)]
    url = reverse("videos:like", args=[video.public_id])
    rng = random.Random(7)
    # Each fan sends 10 requests: likes, unlikes and toggles racing each other and other fans.
    plan = [(fan, rng.choice(["like", "unlike", "toggle"])) for fan in fans for _ in range(10)]
    rng.shuffle(plan)
    clients = {}
    for fan in fans:
        c = Client()
        c.force_login(fan)
        clients[fan.pk] = c
    statuses = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(chunk):
        start.wait()
        try:
            for fan, action in chunk:
                resp = clients[fan.pk].post(url, {"action": action}, HTTP_HX_REQUEST="true")
                with lock:
                    statuses.append(resp.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(plan[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 200
    assert set(statuses) == {200}, sorted(set(statuses))
    rows = Like.objects.filter(video=video).count()
    assert Video.objects.get(pk=video.pk).like_count == rows
