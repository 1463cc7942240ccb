"""The order table: names, aliases and what each block computes, readable without torch."""

import math

import pytest

from bnorder.orders import (
    ALIASES,
    CAUSE_BLOCKS,
    ORDERS,
    RECTIFIED_NORMAL_MEAN,
    activation_then_bn,
    canonical_block,
    has_batchnorm,
    ops_of,
)


@pytest.mark.parametrize("alias,name", [("case1", "bn-relu"), ("case2", "relu-bn"), ("case3", "lrelu-bn")])
def test_study_case_names_are_aliases_of_canonical_names(alias, name):
    assert canonical_block(alias) == name and ops_of(alias) == ORDERS[name]


def test_unknown_block_error_names_the_valid_blocks():
    with pytest.raises(ValueError) as e:
        canonical_block("case9")
    for valid in [*ORDERS, *ALIASES, *CAUSE_BLOCKS]:
        assert valid in str(e.value)


def test_where_batchnorm_sits():
    assert [b for b in ORDERS if activation_then_bn(b)] == ["relu-bn", "lrelu-bn"]
    assert [b for b in ORDERS if not has_batchnorm(b)] == ["relu"]
    assert activation_then_bn("relu-bn-shift") and not activation_then_bn("bn-relu-center")


def test_rectified_normal_mean_is_one_over_root_two_pi():
    assert RECTIFIED_NORMAL_MEAN == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-15)


def test_the_two_by_two_design_is_read_off_the_order_table():
    from bnorder.orders import AFTER, BEFORE, FACTORIAL, ORDERS
    assert BEFORE == {"relu": "bn-relu", "lrelu": "bn-lrelu"}
    assert AFTER == {"relu": "relu-bn", "lrelu": "lrelu-bn"}
    assert FACTORIAL == ("bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn")
    assert all(ORDERS[b][0] == "bn" for b in BEFORE.values())
