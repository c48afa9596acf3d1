"""theory/blocks/graph.py: the sampler draws each column as a uniform random subset of the rows,
on both of its paths (permutation prefix for k^2 > n, rejection for small columns)."""
from collections import Counter
from itertools import combinations

import numpy as np

from memgenkit.theory.blocks.graph import BernoulliGraph


def test_columns_are_uniform_subsets():
    """n = 6 rows; p = 0.3 (mostly k^2 <= 6: rejection) and p = 0.8 (k^2 > 6: permutation):
    conditioned on its size k, each k-subset of rows appears with frequency 1/C(6, k), every
    count within 5 se of 20000 columns' binomial spread."""
    n, d = 6, 20000
    rng = np.random.default_rng(3)
    for pv in (0.3, 0.8):
        rows, cols, k = BernoulliGraph().sample_supports(n, np.full(d, pv), rng)
        order = np.lexsort((rows, cols))
        per_col = np.split(rows[order], np.cumsum(k)[:-1])
        subsets = {}
        for c in range(d):
            subsets.setdefault(k[c], []).append(tuple(per_col[c]))
        for kk, keys in subsets.items():
            if kk in (0, n):
                continue
            all_sets = list(combinations(range(n), kk))
            assert set(keys) <= set(all_sets)
            prob = 1 / len(all_sets)
            se = np.sqrt(len(keys) * prob * (1 - prob))
            seen = Counter(keys)
            for s_ in all_sets:
                assert abs(seen[s_] - len(keys) * prob) <= 5 * se, (pv, kk, s_)
