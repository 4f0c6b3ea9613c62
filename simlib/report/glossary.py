"""The glossary: the terms a board meets in the reports, in a sentence each. Terms are shown only
when the page can use them: a lever's own terms (``Lever.glossary``, in the lever's module: the
factoring terms; the legal ones, EMTALA with deposits, from the scenario's jurisdiction) when one of the scenario's strategies uses it, the cash
floor's when the scenario sets one."""
from __future__ import annotations

from simlib.core.language import N_, _

from simlib.report.markup import _html, esc
from simlib.report.strategy_words import strategies_using

#: A term's need meaning "the scenario sets a cash floor" (finance.minimum_cash; simlib.scenario.liquidity).
CASH_FLOOR = "finance.minimum_cash"

# (term, explanation, CASH_FLOOR or None for every report); a lever's terms are the lever's (lever_terms)
TERMS: tuple[tuple[str, str, str | None], ...] = (
    (N_("A/R (accounts receivable)"), N_("Money billed to insurers and patients and not yet collected, adjusted "
     "or written off."), None),
    (N_("Days in A/R"), N_("Open A/R on the measurement day divided by the average amount billed per day over "
     "the preceding window: how many days of billing are still unpaid. Lower is better."), None),
    (N_("A/R over 90 days"), N_("The share of open A/R (in dollars) older than 90 days from the date of service; "
     "old balances are less likely to be paid."), None),
    (N_("Net collection rate"), N_("Money collected divided by what could be collected (billed less contractual "
     "allowances and corrections), for bills old enough to have run their course."), None),
    (N_("Bad debt"), N_("Patient balances written off as uncollectable, as a share of everything billed."), None),
    (N_("Collection operations cost ratio"), N_("Collection costs (statements, reminders, staff time, agency and "
     "other fees) divided by cash collected. It is not the “cost to collect” of HFMA's benchmark "
     "(2–4 % of collections), which also counts patient access, coding and IT across the whole "
     "revenue cycle: the two cannot be compared."), None),
    (N_("NPV (net present value)"), N_("Collections minus collection costs and fees, each discounted to day 0 at "
     "the hospital's cost of capital: a dollar collected sooner is worth more. The strategies are ranked "
     "on it."), None),
    (N_("Cost of capital"), N_("The yearly return the hospital could earn on cash, or pays to borrow; the "
     "discount rate of the NPV."), None),
    (N_("Cash position"), N_("Starting cash, less the cost of care paid when patients are treated, plus net "
     "collections, day by day."), None),
    (N_("Lowest cash position (cash low point)"), N_("The minimum of the cash position over the simulated days: "
     "the working capital a strategy needs. Higher (less negative) is better."), None),
    (N_("Status quo"), N_("The strategy the hospital follows today; every other strategy is compared with it."), None),
    (N_("Paired difference"), N_("A strategy minus the status quo, computed run by run on the same simulated "
     "patients (common random numbers), which removes most of the chance variation between runs."), None),
    (N_("CI (95 % confidence interval)"), N_("The range that would contain the true mean in 95 % of repeated "
     "studies of this size; an interval of a difference that excludes zero is a difference beyond chance. "
     "Tables show ± half its width."), None),
    (N_("pp (percentage points)"), N_("The difference between two percentages: from 45.0 % to 47.5 % is "
     "+2.5 pp (not +2.5 %)."), None),
    (N_("Runner-up"), N_("The strategy ranked second on the NPV; the summary gives the recommended strategy's "
     "margin over it, paired run by run, with its 95 % CI."), None),
    (N_("Material difference"), N_("A difference at least as large as the scenario's materiality threshold "
     "(decision: materiality for money, materiality_pp for rates), judged on the number as shown. "
     "Smaller ones read “no material difference” and never make one strategy better than another."), None),
    (N_("Lever contribution"), N_("The part of a combined strategy's gain over the status quo that one of its "
     "levers brings: its Shapley value (its added gain averaged over every order in which the levers "
     "could be added, so the parts add up to the whole) or, with many levers, its gain added alone."),
     None),
    (N_("Flip point"), N_("The value of an assumption at which the runner-up would overtake the recommended "
     "strategy (the ranking flips), all other assumptions as in the scenario."), None),
    (N_("Run (replication)"), N_("One simulation of every patient and bill; the reports average over several runs "
     "with different random patients."), None),
    (N_("Uncertain assumption"), N_("A number of the model that is not known well (how many patients pay a deposit, "
     "how much a text message helps): each run draws it afresh from a stated range, the same value for "
     "every strategy in that run, so the results include that uncertainty too."), None),
    (N_("90 % range"), N_("The values an uncertain assumption takes in 90 % of the runs: 5 % of the runs draw a "
     "lower value and 5 % a higher one."), None),
    (N_("Minimum cash and credit line"), N_("The cash the hospital must keep at the end of every day, and the "
     "revolving loan that tops cash up to that minimum: drawn when cash ends a day below it, repaid as soon "
     "as cash is back above it, with simple interest each day on the balance drawn."), CASH_FLOOR),
    (N_("NPV after credit-line interest"), N_("The NPV less the present value of the interest on the credit line: "
     "the strategies are ranked on it when the scenario sets a minimum cash level."), CASH_FLOOR),
    (N_("Short beyond the credit line (not feasible)"), N_("Cash falls below the minimum by more than the line can "
     "lend (or at all, with no line); a strategy for which this happens in more than 5 % of the runs "
     "cannot be recommended."), CASH_FLOOR),
    (N_("Break-even borrowing rate"), N_("The yearly interest rate at which borrowing the status quo's shortfall "
     "costs as much as a factoring offer; below it, borrowing is cheaper."), CASH_FLOOR),
)


def lever_terms(scen=None) -> tuple[tuple[str, str, str], ...]:
    """(term, explanation, lever key) of every registered lever's glossary, each lever's own terms
    then the legal terms its jurisdiction ties to it (``board.glossary`` of the scenario's
    jurisdiction file; without a scenario, the US), in registry order."""
    from simlib.levers import registered_levers
    from simlib.scenario.jurisdiction import DEFAULT_JURISDICTION, jurisdiction

    laws = jurisdiction(getattr(scen, "jurisdiction", DEFAULT_JURISDICTION)).board.glossary
    def of(key: str, first: bool) -> tuple:
        return tuple((t.term, t.text) for t in laws if t.lever == key and t.first == first)
    return tuple((term, text, key) for key, lever in registered_levers().items()
                 for term, text in (*of(key, True), *lever.glossary, *of(key, False)))


def glossary(res=None):
    """The glossary as a definition list: every general term, and a lever's terms when one of the
    scenario's strategies uses that lever (all terms when ``res`` is None)."""
    scen = getattr(res, "scenario", None)
    rows = []
    general = [t for t in TERMS if t[2] != CASH_FLOOR]
    for term, text, need in (*general, *lever_terms(scen), *(t for t in TERMS if t[2] == CASH_FLOOR)):
        if need == CASH_FLOOR and scen is not None:
            if getattr(getattr(scen, "finance", None), "minimum_cash", None) is None:
                continue
        elif need is not None and scen is not None and not strategies_using(scen, need):
            continue
        rows.append(f"<dt>{esc(_(term))}</dt><dd>{esc(_(text))}</dd>")
    return _html(f"<h2>{esc(_('Glossary'))}</h2><dl class=\"glossary\">{''.join(rows)}</dl>")
