"""Pure scoring for the feed: how one event changes a viewer's profile, the collaborative and
content signals of candidates, the documented blend, and the original project's formula (kept
as a named baseline). No database here: the feed, the nightly job and the offline evaluation
all call these same functions."""

import numpy as np
import scipy.sparse as sp

RECENT_CAP = 500  # anchors kept in a profile (training chooses how many of them count)
DEFAULT_ANCHORS = 50  # anchors that count when the model chose none
DEFAULT_COLLAB_CANDIDATES = 500  # collaborative candidates per page when the model chose none
DEFAULT_PRIORS = {"like": 0.05, "completion": 0.4}  # rates before a model was trained
CATEGORY_CAP = 30
CATEGORY_DECAY = 0.97  # per event: a category's weight halves after ~23 events without it
ARM_CAP = 60.0  # a+b of an arm's Beta posterior is kept below this, so the share keeps adapting
POSITIVE_KINDS = {"like", "comment", "share", "favourite", "follow", "replay"}
NEGATIVE_KINDS = {"skip", "not_interested", "unlike"}


def event_weight(kind: str, completion: float, weights: dict) -> float:
    """Signed strength of one engagement event. A watch counts by completion: finishing is a
    full positive, leaving before 40% is a mild negative."""
    base = float(weights.get(kind, 0.0))
    if kind == "watch":
        return base * (min(max(completion, 0.0), 1.0) - 0.4) / 0.6
    return base


def new_profile_state() -> dict:
    return {
        "category_weights": {},
        "recent": [],
        "explore_alpha": 1.0,
        "explore_beta": 1.0,
        "ranked_alpha": 1.0,
        "ranked_beta": 1.0,
    }


def arm_outcome(kind: str, completion: float) -> int | None:
    """1 if the viewer engaged with the shown video, 0 if they turned it down, None if the event
    says neither (impressions, plays, half-watched)."""
    if kind in POSITIVE_KINDS or (kind == "watch" and completion >= 0.8):
        return 1
    if kind in NEGATIVE_KINDS or (kind == "watch" and completion < 0.3):
        return 0
    return None


def profile_apply(state: dict, *, video_id: int, category_ids, kind: str, completion: float, slot: str, params: dict):
    """Fold one event into a profile state (the dict form of ViewerProfile) in place."""
    weight = event_weight(kind, completion, params["interaction_weights"])
    if weight:
        cats = state["category_weights"]
        for key in list(cats):
            cats[key] *= CATEGORY_DECAY
        for cid in category_ids:
            key = str(cid)
            cats[key] = cats.get(key, 0.0) + weight
        if len(cats) > CATEGORY_CAP:
            keep = sorted(cats.items(), key=lambda kv: -abs(kv[1]))[:CATEGORY_CAP]
            state["category_weights"] = dict(keep)
        recent = state["recent"]
        previous = 0.0
        for i, (vid, w) in enumerate(recent):
            if vid == video_id:
                previous = w
                del recent[i]
                break
        recent.insert(0, [int(video_id), round(previous + weight, 4)])
        del recent[RECENT_CAP:]
    outcome = arm_outcome(kind, completion)
    if outcome is not None and slot:
        arm = "explore" if slot == "explore" else "ranked"
        _arm_set(state, arm, state[f"{arm}_alpha"] + outcome, state[f"{arm}_beta"] + (1 - outcome))
    return state


def _arm_set(state: dict, arm: str, a: float, b: float) -> None:
    """Store an arm's Beta posterior, scaled down to keep a + b under ARM_CAP."""
    if a + b > ARM_CAP:
        scale = ARM_CAP / (a + b)
        a, b = max(a * scale, 0.5), max(b * scale, 0.5)
    state[f"{arm}_alpha"], state[f"{arm}_beta"] = a, b


def profile_merge(state: dict, other: dict) -> dict:
    """Fold `other` (what a browser did while signed out) into `state` (the account's profile),
    in place. Category weights add up. The other's recent anchors come first, since they are
    the newest. Each arm keeps the outcomes both saw, with the 1/1 prior counted once."""
    cats = state["category_weights"]
    for key, weight in other["category_weights"].items():
        cats[key] = cats.get(key, 0.0) + weight
    if len(cats) > CATEGORY_CAP:
        state["category_weights"] = dict(sorted(cats.items(), key=lambda kv: -abs(kv[1]))[:CATEGORY_CAP])
    merged: dict[int, float] = {}
    for vid, weight in [*other["recent"], *state["recent"]]:
        merged[int(vid)] = round(merged.get(int(vid), 0.0) + weight, 4)
    state["recent"] = [[vid, weight] for vid, weight in merged.items()][:RECENT_CAP]
    for arm in ("explore", "ranked"):
        _arm_set(
            state,
            arm,
            state[f"{arm}_alpha"] + other[f"{arm}_alpha"] - 1.0,
            state[f"{arm}_beta"] + other[f"{arm}_beta"] - 1.0,
        )
    return state


