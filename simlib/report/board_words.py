"""Every sentence of the board summary page, in one place, as templates with named blanks.

The board page (:mod:`simlib.report.board_summary`) fills these templates and writes no English of
its own, so a message catalogue (one translation per key) can replace this table without touching
the page's logic. Numbers arrive already formatted (:mod:`simlib.analysis.numbers`); strategy
names arrive as their display labels. A key absent from the table is a programming error
(``KeyError``), never a silent blank.
"""
from __future__ import annotations

from simlib.core.language import N_, _

BOARD_WORDS: dict[str, str] = {
    "pack_title": N_("Board pack — {scenario}"),
    "pack_link": N_("Board pack (PDF)"),
    "pack_what": N_("the summary page, the comparison and the other pages in one printable file"),
    "heading": N_("Board summary: {scenario}"),
    "scope": (N_("Simulated: {what}, followed to day {days}; {runs} per strategy{computed}. Money in "
              "{money}. A simulation, not a forecast.")),
    "computed": N_("; computed {date}"),
    # the answer: one sentence, its verdict the decision's (simlib.analysis.decision)
    "answer_adopt": N_("Adopt “{best}”: {gain} {what} over {days} days compared with the status quo, “{base}”{ci}."),
    "answer_adopt_unclear": (N_("Adopt “{best}”: {gain} {what} over {days} days compared with the status quo, "
                             "“{base}”{ci}, a gain not yet distinguishable from chance.")),
    "answer_adopt_either": (N_("Adopt “{best}” or “{other}”, which are not materially different: “{best}” adds "
                            "{gain} {what} over {days} days compared with the status quo, “{base}”{ci}.")),
    "answer_keep": N_("Keep the status quo, “{base}”: no alternative raised the {what} on average."),
    "answer_keep_unless": (N_("Keep the status quo, “{base}”, unless other grounds decide: no strategy is "
                           "materially better (the best, “{best}”, changes the {what} by {gain} over {days} "
                           "days{ci}{below}).")),
    "answer_all_short": N_(" Every strategy runs short of cash beyond the credit line in more than {share} of runs."),
    "ci": N_(" ({ci})"),
    "ci_inline": N_(", {ci}"),
    "below": N_(", below the {limit} materiality threshold"),
    # the chart
    "chart_caption": (N_("Each strategy's gain over the status quo on the {what}, run by run on the same "
                      "simulated patients, with its 95 % confidence interval; an interval clear of the "
                      "vertical line is a gain (or loss) beyond chance.")),
    # the three bullets
    "gains_lead": N_("What “{name}” gains"),
    "gains": N_("{gain} {what} over {days} days{ci}"),
    "change": N_("{label} {before} → {after}"),
    "sure_lead": N_("How sure"),
    "sure_best": N_("best of {k} strategies in {p} of {runs}"),
    "sure_excludes": N_("the 95 % interval of its gain excludes zero"),
    "sure_includes": N_("the 95 % interval of its gain includes zero: not yet distinguishable from chance"),
    "sure_runner_up": N_("the runner-up, “{name}”{status}, is {margin} behind{ci}"),
    "sure_runner_up_ahead": N_("the runner-up, “{name}”{status}, is {margin} ahead on average{ci}"),
    "sure_runner_up_chance": N_(", a margin not yet distinguishable from chance"),
    "sure_tie": N_("the runner-up, “{name}”, is not materially different ({margin} apart{ci}{below}): choose on other grounds"),
    "status_quo_mark": N_(" (the status quo)"),
    "sure_infeasible": N_("{names} cannot be recommended (short of cash beyond the credit line in more than {share} of runs)"),
    "asks_lead": N_("What it asks of patients and staff"),
    "asks_phone": N_("phone team {before} → {after}"),
    "agents": N_("{n} agents"),
    "agent": N_("1 agent"),
    "no_phone_team": N_("none"),
    "asks_no_phone": N_("no phone team, as with the status quo"),
    "status_quo_is_best": (N_("the status quo is the best of the {k} strategies; the lines below show what the "
                           "best alternative, “{name}”, would change")),
    "nothing_to_compare": N_("Only one strategy was simulated: there is nothing to compare it with."),
    "note": (N_("Status quo → “{name}”: mean over {runs}; the change and its 95 % confidence interval (CI) "
             "are paired run by run on the same simulated patients. The full comparison, its assumptions "
             "and its limitations follow this page.")),
}


def board_text(key: str, **blanks) -> str:
    """The board sentence ``key`` in the language in force (the message catalogue,
    :mod:`simlib.core.language`) with its blanks filled (``KeyError`` for an unknown key or blank)."""
    return _(BOARD_WORDS[key]).format(**blanks)
