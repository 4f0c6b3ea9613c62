"""Ids in words: what a board reads instead of a parameter file's ids (``self_pay`` → "Self-pay").

Used by the levers' own descriptions and by the report's labels, so a lever and the page that
shows it spell a channel or a payer the same way.
"""
from __future__ import annotations

import re

from simlib.core.language import N_, _

# words written differently from their lower-case id form
_WORDS = {"npv": "NPV", "ar": "A/R", "ecv": "ECV", "sms": "SMS", "apr": "APR", "us": "US", "emtala": "EMTALA",
          "irs": "IRS", "whatsapp": "WhatsApp", "id": "ID", "kpi": "KPI", "ai": "AI", "it": "IT", "eca": "ECA",
          "cbo": "CBO", "rcm": "RCM", "hfma": "HFMA", "ivr": "IVR", "ach": "ACH"}
# compounds an id splits in two that English hyphenates
_PHRASES = {"self pay": "self-pay", "early out": "early-out", "prompt pay": "prompt-pay",
            "non recourse": "non-recourse", "write off": "write-off", "co pay": "co-pay",
            "follow up": "follow-up", "in house": "in-house", "pre service": "pre-service"}
#: The built-in channels' and the shipped payers' ids in words, for the catalogue: an id whose words
#: are one of these reads in the page's language ("Formal demand" → "Mise en demeure").
BUILT_IN_WORDS = (N_("Email"), N_("SMS"), N_("WhatsApp"), N_("Letter"), N_("Formal demand"), N_("Call"),
                  N_("Medicare"), N_("Commercial"), N_("Medicaid"), N_("Self-pay"), N_("Statement"))


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
    phrase = phrase[:1].upper() + phrase[1:]
    return _(phrase) if phrase in BUILT_IN_WORDS else phrase


def id_words(key: str) -> str:
    """An id as words mid-sentence: ``formal_demand`` → "formal demand", ``sms`` → "SMS"."""
    text = humanise_id(str(key))
    first = text.split(" ", 1)[0]
    return text if any(c.isupper() for c in first[1:]) else text[:1].lower() + text[1:]
