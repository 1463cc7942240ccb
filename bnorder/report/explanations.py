"""The suspected causes of the order effect, each with the predictions of ``book/predictions.yml``
that test it, and what the interventions made of it (the Conclusion's "Why").

A prediction is judged on its own (confirmed, refuted, unresolved; ``bnorder.interventions``).
An explanation is judged by its tests: each test says whether its prediction, when confirmed,
speaks for the explanation (+1) or against it (-1); a refuted prediction speaks the other way.
To add an intervention, add its prediction to ``book/predictions.yml`` and its id to the
explanation it tests here (``tests/test_report_explanations.py`` checks that none is left out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import verdicts
from .mechanisms import metric_unit


@dataclass(frozen=True)
class Explanation:
    network: str              # "MLP" or "CNN"
    claim: str                # the suspected cause, in the words a reader would use
    tests: dict[str, int]     # prediction id -> +1 if its confirmation supports the claim, -1 if it rules it out


EXPLANATIONS = (
    Explanation("MLP", "The order acts in the MLP's first block",
                {"first-block-only": +1, "first-block-rest": +1}),
    Explanation("MLP", "The images' shared mean pushes `relu-bn`'s first-block units below zero for "
                       "every image, and losing them costs `relu-bn` fit and accuracy",
                {"centred-input-units": +1, "centred-input-relu-bn": +1, "centred-input-lrelu-bn": +1,
                 "centred-input-fit": +1, "replicate-centred-relu-bn-precise": +1}),
    Explanation("MLP", "Those lost units are the whole of the MLP's order effect",
                {"centred-input-position": +1, "replicate-centred-position-precise": -1}),
    Explanation("MLP", "With uncentred inputs `bn-relu`'s running statistics lag its weights, so "
                       "centring helps `bn-relu` only through its evaluation",
                {"replicate-centred-bn-relu-running": +1, "replicate-centred-bn-relu-precise": +1}),
    Explanation("MLP", "The positive mean of `bn-relu`'s output carries its advantage",
                {"mean-shift-removed": -1, "mean-shift-added": -1}),
    Explanation("MLP", "The MLP's order effect is an artefact of BatchNorm's running statistics",
                {"precise-bn-mlp": -1}),
    Explanation("MLP", "`relu-bn`'s deficit in the MLP is one of fitting the training data, not of "
                       "generalizing from it",
                {"fit-mlp": +1}),
    Explanation("CNN", "Trained to the original's number of steps, the CNN's orders end within a point",
                {"cnn-position": +1}),
    Explanation("CNN", "The CNN's order effect and its volatility live in BatchNorm's running "
                       "statistics, not in its weights",
                {"cnn-volatility-precise": +1, "cnn-running-cost-bn-relu": +1,
                 "cnn-running-cost-order": +1, "cnn-position-precise": +1,
                 "cnn-step-position-precise": +1, "cnn-15-position-precise": +1,
                 "cnn-15-position-running": +1, "cnn-15-running-cost-order": +1,
                 "cnn-width32-position-precise": +1, "cnn-width32-running-cost-order": +1}),
    Explanation("CNN", "The running statistics miss because they remember steps whose weights the "
                       "training has left: a shorter memory shrinks the miss and the order gap",
                {"cnn-momentum-small-cost": +1, "cnn-momentum-large-cost": +1,
                 "cnn-momentum-large-position": +1, "cnn-momentum-small-position": +1,
                 "cnn-momentum-weights-unchanged": +1}),
    Explanation("CNN", "`bn-relu`'s running statistics miss because its weights keep moving by steps "
                       "the learning rate sets, so the miss grows with the learning rate",
                {"cnn-step-running-cost-larger": +1, "cnn-step-running-cost-smaller": +1}),
    Explanation("CNN", "`bn-relu`'s running statistics miss in the CNN because its first BatchNorm "
                       "normalizes a linear map of images that share an offset",
                {"cnn-centred-running-cost": +1, "cnn-centred-bn-relu": +1}),
    Explanation("CNN", "The CNN's late-epoch volatility comes from the constant learning rate",
                {"cnn-volatility-cosine": +1}),
    Explanation("CNN", "The order of the CNN's first block alone changes its test accuracy read with "
                       "running statistics, as the MLP's does",
                {"cnn-first-block": -1}),
)


def side(outcome: str, sign: int) -> int:
    """+1 when a prediction's outcome speaks for the explanation, -1 against, 0 neither."""
    return {"confirmed": sign, "refuted": -sign}.get(outcome, 0)


