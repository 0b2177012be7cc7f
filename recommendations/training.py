"""Nightly training, as pure array code: weighted, time-decayed interactions in; sparse top-k
item neighbour lists, decayed popularity and candidate pools out.

Neighbour weights come from two sources. The most engaged videos (the head, as many as
`learned_head` allows) get learned item-item weights: EASE, a closed-form ridge regression on
the head's Gram matrix (Steck, WWW 2019). Every other video keeps shrunk cosine co-engagement,
computed in blocks of items and cut to the top k per row before the next block, so no
catalogue-by-catalogue matrix is ever built. The regularisation, the head size, k, the number of
profile anchors and their recency weighting are chosen on a validation carve of the training
interactions (each sampled viewer's latest positive, or a seeded random one when times carry no
order)."""

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

HISTORY_CAP = 50  # most recent positive items per user used for co-engagement
BLOCK_PAIRS = 8_000_000  # co-engagement products per block (bounds peak memory)
SHRINK = 10.0  # damps similarities resting on few shared users
TRENDING_SIZE = 500
CATEGORY_TOP = 200
# Learned weights and their model selection.
LAMBDA_START = 400.0  # first regularisation tried; the search moves by factors of 4, then 2
LAMBDA_STEPS = 5  # at most this many steps of the search in one direction
SEARCH_HEAD = 1000  # the regularisation is chosen on (at most) this many head videos
MIN_HEAD = 100  # a smaller head is not tried below this
LEARN_HISTORY_CAP = 1000  # most recent positives per user in the head's Gram matrix
NEIGHBOUR_ENTRIES = 50_000_000  # bounds the neighbour arrays: k × videos (8 bytes an entry)
K_CHOICES = (50, 100, 200, 400)
ANCHOR_CHOICES = (10, 25, 50, 100, 200, 500)
ANCHOR_ENTRIES = 200_000  # anchors × k: the neighbour entries one feed page sums
ANCHOR_POWERS = (1.0, 0.5, 0.0)  # anchor weight = summed event weight ** power (0: all alike)
HALF_LIFE_CHOICES = (1.0, 2.5, 5.0, 10.0, 20.0, 40.0, np.inf)  # inf: no recency weighting
TAIL_SCALES = (0.5, 1.0, 2.0)  # cosine weight against learned weight, × their typical ratio
VALIDATION_USERS = 2000  # viewers sampled for the validation carve
MIN_VALIDATION_USERS = 20  # fewer eligible viewers: no selection, the defaults below
DEFAULT_CHOICE = {"lambda": LAMBDA_START, "k": 50, "anchors": 50, "candidates": 500}
# Collaborative candidates per feed page: the fewest that hold (nearly) as many validation
# held-out videos as the most would. Each costs the page a row read and its scoring: with 2,000
# the feed's p99 at 100k videos was 86 ms (bench_feed, SQLite), over its 50 ms target.
CANDIDATE_CHOICES = (500, 1000)
CANDIDATE_SLACK = 0.01  # recall given up for a smaller pool


def topk_rows(matrix: sp.csr_matrix, k: int, descending: bool = False):
    """Keep the k largest entries of each row of a CSR matrix (vectorised); within a row in
    column order, or with `descending` in descending order of value."""
    matrix.sum_duplicates()
    counts = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    n = len(matrix.data)
    # The order of np.lexsort((-data, rows)), 1.6 times faster at 30 million entries: one stable
    # sort by value, then one sort of a unique integer key with the row as its major part.
    by_value = np.argsort(-matrix.data, kind="stable")
    value_rank = np.empty(n, dtype=np.int64)
    value_rank[by_value] = np.arange(n)
    order = np.argsort(rows.astype(np.int64) * max(n, 1) + value_rank)
    rank = np.arange(n) - matrix.indptr[rows[order]]
    keep = order[rank < k]
    if not descending:
        keep.sort()  # keeps CSR row order; within a row, column order
    new_rows = rows[keep]
    indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(new_rows, minlength=matrix.shape[0]), out=indptr[1:])
    return indptr, matrix.indices[keep].astype(np.int32), matrix.data[keep].astype(np.float32)


