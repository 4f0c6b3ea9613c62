"""The decision of a run, computed once: what to adopt, the runner-up, how sure and how much it matters.

:func:`decide` turns a tidy metrics table (``[replication, strategy, metric, value]``) into a
:class:`Recommendation`, the one answer every reader of a run shows — ``simlib run``'s printout
(:meth:`simlib.run.experiment.Results.headline`), the index page, every board page, the search
page and the sensitivity studies (their recommended strategy and runner-up). It is saved beside
the result tables as ``decision.json`` (:meth:`Recommendation.save`, read back by
:func:`load_decision`), so no reader ranks the strategies again.

The rules, in one place:

* **metric** — :func:`decision_metric`: the NPV after the credit line's interest when the results
  carry it (the scenario set a cash floor), otherwise the NPV of net collections;
* **feasibility** — a strategy short of cash beyond the credit line in more than
  :data:`~simlib.scenario.liquidity.INFEASIBLE_SHARE_MAX` (5 %) of runs is *infeasible*
  (:func:`infeasible_strategies`) and cannot be recommended: the best of the others is, even when
  it is worse than an infeasible status quo (``gain`` < 0); only when every strategy is infeasible
  is the best of all named, with ``feasible`` False;
* **recommended strategy** — the best candidate by mean (the metric's better direction; a tie
  goes to the strategy listed first), ``probability_best`` among the candidates, ``gain`` its
  paired difference against the status quo run by run with its 95 % CI;
* **runner-up** — the strategy the same rule picks once the recommended one is set aside: the best
  of the *other feasible* strategies (of all the others only when none is feasible), None with a
  single strategy; ``margin`` is the recommended strategy's paired lead over it, positive in the
  metric's better direction;
* **verdicts** — the gain and the margin in words (:func:`simlib.analysis.numbers.verdict`), judged
  on the numbers as displayed and against the scenario's materiality thresholds
  (:mod:`simlib.scenario.materiality`): "better", "worse", "no clear difference", "no material
  difference" or "no difference".
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pandas as pd

from simlib.analysis.numbers import ci_text, diff_text, value_text, verdict
from simlib.analysis.summaries import paired_differences, probability_best, summarize
from simlib.core.metric_catalogue import KEY_METRIC, LIQUIDITY_KEY_METRIC, METRICS, mid_sentence
from simlib.scenario.liquidity import INFEASIBLE_SHARE_MAX, is_infeasible
from simlib.scenario.materiality import Decision as Materiality
from simlib.scenario.materiality import threshold_text

DECISION_FILE = "decision.json"
#: Verdicts that do not rank two strategies: the difference is zero or below materiality as shown.
NOT_MATERIAL = ("no difference", "no material difference")


def decision_metric(metrics: pd.DataFrame) -> str:
    """The metric to rank on: the NPV after the credit line's interest when the results carry it (the
    scenario set a cash floor), otherwise the NPV of net collections (:data:`KEY_METRIC`)."""
    return LIQUIDITY_KEY_METRIC if LIQUIDITY_KEY_METRIC in set(metrics["metric"]) else KEY_METRIC


def infeasible_strategies(metrics: pd.DataFrame) -> list[str]:
    """Strategies short of cash beyond the credit line in more than
    :data:`simlib.scenario.liquidity.INFEASIBLE_SHARE_MAX` of their runs (none without a cash floor)."""
    rows = metrics[metrics["metric"] == "liquidity_infeasible"]
    if rows.empty:
        return []
    share = rows.groupby("strategy", sort=False)["value"].mean()
    return [s for s in pd.unique(metrics["strategy"]) if s in share.index and is_infeasible(float(share[s]))]


@dataclass(frozen=True)
class Recommendation:
    """The decision of one run (module docstring). Money and rates are in the metric's own unit
    and sign; ``margin*`` are positive when the recommended strategy is ahead of the runner-up."""

    metric: str
    unit: str
    baseline: str
    strategy: str
    gain: float
    ci_low: float
    ci_high: float
    significant: bool
    gain_verdict: str
    probability_best: float
    runner_up: str | None
    margin: float
    margin_ci_low: float
    margin_ci_high: float
    margin_verdict: str
    infeasible: tuple[str, ...]
    feasible: bool
    materiality: float
    materiality_pp: float
    replications: int
    strategies: int

    @property
    def keeps_status_quo(self) -> bool:
        """The status quo is best (nothing to adopt)."""
        return self.strategy == self.baseline

    @property
    def thresholds(self) -> Materiality:
        """The thresholds the verdicts were judged against."""
        return Materiality(materiality=self.materiality, materiality_pp=self.materiality_pp)

    def to_dict(self) -> dict:
        """Plain JSON values (an undefined number is ``null``)."""
        out = asdict(self)
        out["infeasible"] = list(self.infeasible)
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}

    @classmethod
    def from_dict(cls, data: dict) -> "Recommendation":
        names = {f.name: f for f in fields(cls)}
        missing = sorted(set(names) - set(data))
        if missing:
            raise ValueError(f"{DECISION_FILE}: missing {', '.join(missing)}")
        values = {}
        for name, f in names.items():
            v = data[name]
            if f.type == "float":
                v = math.nan if v is None else float(v)
            values[name] = v
        values["infeasible"] = tuple(values["infeasible"])
        return cls(**values)

    def save(self, directory: str | Path) -> Path:
        """Write ``decision.json`` into ``directory`` (the caller publishes the directory whole)."""
        path = Path(directory) / DECISION_FILE
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


def load_decision(directory: str | Path) -> Recommendation | None:
    """The decision saved in a result directory, or None when it has none (an older directory,
    or results without the decision metric)."""
    path = Path(directory) / DECISION_FILE
    if not path.is_file():
        return None
    try:
        return Recommendation.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not a decision file ({exc})") from None


def _best(means: pd.Series, higher_is_better: bool) -> str:
    return str(means.idxmax() if higher_is_better else means.idxmin())


def decide(metrics: pd.DataFrame, baseline: str, materiality: Materiality | None = None,
           metric: str | None = None, confidence: float = 0.95) -> Recommendation:
    """The recommendation, runner-up, verdicts and feasibility of ``metrics`` against ``baseline``
    (module docstring). ``materiality``: the scenario's thresholds
    (:func:`simlib.scenario.materiality.decision_of`; None: the defaults). ``metric`` defaults to
    :func:`decision_metric`. Raises ValueError when ``metrics`` has no rows of the metric or the
    metric has no better direction."""
    materiality = materiality if materiality is not None else Materiality()
    metric = metric or decision_metric(metrics)
    info = METRICS[metric]
    higher_is_better = info.higher_is_better
    if higher_is_better is None:
        raise ValueError(f"metric {metric!r} has no better direction")
    rows = metrics[metrics["metric"] == metric]
    if rows.empty:
        raise ValueError(f"no rows for metric {metric!r}")
    order = list(pd.unique(metrics["strategy"]))
    infeasible = infeasible_strategies(metrics)
    candidates = [s for s in order if s not in infeasible]
    feasible = bool(candidates)
    ranked = rows[rows["strategy"].isin(candidates)] if feasible else rows
    means = summarize(ranked, confidence).set_index("strategy")["mean"]
    strategy = _best(means, higher_is_better)
    p_best = float(probability_best(ranked, metric, higher_is_better)[strategy])
    if strategy == baseline:
        gain = ci_low = ci_high = 0.0
    else:
        diff = paired_differences(rows, baseline, confidence).set_index("strategy").loc[strategy]
        gain, ci_low, ci_high = (float(diff[c]) for c in ("mean_diff", "ci_low", "ci_high"))
    others = [s for s in candidates if s != strategy] or [s for s in order if s != strategy]
    runner_up, margin, m_low, m_high, m_word = None, math.nan, math.nan, math.nan, ""
    other_means = summarize(rows[rows["strategy"].isin(others)], confidence).set_index("strategy")["mean"].dropna()
    if not other_means.empty:
        runner_up = _best(other_means, higher_is_better)
        pair = rows[rows["strategy"].isin([strategy, runner_up])]
        lead = paired_differences(pair, runner_up, confidence).set_index("strategy").loc[strategy]
        sign = 1.0 if higher_is_better else -1.0
        margin = sign * float(lead["mean_diff"])
        m_low, m_high = sorted((sign * float(lead["ci_low"]), sign * float(lead["ci_high"])))
        m_word = verdict(margin, m_low, m_high, info.unit, True, materiality)
    return Recommendation(
        metric=metric, unit=info.unit, baseline=baseline, strategy=strategy, gain=gain, ci_low=ci_low,
        ci_high=ci_high, significant=bool(ci_low > 0 or ci_high < 0),
        gain_verdict=verdict(gain, ci_low, ci_high, info.unit, higher_is_better, materiality),
        probability_best=p_best, runner_up=runner_up, margin=margin, margin_ci_low=m_low,
        margin_ci_high=m_high, margin_verdict=m_word, infeasible=tuple(infeasible), feasible=feasible,
        materiality=float(materiality.materiality), materiality_pp=float(materiality.materiality_pp),
        replications=int(metrics["replication"].nunique()), strategies=len(order))


def plain_sentence(d: Recommendation, horizon_days: float, varied: str = "") -> str:
    """The decision in one plain-text sentence (``simlib run``'s printout), strategies by their
    ids. It states what the board's summary states (:func:`simlib.report.summary.recommendation_sentence`):
    the same recommendation, runner-up and verdicts, the numbers formatted alike. ``varied``
    follows the number of runs (e.g. " that vary both the patients and the uncertain assumptions")."""
    unit, what = d.unit, mid_sentence(METRICS[d.metric].label)

    def ci(lo, hi, diff=False) -> str:
        text = ci_text(lo, hi, unit, diff)
        return f" ({text})" if text else ""

    limit = threshold_text(d.thresholds, unit)
    below = f", below the {limit} materiality threshold" if limit else ""
    runs = (f"best of {d.strategies} strategies in {d.probability_best * 100:.0f} % of {d.replications} "
            f"simulated run{'s' if d.replications != 1 else ''}{varied}")
    over = f"{diff_text(d.gain, unit)} {what} over {horizon_days:g} days"
    tie = d.runner_up is not None and d.margin_verdict in NOT_MATERIAL
    margin_ci = ci_text(d.margin_ci_low, d.margin_ci_high, unit)
    margin_ci = f", {margin_ci}" if margin_ci else ""
    apart = (f"'{d.strategy}' and '{d.runner_up}' are not materially different "
             f"({value_text(abs(d.margin), unit)} apart{margin_ci}{below})")
    behind = (f"the runner-up '{d.runner_up}'{' (the status quo)' if d.runner_up == d.baseline else ''} is "
              f"{value_text(abs(d.margin), unit)} {'behind' if d.margin > 0 else 'ahead on average'}"
              f"{ci(d.margin_ci_low, d.margin_ci_high)}"
              f"{', a margin not yet distinguishable from chance' if d.margin_verdict == 'no clear difference' else ''}")
    if d.keeps_status_quo:
        text = f"Keep the status quo '{d.baseline}': no alternative raised the {what} on average; {runs}"
        if d.runner_up is not None:
            text += f"; {apart if tie else behind}"
    elif d.gain_verdict in NOT_MATERIAL:
        text = (f"Keep the status quo '{d.baseline}' unless other grounds decide: no strategy is materially "
                f"better; '{d.strategy}' ranks first with {over}{ci(d.ci_low, d.ci_high, True)}{below}; {runs}")
    else:
        against = f"{over} against the status quo '{d.baseline}'{ci(d.ci_low, d.ci_high, True)}"
        if d.runner_up is None or d.runner_up == d.baseline:
            text = f"Adopt '{d.strategy}': {against}"
        elif tie:
            text = f"Adopt '{d.strategy}' or '{d.runner_up}': '{d.strategy}' adds {against}; {apart}"
        else:
            text = f"Adopt '{d.strategy}': {against}; {behind}"
        text += f"; {runs}"
        if d.gain_verdict == "no clear difference":
            text += "; the interval of its gain includes zero (not yet distinguishable from chance)"
    if d.infeasible:
        names = ", ".join(f"'{s}'" for s in d.infeasible)
        text += (f"; {names} cannot be recommended (short of cash beyond the credit line in more than {INFEASIBLE_SHARE_MAX * 100:g} % of runs)"
                 if d.feasible else f"; every strategy is short of cash beyond the credit line ({names})")
    return text + "."
