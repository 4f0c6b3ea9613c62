"""Display labels: what a board reads instead of a parameter file's ids.

A strategy or scenario may carry a ``label`` (free text written by the scenario author); without
one, its id is humanised: ``deposit_short_terms`` → "Deposit short terms", ``offer_a_90_face`` →
"Offer A 90 face", ``self_pay`` → "Self-pay". Ids never reach a headline in snake_case.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from simlib.core.words import humanise_id

_ID_LIKE = re.compile(r"^[A-Za-z0-9]+(?:[_\-][A-Za-z0-9]+)*$")


def _own_label(obj) -> str | None:
    label = getattr(obj, "label", None)
    return str(label).strip() if label is not None and str(label).strip() else None


def scenario_label(scenario) -> str:
    """The scenario's ``label`` if it has one; its name humanised when the name is an id."""
    own = _own_label(scenario)
    if own:
        return own
    name = str(getattr(scenario, "name", "") or "")
    return humanise_id(name) if _ID_LIKE.match(name) else name


def label_of(key: str, settings=None) -> str:
    """A strategy's (or payer's, channel's) display label: ``settings.label`` or the humanised id."""
    return _own_label(settings) or humanise_id(key)


def unique_labels(keys: Iterable[str], settings: Mapping | None = None) -> dict[str, str]:
    """Labels for several ids, made unique (a clash gets its id in brackets) so no two rows read alike."""
    settings = settings or {}
    labels = {k: label_of(k, settings.get(k)) for k in keys}
    seen: dict[str, int] = {}
    for lab in labels.values():
        seen[lab.lower()] = seen.get(lab.lower(), 0) + 1
    return {k: (f"{lab} ({k})" if seen[lab.lower()] > 1 else lab) for k, lab in labels.items()}


def strategy_labels(res) -> dict[str, str]:
    """Every strategy of the results (scenario order first, then any extra in the metrics)."""
    strategies = dict(getattr(res.scenario, "strategies", {}) or {})
    keys = list(strategies)
    metrics = getattr(res, "metrics", None)
    if metrics is not None and "strategy" in metrics:
        keys += [s for s in dict.fromkeys(metrics["strategy"]) if s not in strategies]
    return unique_labels(keys, strategies)