def aggregate(users, items, weights, times, n_items, raw=None):
    """Sum event weights per (user, item); the latest time per pair orders each user's history.
    With `raw` (the same events' weights without time decay), its per-pair sums come fifth.
    Sort-and-reduce rather than unique/ufunc.at: less memory and several times faster at 10M rows."""
    key = users.astype(np.int64) * n_items + items
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)

    def summed(values):
        return np.add.reduceat(np.asarray(values, dtype=np.float64)[order], starts) if len(key) else np.zeros(0)

    total = summed(weights)
    latest = np.maximum.reduceat(np.asarray(times, dtype=np.float64)[order], starts) if len(key) else np.zeros(0)
    uniq = key[starts]
    out = (uniq // n_items).astype(np.int64), (uniq % n_items).astype(np.int64), total, latest
    return out if raw is None else (*out, summed(raw))


def co_engagement_neighbours(pair_users, pair_items, n_users, n_items, k: int):
    """Item-item cosine over users who engaged positively (binary), shrunk, top-k per item, each
    row in descending order."""
    x = sp.csr_matrix((np.ones(len(pair_users), dtype=np.float32), (pair_users, pair_items)), shape=(n_users, n_items))
    xt = x.T.tocsr()
    counts = np.diff(xt.indptr).astype(np.float64)
    user_deg = np.diff(x.indptr).astype(np.float64)
    # Cost of row i of xt @ x is the sum of the degrees of its users; cut blocks by that cost.
    row_cost = np.zeros(n_items)
    if len(pair_items):
        row_cost = np.bincount(pair_items, weights=user_deg[pair_users], minlength=n_items)
    cum = np.cumsum(row_cost)
    indptr_parts, idx_parts, sim_parts = [np.zeros(1, dtype=np.int64)], [], []
    offset = 0
    start = 0
    while start < n_items:
        base = cum[start - 1] if start else 0.0
        end = int(np.searchsorted(cum, base + BLOCK_PAIRS, side="right"))
        end = min(max(end, start + 1), n_items)
        block = (xt[start:end] @ x).tocsr()
        block.sum_duplicates()
        rows = np.repeat(np.arange(start, end), np.diff(block.indptr))
        cols = block.indices
        block.data = block.data / (np.sqrt(counts[rows] * counts[cols]) + SHRINK)
        block.data[cols == rows] = 0.0
        block.eliminate_zeros()
        indptr, idx, sims = topk_rows(block, k, descending=True)
        indptr_parts.append(indptr[1:] + offset)
        offset += len(idx)
        idx_parts.append(idx)
        sim_parts.append(sims)
        start = end
    return (
        np.concatenate(indptr_parts),
        np.concatenate(idx_parts) if idx_parts else np.zeros(0, np.int32),
        np.concatenate(sim_parts) if sim_parts else np.zeros(0, np.float32),
    )


# --- Learned item-item weights ---------------------------------------------------------------


def ease_weights(gram, lam: float) -> np.ndarray:
    """EASE's closed form: P = (G + λI)⁻¹ and B = I − P·diag(1/diag(P)), so B_ij = −P_ij / P_jj
    with a zero diagonal. Row i holds what item i, as one of the viewer's anchors, adds to the
    score of each item j. Float32 and a Cholesky inverse in place: one H × H matrix at a time
    beside the Gram matrix (4·H² bytes each)."""
    p = np.array(gram, dtype=np.float32)  # a copy: the caller's Gram matrix is reused for other λ
    n = p.shape[0]
    if n == 0:
        return p
    p[np.diag_indices(n)] += np.float32(lam)
    # The matrix is symmetric, so its transpose (a Fortran-ordered view) is the same matrix and
    # LAPACK can work in place; only one triangle of the inverse is written.
    chol, info = sla.lapack.spotrf(p.T, lower=1, overwrite_a=1, clean=0)
    if info == 0:
        inv, info = sla.lapack.spotri(chol, lower=1, overwrite_c=1)
    if info != 0:  # float32 lost positive definiteness (a tiny λ): do it in double precision
        g = np.array(gram, dtype=np.float64)
        g[np.diag_indices(n)] += lam
        inv = np.linalg.inv(g).astype(np.float32)
    else:
        _symmetrise_lower(inv)
    diag = np.diag(inv).copy()
    np.divide(inv, -diag, out=inv)  # column j divided by −P_jj
    inv[np.diag_indices(n)] = 0.0
    return inv


def _symmetrise_lower(m: np.ndarray, block: int = 1024) -> None:
    """Copy the lower triangle of a square matrix onto its upper one, in blocks (no n² index
    arrays)."""
    n = m.shape[0]
    for start in range(0, n, block):
        end = min(start + block, n)
        square = m[start:end, start:end]
        square[...] = np.tril(square) + np.tril(square, -1).T
        if end < n:
            m[start:end, end:] = m[end:, start:end].T


def dense_topk(b: np.ndarray, k: int, block: int = 1024):
    """The k entries of largest magnitude of each row of a dense matrix (negative weights count:
    an anchor can speak against a video), as CSR arrays with each row in descending order of
    magnitude; zeros are dropped."""
    n, m = b.shape
    k = max(min(k, m - 1), 1)
    ptr, idx_parts, val_parts = [np.zeros(1, dtype=np.int64)], [], []
    for start in range(0, n, block):
        rows = b[start : start + block]
        size = np.abs(rows)
        part = np.argpartition(-size, k - 1, axis=1)[:, :k] if k < m else np.argsort(-size, axis=1)
        vals = np.take_along_axis(rows, part, axis=1)
        order = np.argsort(-np.abs(vals), axis=1, kind="stable")
        part, vals = np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)
        keep = vals != 0
        idx_parts.append(part[keep].astype(np.int32))
        val_parts.append(vals[keep].astype(np.float32))
        ptr.append(ptr[-1][-1] + np.cumsum(keep.sum(axis=1)))
    return np.concatenate(ptr), np.concatenate(idx_parts), np.concatenate(val_parts)


