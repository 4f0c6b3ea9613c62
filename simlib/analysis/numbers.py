"""Numbers as a board reads them, and verdict words that agree with the numbers shown: the one
number formatter of the package.

* money in $k / $M with three significant figures (``$1.02M``, ``$850k``, ``−$9``) — or, in
  *exact* mode (``exact=True``, for tables of record, the JupyterLab summary and chart
  descriptions), in whole dollars (``$1,234,567``), shares then always with one decimal;
* shares in % (one decimal, two below 1 %), differences of shares in percentage points (``+2.6 pp``);
* days and hours with one decimal, counts with two below 100;
* a verdict (better / worse / no clear difference / no material difference / no difference)
  decided on the numbers *as displayed*: a difference that prints as zero is "no difference",
  one that prints below the scenario's materiality threshold (:mod:`simlib.scenario.materiality`) is "no
  material difference", whatever its CI. Every place a report turns a difference into words goes
  through :func:`verdict`.

In a language other than US English, or a currency other than US dollars (the scenario's, in
force through :func:`simlib.core.language.speaking`), the same numbers, rounded the same way, are
written by Babel in the locale (``1,02 M €``, ``90,2 %``, ``$1.234.567``); the verdicts are decided
on the US rendering, so a page says the same thing in every language. US English in dollars is
written exactly as it always was.

Every function returns plain text: escape it before putting it into HTML.
"""
from __future__ import annotations

import math
import re

from simlib.core.language import N_, _, speaking, speech
from simlib.scenario.materiality import Decision, is_material

MINUS = "\N{MINUS SIGN}"
NA = N_("n/a")


def finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _na() -> str:
    """"n/a" in the language in force."""
    return _(NA)


def _money(size: float) -> str:
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale * 0.9995:  # 999,600 reads $1.00M, not $1000k
            v = size / scale
            digits = 2 if v < 9.995 else 1 if v < 99.95 else 0
            if not speech().is_us_default:
                return _local_money(round(v, digits), digits, suffix)
            return f"${v:.{digits}f}{suffix}"
    if not speech().is_us_default:
        return (_local_money(size, 0) if size >= 9.995 else _local_money(size, 2) if size >= 0.005
                else _local_money(0, 0))
    return f"${size:.0f}" if size >= 9.995 else f"${size:.2f}" if size >= 0.005 else "$0"


#: The short scales of money in each language (thousand, million, billion: "mil M" is Spanish's
#: thousand million, French writes "Md").
_SCALE_WORDS = {"en": {"k": "k", "M": "M", "B": "B"}, "fr": {"k": "k", "M": "M", "B": "Md"},
                "es": {"k": "k", "M": "M", "B": "mil M"}}
_LAST_DIGIT = re.compile(r"([0-9])(?=[^0-9]*$)")


def _local_money(amount: float, digits: int, suffix: str = "") -> str:
    """An amount in the locale's currency pattern with ``digits`` decimals (Babel), the short
    scale word after the number: ``1,02 M €``, ``$850 k`` (es-CL), ``$1.234.567``."""
    from babel.core import Locale
    from babel.numbers import format_currency

    s = speech()
    pattern = Locale.parse(s.locale).currency_formats["standard"].pattern.split(";")[0]
    pattern = re.sub(r"0\.0+", "0" + ("." + "0" * digits if digits else ""), pattern)
    text = format_currency(amount, s.currency, format=pattern, locale=s.locale, currency_digits=False)
    if suffix:
        text = _LAST_DIGIT.sub(lambda m: m.group(1) + "\u00a0" + _SCALE_WORDS[s.language][suffix], text, count=1)
    return text


