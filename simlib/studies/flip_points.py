"""When the ranking flips: the value of an assumption at which the recommendation changes.

For the recommended strategy and the runner-up, the paired gain (recommended − runner-up on the
decision metric) is a function of one assumption, all others at the scenario's values
(:class:`simlib.studies.sensitivity.PairedGain`: the same seed and runs at every value, so the curve moves
only with the assumption — common random numbers). The search, per side of the scenario's value:

1. the gain at the end of the range (``low`` or ``high``); the gain at the scenario's value is the
   main run's;
2. the same sign at both: the ranking **does not flip** on that side of the range — a valid answer;
3. otherwise :func:`scipy.optimize.brentq` brackets the crossing to ``tolerance`` (by default 1 % of
   the range searched), running only the two strategies.

An uncertain assumption is drawn in the main run, so no run has it at its central value: its range
is searched as one bracket (the ends' signs decide), its centre run only when both ends are behind.

A range is a sensitivity factor's low / high (:meth:`simlib.core.ranges.Range.with_base`) or an uncertain
assumption's 1 %–99 % quantiles (:func:`uncertain_ranges`, from the scenario's ``uncertain:``
section). :func:`flip_points` returns one row per range; :func:`flip_words` says it for a board
("stays best unless deposit compliance is below 22 %").
"""
from __future__ import annotations

from simlib.core.money_names import is_money

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from scipy.optimize import brentq

from simlib.core.language import _, localised
from simlib.core.parameter_paths import values
from simlib.analysis.numbers import value_text
from simlib.core.ranges import Range
from simlib.studies.sensitivity import PairedGain, uncertain_factors

#: Tolerance of the search, as a share of the range searched.
TOLERANCE_SHARE = 0.01

COLUMNS = ["path", "label", "source", "mode", "low", "high", "base_setting", "scenario_value",
           "unit", "gain_low", "gain_base", "gain_high", "flip_below", "flip_above", "tolerance",
           "evaluations", "words"]


def uncertain_ranges(scenario, low_q: float = 0.01, high_q: float = 0.99) -> list[Range]:
    """One range per entry of the scenario's ``uncertain:`` section: its ``low_q``–``high_q``
    quantiles (:func:`simlib.studies.sensitivity.uncertain_factors`, the tornado's too), searched in set
    mode, its central value as the base (none without the section)."""
    factors = uncertain_factors(scenario, low_q, high_q)  # a ``scale`` entry's range is of multipliers
    if not factors:
        return []
    from simlib.scenario.uncertain import central_value

    centre = {e.path: float(central_value(e)) for e in scenario.uncertain}
    return [Range(f.label, f.path, f.low, f.high, f.mode, None, "uncertain", centre[f.path]) for f in factors]


@dataclass(frozen=True)
class FlipPoint:
    """Where the gain of the recommended strategy over the runner-up crosses zero along one range.

    ``flip_below`` / ``flip_above``: the setting below / above the base at which the ranking flips
    (``None``: it does not flip on that side of the range); ``tolerance``: the search's, in settings;
    ``evaluations``: the two-strategy runs made for it (settings already run are reused)."""

    range: Range
    base_setting: float | None
    scenario_value: float | None
    gain_low: float
    gain_base: float
    gain_high: float
    flip_below: float | None
    flip_above: float | None
    tolerance: float
    evaluations: int
    note: str = ""  # why a side has no flip point although its ends differ in sign (issue 21)

    def row(self) -> dict:
        r = self.range
        out = {"path": r.path, "label": r.label, "source": r.source, "mode": r.mode, "low": r.low,
               "high": r.high, "base_setting": self.base_setting, "scenario_value": self.scenario_value,
               "unit": unit_of(r.path), "gain_low": self.gain_low, "gain_base": self.gain_base,
               "gain_high": self.gain_high, "flip_below": self.flip_below, "flip_above": self.flip_above,
               "tolerance": self.tolerance, "evaluations": self.evaluations}
        return {**out, "words": self.note or flip_words(out)}