def first_k(indptr, idx, val, k: int):
    """The first k entries of each row (the k largest, for rows in descending order of
    magnitude)."""
    lengths = np.diff(indptr)
    if not len(lengths) or lengths.max() <= k:
        return indptr, idx, val
    keep = (np.arange(len(idx)) - np.repeat(indptr[:-1], lengths)) < k
    new_ptr = np.zeros(len(indptr), dtype=np.int64)
    np.cumsum(np.minimum(lengths, k), out=new_ptr[1:])
    return new_ptr, idx[keep], val[keep]


def head_gram(pair_users, pair_items, head: np.ndarray, n_items: int) -> np.ndarray:
    """Gram matrix (co-engagement counts) of the head videos over binary positive pairs, dense
    float32, in head order."""
    rank = np.full(n_items, -1, dtype=np.int64)
    rank[head] = np.arange(len(head))
    cols = rank[pair_items]
    ok = cols >= 0
    users, cols = pair_users[ok], cols[ok]
    if not len(users):
        return np.zeros((len(head), len(head)), dtype=np.float32)
    uniq, rows = np.unique(users, return_inverse=True)
    x = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(uniq), len(head)))
    return (x.T @ x).toarray().astype(np.float32, copy=False)


def learned_rows(gram: np.ndarray, head: np.ndarray, lam: float, k: int):
    """EASE on the head's Gram matrix, top k of each row, in catalogue positions: (indptr over
    the head in head order, neighbour positions, weights)."""
    ptr, idx, val = dense_topk(ease_weights(gram, lam), k)
    return ptr, head[idx].astype(np.int32), val


def merge_rows(cos_ptr, cos_idx, cos_val, head, learned, scale: float, k: int):
    """One neighbour list per video: a head video's learned row plus its cosine neighbours
    outside the head; every other video keeps its cosine row. Cosine weights are multiplied by
    `scale` so the two kinds compare; each row keeps its k entries of largest magnitude. Rows
    come out in descending order of magnitude when the cosine rows go in that way."""
    n = len(cos_ptr) - 1
    in_head = np.zeros(n, dtype=bool)
    in_head[head] = True
    l_ptr, l_idx, l_val = learned
    scale = np.float32(scale)
    lengths = np.diff(cos_ptr).astype(np.int64)
    pieces_idx, pieces_val = [], []
    previous = 0
    for h in np.argsort(head, kind="stable"):
        row = int(head[h])
        lo, hi = cos_ptr[previous], cos_ptr[row]
        pieces_idx.append(cos_idx[lo:hi])
        pieces_val.append(cos_val[lo:hi] * scale)
        c_idx, c_val = cos_idx[cos_ptr[row] : cos_ptr[row + 1]], cos_val[cos_ptr[row] : cos_ptr[row + 1]]
        outside = ~in_head[c_idx]
        idx = np.concatenate([l_idx[l_ptr[h] : l_ptr[h + 1]], c_idx[outside]])
        val = np.concatenate([l_val[l_ptr[h] : l_ptr[h + 1]], c_val[outside] * scale])
        if len(idx) > k:
            top = np.argpartition(-np.abs(val), k - 1)[:k]
            idx, val = idx[top], val[top]
        order = np.argsort(-np.abs(val), kind="stable")
        pieces_idx.append(idx[order].astype(np.int32))
        pieces_val.append(val[order].astype(np.float32))
        lengths[row] = len(idx)
        previous = row + 1
    pieces_idx.append(cos_idx[cos_ptr[previous] :])
    pieces_val.append(cos_val[cos_ptr[previous] :] * scale)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return indptr, np.concatenate(pieces_idx).astype(np.int32), np.concatenate(pieces_val).astype(np.float32)