def _local_number(amount: float, digits: int) -> str:
    """A number in the locale (grouping and decimal signs), with ``digits`` decimals."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(round(amount, digits), format=pattern, locale=speech().locale)


def unit_suffixes() -> tuple[str, ...]:
    """The words written after a number in the language in force: percentage points, %, days, h."""
    if speech().is_us_default:
        return (" pp", " %", " days", " h")
    return tuple("\u00a0" + w for w in (_("pp"), "%", _("days"), _("h")))


def _magnitude(value: float, unit: str, diff: bool, exact: bool = False) -> str:
    size = abs(float(value))
    if not speech().is_us_default:
        return _local_magnitude(size, unit, diff, exact)
    if unit == "usd":
        return f"${size:,.0f}" if exact else _money(size)
    if unit == "share":
        pct = size * 100
        digits = 1 if exact else 2 if round(pct, 2) < (0.1 if diff else 1.0) else 1
        return f"{pct:.{digits}f} pp" if diff else f"{pct:.{digits}f} %"
    if unit == "days":
        return f"{size:,.1f} days"
    if unit == "hours":
        return f"{size:,.1f} h"
    if unit == "count":
        return f"{size:,.0f}" if size >= 100 else f"{size:.2f}"
    raise ValueError(f"unknown unit {unit!r}")


def _local_magnitude(size: float, unit: str, diff: bool, exact: bool) -> str:
    """:func:`_magnitude` in the locale in force: the same rounding, Babel's signs and words."""
    pp, pct, days, hours = unit_suffixes()
    if unit == "usd":
        return _local_money(round(size), 0) if exact else _money(size)
    if unit == "share":
        share = size * 100
        digits = 1 if exact else 2 if round(share, 2) < (0.1 if diff else 1.0) else 1
        return _local_number(share, digits) + (pp if diff else pct)
    if unit == "days":
        return _local_number(size, 1) + days
    if unit == "hours":
        return _local_number(size, 1) + hours
    if unit == "count":
        return _local_number(size, 0) if size >= 100 else _local_number(size, 2)
    raise ValueError(f"unknown unit {unit!r}")


def is_zero_text(text: str) -> bool:
    """Whether a formatted number reads as zero (``$0``, ``0.0 %``, ``0.00 pp``, ``0.0 days``)."""
    digits = re.sub(r"[^0-9]", "", text)
    return bool(digits) and set(digits) == {"0"}


def value_text(value, unit: str, exact: bool = False) -> str:
    """A level (a mean, a bound): ``$34.2M``, ``−$1.27M``, ``90.2 %``, ``54.6 days``, ``1.27``;
    ``exact``: ``$34,215,118``, ``0.5 %``. ValueError for an unknown unit."""
    if not finite(value):
        return _na()
    text = _magnitude(value, unit, diff=False, exact=exact)
    return f"{MINUS}{text}" if value < 0 and not is_zero_text(text) else text


def mean_ci_text(mean, ci_low, ci_high, unit: str, exact: bool = False) -> str:
    """``mean (CI low to high)``, or the mean alone when the interval is undefined."""
    if not (finite(ci_low) and finite(ci_high)):
        return value_text(mean, unit, exact)
    if speech().is_us_default:
        return (f"{value_text(mean, unit, exact)} (CI {value_text(ci_low, unit, exact)} to "
                f"{value_text(ci_high, unit, exact)})")
    return _("{mean} (CI {low} to {high})").format(mean=value_text(mean, unit, exact),
                                                  low=value_text(ci_low, unit, exact),
                                                  high=value_text(ci_high, unit, exact))


def diff_text(value, unit: str) -> str:
    """A signed difference: ``+$1.02M``, ``−6.3 days``, ``+2.6 pp`` (shares in percentage points)."""
    if not finite(value):
        return _na()
    text = _magnitude(value, unit, diff=True)
    if is_zero_text(text):
        return text
    return f"+{text}" if value > 0 else f"{MINUS}{text}"


def bound_text(value, unit: str, diff: bool) -> str:
    return diff_text(value, unit) if diff else value_text(value, unit)


def half_width(ci_low, ci_high) -> float:
    return (float(ci_high) - float(ci_low)) / 2 if finite(ci_low) and finite(ci_high) else math.nan


