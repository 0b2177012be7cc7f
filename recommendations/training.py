"""Nightly training, as pure array code: weighted, time-decayed interactions in; sparse top-k
item neighbour lists, decayed popularity and candidate pools out. Never builds a dense
catalogue-by-catalogue matrix: co-engagement is computed in blocks of items and cut to the top k
per row before the next block."""

import numpy as np
import scipy.sparse as sp

HISTORY_CAP = 50  # most recent positive items per user used for co-engagement
BLOCK_PAIRS = 8_000_000  # co-engagement products per block (bounds peak memory)
SHRINK = 10.0  # damps similarities resting on few shared users
TRENDING_SIZE = 500
CATEGORY_TOP = 200


def topk_rows(matrix: sp.csr_matrix, k: int):
    """Keep the k largest entries of each row of a CSR matrix (vectorised)."""
    matrix.sum_duplicates()
    counts = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    order = np.lexsort((-matrix.data, rows))
    rank = np.arange(len(order)) - matrix.indptr[rows[order]]
    keep = order[rank < k]
    keep.sort()  # keeps CSR row order; within a row, column order
    new_rows = rows[keep]
    indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(new_rows, minlength=matrix.shape[0]), out=indptr[1:])
    return indptr, matrix.indices[keep].astype(np.int32), matrix.data[keep].astype(np.float32)


def aggregate(users, items, weights, times, n_items):
    """Sum event weights per (user, item); the latest time per pair orders each user's history.
    Sort-and-reduce rather than unique/ufunc.at: less memory and several times faster at 10M rows."""
    key = users.astype(np.int64) * n_items + items
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
    total = np.add.reduceat(np.asarray(weights, dtype=np.float64)[order], starts) if len(key) else np.zeros(0)
    latest = np.maximum.reduceat(np.asarray(times, dtype=np.float64)[order], starts) if len(key) else np.zeros(0)
    uniq = key[starts]
    return (uniq // n_items).astype(np.int64), (uniq % n_items).astype(np.int64), total, latest


def co_engagement_neighbours(pair_users, pair_items, n_users, n_items, k: int):
    """Item-item cosine over users who engaged positively (binary), shrunk, top-k per item."""
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
        indptr, idx, sims = topk_rows(block, k)
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
):
    """The nightly model from decayed event weights (already multiplied by kind and time decay).

    items index positions in the catalogue (0..n_items-1); item_categories is a binary
    catalogue × category matrix. Returns a dict of arrays (saved as .npz)."""
    pu, pi, total, latest = aggregate(np.asarray(users), np.asarray(items), weights, times, n_items)
    del users, items, weights, times  # the caller hands them over: free them before the heavy part
    positive = total > 0
    pu, pi, total, latest = pu[positive], pi[positive], total[positive], latest[positive]
    # Only each user's most recent positives feed co-engagement: bounds the cost of heavy users.
    order = np.lexsort((-latest, pu))
    pu, pi, total = pu[order], pi[order], total[order]
    starts = np.searchsorted(pu, pu, side="left")
    recent = (np.arange(len(pu)) - starts) < HISTORY_CAP
    nbr_indptr, nbr_idx, nbr_sim = co_engagement_neighbours(
        pu[recent], pi[recent], n_users, n_items, params["neighbours"]
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
