"""Evaluating one set of weights three ways, to tell the weights from BatchNorm's statistics.

A network with BatchNorm is evaluated with statistics that were not those it trained with:
the running averages (``eval`` mode) lag the weights, because they were accumulated while the
weights moved. Two other readings of the same weights remove that lag:

    running      eval mode, the running statistics training left behind (the usual number)
    precise      statistics re-estimated with the weights frozen: the mean of the per-batch
                 statistics over a fixed set of training images, in batches of the training
                 batch size ("precise BN", Wu & Johnson 2021)
    batch        train mode on large test batches: each batch normalized by its own statistics

If an order's deficit or its epoch-to-epoch volatility disappears under ``precise``, it lived in
the running statistics, not in the weights. :func:`training_fit` measures how well the weights
fit the training split, in eval mode as the test set is measured, for the generalization gap.

None of these changes the model: every reading works on a copy.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

PRECISE_IMAGES = 8192   # training images whose batch statistics are averaged (Wu & Johnson: ~10^4)
BATCH_EVAL_SIZE = 1000  # test images per batch when BatchNorm uses batch statistics
ORDER_SEED = 11         # the fixed choice of training images for the precise statistics
CPU_EVAL_CHUNK = 256    # images per forward pass in eval mode on a CPU (python -m bnorder bench
                        # --arch cnn: twice as fast as 1000 there, whose activations outgrow the caches)
ACCELERATOR_EVAL_CHUNK = 1000


def eval_chunk(device: torch.device) -> int:
    """Images per forward pass when evaluating in eval mode, where each image's output is its
    own (the chunk changes no number beyond float rounding): small on a CPU, large elsewhere."""
    return CPU_EVAL_CHUNK if torch.device(device).type == "cpu" else ACCELERATOR_EVAL_CHUNK


def batchnorms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def _loss_acc(model: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int) -> tuple[float, float]:
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), chunk):
        out = model(x[i:i + chunk])
        loss_sum += F.cross_entropy(out, y[i:i + chunk], reduction="sum").item()
        correct += (out.argmax(1) == y[i:i + chunk]).sum().item()
    return loss_sum / len(x), 100.0 * correct / len(x)


@torch.no_grad()
def with_precise_statistics(model: nn.Module, train_x: torch.Tensor, batch_size: int,
                            images: int = PRECISE_IMAGES, prepare=lambda xb: xb) -> nn.Module:
    """A copy of ``model`` in eval mode whose BatchNorm statistics are the average of the
    per-batch statistics of ``images`` fixed training images, the weights frozen.
    ``prepare`` turns a batch of images into the model's input (the fused path's layout)."""
    twin = copy.deepcopy(model)
    for bn in batchnorms(twin):
        bn.reset_running_stats()
        bn.momentum = None          # cumulative average over the batches seen
    order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(ORDER_SEED))
    idx = order[:min(images, len(train_x))].to(train_x.device)
    twin.train()
    for i in range(0, len(idx) - 1, batch_size):
        part = idx[i:i + batch_size]
        if len(part) > 1:
            twin(prepare(train_x[part]))
    return twin.eval()


@torch.no_grad()
def batch_statistics_evaluation(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                                batch_size: int = BATCH_EVAL_SIZE) -> tuple[float, float]:
    """Loss and accuracy with every batch of ``batch_size`` normalized by its own statistics."""
    twin = copy.deepcopy(model).train()
    return _loss_acc(twin, x, y, batch_size)


def bn_evaluations(model: nn.Module, train_x: torch.Tensor, test_x: torch.Tensor,
                   test_y: torch.Tensor, batch_size: int) -> dict:
    """Test loss and accuracy with precise statistics and with batch statistics.

    ``{}`` for a network without BatchNorm (all three readings are the same there)."""
    if not batchnorms(model):
        return {}
    precise = with_precise_statistics(model, train_x, batch_size)
    precise_loss, precise_acc = _loss_acc(precise, test_x, test_y, chunk=eval_chunk(test_x.device))
    batch_loss, batch_acc = batch_statistics_evaluation(model, test_x, test_y)
    return {"test_loss_precise": precise_loss, "test_acc_precise": precise_acc,
            "test_loss_batch": batch_loss, "test_acc_batch": batch_acc}


def precise_fit(model: nn.Module, train_x: torch.Tensor, train_y: torch.Tensor,
                test_x: torch.Tensor, test_y: torch.Tensor, batch_size: int) -> dict:
    """Both splits read with precise statistics, the weights frozen (``final_readings``): the
    test accuracy of the weights, and the training split's fit read as the test split is, so
    that their difference is a generalization gap free of the running statistics' lag. ``{}``
    for a network without BatchNorm."""
    if not batchnorms(model):
        return {}
    precise = with_precise_statistics(model, train_x, batch_size)
    chunk = eval_chunk(test_x.device)
    test_loss, test_acc = _loss_acc(precise, test_x, test_y, chunk)
    train_loss, train_acc = _loss_acc(precise, train_x, train_y, chunk)
    return {"test_loss_precise": test_loss, "test_acc_precise": test_acc,
            "train_eval_loss_precise": train_loss, "train_eval_acc_precise": train_acc}


def training_fit(model: nn.Module, train_x: torch.Tensor, train_y: torch.Tensor) -> dict:
    """Loss and accuracy on the whole training split in eval mode (measured as test is)."""
    was_training = model.training
    model.eval()
    try:
        loss, acc = _loss_acc(model, train_x, train_y, chunk=eval_chunk(train_x.device))
    finally:
        model.train(was_training)
    return {"train_eval_loss": loss, "train_eval_acc": acc}
