"""Learned item-item weights (EASE) in nightly training, and the priors the feed reads."""

import numpy as np
import pytest
import scipy.sparse as sp
from django.db.models import Sum

from recommendations import ranking, store, training
from recommendations.selectors import caches_clear, feed_for_viewer
from recommendations.services import recommender_train
from tests.recommendations.catalogue import record
from videos.models import Video


def closed_form(x: np.ndarray, lam: float) -> np.ndarray:
    """EASE as published: P = (XᵀX + λI)⁻¹, B = I − P·diag(1/diag(P)), in double precision."""
    p = np.linalg.inv(x.T @ x + lam * np.eye(x.shape[1]))
    return np.eye(x.shape[1]) - p @ np.diag(1.0 / np.diag(p))


def test_ease_weights_reproduce_the_closed_form_on_a_tiny_matrix():
    x = (np.random.default_rng(1).random((30, 9)) < 0.4).astype(float)
    for lam in (0.5, 5.0, 60.0):
        b = training.ease_weights(x.T @ x, lam)
        assert np.allclose(b, closed_form(x, lam), rtol=1e-4, atol=1e-6)
        assert not np.diag(b).any()


def test_nightly_training_ships_each_learned_row():
    """train_arrays, with the whole (small) catalogue in the head and k above its size: each
    video's neighbour list is exactly its row of B at the regularisation validation chose."""
    rng = np.random.default_rng(4)
    n_users, n_items = 60, 10
    x = (rng.random((n_users, n_items)) < 0.45).astype(float)
    users, items = np.nonzero(x)
    times = rng.random(len(users)) * 1e6
    params = {"neighbours": 50, "learned_head": n_items, "history_half_life": 10.0}
    arrays = training.train_arrays(
        users=users,
        items=items,
        weights=np.ones(len(users)),
        times=times,
        n_users=n_users,
        n_items=n_items,
        item_categories=sp.csr_matrix((n_items, 1), dtype=np.float32),
        params=params,
    )
    assert int(arrays["learned_head"]) == n_items
    assert int(arrays["validation_users"]) >= training.MIN_VALIDATION_USERS  # validation did run
    b = closed_form(x, float(arrays["learned_lambda"]))
    ptr, idx, sim = arrays["nbr_indptr"], arrays["nbr_idx"], arrays["nbr_sim"]
    for i in range(n_items):
        listed = dict(zip(idx[ptr[i] : ptr[i + 1]].tolist(), sim[ptr[i] : ptr[i + 1]].tolist(), strict=True))
        expected = {j: b[i, j] for j in range(n_items) if j != i}  # B_ii is 0 up to rounding
        assert set(listed) == set(expected)
        assert np.allclose([listed[j] for j in expected], list(expected.values()), rtol=1e-4, atol=1e-7)


def test_validation_holds_out_the_latest_pair_or_a_seeded_random_one():
    pu = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2])
    pi = np.array([3, 4, 5, 1, 2, 3, 4, 6, 7])
    latest = np.array([5.0, 9.0, 1.0, 2.0, 8.0, 4.0, 3.0, 1.0, 2.0])
    held, users = training.validation_carve(pu, pi, latest, 3, ordered=True)
    assert users.tolist() == [0, 1]  # the third viewer has only two positives
    assert held.tolist() == [1, 4]  # each one's latest
    random_once, _ = training.validation_carve(pu, pi, latest, 3, ordered=False, seed=5)
    random_again, _ = training.validation_carve(pu, pi, latest, 3, ordered=False, seed=5)
    assert random_once.tolist() == random_again.tolist()
    assert pu[random_once].tolist() == [0, 1]


@pytest.mark.django_db
def test_the_feeds_priors_are_the_ones_training_measured(world, make_user, monkeypatch):
    _cats, _people, _videos, by_cat = world
    sums = Video.objects.aggregate(
        likes=Sum("like_count"), seen=Sum("impression_count"), done=Sum("completion_sum"), plays=Sum("play_count")
    )
    measured = {"like": sums["likes"] / sums["seen"], "completion": sums["done"] / sums["plays"]}
    assert measured["like"] != pytest.approx(ranking.DEFAULT_PRIORS["like"], abs=1e-3)
    model = store.active_model()
    assert float(model.arrays["prior_like"]) == pytest.approx(measured["like"])
    assert float(model.arrays["prior_completion"]) == pytest.approx(measured["completion"])

    used = []
    real = ranking.score_for_profile

    def spy(**kwargs):
        used.append(kwargs["priors"])
        return real(**kwargs)

    monkeypatch.setattr(ranking, "score_for_profile", spy)
    viewer = make_user()
    record(viewer, next(iter(by_cat.values()))[0], "like")
    feed_for_viewer(user=viewer, session_key="", exclude_ids=set())
    assert used and used[-1] == pytest.approx(measured)

    # Retrained on other counters, the feed's priors follow.
    Video.objects.update(like_count=0)
    recommender_train(version="retrained")
    caches_clear()
    feed_for_viewer(user=viewer, session_key="", exclude_ids=set())
    assert used[-1]["like"] == 0.0
    assert used[-1]["completion"] == pytest.approx(measured["completion"])


def test_a_row_keeps_its_k_weights_of_largest_magnitude_negative_ones_included():
    x = (np.random.default_rng(2).random((40, 12)) < 0.5).astype(float)
    b = closed_form(x, 1.0)
    assert (b < 0).any()
    head = np.arange(12)[::-1].copy()  # head order differs from catalogue order
    ptr, idx, val = training.learned_rows((x.T @ x)[np.ix_(head, head)], head, 1.0, 4)
    for r, item in enumerate(head):
        row = b[item].copy()
        row[item] = 0.0
        strongest = np.argsort(-np.abs(row))[:4]
        assert set(idx[ptr[r] : ptr[r + 1]].tolist()) == set(strongest.tolist())
        assert np.allclose(sorted(val[ptr[r] : ptr[r + 1]]), sorted(row[strongest]), rtol=1e-3, atol=1e-6)


def test_candidate_ranks_count_only_unseen_videos_with_a_positive_score():
    """The held-out video's rank among what the feed's collaborative pool draws from, against a
    dense computation: anchors' summed list weights, the viewer's other videos left out."""
    rng = np.random.default_rng(9)
    n_users, n_items = 40, 30
    x = rng.random((n_users, n_items)) < 0.25
    pu, pi = (a.astype(np.int64) for a in np.nonzero(x))
    latest = rng.random(len(pu))
    held, users = training.validation_carve(pu, pi, latest, n_users, ordered=True)
    val = training.Validation(pu, pi, np.ones(len(pu)), latest, held, users, n_items)
    b = rng.normal(size=(n_items, n_items)).astype(np.float32)
    np.fill_diagonal(b, 0)
    ptr, idx, sim = training.dense_topk(b, 8)
    ranks = val.candidate_ranks(ptr, idx, sim, anchors=500, half_life=np.inf)
    kept = sp.csr_matrix((sim, idx, ptr), shape=(n_items, n_items)).toarray()
    for n, user in enumerate(users):
        target = pi[held[n]]
        others = [i for i in np.flatnonzero(x[user]) if i != target]
        score = kept[others].sum(axis=0)
        pool = [i for i in range(n_items) if score[i] > 0 and i not in others]
        expected = 1 + sum(score[i] > score[target] for i in pool) if target in pool else np.inf
        assert ranks[n] == expected
