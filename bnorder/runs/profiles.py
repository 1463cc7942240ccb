"""Sweep profiles: which runs a study consists of. One place, one dict per profile.

A profile is a set of *arms* (an architecture and its size), crossed with ``blocks`` and
``seeds``; ``common`` holds the knobs shared by every run. Each run is one execution of
``notebooks/train.ipynb``.

Words, each with one meaning across the package:

    intervention   an experiment that removes (or adds) one proposed cause of the order effect
                   and changes nothing else: the profiles ``why-<name>`` (:data:`INTERVENTIONS`)
                   and ``why-cnn-<name>``. Some train a cause block of :data:`bnorder.orders.
                   CAUSE_BLOCKS` (e.g. ``relu-bn-shift``).
    prediction     what an intervention was expected to show, written before its runs in
                   ``book/predictions.yml`` and judged by :mod:`bnorder.analysis.predictions`.
    variant        a one-knob change of the factorial profile, ``<base>-<name>``
                   (:data:`VARIANTS`; the Robustness chapter, :mod:`bnorder.analysis.robustness`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..orders import FACTORIAL
from . import registry
from .config import make_config

ORIGINAL_CASES = ("bn-relu", "relu-bn", "lrelu-bn")  # the study's case1, case2, case3
# FACTORIAL: {BN before, after} x {ReLU, LeakyReLU}, read off bnorder.orders.ORDERS


@dataclass
class Profile:
    name: str
    description: str
    common: dict
    arms: list[dict]
    blocks: tuple[str, ...] = ORIGINAL_CASES
    seeds: tuple[int, ...] = tuple(range(5))
    reductions: list[str] = field(default_factory=list)  # what differs from the original protocol
    # The knobs each block gets on top of its arm, decided from records when the runs are asked
    # for (the tuned protocol's step size and schedule, bnorder.runs.tuning); None: the same for all.
    per_block: Callable[[str], dict] | None = None

    def runs(self) -> list[dict]:
        """Every run's parameters (validated), arms outermost so cheap arms finish first, and
        within an arm seed by seed, so that a seed's orders run one after the other.

        An arm may carry its own ``seeds`` (e.g. fewer for an expensive architecture) and its own
        ``blocks``. A profile with ``per_block`` raises :class:`bnorder.runs.tuning.SelectionPending`
        while the records its choice reads are incomplete."""
        out = []
        for arm in self.arms:
            arm = dict(arm)
            seeds = arm.pop("seeds", self.seeds)
            blocks = arm.pop("blocks", self.blocks)
            chosen = {block: self.per_block(block) for block in blocks} if self.per_block else {}
            for seed in seeds:
                for block in blocks:
                    params = {**self.common, **arm, **chosen.get(block, {}), "block": block,
                              "seed": seed, "profile": self.name}
                    make_config(**params)  # fail at once on a bad profile
                    out.append(params)
        return out


FASHION = dict(dataset="fashion-mnist", epochs=10, batch_size=128, lr=1e-3, val_fraction=0.1)
MLP_CPU = dict(arch="mlp", width=256, depth=8)
# Early training only: ~150 Adam steps (the original took ~3,900). Kept for the records it wrote.
CNN_CPU = dict(arch="cnn", width=16, depth=8, train_subset=4000, epochs=5)
# The CNN trained like the original (all training images, 10 epochs, ~4,200 steps) at the
# width a 2-core CPU finishes in about 8 hours for the whole profile (measured: width 16 takes
# ~20 min a run on one core, width 24 twice that). Its training step runs through torch.compile
# (the same fp32 operations, fewer passes over memory; runs before 2026-12-05 ran it eagerly).
CNN_CONVERGED = dict(arch="cnn", width=16, depth=8, compile=True)
CNN_CONVERGED_PROFILE = "cnn-converged"   # its profile's name, which the one-knob arms extend
# Seeds added to the converged CNN's two orders of the original's claim (cnn-converged seeds
# 0-4 and why-cnn-bn-eval seeds 5-9 are the same configuration: 15 paired seeds in all); the
# momentum and width arms share them, so that each of their runs has a partner trained the same way.
CNN_MORE_SEEDS = tuple(range(10, 15))
# The momentum arms' seeds: 10-14, paired with cnn-converged, and 15-19, which compare the two
# orders within an arm and need no partner at momentum 0.1: at 0.01 fresh seeds for the prediction
# cnn-momentum-volatility-order, at 0.3 more seeds for cnn-momentum-large-position
# (book/predictions.yml), which 10-14 left unresolved.
MOMENTUM_SEEDS = {0.01: tuple(range(10, 20)), 0.3: tuple(range(10, 20))}
# The primary family's networks (book/predictions.yml): the MLP above and the converged CNN, on
# fresh seeds the registry reserves, measuring only what the family reads: accuracy with running
# statistics every epoch, and at the end both splits with precise statistics (no probe, no
# diagnostics, no Hessian, no per-epoch BatchNorm readings).
CONFIRM = {**FASHION, "final_readings": True}
CONFIRM_NETWORKS = {"mlp": MLP_CPU, "cnn": CNN_CONVERGED}
# The tuned protocol's candidates that no earlier profile trained (the others are read from
# factorial*, cnn-converged*): select-<network>-<schedule>-lr<step> trains each on the selection seeds.
SELECTION_TRAINS = [{"lr": 3e-4, "schedule": "cosine"}, {"lr": 3e-3, "schedule": "cosine"}]
# What every profile of that CNN changes relative to the original protocol.
CNN_CONVERGED_REDUCTIONS = ["Fashion-MNIST (28x28 grey) instead of CIFAR-10 (32x32 colour)",
                            "10% of the training images held out for validation",
                            "cnn: 16 channels instead of 64"]

# One knob changed at a time from the factorial profile's mlp: confounds of the original study
# and the robustness of the ranking. Each becomes a profile named "factorial-<name>".
VARIANTS: dict[str, tuple[dict, str]] = {
    "head-bn": (dict(head="bn-linear"), "an identical classifier input for every order (BatchNorm before the classifier)"),
    "nobias": (dict(bias=False), "no bias in the layer before BatchNorm"),
    "batch64": (dict(batch_size=64), "batch size 64 (the original text) instead of 128 (its code)"),
    "lr1e-4": (dict(lr=1e-4), "learning rate 1e-4"),
    "lr3e-4": (dict(lr=3e-4), "learning rate 3e-4"),
    "lr3e-3": (dict(lr=3e-3), "learning rate 3e-3"),
    "cosine": (dict(schedule="cosine"), "cosine learning-rate schedule"),
    "depth2": (dict(depth=2), "2 blocks"),
    "depth4": (dict(depth=4), "4 blocks"),
    "depth16": (dict(depth=16), "16 blocks"),
}


def _variant(name: str, change: dict, what: str) -> "Profile":
    return Profile(
        name=f"factorial-{name}",
        description=f"The factorial profile's mlp with one change: {what}.",
        common={**FASHION, "probe": 512},
        arms=[{**MLP_CPU, **change}],
        blocks=FACTORIAL,
        seeds=tuple(range(5)),
        reductions=["Fashion-MNIST", "mlp with 256 units per block", what],
    )


# Interventions on the factorial profile's mlp, paired by seed with its records: each removes
# (or adds) one suspected cause of the order effect. Each becomes a profile "why-<name>". Seeds
# 10-19 of bn-relu and relu-bn in centred-input and bn-eval replicate, on fresh seeds, what
# seeds 0-9 showed (book/predictions.yml).
INTERVENTIONS: dict[str, tuple[list[dict], str]] = {
    "first-block": ([dict(blocks=("bn-relu",), first_block="relu-bn"),
                     dict(blocks=("relu-bn",), first_block="bn-relu")],
                    "the order swapped in the first block only (relu-bn first, bn-relu after) "
                    "and in blocks 2..n only (bn-relu first, relu-bn after)"),
    "mean-shift": ([dict(blocks=("bn-relu-center", "relu-bn-shift"))],
                   "bn-relu with its output's mean removed, relu-bn with bn-relu's mean added"),
    "centred-input": ([dict(blocks=("bn-relu", "relu-bn"), center_inputs=True, seeds=tuple(range(20))),
                       dict(blocks=("lrelu-bn",), center_inputs=True)],
                      "every image minus the training split's mean image, so that the first "
                      "block's input has no offset shared by all images"),
    "bn-eval": ([dict(blocks=("bn-relu", "relu-bn"), seeds=tuple(range(20))),
                 dict(blocks=("bn-lrelu", "lrelu-bn"))],
                "the factorial mlp again, now with BatchNorm's three evaluations every epoch "
                "and the training split's fit"),
}


def _intervention(name: str, arms: list[dict], what: str) -> "Profile":
    return Profile(
        name=f"why-{name}",
        description=f"An intervention on the factorial profile's mlp: {what}.",
        common={**FASHION, "probe": 512},
        arms=[{**MLP_CPU, **arm} for arm in arms],
        seeds=tuple(range(10)),
        reductions=["Fashion-MNIST", "mlp with 256 units per block", what],
    )


def _cnn_two_orders(name: str, description: str, change: dict, seeds, reductions: list[str],
                    arm: dict | None = None) -> "Profile":
    """The converged CNN with one change (``change`` on every run, ``arm`` on the network), for
    the two orders of the original's claim."""
    return Profile(name=name, description=description, common={**FASHION, "probe": 512, **change},
                   arms=[{**CNN_CONVERGED, **(arm or {})}], blocks=("bn-relu", "relu-bn"),
                   seeds=tuple(seeds), reductions=reductions)


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
        description="The same questions on Fashion-MNIST, sized to train on a laptop CPU in "
                    "about an hour: the study's MLP exactly, an 8-block MLP in which every block "
                    "carries the order, and a narrow 8-block CNN on a subset of the images.",
        common=FASHION,
        arms=[dict(arch="seed-mlp"), MLP_CPU, CNN_CPU],
        reductions=[
            "Fashion-MNIST (28x28 grey) instead of CIFAR-10 (32x32 colour)",
            "10% of the training images held out for validation",
            "mlp: 256 units per block instead of 512",
            "cnn: 16 channels instead of 64, 4,000 training images, 5 epochs",
        ],
    ),
    Profile(
        name="factorial",
        description="The full 2x2 design {BatchNorm before, after the activation} x {ReLU, "
                    "LeakyReLU} plus the no-BatchNorm baseline, with paired seeds and the "
                    "mechanism diagnostics on a fixed probe batch of 512 images.",
        common={**FASHION, "probe": 512},
        arms=[{**MLP_CPU, "seeds": tuple(range(10))}, {**CNN_CPU, "seeds": tuple(range(5))}],
        blocks=(*FACTORIAL, "relu"),
        reductions=[
            "Fashion-MNIST (28x28 grey) instead of CIFAR-10 (32x32 colour)",
            "10% of the training images held out for validation",
            "mlp: 256 units per block instead of 512; 10 seeds",
            "cnn: 16 channels instead of 64, 4,000 training images, 5 epochs; 5 seeds",
        ],
    ),
    Profile(
        name=CNN_CONVERGED_PROFILE,
        description="The factorial design on the CNN trained as the original trained it: all "
                    "training images, 10 epochs, batch 128, Adam 1e-3, 8 blocks of 16 "
                    "channels, paired seeds, the mechanism diagnostics and the three BatchNorm "
                    "evaluations every epoch.",
        common={**FASHION, "probe": 512},
        arms=[CNN_CONVERGED,
              {**CNN_CONVERGED, "blocks": ("bn-relu", "relu-bn"), "seeds": CNN_MORE_SEEDS}],
        blocks=(*FACTORIAL, "relu"),
        seeds=tuple(range(5)),
        reductions=CNN_CONVERGED_REDUCTIONS,
    ),
    _cnn_two_orders(
        "cnn-converged-cosine",
        "The converged CNN with a cosine learning-rate schedule, for the two orders "
        "of the original's claim: a worse optimum, or volatility at a constant rate?",
        {"schedule": "cosine"}, range(3),
        [*CNN_CONVERGED_REDUCTIONS, "cosine schedule", "two block orders"],
    ),
    *[_cnn_two_orders(
        f"cnn-converged-{name}",
        f"The converged CNN at another step size ({VARIANTS[name][1]}), for the two "
        "orders of the original's claim: does the order effect move with the step?",
        VARIANTS[name][0], range(3),
        [*CNN_CONVERGED_REDUCTIONS, VARIANTS[name][1], "two block orders"],
    ) for name in ("lr3e-4", "lr3e-3")],
    *[_cnn_two_orders(
        f"cnn-converged-momentum{momentum:g}",
        f"The converged CNN with BatchNorm's running-statistics momentum {momentum:g} "
        "instead of 0.1, for the two orders of the original's claim, paired by seed with "
        "cnn-converged: the momentum changes no weight (training normalizes with each "
        "batch's own statistics), only how far back the running statistics remember.",
        {"bn_momentum": momentum}, MOMENTUM_SEEDS[momentum],
        [*CNN_CONVERGED_REDUCTIONS, f"BatchNorm momentum {momentum:g}", "two block orders"],
    ) for momentum in (0.01, 0.3)],
    _cnn_two_orders(
        "cnn-converged-width32",
        "The converged CNN at 32 channels, a step toward the original's 64, for the "
        "two orders of the original's claim.",
        {}, CNN_MORE_SEEDS,
        [CNN_CONVERGED_REDUCTIONS[0], CNN_CONVERGED_REDUCTIONS[1],
         "cnn: 32 channels instead of 64", "two block orders"],
        arm={"width": 32},
    ),
    Profile(
        name="smoke-factorial",
        description="The factorial design on synthetic data with tiny networks: seconds. Used by "
                    "the tests of the analysis chapters.",
        common=dict(dataset="synthetic", epochs=2, batch_size=64, val_fraction=0.1, probe=32),
        arms=[dict(arch="mlp", width=16, depth=2), dict(arch="cnn", width=4, depth=2)],
        blocks=(*FACTORIAL, "relu"),
        seeds=(0, 1, 2),
        reductions=["synthetic 8x8 images, 4 classes", "tiny networks", "two epochs", "three seeds"],
    ),
    Profile(
        name="factorial-gpu",
        description="The factorial design at the original study's full size: the CNN with 64 "
                    "channels and 8 blocks, 10 epochs, on all training images, 10 seeds.",
        common={**FASHION, "probe": 512},
        arms=[dict(arch="cnn", width=64, depth=8), dict(arch="mlp", width=512, depth=8)],
        blocks=(*FACTORIAL, "relu"),
        seeds=tuple(range(10)),
        reductions=["Fashion-MNIST (28x28 grey) instead of CIFAR-10 (32x32 colour)",
                    "10% of the training images held out for validation"],
    ),
    Profile(
        name="factorial-gpu-cosine",
        description="The full-size CNN of factorial-gpu with a cosine learning-rate schedule: "
                    "a worse optimum, or volatility at a constant rate?",
        common={**FASHION, "probe": 512, "schedule": "cosine"},
        arms=[dict(arch="cnn", width=64, depth=8)],
        blocks=FACTORIAL,
        seeds=tuple(range(5)),
        reductions=["Fashion-MNIST (28x28 grey) instead of CIFAR-10 (32x32 colour)",
                    "10% of the training images held out for validation", "cosine schedule"],
    ),
    Profile(
        name="cifar10-factorial",
        description="The factorial design on the original study's data and at its size: "
                    "CIFAR-10, the CNN with 64 channels and the MLP with 512 units, 8 blocks "
                    "each, 10 epochs, 10 seeds, the mechanism diagnostics on a probe batch. "
                    "Takes a GPU.",
        common=dict(dataset="cifar10", epochs=10, batch_size=128, lr=1e-3, val_fraction=0.1,
                    probe=512),
        arms=[dict(arch="cnn", width=64, depth=8), dict(arch="mlp", width=512, depth=8)],
        blocks=(*FACTORIAL, "relu"),
        seeds=tuple(range(10)),
        reductions=["10% of the training images held out for validation"],
    ),
    *[_variant(name, change, what) for name, (change, what) in VARIANTS.items()],
    *[_intervention(name, arms, what) for name, (arms, what) in INTERVENTIONS.items()],
    Profile(
        name="why-cnn-first-block",
        description="The intervention the MLP's results point to, on the converged CNN: the "
                    "order swapped in the first block only, and in blocks 2..n only.",
        common={**FASHION, "probe": 512},
        arms=[{**CNN_CONVERGED, **arm} for arm in INTERVENTIONS["first-block"][0]],
        seeds=tuple(range(5)),
        reductions=["Fashion-MNIST", "cnn: 16 channels instead of 64",
                    INTERVENTIONS["first-block"][1]],
    ),
    _cnn_two_orders(
        "why-cnn-bn-eval",
        "Fresh seeds of the converged CNN's two orders of the original's claim, to "
        "decide whether its order effect lives in BatchNorm's running statistics "
        "(a hypothesis read off seeds 0-3 of cnn-converged).",
        {}, range(5, 10), [*CNN_CONVERGED_REDUCTIONS, "two block orders", "seeds 5-9"],
    ),
    _cnn_two_orders(
        "why-cnn-centred-input",
        "The converged CNN's two orders of the original's claim on centred inputs "
        "(every image minus the training split's mean image), paired by seed with "
        "cnn-converged: does bn-relu's running-statistics cost come from the "
        "offset that every input shares?",
        {"center_inputs": True}, range(5),
        [*CNN_CONVERGED_REDUCTIONS, "two block orders", INTERVENTIONS["centred-input"][1]],
    ),
]}



