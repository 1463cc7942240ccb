"""The Methods chapter: the blocks drawn from the order table, the networks' sizes and the
profiles, all read from the package (no torch)."""

from __future__ import annotations

from dataclasses import fields

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..analysis.parameter_counts import n_params, order_blocks
from ..orders import ALIASES, LEAKY_SLOPE, ORDERS, activation_then_bn, has_batchnorm
from ..runs.config import ARCHS, DEFAULT_DEPTH, DEFAULT_WIDTH, SPLIT_SEED, RunConfig
from ..runs.profiles import PROFILES
from ..runs.tuning import SelectionPending

DEFAULTS = {f.name: f.default for f in fields(RunConfig)}
CASE_OF = {block: case for case, block in ALIASES.items()}
STYLE = {  # operation -> (label, face colour, edge colour)
    "layer": ("conv / linear", "#dfe7f2", "#4a6fa5"),
    "bn": ("BatchNorm", "#fbe3c8", "#c9731c"),
    "relu": ("ReLU", "#d9efd9", "#3d8b3d"),
    "lrelu": ("LeakyReLU", "#e6dcf2", "#7451a8"),
}
ARCH_TEXT = {
    "cnn": "stem conv (no norm, no activation), then conv blocks at full resolution, "
           "global average pooling, linear classifier",
    "mlp": "linear blocks, every one carrying the order, then a linear classifier",
    "seed-mlp": "the original study's MLP: the order in the first linear layer only, then "
                "Linear–ReLU 512→256→128 and Linear 128→10, no BatchNorm",
}


def facts() -> dict[str, str]:
    """The defaults and constants the chapter's prose quotes."""
    out = {"n_orders": len(ORDERS), "leaky_slope": LEAKY_SLOPE, "depth": DEFAULT_DEPTH,
           "cnn_width": DEFAULT_WIDTH["cnn"], "mlp_width": DEFAULT_WIDTH["mlp"],
           "val_percent": f"{100 * DEFAULTS['val_fraction']:g}", "split_seed": SPLIT_SEED}
    out |= {f"default_{k}": DEFAULTS[k] for k in ("lr", "batch_size", "epochs", "val_fraction")}
    return {k: str(v) for k, v in out.items()}


def _box(ax, x, y, op, w=1.55, h=0.52):
    text, face, edge = STYLE[op]
    ax.add_patch(FancyBboxPatch((x, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                fc=face, ec=edge, lw=1.4))
    ax.text(x + w / 2, y, text, va="center", ha="center", fontsize=9.5)


def _arrow(ax, x0, x1, y):
    ax.add_patch(FancyArrowPatch((x0, y), (x1, y), arrowstyle="-|>", mutation_scale=10,
                                 color="#555555", lw=1))


def blocks_figure(orders=ORDERS):
    """Each block as a row of boxes: the layer, then its operations in order."""
    n, box_w, gap, x0 = len(orders), 1.55, 0.55, 2.35
    fig, ax = plt.subplots(figsize=(8.2, 0.78 * n + 0.4))
    for row, (name, ops) in enumerate(orders.items()):
        y = n - 1 - row
        label = name + (f"\n(original {CASE_OF[name]})" if name in CASE_OF else "")
        ax.text(0.0, y, label, va="center", ha="left", fontsize=10, family="monospace")
        ax.text(x0 - 0.32, y, "x", va="center", ha="center", fontsize=11, style="italic")
        x = x0
        for k, op in enumerate(("layer", *ops)):
            _box(ax, x, y, op)
            _arrow(ax, x - gap + 0.05 if k else x - 0.22, x - 0.04, y)
            x += box_w + gap
        _arrow(ax, x - gap + 0.05, x - 0.1, y)
        ax.text(x + 0.02, y, "out", va="center", ha="left", fontsize=10, style="italic")
    ax.set_xlim(-0.05, x0 + 3 * (box_w + gap) + 0.6)
    ax.set_ylim(-0.6, n - 0.4)
    ax.axis("off")
    fig.tight_layout()
    return fig


def blocks_table() -> pd.DataFrame:
    return pd.DataFrame([
        {"block": name, "operations after the layer": " → ".join(STYLE[op][0] for op in ops),
         "original case": CASE_OF.get(name, "—"),
         "BatchNorm after the activation": "yes" if activation_then_bn(name) else "no",
         "has BatchNorm": "yes" if has_batchnorm(name) else "no"}
        for name, ops in ORDERS.items()]).set_index("block")


def networks_table() -> pd.DataFrame:
    """The three networks at the original study's size on CIFAR-10."""
    rows = [{"network": arch, "structure": ARCH_TEXT[arch],
             "width": DEFAULT_WIDTH[arch] if arch != "seed-mlp" else "512 (first layer)",
             "order-carrying blocks": order_blocks(arch, DEFAULT_DEPTH),
             "parameters on CIFAR-10": f"{n_params(arch, 'bn-relu', (3, 32, 32), 10):,}"}
            for arch in ARCHS]
    return pd.DataFrame(rows).set_index("network")


def cpu_networks_table(profile: str = "cpu") -> pd.DataFrame:
    """The networks of a CPU-sized profile on Fashion-MNIST."""
    p, rows = PROFILES[profile], []
    for arm in p.arms:
        kw = {k: arm[k] for k in ("width", "depth") if k in arm}
        rows.append({"network": arm["arch"], "width": arm.get("width", "512 (first layer)"),
                     "order-carrying blocks": order_blocks(arm["arch"], kw.get("depth", DEFAULT_DEPTH)),
                     "parameters on Fashion-MNIST": f"{n_params(arm['arch'], 'bn-relu', (1, 28, 28), 10, **kw):,}",
                     "training images": arm.get("train_subset") or "all but the validation split",
                     "epochs": arm.get("epochs", p.common["epochs"])})
    return pd.DataFrame(rows).set_index("network")


def _values(runs, knob) -> str:
    return ", ".join(str(v) for v in sorted({r.get(knob, DEFAULTS[knob]) for r in runs}, key=str))


def profiles_table() -> pd.DataFrame:
    """Every profile: data, networks, blocks (from its runs), seeds, epochs, runs, reductions."""
    rows = []
    for p in PROFILES.values():
        try:
            runs = p.runs()
        except SelectionPending:   # the tuned protocol's runs wait for the selection's records
            runs = []
        arms = "; ".join(a["arch"] + (f" ({', '.join(f'{k} {v}' for k, v in a.items() if k != 'arch')})"
                                     if len(a) > 1 else "") for a in p.arms)
        rows.append({"profile": p.name, "dataset": _values(runs, "dataset"), "networks": arms,
                     "blocks": _values(runs, "block"), "seeds": _values(runs, "seed"),
                     "epochs": _values(runs, "epochs"), "runs": len(runs),
                     "reductions": "; ".join(p.reductions) or "none (the original protocol)"})
    return pd.DataFrame(rows).set_index("profile")