def lean(r: dict, sign: int) -> int:
    """Where an undecided prediction's estimate points: +1 towards the explanation (the side its
    confirmation would take), -1 away from it, 0 for a prediction of no effect or no estimate."""
    want = {"positive": 1, "negative": -1}.get(r.get("expect"), 0)
    mean = r.get("mean")
    if not want or mean is None or not np.isfinite(mean) or mean == 0:
        return 0
    return int(np.sign(mean)) * want * sign


def _leaning(leans) -> str:
    """How the undecided tests' estimates point, e.g. "; 2 leaning against it" ("" if none do)."""
    parts = [f"{k} leaning {way} it" for k, way in
             ((list(leans).count(1), "towards"), (list(leans).count(-1), "against")) if k]
    return f"; {' and '.join(parts)}" if parts else ""


def verdict(sides: list[int], n_tests: int, leans=()) -> str:
    """An explanation's standing from the sides of its tests that have run (+1, -1 or 0 each);
    ``leans`` (see :func:`lean`) says where the undecided ones point, so that estimates which all
    point one way are not read as no evidence."""
    if not sides:
        return "not tested yet"
    pro, con = sides.count(1), sides.count(-1)
    if pro and con:
        return f"mixed: {pro} test{'s' * (pro > 1)} for it, {con} against"
    if not (pro or con):
        return (f"not decided by these seeds ({len(sides)} of {n_tests} test{'s' * (n_tests > 1)} "
                f"run{_leaning(leans)})")
    if pro == n_tests:
        return "confirmed by every test"
    if con == n_tests:
        return "ruled out by every test"
    word, none = ("supported", "against it") if pro else ("contradicted", "for it")
    leaning = _leaning(leans)
    rest = f" ({leaning.removeprefix('; ')})" if leaning else ""
    return f"{word} by {pro or con} of {n_tests} tests, none {none}; the rest not decided{rest}"


def table(judged: pd.DataFrame) -> pd.DataFrame:
    """One row per explanation: its network, claim, verdict and the tests that have run."""
    by_id = {r["id"]: r for r in judged.to_dict("records")} if len(judged) else {}
    rows = []
    for e in EXPLANATIONS:
        ran = [(i, by_id[i]) for i in e.tests if i in by_id and by_id[i]["n"] >= 2]
        sides = [side(r["outcome"], e.tests[i]) for i, r in ran]
        leans = [lean(r, e.tests[i]) for (i, r), s in zip(ran, sides) if s == 0]
        rows.append({"network": e.network, "explanation": e.claim,
                     "verdict": verdict(sides, len(e.tests), leans), "tests": [r for _, r in ran],
                     "waiting": [i for i in e.tests if i not in dict(ran)]})
    return pd.DataFrame(rows)


def prediction_line(r: dict) -> str:
    """One judged prediction in a line: its outcome, its words, the paired difference."""
    return (f"  - {r['outcome']}: {' '.join(r['prediction'].split()).rstrip('.')}: {r['mean']:+.2f} "
            f"{metric_unit(r)} ({verdicts.interval_text(r['low'], r['high'])}; {r['n']} seeds; `{r['id']}`).")


def markdown(judged: pd.DataFrame) -> str:
    """Markdown: per network, each explanation with its verdict and its tests beneath it."""
    if not len(judged):
        return "*No predictions are recorded.*"
    parts = []
    for row in table(judged).to_dict("records"):
        lines = [f"- **{row['network']}. {row['explanation']}:** {row['verdict']}."]
        lines += [prediction_line(r) for r in row["tests"]]
        if row["waiting"]:
            lines.append(f"  - not run yet: {', '.join(f'`{i}`' for i in row['waiting'])}.")
        parts.append("\n".join(lines))
    return "\n".join(parts)


def summary(judged: pd.DataFrame) -> pd.DataFrame:
    """The causes as a table for a chapter's opening: network, cause, standing, and the ids of
    the predictions that test it."""
    t = table(judged)
    return pd.DataFrame({"network": t["network"], "suspected cause": t["explanation"].str.replace("`", ""),
                         "standing": t["verdict"],
                         "tested by": [", ".join(e.tests) for e in EXPLANATIONS]})
