"""The original study's comparisons rerun: the spread of a case over seeds relative to case 1's.
(Which runs the chapter reads, and their labels, are held in tests/test_report_replication.py.)"""

import numpy as np
import pytest
from scipy import stats as sps

from bnorder.analysis import replication


def test_sd_ratio_intervals_unpaired_f_and_paired_pitman_morgan():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 8), rng.normal(0, 2, 8)
    ratio, low, high = replication.sd_ratio(a, b, paired_runs=False)
    f = a.var(ddof=1) / b.var(ddof=1)
    assert ratio == pytest.approx(np.sqrt(f))
    assert low ** 2 == pytest.approx(f / sps.f.ppf(0.975, 7, 7))
    assert high ** 2 == pytest.approx(f / sps.f.ppf(0.025, 7, 7))
    # Pitman-Morgan: at either end the test of that variance ratio sits exactly at the t bound
    x = rng.normal(0, 1, 10)
    y = 0.6 * x + rng.normal(0, 1, 10)
    ratio, low, high = replication.sd_ratio(x, y, paired_runs=True)
    r, n, t = np.corrcoef(x, y)[0, 1], 10, sps.t.ppf(0.975, 8)
    for bound in (low, high):
        u = ratio ** 2 / bound ** 2
        assert abs(u - 1) * np.sqrt(n - 2) / (2 * np.sqrt(u * (1 - r ** 2))) == pytest.approx(t)
    assert np.isnan(replication.sd_ratio([1.0, 2.0], [1.0, 3.0], paired_runs=True)[0])
