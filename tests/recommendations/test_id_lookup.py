"""The lookup tables that map database ids to array positions in nightly training give what a
binary search and np.unique give, for dense ids, sparse ids, missing ids and empty inputs."""

import numpy as np
import pytest

from recommendations.services import _codes, _positions


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
