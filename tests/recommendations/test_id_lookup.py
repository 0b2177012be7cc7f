"""Nightly training's faster array steps give what the plain numpy ones give: the lookup tables
that map database ids to array positions (against a binary search and np.unique, for dense,
sparse, missing and no ids) and the top-k of each row (against a lexicographic sort, ties too)."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.services import _codes, _positions
from recommendations.training import topk_rows


@pytest.mark.parametrize("seed", range(40))
def test_positions_and_codes_match_the_plain_numpy_answers(seed):
    rng = np.random.default_rng(seed)
    high = 10**12 if seed % 3 == 0 else 300  # sparse ids take the binary-search path
    ids = np.unique(rng.integers(0, high, rng.integers(0, 60))).astype(np.int64)
    values = rng.integers(0, high + 50, rng.integers(0, 120)).astype(np.int64)
    if len(ids) and len(values):
        values[: len(values) // 2] = rng.choice(ids, len(values) // 2)  # about half are known

    pos, ok = _positions(ids, values)
    assert (ok == np.isin(values, ids)).all()
    assert (ids[pos[ok]] == values[ok]).all()

    if len(values):
        uniq, codes = _codes(values)
        expected_uniq, expected_codes = np.unique(values, return_inverse=True)
        assert (uniq == expected_uniq).all() and (codes == expected_codes).all()


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("descending", [True, False])
def test_topk_rows_keeps_what_a_lexicographic_sort_keeps(seed, descending):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    rows, cols = rng.integers(0, 30, n), rng.integers(0, 50, n)
    data = np.round(rng.random(n) * 4) / 4  # many ties, broken by column order as before
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(30, 50))
    k = int(rng.integers(1, 8))

    indptr, idx, values = topk_rows(matrix.copy(), k, descending=descending)

    m = matrix.copy()
    m.sum_duplicates()
    r = np.repeat(np.arange(30), np.diff(m.indptr))
    order = np.lexsort((-m.data, r))
    keep = order[(np.arange(len(order)) - m.indptr[r[order]]) < k]
    if not descending:
        keep.sort()
    assert (idx == m.indices[keep]).all() and np.allclose(values, m.data[keep])
    assert (np.diff(indptr) == np.minimum(np.diff(m.indptr), k)).all()
