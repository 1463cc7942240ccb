"""The original study's findings from its data (unpaired runs, Welch), and the Replication
chapter's rerun of its comparisons, paired by seed (:mod:`bnorder.analysis.replication`)."""

from __future__ import annotations

import numpy as np

from ..analysis import original_study
from ..analysis import stats, verdicts
from .entries import ORIGINAL_DATA, describe_entry, records_of, verdict_entry

# The original study's differences: (experiment, arch, a, b) as a − b of the final epoch.
ORIGINAL_DIFFERENCES = [("exp1", "cnn", "case2", "case1"), ("exp1", "cnn", "case3", "case2"),
                        ("exp1", "cnn", "case3", "case1"),
                        ("exp2", "cnn", "case2", "case1"), ("exp2", "cnn", "case3", "case2"),
                        ("exp2", "cnn", "case3", "case1"),
                        ("exp2", "mlp", "case2", "case1"), ("exp2", "mlp", "case3", "case2"),
                        ("exp2", "mlp", "case3", "case1")]
# Those the study's text interpreted (the Statistics chapter's table of them).
INTERPRETED_DIFFERENCES = [d for d in ORIGINAL_DIFFERENCES
                           if d not in (("exp1", "cnn", "case3", "case1"), ("exp2", "cnn", "case3", "case1"),
                                        ("exp2", "mlp", "case3", "case2"))]


def original_findings(original=None) -> dict[str, dict]:
    """The original study re-read: its differences at the final epoch (Welch over unpaired
    runs), the two runs of case 1 of its CNN against each other, Experiment 1's case1 deficit
    under each score, and per case of Experiment 1 its late volatility and the shortfall of its
    last epoch below its best."""
    runs = original_study.load_original_runs() if original is None else original
    final = original_study.original_final(runs)
    data = {"data": [ORIGINAL_DATA]}

    def group(exp, arch, case):
        return final.loc[(final["experiment"] == exp) & (final["arch"] == arch)
                         & (final["case"] == case), "test_acc"].to_numpy(float)

    out = {}
    pairs = [(f"original-{e}-{a}-{x}-vs-{y}", (e, a, x), (e, a, y)) for e, a, x, y in ORIGINAL_DIFFERENCES]
    pairs.append(("original-cnn-case1-exp2-vs-exp1", ("exp2", "cnn", "case1"), ("exp1", "cnn", "case1")))
    for key, x, y in pairs:
        a, b = group(*x), group(*y)
        if len(a) < 2 or len(b) < 2:
            continue
        v = verdicts.unpaired_verdict(a, b)
        out[key] = {"kind": "original", "what": f"{' '.join(x)} − {' '.join(y)}",
                    "metric": "final_test_acc", "runs": [len(a), len(b)], **data, **verdict_entry(v)}
    out.update(_stratified(final, data))
    if (runs["experiment"] == "exp1").any():
        con = original_study.case_contrasts(runs, "exp1", contrasts={"deficit": original_study.CONTRASTS[original_study.DEFICIT[0]]})
        for r in con.itertuples():
            v = verdicts.Verdict(r.n_runs, r.estimate, r.ci_low, r.ci_high,
                                 verdicts.interval_state(r.ci_low, r.ci_high),
                                 int(np.sign(r.estimate)), r.runs_agree, np.nan)
            out[f"original-exp1-{r.arch}-deficit-{r.score.replace('_', '-')}"] = {
                "kind": "original", "what": original_study.DEFICIT[0], "metric": r.score, **data,
                **verdict_entry(v)}
        scores = original_study.run_scores(runs, "exp1")
        scores["shortfall"] = scores["best"] - scores["final"]
        for (arch, case), g in scores.groupby(["arch", "case"], sort=True):
            for name, col in (("late-volatility", "late_volatility"), ("shortfall", "shortfall"),
                              ("best", "best"), ("final", "final")):
                out[f"original-exp1-{arch}-{case}-{name}"] = {
                    "kind": "describe", "what": col, **data, **describe_entry(g[col].to_numpy(float))}
    return out