def validation_carve(pu, pi, latest, n_users: int, *, ordered: bool, seed: int = 0):
    """Hold out one positive pair for up to VALIDATION_USERS sampled viewers with at least three:
    the latest one, or a seeded random one when `ordered` is False (times that are only file
    order). `pu` is sorted. Returns (held-out pair indices, sampled viewers), both sorted."""
    rng = np.random.default_rng(seed)
    counts = np.bincount(pu, minlength=n_users)
    users = np.flatnonzero(counts >= 3)
    if len(users) > VALIDATION_USERS:
        users = np.sort(rng.choice(users, VALIDATION_USERS, replace=False))
    if not len(users):
        return np.zeros(0, dtype=np.int64), users
    key = latest if ordered else rng.random(len(pu))
    order = np.lexsort((np.arange(len(pu)), key, pu))  # per user ascending; the last one is held out
    ends = np.searchsorted(pu, users, side="right")
    return np.sort(order[ends - 1]), users


class Validation:
    """Scores a neighbour structure the way the feed uses it: each validation viewer's anchors
    (newest first, `anchors` of them, weight^power × 0.5^(position / half-life)) summed over the
    anchors' neighbour lists; NDCG@10 of the held-out video among everything the viewer has not
    engaged with (ties count half above; an unreached video is a miss)."""

    def __init__(self, pu, pi, weight, latest, held, users, n_items):
        self.n_items = n_items
        self.n_users = len(users)
        local = np.full(int(pu.max()) + 1 if len(pu) else 0, -1, dtype=np.int64)
        local[users] = np.arange(len(users))
        lu = local[pu]
        mine = lu >= 0
        held_mask = np.zeros(len(pu), dtype=bool)
        held_mask[held] = True
        self.target = np.full(len(users), -1, dtype=np.int64)
        self.target[lu[held]] = pi[held]
        rest = mine & ~held_mask
        u, i, w, t = lu[rest], pi[rest], weight[rest], latest[rest]
        self.seen = np.unique(u * n_items + i)
        order = np.lexsort((-t, u))  # newest first within each viewer
        self.u, self.i, self.w = u[order], i[order], w[order]
        starts = np.searchsorted(self.u, self.u, side="left")
        self.position = np.arange(len(self.u)) - starts

    def _scores(self, indptr, idx, val, anchors: int, half_life: float, power: float):
        keep = (self.position < anchors) & (self.w > 0)
        weight = (self.w[keep] ** power * 0.5 ** (self.position[keep] / half_life)).astype(np.float32)
        a = sp.csr_matrix((weight, (self.u[keep], self.i[keep])), shape=(self.n_users, self.n_items))
        nbrs = sp.csr_matrix((val.astype(np.float32, copy=False), idx, indptr), shape=(self.n_items, self.n_items))
        return (a @ nbrs).tocsr()  # one entry per (viewer, video): no duplicates to sum

    def candidate_ranks(self, indptr, idx, val, anchors: int, half_life: float, power: float = 1.0) -> np.ndarray:
        """Each validation viewer's held-out video's rank among the videos the feed's
        collaborative pool would draw from (positive summed weight, not engaged with before);
        infinity where it is not among them."""
        s = self._scores(indptr, idx, val, anchors, half_life, power)
        rows = np.repeat(np.arange(self.n_users), np.diff(s.indptr))
        key = rows * self.n_items + s.indices
        at = np.minimum(np.searchsorted(self.seen, key), max(len(self.seen) - 1, 0))
        fresh = (self.seen[at] != key) if len(self.seen) else np.ones(len(key), dtype=bool)
        live = fresh & (s.data > 0)
        is_target = live & (s.indices == self.target[rows])
        t_score = np.full(self.n_users, np.inf)
        t_score[rows[is_target]] = s.data[is_target]
        above = np.bincount(rows[live], weights=s.data[live] > t_score[rows[live]], minlength=self.n_users)
        return np.where(np.isfinite(t_score), 1 + above, np.inf)

    def ndcg(self, indptr, idx, val, anchors: int, half_life: float, power: float = 1.0) -> float:
        s = self._scores(indptr, idx, val, anchors, half_life, power)
        rows = np.repeat(np.arange(self.n_users), np.diff(s.indptr))
        is_target = s.indices == self.target[rows]
        t_score = np.bincount(rows[is_target], weights=s.data[is_target], minlength=self.n_users)
        # Only entries at or above the target's score can move its rank; only those are checked
        # against what the viewer already engaged with (left out of the ranking).
        near = np.flatnonzero((s.data >= t_score[rows]) & (t_score[rows] > 0) & ~is_target)
        r, key = rows[near], rows[near] * self.n_items + s.indices[near]
        at = np.minimum(np.searchsorted(self.seen, key), max(len(self.seen) - 1, 0))
        fresh = self.seen[at] != key if len(self.seen) else np.ones(len(key), dtype=bool)
        r, value = r[fresh], s.data[near][fresh]
        greater = np.bincount(r, weights=value > t_score[r], minlength=self.n_users)
        equal = np.bincount(r, weights=value == t_score[r], minlength=self.n_users)
        rank = 1 + greater + equal / 2
        hit = (t_score > 0) & (rank <= 10)
        return float(np.sum(np.where(hit, 1.0 / np.log2(rank + 1), 0.0)) / max(self.n_users, 1))


