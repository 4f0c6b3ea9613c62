"""The calibration report's words: group and parameter labels (never ids), what each fitted
parameter means, its value with its unit, and how its interval was obtained, in the language in
force (the labels are English messages of the catalogue, marked with ``N_``; said with ``_``).

Every function returns plain text: escape it before putting it into HTML.
"""
from __future__ import annotations

import math
import re

from simlib.analysis.numbers import MINUS, _na, finite, unit_suffixes, value_text
from simlib.core.language import DEFAULT_LANGUAGE, N_, _, localised, short_number_text, speech

GROUP_LABELS = {"all": N_("All invoices"), "disputed": N_("Disputed invoices"), "undisputed": N_("Undisputed invoices"),
                "paper": N_("Paper bills"), "electronic": N_("Electronic bills")}
SHIFT_LABELS = {"disputed_minus_undisputed": N_("Disputed minus undisputed"),
                "paper_minus_electronic": N_("Paper minus electronic")}

#: parameter id: (label, what it means)
PARAMETER_WORDS: dict[str, tuple[str, str]] = {
    "planner_share": (N_("Customers paying on a planned day"),
                      N_("The share of customers who pay on a day they plan, around the due date; the others "
                         "pay when prompted.")),
    "planned_day_scale_of_terms": (N_("Typical planned day"),
                                   N_("When planners pay, as a multiple of the credit terms (the scale of their "
                                      "planned day, before the delays below).")),
    "planned_day_shape": (N_("Bunching of planned days"),
                          N_("How tightly planned days gather around the typical day: 1 is as spread out as "
                             "chance, larger values are more bunched.")),
    "dispute_delay_days": (N_("Delay of a disputed invoice"), N_("How much later a planner pays a disputed invoice.")),
    "dispute_delay_log_sd": (N_("Spread of the dispute delay"),
                             N_("How much the delay of a disputed invoice varies from one dispute to another: 0 "
                                "is the same delay for every dispute; 0.5 puts about two disputes in three "
                                "between 0.6 and 1.6 times the median delay.")),
    "paper_delay_days": (N_("Delay of a paper bill"), N_("How much later a planner pays a bill sent on paper.")),
    "initial_per_day": (N_("Prompted payment rate at the bill"),
                        N_("A prompted customer's rate of paying when the bill arrives (electronic, undisputed, "
                           "typical amount); a rate r a day is a chance of about r of paying that day when r is "
                           "small.")),
    "decay_per_day": (N_("Fading of attention"),
                      N_("How fast a prompted customer's payment rate falls back after the bill (0: it does not "
                         "fade).")),
    "floor_per_day": (N_("Long-run payment rate"), N_("The payment rate a prompted customer keeps in the long run.")),
    "due_date_jump_per_day": (N_("Push from the due date"),
                              N_("The payment rate the due date adds for a prompted customer who has not paid yet.")),
    "dispute_intensity_factor": (N_("Payment rate when disputed"),
                                 N_("A prompted customer's payment rate on a disputed invoice, as a multiple of the "
                                    "normal rate.")),
    "paper_intensity_factor": (N_("Payment rate on paper"),
                               N_("A prompted customer's payment rate on a paper bill, as a multiple of the normal "
                                  "rate.")),
    "balance_elasticity": (N_("Sensitivity to the amount owed"),
                           N_("How the prompted payment rate falls with the amount: an invoice twice the typical "
                              "amount is paid at 2 to the power minus this number times the rate.")),
}
#: why a parameter was not fitted (simlib.calibration.fit), for the catalogue
NOT_FITTED_REASONS = (N_("every prompted intensity is 0"), N_("no disputed invoice"), N_("no paper bill"),
                      N_("every invoice has the same amount"))


def group_label(group: str) -> str:
    """A group of invoices ("Disputed invoices") in the language in force."""
    return _(GROUP_LABELS[group])