def crossing(gain, a: float, b: float, tolerance: float) -> float | None:
    """The setting between ``a`` and ``b`` (gains of opposite signs) where ``gain`` crosses zero,
    to within ``tolerance`` (Brent's method); ``None`` when the gains measured at the ends are not
    of opposite signs (the main run's gain at the base setting can differ from the sweep's there:
    an uncertain assumption set to its centre is no longer drawn run by run)."""
    if not _opposite(gain(a), gain(b)):
        return None
    return float(brentq(gain, a, b, xtol=tolerance, maxiter=60))


def flip_point(curve: PairedGain, rng: Range, tolerance_share: float = TOLERANCE_SHARE) -> FlipPoint:
    """Search ``rng`` for the setting at which ``curve``'s gain changes sign (see the module doc)."""
    factor, runs = rng, curve.evaluations
    tolerance = tolerance_share * (rng.high - rng.low)

    def g(x: float) -> float:
        return curve.at(factor, x)

    base = rng.base if rng.base is not None and rng.low <= rng.base <= rng.high else None
    g_low, g_high = g(rng.low), g(rng.high)
    g_base = math.nan
    if base is not None and rng.source == "factor":
        g_base = curve.base  # the base setting is the scenario itself: the main run's gain
    elif base is not None and max(g_low, g_high) < 0:
        g_base = g(base)  # an uncertain assumption behind at both ends: ahead at its centre?
    below = above = None
    notes: list[str] = []

    def bracketed(a: float, b: float) -> float | None:
        """The crossing in [a, b], or None (with the reason) when the re-evaluated gains at the ends
        do not differ in sign: at the scenario's value the main run's gain is ahead while the
        sensitivity's runs there are not (their uncertain draws differ), so no crossing is bracketed."""
        ga, gb = g(a), g(b)
        if not _opposite(ga, gb):
            notes.append(f"no flip found in range {range_text(_range_row(rng, tolerance, curve.scenario, base))}: "
                         f"the gain re-run at "
                         f"{a:g} and {b:g} is {ga:+,.4g} and {gb:+,.4g} (no change of sign) while the main run's "
                         f"gain at the scenario's value is {g_base:+,.4g}; the runs disagree there")
            return None
        return crossing(g, a, b, tolerance)

    if not math.isfinite(g_base):  # one bracket over the whole range
        if _opposite(g_low, g_high):
            x = crossing(g, rng.low, rng.high, tolerance)
            below, above = (x, None) if g_low < g_high else (None, x)
    elif g_base > 0:
        below = bracketed(rng.low, base) if g_low < 0 else None
        above = bracketed(base, rng.high) if g_high < 0 else None
    return FlipPoint(rng, base, _scenario_value(curve.scenario, rng, base), g_low, g_base, g_high,
                     below, above, tolerance, curve.evaluations - runs,
                     "" if below is not None or above is not None else "; ".join(notes))


def _range_row(rng: Range, tolerance: float, scenario, base) -> dict:
    return {"path": rng.path, "mode": rng.mode, "low": rng.low, "high": rng.high, "label": rng.label,
            "unit": unit_of(rng.path), "tolerance": tolerance, "scenario_value": _scenario_value(scenario, rng, base)}


def _opposite(a: float, b: float) -> bool:
    return (a < 0 < b) or (b < 0 < a)


def _scenario_value(scenario, rng: Range, base: float | None) -> float | None:
    """The assumption's value in the scenario (in set mode: the base setting), when it is one number."""
    if rng.mode == "set" or rng.source == "uncertain":
        return base
    found = set(values(scenario.model_dump(), rng.path))
    return found.pop() if len(found) == 1 else None


def flip_points(curve: PairedGain, ranges: Sequence[Range],
                tolerance_share: float = TOLERANCE_SHARE) -> pd.DataFrame:
    """One row per range (columns :data:`COLUMNS`); ``df.attrs`` names the two strategies, the
    metric, the runs and the seed."""
    table = pd.DataFrame([flip_point(curve, r, tolerance_share).row() for r in ranges], columns=COLUMNS)
    table.attrs.update({"strategy": curve.strategy, "baseline": curve.against, "metric": curve.metric,
                        "replications": curve.replications, "seed": curve.seed})
    return table


# --------------------------------------------------------------------------- words
def unit_of(path: str) -> str:
    """The board unit of a parameter by its name: ``share`` (rates, shares), ``usd``, ``days`` or ``number``."""
    name = path.rsplit(".", 1)[-1]
    if name.endswith(("_rate", "_share", "_annual", "_multiplier")):
        return "share"
    if is_money(name):
        return "usd"
    if name.endswith("_days"):
        return "days"
    return "number"