def learn_neighbours(pu, pi, latest, anchor_weight, n_users: int, n_items: int, params: dict, *, ordered: bool):
    """The neighbour lists the feed reads, and the choices made for them on validation.

    `pu, pi, latest` are the positive (viewer, video) pairs (sorted by viewer) with the time of
    their latest event, `anchor_weight` their summed event weights without time decay (what a
    live profile holds). Cosine co-engagement is computed once, on the training part of the
    carve, and kept for the tail; the learned weights are refitted on all pairs with the chosen
    regularisation and head."""
    held, users = validation_carve(pu, pi, latest, n_users, ordered=ordered)
    select = len(users) >= MIN_VALIDATION_USERS
    train = np.ones(len(pu), dtype=bool)
    if select:
        train[held] = False
    k_max = max(1, min(int(params["neighbours"]), NEIGHBOUR_ENTRIES // max(n_items, 1)))
    k_choices = [k for k in K_CHOICES if k < k_max] + [k_max]
    tu, ti, tl = pu[train], pi[train], latest[train]
    order = np.lexsort((-tl, tu))
    starts = np.searchsorted(tu[order], tu[order], side="left")
    rank = np.empty(len(tu), dtype=np.int64)
    rank[order] = np.arange(len(tu)) - starts
    cos = co_engagement_neighbours(tu[rank < HISTORY_CAP], ti[rank < HISTORY_CAP], n_users, n_items, k_max)
    counts = np.bincount(ti, minlength=n_items)
    engaged = int((counts > 0).sum())
    head_max = min(int(params["learned_head"]), engaged)
    head_all = np.argsort(-counts, kind="stable")[:head_max].astype(np.int64)
    recent_train = rank < LEARN_HISTORY_CAP
    grams: dict[int, np.ndarray] = {}
    fits: dict[tuple, tuple] = {}

    def fitted(lam, head_n):
        if (lam, head_n) not in fits:
            if head_n not in grams:
                grams.clear()  # one Gram matrix in memory at a time
                grams[head_n] = head_gram(tu[recent_train], ti[recent_train], head_all[:head_n], n_items)
            fits[(lam, head_n)] = learned_rows(grams[head_n], head_all[:head_n], lam, k_max)
        return fits[(lam, head_n)]

    c_ptr, c_val = cos[0], cos[2]
    c_len = np.diff(c_ptr)
    cos_max = np.zeros(n_items, dtype=np.float32)
    if len(c_val):
        has = c_len > 0
        cos_max[has] = c_val[c_ptr[:-1][has]]  # rows are in descending order

    def ratio(learned, head):
        """Typical strongest learned weight over typical strongest cosine, on the head's rows."""
        l_ptr, _, l_val = learned
        l_max = np.zeros(len(head), dtype=np.float32)
        has = np.diff(l_ptr) > 0
        if has.any():
            l_max[has] = np.maximum.reduceat(l_val, l_ptr[:-1][has])
        both = (l_max > 0) & (cos_max[head] > 0)
        if not both.any():
            return 1.0
        return float(np.median(l_max[both]) / max(float(np.median(cos_max[head[both]])), 1e-9))

    choice = {
        "candidates": DEFAULT_CHOICE["candidates"],
        "candidate_recall": 0.0,
        "lambda": DEFAULT_CHOICE["lambda"],
        "head": head_max,
        "k": min(DEFAULT_CHOICE["k"], k_max),
        "anchors": DEFAULT_CHOICE["anchors"],
        "half_life": float(params["history_half_life"]),
        "power": 1.0,
        "tail_scale": 1.0,
    }
    best = 0.0
    if select and head_max > 0:
        val = Validation(pu, pi, anchor_weight, latest, held, users, n_items)
        scored: dict[tuple, float] = {}
        last: dict[tuple, tuple] = {}  # the latest merged lists (rescoring anchors reuses them)

        def score(**change):
            c = {**choice, **change}
            key = tuple(sorted(c.items()))
            if key not in scored:
                structure = (c["lambda"], c["head"], c["tail_scale"])
                if structure not in last:
                    head = head_all[: c["head"]]
                    learned = fitted(c["lambda"], c["head"])
                    last.clear()
                    last[structure] = merge_rows(*cos, head, learned, c["tail_scale"] * ratio(learned, head), k_max)
                scored[key] = val.ndcg(*first_k(*last[structure], c["k"]), c["anchors"], c["half_life"], c["power"])
            return scored[key]

        def try_values(name, values):
            nonlocal best
            for value in values:
                s = score(**{name: value})
                if s > best:
                    best, choice[name] = s, value

        # Regularisation, on at most SEARCH_HEAD videos (a fit costs the cube of the head): climb
        # by factors of 4 in the better direction, then refine by factors of 2. Then how the
        # profile is read (k, anchor weights, recency, anchor count: no refit). Twice, since
        # each choice moves the others.
        choice.update(k=k_max, head=min(head_max, SEARCH_HEAD))
        best = score()
        for round_ in range(2):
            for step in (4.0, 2.0) if round_ == 0 else (2.0,):
                for direction in (step, 1 / step):
                    for _ in range(LAMBDA_STEPS):
                        before = choice["lambda"]
                        try_values("lambda", [before * direction])
                        if choice["lambda"] == before:
                            break
            try_values("k", [k for k in k_choices if k * choice["anchors"] <= ANCHOR_ENTRIES])
            try_values("power", ANCHOR_POWERS)
            try_values("half_life", HALF_LIFE_CHOICES)
            try_values("anchors", [a for a in ANCHOR_CHOICES if a * choice["k"] <= ANCHOR_ENTRIES])
            try_values("half_life", HALF_LIFE_CHOICES)
        # Then the head size: all the budget allows, or half of it, with the regularisation
        # found; a head up to twice the searched one (rarer videos in it) also with half of it.
        # Larger heads get one fit only: a fit costs the cube of the head, and the second fit
        # at the largest head was most of the training time at 10k videos.
        searched, lam = choice["head"], choice["lambda"]
        heads = {head_max // 2, head_max} - {searched} if head_max >= 2 * MIN_HEAD else set()
        for head_n in sorted(heads):
            for lam_n in (lam, lam / 2) if searched < head_n <= 2 * searched else (lam,):
                s = score(head=head_n, **{"lambda": lam_n})
                if s > best:
                    best, choice["head"], choice["lambda"] = s, head_n, lam_n
        if engaged > choice["head"]:
            try_values("tail_scale", TAIL_SCALES)
        last.clear()
        head = head_all[: choice["head"]]
        learned = fitted(choice["lambda"], choice["head"])
        scale = choice["tail_scale"] * ratio(learned, head)
        lists = first_k(*merge_rows(*cos, head, learned, scale, k_max), choice["k"])
        ranks = val.candidate_ranks(*lists, choice["anchors"], choice["half_life"], choice["power"])
        del lists  # the validation lists go before the shipped ones are built
        recall = {n: float(np.mean(ranks <= n)) for n in CANDIDATE_CHOICES}
        choice["candidates"] = next(n for n in CANDIDATE_CHOICES if recall[n] >= max(recall.values()) - CANDIDATE_SLACK)
        choice["candidate_recall"] = round(recall[choice["candidates"]], 4)
    # The shipped weights: refitted on every positive pair (the held-out ones included).
    grams.clear()
    fits.clear()
    head = head_all[: choice["head"]]
    all_rank = np.empty(len(pu), dtype=np.int64)
    order = np.lexsort((-latest, pu))
    all_rank[order] = np.arange(len(pu)) - np.searchsorted(pu[order], pu[order], side="left")
    recent_all = all_rank < LEARN_HISTORY_CAP
    if len(head):
        gram = head_gram(pu[recent_all], pi[recent_all], head, n_items)
        learned = learned_rows(gram, head, choice["lambda"], choice["k"])
        del gram
        scale = choice["tail_scale"] * ratio(learned, head)
    else:
        learned, scale = (np.zeros(1, dtype=np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)), 1.0
    merged = first_k(*merge_rows(*cos, head, learned, scale, k_max), choice["k"])
    choice.update(validation_ndcg=round(best, 4), validation_users=int(len(users) if select else 0), selected=select)
    return merged, choice


def text_neighbours(docs: list[str], k: int = 20):
    """Sparse TF-IDF cosine over content terms, top-k per document, in blocks."""
    # scikit-learn: ~0.8 s to import on top of numpy/scipy (python -X importtime); this module is
    # loaded by every web worker through recommendations.services, and only nightly training uses it.
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415

    n = len(docs)
    if n == 0 or not any(docs):
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)
    tfidf = TfidfVectorizer(token_pattern=r"\S+", min_df=2, max_df=0.02, sublinear_tf=True, dtype=np.float32)
    try:
        m = tfidf.fit_transform(docs).tocsr()
    except ValueError:  # no term in two documents
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)
    mt = m.T.tocsr()
    parts_ptr, parts_idx, parts_sim = [np.zeros(1, dtype=np.int64)], [], []
    offset = 0
    for start in range(0, n, 2000):
        block = (m[start : start + 2000] @ mt).tocsr()
        rows = np.repeat(np.arange(start, min(start + 2000, n)), np.diff(block.indptr))
        block.data[block.indices == rows] = 0.0
        block.data[block.data < 0.05] = 0.0
        block.eliminate_zeros()
        indptr, idx, sims = topk_rows(block, k)
        parts_ptr.append(indptr[1:] + offset)
        offset += len(idx)
        parts_idx.append(idx)
        parts_sim.append(sims)
    return np.concatenate(parts_ptr), np.concatenate(parts_idx), np.concatenate(parts_sim)


def train_arrays(
    *,
    users,
    items,
    weights,
    times,
    n_users: int,
    n_items: int,
    item_categories: sp.csr_matrix,
    params: dict,
    raw_weights=None,
    ordered: bool = True,
):
    """The nightly model from decayed event weights (already multiplied by kind and time decay).

    items index positions in the catalogue (0..n_items-1); item_categories is a binary
    catalogue × category matrix. `raw_weights` are the same events' weights without time decay
    (what a live profile sums; the decayed ones when not given). `ordered` says whether times
    order each viewer's events (False: the validation carve holds out a seeded random pair).
    Returns a dict of arrays (saved as .npz)."""
    raw_weights = weights if raw_weights is None else raw_weights
    pu, pi, total, latest, raw = aggregate(
        np.asarray(users), np.asarray(items), weights, times, n_items, raw=raw_weights
    )
    del users, items, weights, times, raw_weights  # handed over: freed before the heavy part
    positive = total > 0
    pu, pi, total, latest, raw = pu[positive], pi[positive], total[positive], latest[positive], raw[positive]
    (nbr_indptr, nbr_idx, nbr_sim), choice = learn_neighbours(
        pu, pi, latest, raw, n_users, n_items, params, ordered=ordered
    )
    pop = np.bincount(pi, weights=np.minimum(total, 5.0), minlength=n_items)
    pop = (pop / pop.max()) if pop.max() > 0 else pop
    trending = np.argsort(-pop, kind="stable")[:TRENDING_SIZE]
    trending = trending[pop[trending] > 0]
    # Per-category top lists by decayed popularity: the content candidates of the feed.
    cat_csc = item_categories.tocsc()
    cat_ptr, cat_members = [0], []
    for c in range(cat_csc.shape[1]):
        members = cat_csc.indices[cat_csc.indptr[c] : cat_csc.indptr[c + 1]]
        top = members[np.argsort(-pop[members], kind="stable")[:CATEGORY_TOP]]
        cat_members.append(top)
        cat_ptr.append(cat_ptr[-1] + len(top))
    df = np.diff(cat_csc.indptr).astype(float)
    idf = np.log((1 + n_items) / (1 + df)) + 1.0
    return {
        "nbr_indptr": nbr_indptr,
        "nbr_idx": nbr_idx,
        "nbr_sim": nbr_sim,
        "pop": pop.astype(np.float32),
        "trending": trending.astype(np.int64),
        "cat_indptr": np.asarray(cat_ptr, dtype=np.int64),
        "cat_members": np.concatenate(cat_members).astype(np.int64) if cat_members else np.zeros(0, np.int64),
        "cat_idf": idf.astype(np.float32),
        "n_pairs": np.asarray([len(pu)]),
        # What validation chose; the feed reads the anchor count and half-life (inf: no recency).
        "anchor_count": np.asarray(choice["anchors"], dtype=np.int64),
        "anchor_half_life": np.asarray(choice["half_life"], dtype=np.float64),
        "anchor_power": np.asarray(choice["power"], dtype=np.float64),
        "learned_lambda": np.asarray(choice["lambda"], dtype=np.float64),
        "learned_head": np.asarray(choice["head"], dtype=np.int64),
        "neighbours_k": np.asarray(choice["k"], dtype=np.int64),
        # The feed's collaborative candidates per page, and the share of validation held-out
        # videos among that many (the collaborative pool alone).
        "collab_candidates": np.asarray(choice["candidates"], dtype=np.int64),
        "validation_candidate_recall": np.asarray(choice["candidate_recall"], dtype=np.float64),
        "tail_scale": np.asarray(choice["tail_scale"], dtype=np.float64),
        "validation_ndcg": np.asarray(choice["validation_ndcg"], dtype=np.float64),
        "validation_users": np.asarray(choice["validation_users"], dtype=np.int64),
    }


def choice_metrics(arrays: dict) -> dict:
    """What validation chose, for the model version's metrics (JSON: no infinity)."""
    half_life = float(arrays["anchor_half_life"])
    return {
        "learned_lambda": float(arrays["learned_lambda"]),
        "learned_head": int(arrays["learned_head"]),
        "neighbours_k": int(arrays["neighbours_k"]),
        "collab_candidates": int(arrays["collab_candidates"]),
        "validation_candidate_recall": float(arrays["validation_candidate_recall"]),
        "anchor_count": int(arrays["anchor_count"]),
        "anchor_half_life": half_life if np.isfinite(half_life) else "off",
        "anchor_power": float(arrays["anchor_power"]),
        "tail_scale": float(arrays["tail_scale"]),
        "validation_ndcg": float(arrays["validation_ndcg"]),
        "validation_users": int(arrays["validation_users"]),
    }


def creator_and_explore_pools(creator_ids, impressions, params: dict, per_creator: int = 20, explore: int = 3000):
    """Each creator's newest videos (ids grow with upload time; for the Following candidates)
    and the newest low-impression videos (exploration's pool), as catalogue positions."""
    n = len(creator_ids)
    order = np.lexsort((-np.arange(n), creator_ids))
    sorted_creators = creator_ids[order]
    starts = np.searchsorted(sorted_creators, sorted_creators, side="left")
    keep = order[(np.arange(n) - starts) < per_creator]
    kept_creators = creator_ids[keep]
    creators, counts = np.unique(kept_creators, return_counts=True)
    indptr = np.zeros(len(creators) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    low = np.nonzero(impressions < params["explore_impressions"])[0][::-1][:explore]
    return {
        "creator_ids": creators.astype(np.int64),
        "creator_indptr": indptr,
        "creator_members": keep.astype(np.int64),
        "explore_pool": low.astype(np.int64),
    }