def shift_label(shift: str) -> str:
    """A difference between groups ("Disputed minus undisputed") in the language in force."""
    return _(SHIFT_LABELS[shift])


def number(x, digits: int = 3) -> str:
    """``x`` with ``digits`` significant figures, a true minus sign, no exponent: 0.115, 27.4, −0.03
    (``0,115`` in French and Spanish)."""
    if not finite(x):
        return _na()
    x = float(x)
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    text = f"{abs(x):,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if set(text) <= {"0", ".", ","}:
        return "0"
    return localised(f"{MINUS}{text}" if x < 0 else text)


def days_text(x) -> str:
    """``26.7 days`` (one decimal)."""
    return value_text(x, "days")


def parameter_label(name: str) -> str:
    return _(PARAMETER_WORDS[name][0]) if name in PARAMETER_WORDS else name.replace("_", " ").capitalize()


def parameter_meaning(name: str) -> str:
    return _(PARAMETER_WORDS[name][1]) if name in PARAMETER_WORDS else ""


def parameter_value_text(name: str, value, terms_days: float = 30.0) -> str:
    """A parameter's value with its unit in words (``84.5 %``, ``8.42 days``, ``0.115 a day``, ``× 0.41``)."""
    if not finite(value):
        return _na()
    if name == "planner_share":
        return value_text(value, "share")
    if name == "planned_day_scale_of_terms":
        return _("{value} × the credit terms ({days} at {terms} days' terms)").format(
            value=number(value), days=days_text(value * max(terms_days, 1.0)), terms=short_number_text(terms_days))
    if name.endswith("_delay_days"):
        return _("{value} days").format(value=number(value))
    if name.endswith("_per_day"):
        return _("{value} a day").format(value=number(value))
    if name.endswith("_factor"):
        return f"× {number(value)}"
    return number(value)


def interval_text(name: str, ci, terms_days: float = 30.0) -> str:
    """``0.798 to 0.883`` in the parameter's unit, or "" when it has no interval."""
    if not ci or not (finite(ci[0]) and finite(ci[1])):
        return ""
    low, high = number(ci[0]), number(ci[1])
    if name == "planner_share":
        low, high = value_text(ci[0], "share").removesuffix(unit_suffixes()[1]), value_text(ci[1], "share")
        return _("{low} to {high}").format(low=low, high=high)
    if name == "planned_day_scale_of_terms":
        return _("{low} to {high} × terms").format(low=low, high=high)
    if name.endswith("_delay_days"):
        return _("{low} to {high} days").format(low=low, high=high)
    if name.endswith("_per_day"):
        return _("{low} to {high} a day").format(low=low, high=high)
    if name.endswith("_factor"):
        return _("× {low} to {high}").format(low=low, high=high)
    return _("{low} to {high}").format(low=low, high=high)


def _reason(reason: str) -> str:
    """Why a parameter was not fitted, in the language in force (a parameter held at a value is
    named by its label)."""
    if reason in NOT_FITTED_REASONS:
        return _(reason)
    held = re.fullmatch(r"([a-z_]+) = (\S+)", reason)
    if held and speech().language != DEFAULT_LANGUAGE:
        return f"{parameter_label(held[1]).lower()} = {localised(held[2])}"
    return reason.replace("_", " ")


def method_text(method: str) -> str:
    """How an interval was obtained, in words."""
    method = str(method or "")
    if method.startswith("wald"):
        return _("from the curvature of the likelihood")
    if method.startswith("profile"):
        return _("one-sided: the estimate sits at the edge of its range (profile likelihood)")
    if method.startswith("not used:"):
        return _("not fitted: {reason}").format(reason=_reason(method.removeprefix("not used:").strip()))
    if method == "fixed":
        return _("held fixed, not fitted")
    return method.replace("_", " ")


def ks_text(value) -> str:
    """A KS distance with three decimals (``0.017``)."""
    return localised(f"{float(value):.3f}") if finite(value) else _na()