def anchors(recent, half_life: float, count: int = DEFAULT_ANCHORS, power: float = 1.0):
    """Profile anchors as (video ids, weights): the newest `count`, newer events counting more
    (half_life = inf: all alike). Each anchor's summed event weight w counts as sign(w)·|w|^power:
    power 1 keeps the sums, 0 counts every engaged video alike."""
    recent = recent[:count]
    if not recent:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    ids = np.fromiter((r[0] for r in recent), dtype=np.int64, count=len(recent))
    w = np.fromiter((r[1] for r in recent), dtype=np.float64, count=len(recent))
    if power != 1.0:
        w = np.sign(w) * np.abs(w) ** power
    return ids, w * 0.5 ** (np.arange(len(recent)) / half_life)


def profile_anchors(recent, params: dict):
    """`anchors` read the way `params` (from model_params) say."""
    return anchors(
        recent,
        params["history_half_life"],
        params.get("anchor_count", DEFAULT_ANCHORS),
        params.get("anchor_power", 1.0),
    )


def model_params(model, params: dict) -> dict:
    """The settings with what the active model's training chose on validation: how many of a
    profile's anchors count, their recency half-life, how their weights count and how many
    collaborative candidates a page scores. Without a
    model (or a model from before these were chosen), the settings' half-life, DEFAULT_ANCHORS
    and the summed weights."""
    out = {**params, "anchor_count": DEFAULT_ANCHORS, "anchor_power": 1.0}
    out["collab_candidates"] = DEFAULT_COLLAB_CANDIDATES
    if model is not None and "collab_candidates" in model.arrays:
        out["collab_candidates"] = int(model.arrays["collab_candidates"])
    if model is not None and "anchor_count" in model.arrays:
        out["anchor_count"] = int(model.arrays["anchor_count"])
        out["history_half_life"] = float(model.arrays["anchor_half_life"])
    if model is not None and "anchor_power" in model.arrays:
        out["anchor_power"] = float(model.arrays["anchor_power"])
    return out


def model_priors(model) -> dict:
    """The catalogue's like and completion rates, as the nightly training measured them."""
    priors = dict(DEFAULT_PRIORS)
    if model is not None:
        for key in ("like", "completion"):
            if f"prior_{key}" in model.arrays:
                priors[key] = float(model.arrays[f"prior_{key}"])
    return priors


def neighbour_scores(anchor_pos, anchor_w, indptr, indices, sims):
    """Sum of anchor weight × similarity over the anchors' top-k neighbour lists.
    Returns (positions, scores) without densifying over the catalogue."""
    if len(anchor_pos) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    starts, ends = indptr[anchor_pos], indptr[anchor_pos + 1]
    lengths = ends - starts
    if lengths.sum() == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    take = np.repeat(starts - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(lengths.sum())
    pos = indices[take]
    contrib = sims[take] * np.repeat(anchor_w, lengths)
    span = int(pos.max()) + 1
    if len(pos) * 8 > span:  # many entries: a dense sum over the positions beats sorting them
        total = np.bincount(pos, weights=contrib, minlength=span)
        hit = np.bincount(pos, minlength=span) > 0
        uniq = np.flatnonzero(hit)
        return uniq, total[uniq]
    uniq, inverse = np.unique(pos, return_inverse=True)
    return uniq, np.bincount(inverse, weights=contrib)


def category_matrix(candidate_categories: list, category_ids: np.ndarray, idf: np.ndarray):
    """Rows: each candidate's IDF-weighted, L2-normalised category vector (sparse)."""
    n = len(candidate_categories)
    rows = np.fromiter((i for i, cats in enumerate(candidate_categories) for _ in cats), dtype=np.int64)
    cats = np.fromiter((c for cats in candidate_categories for c in cats), dtype=np.int64, count=len(rows))
    cols = np.searchsorted(category_ids, cats)
    known = cols < len(category_ids)
    known[known] = category_ids[cols[known]] == cats[known]
    rows, cols = rows[known], cols[known]
    vals = np.asarray(idf, dtype=float)[cols]
    norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=n))
    norms[norms == 0] = 1.0
    return sp.csr_matrix((vals / norms[rows], (rows, cols)), shape=(n, len(category_ids)))


