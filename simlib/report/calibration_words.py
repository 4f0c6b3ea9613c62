"""The calibration report's words: group and parameter labels (never ids), what each fitted
parameter means, its value with its unit, and how its interval was obtained.

Every function returns plain text: escape it before putting it into HTML.
"""
from __future__ import annotations

import math

from simlib.analysis.numbers import MINUS, NA, finite, value_text

GROUP_LABELS = {"all": "All invoices", "disputed": "Disputed invoices", "undisputed": "Undisputed invoices",
                "paper": "Paper bills", "electronic": "Electronic bills"}
SHIFT_LABELS = {"disputed_minus_undisputed": "Disputed minus undisputed",
                "paper_minus_electronic": "Paper minus electronic"}

#: parameter id: (label, what it means)
PARAMETER_WORDS: dict[str, tuple[str, str]] = {
    "planner_share": ("Customers paying on a planned day",
                      "The share of customers who pay on a day they plan, around the due date; the others "
                      "pay when prompted."),
    "planned_day_scale_of_terms": ("Typical planned day",
                                   "When planners pay, as a multiple of the credit terms (the scale of their "
                                   "planned day, before the delays below)."),
    "planned_day_shape": ("Bunching of planned days",
                          "How tightly planned days gather around the typical day: 1 is as spread out as "
                          "chance, larger values are more bunched."),
    "dispute_delay_days": ("Delay of a disputed invoice",
                           "How much later a planner pays a disputed invoice (on average, when the delay varies)."),
    "dispute_delay_log_sd": ("Spread of the dispute delay",
                             "How much the delay of a disputed invoice varies from one dispute to another: 0 is "
                             "the same delay for every dispute; 0.5 puts about two disputes in three between "
                             "0.6 and 1.6 times the median delay."),
    "paper_delay_days": ("Delay of a paper bill", "How much later a planner pays a bill sent on paper."),
    "initial_per_day": ("Prompted payment rate at the bill",
                        "A prompted customer's rate of paying when the bill arrives (electronic, undisputed, "
                        "typical amount); a rate r a day is a chance of about r of paying that day when r is small."),
    "decay_per_day": ("Fading of attention",
                      "How fast a prompted customer's payment rate falls back after the bill (0: it does not fade)."),
    "floor_per_day": ("Long-run payment rate", "The payment rate a prompted customer keeps in the long run."),
    "due_date_jump_per_day": ("Push from the due date",
                              "The payment rate the due date adds for a prompted customer who has not paid yet."),
    "dispute_intensity_factor": ("Payment rate when disputed",
                                 "A prompted customer's payment rate on a disputed invoice, as a multiple of the "
                                 "normal rate."),
    "paper_intensity_factor": ("Payment rate on paper",
                               "A prompted customer's payment rate on a paper bill, as a multiple of the normal rate."),
    "balance_elasticity": ("Sensitivity to the amount owed",
                           "How the prompted payment rate falls with the amount: an invoice twice the typical "
                           "amount is paid at 2 to the power minus this number times the rate."),
}


def number(x, digits: int = 3) -> str:
    """``x`` with ``digits`` significant figures, a true minus sign, no exponent: 0.115, 27.4, −0.03."""
    if not finite(x):
        return NA
    x = float(x)
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    text = f"{abs(x):,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if set(text) <= {"0", ".", ","}:
        return "0"
    return f"{MINUS}{text}" if x < 0 else text


def days_text(x) -> str:
    """``26.7 days`` (one decimal)."""
    return value_text(x, "days")


def parameter_label(name: str) -> str:
    return PARAMETER_WORDS.get(name, (name.replace("_", " ").capitalize(), ""))[0]


def parameter_meaning(name: str) -> str:
    return PARAMETER_WORDS.get(name, ("", ""))[1]


def parameter_value_text(name: str, value, terms_days: float = 30.0) -> str:
    """A parameter's value with its unit in words (``84.5 %``, ``8.42 days``, ``0.115 a day``, ``× 0.41``)."""
    if not finite(value):
        return NA
    if name == "planner_share":
        return value_text(value, "share")
    if name == "planned_day_scale_of_terms":
        return (f"{number(value)} × the credit terms ({days_text(value * max(terms_days, 1.0))} "
                f"at {terms_days:g} days' terms)")
    if name.endswith("_delay_days"):
        return f"{number(value)} days"
    if name.endswith("_per_day"):
        return f"{number(value)} a day"
    if name.endswith("_factor"):
        return f"× {number(value)}"
    return number(value)


def interval_text(name: str, ci, terms_days: float = 30.0) -> str:
    """``0.798 to 0.883`` in the parameter's unit, or "" when it has no interval."""
    if not ci or not (finite(ci[0]) and finite(ci[1])):
        return ""
    if name == "planner_share":
        return f"{value_text(ci[0], 'share').removesuffix(' %')} to {value_text(ci[1], 'share')}"
    if name == "planned_day_scale_of_terms":
        return f"{number(ci[0])} to {number(ci[1])} × terms"
    if name.endswith("_delay_days"):
        return f"{number(ci[0])} to {number(ci[1])} days"
    if name.endswith("_per_day"):
        return f"{number(ci[0])} to {number(ci[1])} a day"
    if name.endswith("_factor"):
        return f"× {number(ci[0])} to {number(ci[1])}"
    return f"{number(ci[0])} to {number(ci[1])}"


def method_text(method: str) -> str:
    """How an interval was obtained, in words."""
    method = str(method or "")
    if method.startswith("wald"):
        return "from the curvature of the likelihood"
    if method.startswith("profile"):
        return "one-sided: the estimate sits at the edge of its range (profile likelihood)"
    if method.startswith("not used:"):
        return "not fitted: " + method.removeprefix("not used:").strip().replace("_", " ")
    if method == "fixed":
        return "held fixed, not fitted"
    return method.replace("_", " ")


def ks_text(value) -> str:
    """A KS distance with three decimals (``0.017``)."""
    return f"{float(value):.3f}" if finite(value) else NA
