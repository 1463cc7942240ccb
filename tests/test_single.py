"""Training lowers the loss, is reproducible on CPU, and records divergence instead of crashing."""

import torch

from bnorder.runs.config import make_config
from bnorder.runs.records import summarize
from bnorder.train.data import load_dataset
from bnorder.train.loop import batch_slices
from bnorder.train.single import train_run

SMALL = dict(dataset="synthetic", arch="mlp", width=16, depth=2, epochs=3, batch_size=64, device="cpu")


def test_training_lowers_the_loss_and_beats_chance():
    result = train_run(make_config(**SMALL), progress=False)
    losses = [e["train_loss"] for e in result["epochs"]]
    assert result["status"] == "ok"
    assert losses[-1] < losses[0]
    assert result["epochs"][-1]["test_acc"] > 50  # 4 classes: chance is 25%


def test_same_config_and_seed_give_identical_cnn_numbers_on_cpu():
    cfg = make_config(**{**SMALL, "arch": "cnn", "width": 4, "epochs": 2})
    assert _without_time(train_run(cfg, progress=False)) == _without_time(train_run(cfg, progress=False))


def _without_time(result):
    return [{k: v for k, v in e.items() if k != "seconds"} for e in result["epochs"]]


def test_same_seed_is_identical_and_another_seed_differs():
    cfg = make_config(**SMALL)
    a, b = train_run(cfg, progress=False), train_run(cfg, progress=False)
    assert _without_time(a) == _without_time(b)
    c = train_run(make_config(**{**SMALL, "seed": 1}), progress=False)
    assert _without_time(a) != _without_time(c)


def test_non_finite_loss_ends_the_run_as_diverged_with_epoch_and_step():
    data = load_dataset("synthetic", val_fraction=0.1)
    data.train_x[70] = float("nan")  # poisons the batch that contains image 70
    result = train_run(make_config(**{**SMALL, "epochs": 2}), data=data, progress=False)
    assert result["status"] == "diverged"
    assert result["failure"]["epoch"] == 1 and result["failure"]["step"] >= 1
    assert "non-finite loss" in result["failure"]["error"]
    assert result["epochs"] == []


def test_summary_reports_final_epoch_and_test_accuracy_at_the_best_validation_epoch():
    epochs = [{"epoch": 1, "train_acc": 50, "val_acc": 60, "test_acc": 61},
              {"epoch": 2, "train_acc": 70, "val_acc": 80, "test_acc": 79},
              {"epoch": 3, "train_acc": 90, "val_acc": 75, "test_acc": 82}]
    s = summarize(epochs)
    assert s["final_test_acc"] == 82 and s["best_val_epoch"] == 2 and s["best_val_epoch_test_acc"] == 79
    assert s["max_test_acc"] == 82


def test_without_validation_split_there_is_no_validation_selection():
    s = summarize([{"epoch": 1, "train_acc": 50, "val_acc": None, "test_acc": 61}])
    assert s["best_val_epoch_test_acc"] is None and s["final_test_acc"] == 61


def test_a_last_batch_of_one_image_is_dropped_for_batchnorm():
    assert [s.stop - s.start for s in batch_slices(129, 64)] == [64, 64]
    assert [s.stop - s.start for s in batch_slices(130, 64)] == [64, 64, 2]


def test_the_compiled_training_step_computes_what_the_eager_one_does():
    """cfg.compile changes how the step runs, not what it computes: one Adam step from the same
    weights on the same batch gives the same loss, and the stepped networks the same outputs,
    within float32 rounding. (Not the same raw parameters: a layer's bias right before
    BatchNorm has a gradient of pure rounding noise, which Adam's first step scales to +-lr;
    BatchNorm removes that bias again.)"""
    import copy

    import torch.nn.functional as F

    from bnorder.train.single import SingleTrainer, compile_step, evaluate

    cfg = make_config(**{**SMALL, "arch": "cnn", "width": 4})
    data = load_dataset("synthetic", val_fraction=0.1)
    eager = SingleTrainer(cfg, data, torch.device("cpu"))
    twin = copy.deepcopy(eager.model)
    opt = torch.optim.Adam(twin.parameters(), lr=cfg.lr)
    compiled = compile_step(twin)
    x, y = data.train_x[:64], data.train_y[:64]
    for model, o in ((eager.model, eager.opt), (compiled, opt)):
        model.train()
        loss = F.cross_entropy(model(x), y)
        o.zero_grad()
        loss.backward()
        o.step()
        model.loss = loss.item()
    assert abs(eager.model.loss - compiled.loss) < 1e-5
    with torch.no_grad():
        after = [m(data.train_x[64:192]) for m in (eager.model, twin)]
    assert torch.allclose(after[0], after[1], rtol=1e-4, atol=1e-4)
    # the evaluation chunk is as free: the same numbers in chunks of 256 and of 1000
    small, large = evaluate(twin, data.test_x, data.test_y, 256), evaluate(twin, data.test_x, data.test_y, 1000)
    assert small[1] == large[1] and abs(small[0] - large[0]) < 1e-5


def test_the_single_and_the_fused_trainer_are_both_trainers():
    from bnorder.runs.config import make_config
    from bnorder.train.data import load_for
    from bnorder.train.fused import FusedTrainer, SpeedFlags
    from bnorder.train.loop import Trainer
    from bnorder.train.single import SingleTrainer

    cfg = make_config(dataset="synthetic", arch="mlp", width=8, depth=2, epochs=1, device="cpu")
    data = load_for(cfg)
    for trainer in (SingleTrainer(cfg, data, torch.device("cpu")),
                    FusedTrainer(cfg, [0, 1], data, torch.device("cpu"), SpeedFlags())):
        assert isinstance(trainer, Trainer)
        missing = [name for name in ("train_epoch", "evaluate", "before_epoch", "epoch_extras",
                                     "final_extras", "state_dict", "load_state_dict")
                   if not callable(getattr(type(trainer), name, None))]
        assert not missing