def category_cosine(profile_weights: dict, cat_matrix, category_ids: np.ndarray) -> np.ndarray:
    """Cosine between the viewer's positive category weights and each candidate's row."""
    vec = np.zeros(len(category_ids))
    for key, weight in profile_weights.items():
        if weight <= 0:
            continue
        j = int(np.searchsorted(category_ids, int(key)))
        if j < len(category_ids) and category_ids[j] == int(key):
            vec[j] = weight
    norm = np.linalg.norm(vec)
    if not norm:
        return np.zeros(cat_matrix.shape[0])
    return cat_matrix @ (vec / norm)


def smoothed_rate(successes, trials, prior_rate: float, prior_strength: float = 20.0):
    """Rate pulled toward the catalogue mean, so 1 like out of 1 view does not outrank 900 of 1,000."""
    return (np.asarray(successes, dtype=float) + prior_rate * prior_strength) / (
        np.asarray(trials, dtype=float) + prior_strength
    )


def blend(*, collab, content, quality, fresh, pop, params: dict) -> np.ndarray:
    """The documented blend. Collaborative scores are divided by the viewer's best candidate
    score, so the weights compare like with like across viewers; the other signals are in [0, 1]."""
    collab = np.asarray(collab, dtype=float)
    top = collab.max() if collab.size else 0.0
    collab_n = collab / top if top > 0 else collab * 0.0
    return (
        params["w_collab"] * collab_n
        + params["w_content"] * np.asarray(content)
        + params["w_quality"] * np.asarray(quality)
        + params["w_fresh"] * np.asarray(fresh)
        + params["w_pop"] * np.asarray(pop)
    )


def freshness(age_days, half_life_days: float) -> np.ndarray:
    return 0.5 ** (np.maximum(np.asarray(age_days, dtype=float), 0.0) / half_life_days)


def original_formula(*, category_similarity, engagement) -> np.ndarray:
    """The original project's ranking: 0.7 × category TF-IDF cosine to the viewer's top-3
    categories + 0.3 × min-max scaled engagement."""
    eng = np.asarray(engagement, dtype=float)
    span = eng.max() - eng.min() if eng.size else 0.0
    eng_n = (eng - eng.min()) / span if span > 0 else eng * 0.0
    return 0.7 * np.asarray(category_similarity) + 0.3 * eng_n


def exploration_share(state: dict, params: dict, rng) -> float:
    """This page's exploration share: Thompson draws from the explore and ranked arms' Beta
    posteriors of "engaged" scale the default share, clipped to the set bounds. A viewer who skips explored
    videos drives the explore arm down and the share toward the lower bound."""
    e = rng.beta(state["explore_alpha"], state["explore_beta"])
    r = rng.beta(state["ranked_alpha"], state["ranked_beta"])
    return share_from_rates(e, r, params)


def share_from_rates(explore_rate: float, ranked_rate: float, params: dict) -> float:
    """Default share × (explore rate / ranked rate)²: equal arms keep the default; an arm twice
    as engaging as the other quadruples (or quarters) it, within the bounds."""
    ratio = explore_rate / max(ranked_rate, 1e-6)
    return float(np.clip(params["explore_default"] * ratio**2, params["explore_min"], params["explore_max"]))


def expected_exploration_share(state: dict, params: dict) -> float:
    """The share at the posterior means (what a viewer gets on average)."""
    e = state["explore_alpha"] / (state["explore_alpha"] + state["explore_beta"])
    r = state["ranked_alpha"] / (state["ranked_alpha"] + state["ranked_beta"])
    return share_from_rates(e, r, params)


def explore_draws(
    *, likes, completions_sum, plays, impressions, prior_like, prior_completion, rng, relative: bool = False
) -> np.ndarray:
    """Thompson draws for low-impression videos: a sample of the completion rate plus a sample
    of the like rate, each from its Beta posterior (a weak prior at the catalogue mean). With
    `relative`, each draw over its posterior mean: about 1 for a well-measured video, spread
    wide for one few people have seen (the optimism that gets it tried)."""
    plays = np.asarray(plays, dtype=float)
    impressions = np.asarray(impressions, dtype=float)
    comp = np.clip(np.asarray(completions_sum, dtype=float), 0, None)
    likes = np.asarray(likes, dtype=float)
    strength = 2.0
    c_a = 1e-3 + prior_completion * strength + comp
    c_b = 1e-3 + (1 - prior_completion) * strength + np.maximum(plays - comp, 0)
    seen = np.maximum(impressions, likes)
    l_a = 1e-3 + prior_like * strength + likes
    l_b = 1e-3 + (1 - prior_like) * strength + np.maximum(seen - likes, 0)
    draws = rng.beta(c_a, c_b) + rng.beta(l_a, l_b)
    if relative:
        return draws / (c_a / (c_a + c_b) + l_a / (l_a + l_b))
    return draws


