"""Every figure of the book by the name its chapter glues it under: ``draw(name)`` reads what the
figure needs (the run records under :func:`bnorder.report.results_dir`, the original study's
numbers in ``book/reference/``, the predictions in ``book/predictions.yml``) and returns the
matplotlib figure the chapter shows, drawn by the chapter's own module. A chapter glues
``draw(name)``, and ``python -m bnorder figure NAME`` saves it, so the two are the same figure
by construction; no Jupyter and no PyTorch are needed.

Each entry also names the chapter that shows it and the records it reads, which its caption ends
with (:func:`caption_sentence`; ``tests/test_figures.py`` holds the captions to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class BookFigure:
    name: str
    chapter: str                 # the chapter that glues it: book/<chapter>.md
    what: str                    # one line, for ``--list``
    records: str                 # what it reads, as its caption names it (Markdown)
    build: Callable[[], object]  # () -> matplotlib figure


FIGURES: dict[str, BookFigure] = {}


def _figure(name: str, chapter: str, what: str, records: str):
    def register(build):
        FIGURES[name] = BookFigure(name, chapter, what, records, build)
        return build
    return register


def names() -> list[str]:
    """The registered names, in the book's order of chapters."""
    return list(FIGURES)


def draw(name: str):
    """The figure ``name`` as the book shows it, drawn from the records as they are now."""
    if name not in FIGURES:
        raise ValueError(f"no figure {name!r}; the figures: {', '.join(FIGURES)}")
    return FIGURES[name].build()


def caption_sentence(name: str) -> str:
    """The sentence a figure's caption ends with: the command that draws it and what it reads."""
    return f"Regenerate with `python -m bnorder figure {name}` (records: {FIGURES[name].records})."