def _tuned_choice(network: str):
    def per_block(block: str) -> dict:
        from .tuning import choice  # reads records: asked for only when the runs are
        return choice(network, CONFIRM_NETWORKS[network])[block]
    return per_block


def _confirm_profiles(network: str) -> list[Profile]:
    """The primary family's two profiles of ``network``: the original protocol and the tuned one
    (each order at the step size and schedule the selection chose for it), and the selection's
    own runs."""
    arm, what = CONFIRM_NETWORKS[network], {"mlp": "the 8-block MLP of 256 units",
                                            "cnn": "the converged CNN (16 channels, 8 blocks)"}[network]
    reductions = ["Fashion-MNIST (28x28 grey) instead of CIFAR-10 (32x32 colour)",
                  "10% of the training images held out for validation",
                  {"mlp": "mlp: 256 units per block", "cnn": "cnn: 16 channels instead of 64"}[network],
                  "two block orders"]
    return [
        Profile(name=f"confirm-{network}",
                description=f"The primary family's {what} under the original protocol (Adam 1e-3, "
                            "constant), on the fresh seeds book/predictions.yml reserves.",
                common=CONFIRM, arms=[arm], blocks=("bn-relu", "relu-bn"),
                seeds=registry.reserved_seeds(f"confirm-{network}"), reductions=reductions),
        Profile(name=f"confirm-{network}-tuned",
                description=f"The primary family's {what} with each order at its own step size and "
                            "schedule, chosen on the validation split (bnorder.runs.tuning), on fresh "
                            "seeds.",
                common=CONFIRM, arms=[arm], blocks=("bn-relu", "relu-bn"),
                seeds=registry.reserved_seeds(f"confirm-{network}-tuned"),
                reductions=[*reductions, "each order's own step size and schedule"],
                per_block=_tuned_choice(network)),
        *[Profile(name=f"select-{network}-{c['schedule']}-lr{c['lr']:.0e}".replace("e-0", "e-"),
                  description=f"A tuned-protocol candidate for {what} that no other profile trained "
                              f"(step size {c['lr']:g}, {c['schedule']} schedule), on the selection "
                              "seeds: read on the validation split only.",
                  common=FASHION, arms=[{**arm, **c}], blocks=("bn-relu", "relu-bn"),
                  seeds=tuple(registry.selection()["seeds"]),
                  reductions=[*reductions, f"step size {c['lr']:g}, {c['schedule']} schedule"])
          for c in SELECTION_TRAINS],
    ]


PROFILES.update({p.name: p for network in CONFIRM_NETWORKS for p in _confirm_profiles(network)})

# Names that stand for several profiles on the command line (``--profile variants``).
GROUPS: dict[str, list[str]] = {"variants": [f"factorial-{name}" for name in VARIANTS],
                                "why": [f"why-{name}" for name in INTERVENTIONS]}  # the MLP's


def match_profiles(pattern: str) -> list[str]:
    """Profile names matching a name, a group of :data:`GROUPS` (``variants``: every confound
    and robustness variant), a comma list, or shell patterns like ``factorial-lr*``."""
    import fnmatch

    names = []
    for part in pattern.split(","):
        found = GROUPS.get(part) or [n for n in PROFILES if fnmatch.fnmatchcase(n, part)]
        if not found:
            raise ValueError(f"unknown profile {part!r}; valid profiles: {', '.join(PROFILES)} "
                             f"(or the group{'s' if len(GROUPS) > 1 else ''} {', '.join(GROUPS)})")
        names += [n for n in found if n not in names]
    return names


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILES)}")
    return PROFILES[name]
