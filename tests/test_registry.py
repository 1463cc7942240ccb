"""The registry holds one margin, the primary family and the seeds each profile may run."""

import pytest

from bnorder.runs import registry
from bnorder.runs.profiles import PROFILES


def test_seed_ranges_include_both_ends():
    assert registry.parse_seeds("100-103") == [100, 101, 102, 103]
    assert registry.parse_seeds([3, 1]) == [3, 1] and registry.parse_seeds(None) is None


def test_every_primary_question_in_points_carries_the_one_margin(tmp_path):
    for q in registry.primary():
        assert q.get("margin") == registry.margin() or q["test"] == "spread-ratio"
    bad = tmp_path / "r.yml"
    bad.write_text("margin: 0.5\nquestions:\n- id: x\n  family: primary\n  margin: 0.3\n")
    with pytest.raises(ValueError, match="one margin"):
        registry.load(bad)


def test_an_unknown_family_is_refused(tmp_path):
    bad = tmp_path / "r.yml"
    bad.write_text("questions:\n- id: x\n  family: confirmatoryish\n")
    with pytest.raises(ValueError, match="unknown family"):
        registry.load(bad)


def test_confirmatory_profiles_train_exactly_the_reserved_seeds():
    for name in ("confirm-mlp", "confirm-cnn", "confirm-mlp-tuned", "confirm-cnn-tuned"):
        reserved = registry.reserved_seeds(name)
        assert reserved and PROFILES[name].seeds == reserved
    # fresh: no seed of the original protocol is one of the pilot's or of the tuned protocol's
    assert not set(registry.reserved_seeds("confirm-cnn")) & set(range(20))
    assert not set(registry.reserved_seeds("confirm-cnn")) & set(registry.reserved_seeds("confirm-cnn-tuned"))


def test_a_confirmatory_run_measures_the_final_readings_and_no_probe():
    for run in PROFILES["confirm-cnn"].runs():
        assert run["final_readings"] is True and run.get("probe", 0) == 0
    runs = PROFILES["confirm-mlp"].runs()
    assert [r["block"] for r in runs[:4]] == ["bn-relu", "relu-bn"] * 2   # a seed's pair together


def test_a_question_or_contrast_is_found_by_its_id_and_an_unknown_id_is_named():
    assert registry.entry("cnn-first-block")["arm"]["first_block"] == "relu-bn"
    assert registry.entry("cnn-first-block-mirror")["kind"] == "contrast"
    with pytest.raises(KeyError, match="no-such-entry"):
        registry.entry("no-such-entry")
