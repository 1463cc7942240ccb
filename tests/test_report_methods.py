"""The Methods chapter's tables come from the order table, the sizes and the profiles."""

from bnorder.orders import ORDERS
from bnorder.report import methods
from bnorder.runs.profiles import PROFILES


def test_the_blocks_table_and_figure_have_one_row_per_order():
    assert list(methods.blocks_table().index) == list(ORDERS)
    fig = methods.blocks_figure()
    assert sum(t.get_text().split("\n")[0] in ORDERS for t in fig.axes[0].texts) == len(ORDERS)


def test_the_profiles_table_lists_the_blocks_each_profile_runs():
    table = methods.profiles_table()
    assert list(table.index) == list(PROFILES)
    assert table.loc["why-first-block", "blocks"] == "bn-relu, relu-bn"
    assert table.loc["why-first-block", "runs"] == len(PROFILES["why-first-block"].runs())