def plus_minus_text(ci_low, ci_high, unit: str) -> str:
    """``± $39.7k`` / ``± 0.3 pp``: half the 95 % CI, or "" when it is undefined or prints as zero."""
    hw = half_width(ci_low, ci_high)
    if not finite(hw):
        return ""
    text = _magnitude(hw, unit, diff=True)
    return "" if is_zero_text(text) else f"± {text}"


def ci_text(ci_low, ci_high, unit: str, diff: bool = False) -> str:
    """``95 % CI $982k to $1.06M``, or "" when undefined or when both bounds print the same."""
    if not (finite(ci_low) and finite(ci_high)):
        return ""
    lo, hi = bound_text(ci_low, unit, diff), bound_text(ci_high, unit, diff)
    if lo == hi:
        return ""
    for suffix in unit_suffixes():  # the unit once, after the upper bound
        if lo.endswith(suffix) and hi.endswith(suffix):
            lo = lo.removesuffix(suffix)
            break
    if speech().is_us_default:
        return f"95 % CI {lo} to {hi}"
    return _("95 % CI {low} to {high}").format(low=lo, high=hi)


_SHOWN = re.compile(r"([+\-\N{MINUS SIGN}]?)\$?([0-9][0-9,]*(?:\.[0-9]+)?)([kMB]?)(?: (pp|%|days|h))?")
_SCALE = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}


def shown_number(text: str) -> float:
    """The value a formatted number shows, in its unit's own scale (``"+$25.0k"`` → 25000.0,
    ``"−0.4 pp"`` → −0.004, ``"54.6 days"`` → 54.6); NaN for ``n/a``."""
    m = _SHOWN.fullmatch(text.strip())
    if m is None:
        if text.strip() == NA:
            return math.nan
        raise ValueError(f"not a number as the reports write one: {text!r}")
    sign, digits, scale, unit = m.groups()
    value = float(digits.replace(",", "")) * _SCALE[scale] / (100.0 if unit in ("pp", "%") else 1.0)
    return -value if sign in ("-", MINUS) else value


def verdict(mean_diff, ci_low, ci_high, unit: str, higher_is_better: bool | None,
            decision: Decision | None = None) -> str:
    """The word for a paired difference, judged on what the reader sees.

    "no difference" when the difference prints as zero; "no material difference" when it prints
    below the ``decision``'s materiality threshold for its unit (None: no threshold; pass the
    scenario's, :func:`simlib.scenario.materiality.decision_of`); otherwise, when the CI excludes zero,
    "better"/"worse" (or "higher"/"lower" for a metric without a better direction); otherwise
    "no clear difference". "" when there is no difference to judge (n/a).
    """
    if not finite(mean_diff):
        return ""
    with speaking():  # judged on the US rendering: the same verdict in every language
        shown = diff_text(mean_diff, unit)
    if is_zero_text(shown):
        return "no difference"
    if not is_material(shown_number(shown), unit, decision):
        return "no material difference"
    if not (finite(ci_low) and finite(ci_high)) or ci_low <= 0 <= ci_high:
        return "no clear difference"
    up = mean_diff > 0
    if higher_is_better is None:
        return "higher" if up else "lower"
    return "better" if up == higher_is_better else "worse"


#: The verdicts' words, for the catalogue (:func:`verdict` returns the English word, a key the
#: code compares; :func:`verdict_words` is what a page shows).
VERDICT_WORDS = {"better": N_("better"), "worse": N_("worse"), "higher": N_("higher"), "lower": N_("lower"),
                 "no clear difference": N_("no clear difference"),
                 "no material difference": N_("no material difference"), "no difference": N_("no difference")}


def verdict_words(word: str) -> str:
    """A :func:`verdict` in the language in force ("" stays "")."""
    return _(VERDICT_WORDS[word]) if word in VERDICT_WORDS else word