def _stratified(final, data) -> dict[str, dict]:
    """The study's CNN read over both experiments, which ran the same configurations, with the
    experiment as a stratum: each case's difference from case 1 (a fixed effect of the experiment,
    :func:`bnorder.analysis.stats.stratified_difference`) and its spread over runs relative to case 1's
    (variances pooled within experiments, :func:`bnorder.analysis.stats.pooled_spread_ratio`):
    ``original-cnn-<case>-vs-case1-stratified`` and ``…-spread-stratified``."""
    cnn = final[final["arch"] == "cnn"]
    if cnn["experiment"].nunique() < 2:
        return {}
    out = {}
    for case in ("case2", "case3"):
        d = stats.stratified_difference(cnn["test_acc"], cnn["case"], cnn["experiment"], case, "case1")
        state = verdicts.interval_state(d["low"], d["high"])
        out[f"original-cnn-{case}-vs-case1-stratified"] = {
            "kind": "original", "what": f"cnn {case} − case1, both experiments, experiment as a stratum",
            "metric": "final_test_acc", "runs": int(d["n"]), "p": d["p"], **data,
            "n": d["n"], "mean": d["mean"], "low": d["low"], "high": d["high"], "margin": None,
            "state": state, "direction": int(np.sign(d["mean"])), "agree": None,
            "seeds_needed": None, "seeds_needed_for": None}
        groups = {c: [g.loc[g["case"] == c, "test_acc"] for _, g in cnn.groupby("experiment")]
                  for c in (case, "case1")}
        r = stats.pooled_spread_ratio(groups[case], groups["case1"])
        if np.isfinite(r["low"]):
            out[f"original-cnn-{case}-vs-case1-spread-stratified"] = {
                "kind": "original", "what": f"sd(cnn {case}) / sd(case1), pooled within both experiments",
                "metric": "final_test_acc", "p": r["p"], **data,
                **_ratio_entry(r["ratio"], r["low"], r["high"], int(sum(len(g) for g in groups[case])))}
    return out


# The Replication chapter's rerun: the book profile it reads unless $BNORDER_BOOK_PROFILE says otherwise.
REPLICATION_BASE = "cpu"


def _ratio_entry(ratio: float, low: float, high: float, n: int) -> dict:
    """A ratio of standard deviations as a finding: ``mean`` the ratio, ``low``/``high`` its 95%
    interval; resolved when the interval excludes one, ``direction`` the sign of the log ratio
    (negative: the first spreads less). No seeds count agrees or would decide a ratio."""
    state = verdicts.interval_state(np.log(low), np.log(high)) if low > 0 else "unresolved"
    return {"n": int(n), "mean": ratio, "low": low, "high": high, "margin": None, "state": state,
            "direction": int(np.sign(np.log(ratio))), "agree": None, "seeds_needed": None,
            "seeds_needed_for": None}


def replication_findings(results, base: str = REPLICATION_BASE, load=None, original=None) -> dict[str, dict]:
    """The Replication chapter's rerun of the original study's comparisons
    (:mod:`bnorder.analysis.replication`), from the book profile ``base`` and its CNN edition:

    - ``replication-<arch>-<a>-vs-<b>`` and ``…-best-val``: case a − case b at the last and at
      the best-validation epoch, paired by seed, with the chapter's margin in the MLPs
      (:func:`~bnorder.analysis.replication.paired`, :func:`~bnorder.analysis.replication.margin_for`);
    - ``replication-<arch>-<case>-vs-case1-spread`` and, from the study's unpaired runs,
      ``original-<exp>-<arch>-<case>-vs-case1-spread``: the ratio of that case's standard
      deviation over seeds (runs) to case 1's, with its 95% interval
      (:func:`~bnorder.analysis.replication.spread_rows`); negative: less spread than case 1."""
    from ..analysis import replication as rp

    runs, editions = rp.replication_runs(results, base, load)
    out = {}
    for arch in rp.ARCHS:
        for block, ref in rp.COMPARISONS:
            for value in rp.VALUES:
                d = rp.paired(runs, arch, block, ref, value)
                if d is None or not len(d):
                    continue
                d = d.sort_index()
                used = runs[(runs["arch"] == arch) & runs["block"].isin([block, ref])
                            & runs["seed"].isin(d.index)]
                out[rp.finding_id(arch, block, ref, "here", value)] = {
                    "kind": "replication", "what": f"{block} − {ref}", "metric": value,
                    "profile": editions[arch], "seeds": [int(s) for s in d.index],
                    "records": records_of(used, results),
                    **verdict_entry(verdicts.verdict(d.to_numpy(), rp.margin_for(arch)))}
    for r in rp.spread_rows(runs, original).itertuples():
        if not (np.isfinite(r.low) and np.isfinite(r.high)):
            continue
        entry = {"what": f"sd({r.block}) / sd(bn-relu)", "metric": "final_test_acc",
                 **_ratio_entry(r.ratio, r.low, r.high, r.n)}
        if r.source == "here":
            used = runs[(runs["arch"] == r.arch) & runs["block"].isin([r.block, "bn-relu"])
                        & runs["seed"].isin(r.seeds)]
            entry = {"kind": "replication", "profile": editions[r.arch],
                     "seeds": [int(s) for s in r.seeds], "records": records_of(used, results), **entry}
        else:
            entry = {"kind": "original", "data": [ORIGINAL_DATA], **entry}
        out[rp.spread_id(r.arch, r.block, r.source)] = entry
    return out