def setting_text(setting: float, row: dict, exact: bool = False, extra_digits: int = 0) -> str:
    """A setting in board units: the value itself (``22 %``, ``$1.20k``, ``45 days``) when the
    assumption is one number, else the share of the scenario's values (``42 % of the scenario's
    values``). A found flip point shows the digits its tolerance supports (plus ``extra_digits``);
    ``exact`` (a range's end, a scenario's value) up to three significant ones."""
    unit, tol = row["unit"], float(row["tolerance"])
    single = row.get("scenario_value")
    single = float(single) if _finite(single) else None

    def number(x: float, resolution: float) -> str:
        return _decimal(f"{x:.3g}" if exact else f"{x:.{_digits(resolution) + extra_digits}f}")

    if row["mode"] == "scale":
        if single is None or unit == "number":
            share = number(setting * 100, tol * 100)
            return (_("{share} % of the scenario's value") if single is not None else
                    _("{share} % of the scenario's values")).format(share=share)
        value, tol = setting * single, tol * abs(single)
    else:
        value = setting
    if unit == "share":
        return _("{share} %").format(share=number(value * 100, tol * 100))
    if unit == "usd":
        return value_text(value, "usd")
    if unit == "days":
        return _("{days} days").format(days=number(value, tol))
    return _decimal(f"{value:.3g}")


def _decimal(text: str) -> str:
    """A number Python wrote, with the decimal sign of the language in force."""
    return localised(text)


def _digits(resolution: float) -> int:
    """Decimals that show a number to about its resolution: the decimal place nearest to it on a
    log scale (0 from about 0.3 up, 1 from 0.03, …, at most 3)."""
    if resolution <= 0 or not math.isfinite(resolution):
        return 1
    return int(min(3, max(0, round(-math.log10(resolution)))))


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _lower(label: str) -> str:
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def flip_words(row: dict) -> str:
    """The flip point of one range in words, the recommendation being the subject: ``stays best
    unless deposit compliance is below 22 %`` or ``does not change within 30–90 %`` (plain text:
    escape it for HTML)."""
    label = _lower(_(str(row["label"])))
    below, above = row.get("flip_below"), row.get("flip_above")
    parts = []
    for word, value in ((_("below {value}"), below), (_("above {value}"), above)):
        if _finite(value):
            parts.append(word.format(value=_distinct(float(value), row)))
    if parts:
        return _("stays best unless {assumption} is {conditions}").format(assumption=label,
                                                                           conditions=_(" or ").join(parts))
    if _finite(row.get("gain_base")) and float(row["gain_base"]) <= 0:
        return _("is not ahead of the runner-up with the scenario's value")
    if not _finite(row.get("gain_base")) and max(float(row["gain_low"]), float(row["gain_high"])) < 0:
        return _("is behind the runner-up within {range}").format(range=range_text(row))
    return _("does not change within {range}").format(range=range_text(row))


def _distinct(setting: float, row: dict) -> str:
    """A flip point's text, with as many more digits (up to two) as it takes not to read as the
    scenario's own value (a flip just beside it)."""
    base = row.get("base_setting")
    base = float(base) if _finite(base) else 1.0 if row["mode"] == "scale" else None
    for extra in (0, 1, 2):
        text = setting_text(setting, row, extra_digits=extra)
        if base is None or text != setting_text(base, row, extra_digits=extra):
            return text
    return text


def range_text(row: dict) -> str:
    """The range searched: ``30–90 %``, ``$68 to $126``, ``50–150 % of the scenario's values``."""
    low, high = setting_text(float(row["low"]), row, True), setting_text(float(row["high"]), row, True)
    suffixes = [_("{share} % of the scenario's values"), _("{share} % of the scenario's value"), _("{share} %"),
                _("{days} days")]
    for suffix in (s.replace("{share}", "").replace("{days}", "") for s in suffixes):
        if low.endswith(suffix) and high.endswith(suffix):
            return f"{low.removesuffix(suffix)}–{high}"
    return _("{low} to {high}").format(low=low, high=high)