def save(name: str, out: str | Path | None = None) -> Path:
    """Draw ``name`` and write it to ``out`` (default ``figures/<name>.png``; the suffix picks
    the format, e.g. ``.pdf``) at the figure's own size and resolution, as the book writes it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = draw(name)
    path = Path(out) if out else Path("figures") / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(path, bbox_inches="tight")   # as the notebook's inline backend does
    finally:
        plt.close(fig)
    return path


def listing() -> str:
    """One line per figure: its name, its chapter and what it shows."""
    width = max(map(len, FIGURES), default=0)
    return "\n".join(f"{f.name:<{width}}  {f.chapter + ':':<13} {f.what}" for f in FIGURES.values())


# ------------------------------------------------------------------ the book's inputs

def _results():
    from . import results_dir
    return results_dir()


def _base() -> str:
    from . import factorial_profile
    return factorial_profile()


def _factorial_runs():
    from . import factorial as fx
    return fx.factorial_runs(_results(), _base())[0]


_EDITION = "the CNN's strongest edition, `results/factorial-gpu/` or else `results/cnn-converged/`"
_FACTORIAL = f"`results/factorial/`; {_EDITION}"
_CONVERGED = "every record of the converged CNN's configuration, `results/cnn-converged/` and `results/why-cnn-bn-eval/`"
_REFERENCE = "`book/reference/original-study-runs.csv`"

# ------------------------------------------------------------------ Introduction, Methods


@_figure("fig_original_curves", "intro", "the original study's Experiment 1: test accuracy per epoch and run",
         _REFERENCE)
def _original_curves():
    from . import intro
    return intro.curves_figure()


@_figure("fig_blocks", "methods", "each block order as a row of operations",
         "none; drawn from the orders in `bnorder/orders.py`")
def _blocks():
    from . import methods
    return methods.blocks_figure()


# ------------------------------------------------------------------ Replication

def _rerun_runs():
    from ..analysis import replication
    from . import replication as rp
    return replication.replication_runs(_results(), rp.book_profile())[0]


@_figure("fig_claims", "replication", "each claim of the original study: its two experiments and the rerun",
         f"{_REFERENCE}, `results/cpu/`; {_EDITION}")
def _claims():
    from . import replication as rp
    return rp.claims_figure(rp.comparisons(_rerun_runs()))


@_figure("fig_orig_epochs", "replication", "the original Experiment 1's last epochs per run: best, last three, final",
         _REFERENCE)
def _orig_epochs():
    from . import original_epochs
    return original_epochs.epochs_figure()


@_figure("fig_rerun_curves", "replication", "the rerun's training and test accuracy per epoch, by network and case",
         f"`results/cpu/`; {_EDITION}")
def _rerun_curves():
    from . import replication as rp
    return rp.curves_figure(_rerun_runs())


# ------------------------------------------------------------------ Factorial, Robustness, Statistics

@_figure("fig_effects", "factorial", "each effect of the 2x2 design per network: seeds, mean, 95% interval",
         _FACTORIAL)
def _effects():
    from . import factorial as fx
    return fx.forest_figure(fx.effects(_factorial_runs()))


@_figure("fig_curves", "factorial", "the factorial design's training and test accuracy per epoch",
         _FACTORIAL)
def _curves():
    from . import factorial as fx
    return fx.curves_figure(_factorial_runs())


@_figure("fig_answer", "robustness", "the MLP's position effect under every one-knob variant, and its change",
         "`results/factorial/` and `results/factorial-*/`")
def _answer():
    from ..analysis import robustness
    from . import robustness as rb
    return rb.answer_figure(robustness.variant_table(_results(), _base()))


@_figure("fig_seeds", "statistics", "paired seeds run against the seeds each effect needs for 80% power",
         _FACTORIAL)
def _seeds():
    from . import statistics as st
    return st.seeds_figure(st.effects(_factorial_runs()))


@_figure("fig_coverage", "statistics", "how often a 95% interval covers the mean, per method and number of seeds",
         "`results/coverage/interval-coverage.json`")
def _coverage():
    from . import ROOT
    from . import statistics as st
    return st.coverage_figure(*st.coverage(ROOT / "results"))   # a simulation, the same for every profile


# ------------------------------------------------------------------ Mechanisms

@_figure("fig_forest", "mechanisms", "every intervention against its prediction: paired differences by outcome",
         "`book/predictions.yml` and the records of its arms under `results/`")
def _forest():
    from ..analysis.mechanisms import judged
    from . import mechanisms as mech
    return mech.forest_figure(judged(_results()))


@_figure("fig_units", "mechanisms", "always-negative units per layer and block at the last epoch",
         "`results/factorial/`")
def _units():
    from ..analysis.mechanisms import unit_states
    from ..analysis.pooling import loader
    from . import mechanisms as mech

    return mech.unit_states_figure(unit_states(loader(_results())(_base())))


@_figure("fig_first_block", "mechanisms", "the MLP's first-block always-negative units over training, per arm",
         "`results/factorial/` and `results/why-centred-input/`")
def _first_block():
    from ..analysis.mechanisms import first_block_over_training
    from ..analysis.pooling import loader
    from . import mechanisms as mech
    arms = mech.first_block_arms(_base())

    return mech.first_block_figure(first_block_over_training(loader(_results()), arms), arms)


@_figure("fig_cnn_curves_two_readings", "mechanisms",
         "the converged CNN's test accuracy per epoch, read with running and precise statistics", _CONVERGED)
def _cnn_curves_two_readings():
    from . import readings
    from ..analysis.order_readings import epoch_readings

    return readings.readings_figure(epoch_readings(_results()))


@_figure("fig_cnn_momentum", "mechanisms", "what the running statistics cost the converged CNN at each momentum",
         f"`results/cnn-converged-momentum0.01/`, `results/cnn-converged-momentum0.3/`; at 0.1, {_CONVERGED}")
def _cnn_momentum():
    from . import momentum
    from ..findings.order_effects import momentum_costs

    return momentum.momentum_figure(momentum_costs(_results()))


@_figure("fig_cnn_width32_readings", "mechanisms",
         "the 32-channel CNN's final test accuracy per block, running and precise statistics",
         "`results/cnn-converged-width32/`")
def _cnn_width32_readings():
    from . import conclusion as cc
    from ..findings.order_effects import cnn_readings

    return cc.cnn_readings_figure(cnn_readings(_results(), "cnn-width32"))


@_figure("fig_dose", "mechanisms", "the order effect against the learning rate, MLP and converged CNN",
         "`results/factorial/`, `results/factorial-lr*/`, `results/factorial-cosine/`, `results/cnn-converged/`, "
         "`results/cnn-converged-lr*/` and `results/cnn-converged-cosine/`")
def _dose():
    from . import mechanisms as mech
    from ..analysis.mechanisms import cnn_dose_response, dose_response

    return mech.dose_figure(dose_response(_results(), _base()), cnn_dose_response(_results()))


@_figure("fig_probe", "mechanisms", "the probe's measurements per network and block, one dot per seed",
         "`results/factorial/`")
def _probe():
    from ..analysis.pooling import loader
    from . import mechanisms as mech
    return mech.probe_figure(loader(_results())(_base()))


# ------------------------------------------------------------------ Conclusion

@_figure("fig_cnn_readings", "conclusion",
         "the converged CNN's final test accuracy per block, running and precise statistics", _CONVERGED)
def _cnn_readings():
    from . import conclusion as cc
    from ..findings.order_effects import cnn_readings

    return cc.cnn_readings_figure(cnn_readings(_results()))
