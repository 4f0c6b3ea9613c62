"""Display labels: what a board reads instead of a parameter file's ids.

A strategy or scenario may carry a ``label`` (free text written by the scenario author); without
one, its id is humanised: ``deposit_short_terms`` → "Deposit short terms", ``offer_a_90_face`` →
"Offer A 90 face", ``self_pay`` → "Self-pay". Ids never reach a headline in snake_case.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# words written differently from their lower-case id form
_WORDS = {"npv": "NPV", "ar": "A/R", "ecv": "ECV", "sms": "SMS", "apr": "APR", "us": "US", "emtala": "EMTALA",
          "irs": "IRS", "whatsapp": "WhatsApp", "id": "ID", "kpi": "KPI", "ai": "AI", "it": "IT", "eca": "ECA",
          "cbo": "CBO", "rcm": "RCM", "hfma": "HFMA", "ivr": "IVR", "ach": "ACH"}
# compounds an id splits in two that English hyphenates
_PHRASES = {"self pay": "self-pay", "early out": "early-out", "prompt pay": "prompt-pay",
            "non recourse": "non-recourse", "write off": "write-off", "co pay": "co-pay",
            "follow up": "follow-up", "in house": "in-house", "pre service": "pre-service"}
_ID_LIKE = re.compile(r"^[A-Za-z0-9]+(?:[_\-][A-Za-z0-9]+)*$")


def humanise_id(key: str) -> str:
    """An id in words: underscores to spaces, first letter capitalised, acronyms kept.

    >>> humanise_id("deposit_short_terms"), humanise_id("offer_a_90_face"), humanise_id("self_pay")
    ('Deposit short terms', 'Offer A 90 face', 'Self-pay')
    """
    text = str(key).strip()
    if not text:
        return text
    words = [w for w in re.split(r"[_\s]+", text) if w]
    out = []
    for w in words:
        low = w.lower()
        if low in _WORDS:
            out.append(_WORDS[low])
        elif len(w) == 1 and w.isalpha():
            out.append(w.upper())
        else:
            out.append(w if w != w.upper() or w.isdigit() else low)  # SHOUTING ids read as words
    phrase = " ".join(out)
    for plain, hyphenated in _PHRASES.items():
        phrase = re.sub(rf"\b{plain}\b", hyphenated, phrase, flags=re.IGNORECASE)
    return phrase[:1].upper() + phrase[1:]


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


def strategy_label(res, key: str) -> str:
    return strategy_labels(res).get(key, humanise_id(key))