def fit_to_viewer(scores, which) -> np.ndarray:
    """How well candidates `which` fit the viewer, in [0, 1]: their blend score over the best
    candidate's (all alike when no candidate scores above zero)."""
    scores = np.asarray(scores, dtype=float)
    top = scores.max() if scores.size else 0.0
    if top <= 0:
        return np.ones(len(which))
    return np.clip(scores[which], 0.0, None) / top


def score_for_profile(
    *, model, positions, cat_matrix, category_ids, counters, age_days, state: dict, params: dict, priors
):
    """Blend scores for candidates (model positions, -1 where the model does not know the
    video) and the per-signal parts, used for the "why" reason. `model` may be None (no
    training yet): then only content, quality, freshness and live popularity count."""
    n = len(positions)
    collab = np.zeros(n)
    text = np.zeros(n)
    pop = np.zeros(n)
    anchor_ids, anchor_w = profile_anchors(state["recent"], params)
    if model is not None and n:
        known = positions >= 0
        pop[known] = model.arrays["pop"][positions[known]]
        a_pos = model.positions(anchor_ids)
        ok = a_pos >= 0
        nbr_pos, nbr_score = neighbour_scores(
            a_pos[ok], anchor_w[ok], model.arrays["nbr_indptr"], model.arrays["nbr_idx"], model.arrays["nbr_sim"]
        )
        collab = lookup(nbr_pos, nbr_score, positions)
        text_ids = model.arrays.get("text_video_ids")
        if text_ids is not None and len(text_ids):
            t_pos, t_score = text_neighbour_scores(model, anchor_ids, anchor_w)
            text = lookup(t_pos, t_score, text_positions(model, counters["ids"]))
    cat_sim = category_cosine(state["category_weights"], cat_matrix, category_ids)
    text_top = text.max() if n and text.max() > 0 else 0.0
    content = np.clip(cat_sim + 0.5 * (text / text_top if text_top else 0.0), 0.0, 1.0)
    like_rate = smoothed_rate(counters["likes"], np.maximum(counters["impressions"], counters["likes"]), priors["like"])
    completion = smoothed_rate(counters["completion_sum"], np.maximum(counters["plays"], 0), priors["completion"])
    quality = 0.5 * like_rate / max(priors["like"] * 2, 1e-6) + 0.5 * completion
    quality = np.clip(quality, 0.0, 1.0)
    fresh = freshness(age_days, params["fresh_half_life_days"]) if age_days is not None else np.zeros(n)
    parts = {"collab": collab, "content": content, "quality": quality, "fresh": fresh, "pop": pop, "text": text}
    return blend(collab=collab, content=content, quality=quality, fresh=fresh, pop=pop, params=params), parts


def lookup(keys, values, wanted) -> np.ndarray:
    """values[keys == w] for each w in wanted (0 where absent); keys sorted ascending."""
    wanted = np.asarray(wanted, dtype=np.int64)
    out = np.zeros(len(wanted))
    if not len(keys) or not len(wanted):
        return out
    idx = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    hit = (keys[idx] == wanted) & (wanted >= 0)
    out[hit] = values[idx[hit]]
    return out


def text_positions(model, video_ids):
    ids = model.arrays["text_video_ids"]
    order = model.arrays.get("_text_order")
    if order is None:
        order = np.argsort(ids)
        model.arrays["_text_order"] = order
    sorted_ids = ids[order]
    video_ids = np.asarray(video_ids, dtype=np.int64)
    if not len(sorted_ids):
        return np.full(len(video_ids), -1)
    idx = np.minimum(np.searchsorted(sorted_ids, video_ids), len(sorted_ids) - 1)
    return np.where(sorted_ids[idx] == video_ids, order[idx], -1)


def text_neighbour_scores(model, anchor_ids, anchor_w):
    a = text_positions(model, anchor_ids)
    ok = a >= 0
    return neighbour_scores(
        a[ok], anchor_w[ok], model.arrays["text_indptr"], model.arrays["text_idx"], model.arrays["text_sim"]
    )
