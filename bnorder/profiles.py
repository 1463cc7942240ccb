"""Sweep profiles: which runs a study consists of. One place, one dict per profile.

A profile is a set of *arms* (an architecture and its size), crossed with ``blocks`` and
``seeds``; ``common`` holds the knobs shared by every run. Each run is one execution of
``notebooks/train.ipynb``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import make_config

ORIGINAL_CASES = ("bn-relu", "relu-bn", "lrelu-bn")  # the study's case1, case2, case3


@dataclass
class Profile:
    name: str
    description: str
    common: dict
    arms: list[dict]
    blocks: tuple[str, ...] = ORIGINAL_CASES
    seeds: tuple[int, ...] = tuple(range(5))
    reductions: list[str] = field(default_factory=list)  # what differs from the original protocol

    def runs(self) -> list[dict]:
        """Every run's parameters (validated), arms outermost so cheap arms finish first."""
        out = []
        for arm in self.arms:
            for seed in self.seeds:
                for block in self.blocks:
                    params = {**self.common, **arm, "block": block, "seed": seed, "profile": self.name}
                    make_config(**params)  # fail at once on a bad profile
                    out.append(params)
        return out


PROFILES: dict[str, Profile] = {p.name: p for p in [
    Profile(
        name="smoke",
        description="Synthetic data, tiny networks, one epoch: seconds. Used by the tests and CI.",
        common=dict(dataset="synthetic", epochs=1, batch_size=64, val_fraction=0.1),
        arms=[dict(arch="cnn", width=4, depth=2), dict(arch="mlp", width=16, depth=2),
              dict(arch="seed-mlp")],
        seeds=(0,),
        reductions=["synthetic 8x8 images, 4 classes", "tiny networks", "one epoch", "one seed"],
    ),
    Profile(
        name="seed",
        description="The original study's protocol: CIFAR-10, the CNN and the study's MLP, its "
                    "three cases, 5 seeds, 10 epochs, batch 128, Adam 1e-3, no validation split.",
        common=dict(dataset="cifar10", epochs=10, batch_size=128, lr=1e-3, val_fraction=0.0),
        arms=[dict(arch="cnn", width=64, depth=8), dict(arch="seed-mlp")],
        reductions=[],
    ),
    Profile(
        name="cpu",
        description="The same questions on Fashion-MNIST, sized so that a 2-core CPU finishes in "
                    "about an hour: the study's MLP exactly, an 8-block MLP in which every block "
                    "carries the order, and a narrow 8-block CNN on a subset of the images.",
        common=dict(dataset="fashion-mnist", epochs=10, batch_size=128, lr=1e-3, val_fraction=0.1),
        arms=[dict(arch="seed-mlp"),
              dict(arch="mlp", width=256, depth=8),
              dict(arch="cnn", width=16, depth=8, train_subset=4000, epochs=5)],
        reductions=[
            "Fashion-MNIST (28x28 grey) instead of CIFAR-10 (32x32 colour)",
            "10% of the training images held out for validation",
            "mlp: 256 units per block instead of 512",
            "cnn: 16 channels instead of 64, 4,000 training images, 5 epochs",
        ],
    ),
]}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILES)}")
    return PROFILES[name]
