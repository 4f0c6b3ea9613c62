"""The uplift block of the lever contributions: who a targeted offer changes (issue 26, item 3).

Computed once before the notebooks run (:mod:`simlib.report.derived`, table ``uplift``:
:func:`simlib.studies.uplift.offer_uplift`) and shown under the lever contributions: the share of
accounts in each uplift segment with the net money the offer moves there, and by band of the
propensity score, with the bands the strategy's offers go to marked.
"""
from __future__ import annotations

import pandas as pd

from simlib.core.language import N_, _, money_text, short_number_text
from simlib.report.labels import strategy_labels
from simlib.report.markup import _html, esc, html_words
from simlib.run.saved_tables import read_saved_table

TABLE = "uplift"
SEGMENT_WORDS = {"persuadable": N_("Persuadable: pays in full only with the offer"),
                 "sure thing": N_("Sure thing: pays in full with or without it"),
                 "lost cause": N_("Lost cause: pays in full in neither"),
                 "do-not-disturb": N_("Do-not-disturb: pays in full only without it")}


def uplift_data(res) -> pd.DataFrame | None:
    """The uplift table of the scenario's first targeted offer (None without one), on the main run's seed."""
    from simlib.studies.uplift import offer_uplift

    seed = (getattr(res, "provenance", {}) or {}).get("seed", res.scenario.simulation.seed)
    return offer_uplift(res.scenario, seed=seed)


def load_uplift(results_dir) -> pd.DataFrame | None:
    """The ``uplift`` table saved with the results (None when the results have none)."""
    return read_saved_table(results_dir, TABLE)


def _pct(x: float) -> str:
    return short_number_text(round(100.0 * float(x), 1)) + " %"


def _money(x: float) -> str:
    return ("−" if x < 0 else "+") + money_text(abs(float(x)), 2)


def uplift_section(res) -> str:
    """The block's HTML ("" without an uplift table)."""
    folder = getattr(res, "directory", None)
    table = load_uplift(folder) if folder is not None else None
    if table is None or table.empty:
        return ""
    name = strategy_labels(res).get(str(table["strategy"].iloc[0]), str(table["strategy"].iloc[0]))
    lo, hi = float(table["target_from"].iloc[0]), float(table["target_to"].iloc[0])
    parts = [f"<h2 id=\"offer-uplift\">{esc(_('Who the targeted offer changes'))}</h2>", "<p>" + html_words(_(
        "Each patient of “{strategy}” was simulated twice on the same random numbers, with its offer and "
        "without it ({runs} runs): the offer's uplift is who pays in full because of it. Money is what the "
        "hospital collects with the offer less without it, net of the offer's costs and discounts, per account "
        "of the whole book."), strategy=name, runs=int(table["replications"].iloc[0])) + "</p>"]
    seg = table[table["kind"] == "segment"]
    rows = "".join(f"<tr><td>{esc(_(SEGMENT_WORDS[str(r.segment)]))}</td><td>{_pct(r.share)}</td>"
                   f"<td>{_money(r.net_per_account)}</td></tr>" for r in seg.itertuples())
    parts.append(f"<table><thead><tr><th>{esc(_('Patients'))}</th><th>{esc(_('Share of accounts'))}</th>"
                 f"<th>{esc(_('Net money per account'))}</th></tr></thead><tbody>{rows}</tbody></table>")
    band = table[table["kind"] == "band"]
    rows = "".join(
        f"<tr><td>{_pct(r.score_from)}–{_pct(r.score_to)}{' ✓' if lo <= r.score_from and r.score_to <= hi else ''}"
        f"</td><td>{_pct(r.uplift_paid_in_full)}</td><td>{_money(r.net_per_account)}</td></tr>"
        for r in band.itertuples())
    parts.append(f"<table><thead><tr><th>{esc(_('Propensity score band (✓: offered)'))}</th>"
                 f"<th>{esc(_('Persuaded less held back'))}</th><th>{esc(_('Net money per account'))}</th>"
                 f"</tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(parts)
