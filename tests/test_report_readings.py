"""The CNN's per-seed curves read two ways pool every seed of the configuration."""

from bnorder.analysis.order_readings import epoch_readings
from bnorder.report import readings
from bnorder.runs.config import make_config
from bnorder.runs.records import make_record, save_record


def write(results, profile, block, seed, precise=True):
    cfg = make_config(dataset="fashion-mnist", arch="cnn", width=16, block=block, seed=seed,
                      profile=profile, results_dir=str(results), probe=512)
    epochs = [{"epoch": e, "test_acc": 80.0 + e, "val_acc": 80.0, "train_acc": 80.0,
               **({"bn_eval": {"test_acc_precise": 85.0 + e}} if precise else {})} for e in (1, 2)]
    summary = {"final_test_acc": 82.0, "final_val_acc": 80.0, "final_train_acc": 80.0}
    save_record(make_record(cfg, {"status": "ok", "epochs": epochs, "summary": summary}, {}))


def test_seeds_filed_in_two_profiles_are_read_both_ways(tmp_path):
    write(tmp_path, "cnn-converged", "bn-relu", 0)
    write(tmp_path, "why-cnn-bn-eval", "bn-relu", 5)
    write(tmp_path, "cnn-converged", "relu-bn", 0, precise=False)
    frame = epoch_readings(tmp_path)
    bn_relu = frame[frame["block"] == "bn-relu"]
    assert sorted(bn_relu["seed"].unique()) == [0, 5]
    assert set(bn_relu["reading"]) == {"running", "precise"}
    assert set(frame[frame["block"] == "relu-bn"]["reading"]) == {"running"}
    got = bn_relu[(bn_relu["seed"] == 5) & (bn_relu["epoch"] == 2)].set_index("reading")["test_acc"]
    assert got.to_dict() == {"running": 82.0, "precise": 87.0}
    readings.readings_figure(frame)


def test_no_records_give_an_empty_frame_and_a_figure(tmp_path):
    frame = epoch_readings(tmp_path)
    assert frame.empty
    readings.readings_figure(frame)