def original_epoch_findings(original=None) -> dict[str, dict]:
    """The original study's CNN read beyond its reported number (Welch, unpaired runs):

    - ``original-exp1-cnn-<a>-vs-<b>-<score>``: the differences of
      :data:`ORIGINAL_DIFFERENCES` in Experiment 1 with every run scored by its best epoch, the
      mean of its last three epochs, or its late volatility (:func:`bnorder.analysis.original_study.run_scores`;
      the final epoch is ``original-exp1-cnn-<a>-vs-<b>``);
    - ``original-exp2-<arch>-deficit-final``: case 1 − mean(case 2, case 3) in Experiment 2;
    - ``original-cnn-<case>-exp2-vs-exp1``: a case's mean in Experiment 2 − in Experiment 1,
      for cases 2 and 3 (case 1: :func:`original_findings`);
    - ``original-cnn-deficit-exp2-vs-exp1`` and ``…-<score>``: the case 1 deficit of
      Experiment 2 − that of Experiment 1, scored at its final epoch, its last three epochs
      or its best epoch (:func:`bnorder.analysis.original_study.table_consistency`)."""
    runs = original_study.load_original_runs() if original is None else original
    data = {"data": [ORIGINAL_DATA]}
    out = {}
    if not (runs["experiment"] == "exp1").any():
        return out
    scores = original_study.run_scores(runs, "exp1")
    for exp, arch, x, y in ORIGINAL_DIFFERENCES:
        for score in ("best", "last3", "late_volatility") if exp == "exp1" else ():
            a, b = (scores.loc[(scores["arch"] == arch) & (scores["case"] == c), score].dropna()
                    for c in (x, y))
            if len(a) < 2 or len(b) < 2:
                continue
            out[f"original-exp1-{arch}-{x}-vs-{y}-{score.replace('_', '-')}"] = {
                "kind": "original", "what": f"exp1 {arch} {x} − exp1 {arch} {y}", "metric": score,
                "runs": [len(a), len(b)], **data, **verdict_entry(verdicts.unpaired_verdict(a, b))}
    if not (runs["experiment"] == "exp2").any():
        return out
    final = original_study.original_final(runs)
    for case in ("case2", "case3"):
        a, b = (final.loc[(final["experiment"] == e) & (final["arch"] == "cnn") & (final["case"] == case),
                          "test_acc"].to_numpy(float) for e in ("exp2", "exp1"))
        if len(a) >= 2 and len(b) >= 2:
            out[f"original-cnn-{case}-exp2-vs-exp1"] = {
                "kind": "original", "what": f"exp2 cnn {case} − exp1 cnn {case}",
                "metric": "final_test_acc", "runs": [len(a), len(b)], **data,
                **verdict_entry(verdicts.unpaired_verdict(a, b))}
    deficit = original_study.DEFICIT[0]
    con = original_study.case_contrasts(runs, "exp2", scores=("final",),
                                   contrasts={"deficit": original_study.CONTRASTS[deficit]})
    for r in con.itertuples():
        v = verdicts.Verdict(r.n_runs, r.estimate, r.ci_low, r.ci_high,
                             verdicts.interval_state(r.ci_low, r.ci_high), int(np.sign(r.estimate)),
                             r.runs_agree, np.nan)
        out[f"original-exp2-{r.arch}-deficit-final"] = {
            "kind": "original", "what": deficit, "metric": "final", **data, **verdict_entry(v)}
    n = int(final.groupby(["experiment", "arch", "case"]).size().min())
    tab = original_study.table_consistency(runs)
    for r in tab[tab["quantity"] == deficit].itertuples():
        v = verdicts.Verdict(n, r.difference, r.ci_low, r.ci_high,
                             verdicts.interval_state(r.ci_low, r.ci_high), int(np.sign(r.difference)),
                             None, np.nan)
        suffix = "" if r.exp1_score == "final" else f"-{r.exp1_score}"
        out[f"original-{r.arch}-deficit-exp2-vs-exp1{suffix}"] = {
            "kind": "original", "what": f"{deficit}: exp2 (final) − exp1 ({r.exp1_score})",
            "metric": r.exp1_score, **data, **verdict_entry(v)}
    return out
