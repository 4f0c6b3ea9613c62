"""Limitations and risks, generated from the levers the scenario's strategies use: the rules a
board must respect before adopting a lever (EMTALA and deposits, IRS §501(r) before extraordinary
collection actions, Medicare/Medicaid anti-assignment for factoring, …) and what the model leaves
out. Sources: ``../shared/reference/domain-research.md`` §2.4, §4, §5; ``docs/finance_levers.md``.

The wording is a checklist for the hospital's compliance team, not legal advice.
"""
from __future__ import annotations

from simlib.model.measurement_window import cold_start
from simlib.report.labels import strategy_labels
from simlib.report.markup import _html, esc
from simlib.report.strategy_words import lever, strategies_using


def _channels(strategy) -> set[str]:
    steps = lever(strategy, "ladder") or []
    found = {str(getattr(step, "channel", "")) for step in steps}
    found.add(str(getattr(strategy, "statement_channel", "")))
    return found


def _who(res, keys: list[str]) -> str:
    labels = strategy_labels(res)
    return ", ".join(f"“{labels.get(k, k)}”" for k in keys)


def lever_risks(res) -> list[tuple[str, str, str]]:
    """(topic, strategies concerned, the rule or risk in words) for each lever in use."""
    scen = res.scenario
    strategies = getattr(scen, "strategies", {}) or {}
    nonprofit = bool(getattr(getattr(scen, "finance", None), "us_nonprofit", False))
    out: list[tuple[str, str, str]] = []

    deposit = strategies_using(scen, "deposit")
    if deposit:
        out.append(("Deposits at service", _who(res, deposit),
                    "EMTALA forbids delaying or refusing emergency screening and stabilisation to ask about "
                    "payment, so a deposit may be asked only for non-emergency care. The model exempts "
                    "emergencies (each payer's emergency share), but registration staff must apply the rule "
                    "every time. The compliance rate is an assumption, and deposits can deter patients "
                    "from needed care."))
    discount = strategies_using(scen, "prompt_pay_discount")
    if discount:
        out.append(("Prompt-pay discounts", _who(res, discount),
                    "Routine waivers or discounts of Medicare or Medicaid co-payments and deductibles are "
                    "risky under the federal Anti-Kickback Statute and the Civil Monetary Penalties Law "
                    "(beneficiary inducement), and payer contracts may forbid discounting the patient's "
                    "share: check the eligible payers with compliance."))
    agency = strategies_using(scen, "agency")
    bad_debt = [k for k in agency if getattr(lever(strategies[k], "agency"), "kind", "bad_debt") == "bad_debt"]
    early = [k for k in agency if k not in bad_debt]
    if bad_debt:
        out.append(("Collection agency (bad debt)", _who(res, bad_debt),
                    ("IRS §501(r)(6): a nonprofit hospital may take no extraordinary collection action "
                     "(reporting to credit bureaus, selling the debt, suing) until 120 days after the first "
                     "statement, must give 30 days' written notice of its financial-assistance policy "
                     "first, and must suspend collection while an assistance application made within "
                     "240 days is processed; the hospital answers for its agency's actions. "
                     if nonprofit else "") +
                    "The agency must follow Regulation F (12 CFR 1006): at most 7 calls in 7 days per debt, "
                    "no contact before 8 am or after 9 pm. The credit bureaus no longer report paid medical "
                    "debt, debt under $500 or debt less than a year old, so a credit-report threat moves few "
                    "accounts."))
    if early:
        out.append(("Early-out agency", _who(res, early),
                    "An early-out service works in the hospital's name and is not an extraordinary "
                    "collection action, but it must follow the hospital's financial-assistance policy; "
                    "its recovery rate and fee are assumptions."))
    financing = strategies_using(scen, "financing")
    if financing:
        out.append(("Patient financing", _who(res, financing),
                    "Patients who take the loan owe a lender instead of the hospital: screen for financial "
                    "assistance first, and make the offer optional and clear about interest. The uptake "
                    "rate is an assumption (no peer-reviewed figure)."))
    plans = strategies_using(scen, "payment_plan")
    if plans:
        out.append(("Payment plans", _who(res, plans),
                    "Uptake and default rates of plans are assumptions (vendor figures, no peer-reviewed "
                    "default rate); plans tie up staff and keep balances open longer."))
    factoring = strategies_using(scen, "factoring")
    if factoring:
        out.append(("Factoring", _who(res, factoring),
                    "Medicare and Medicaid do not pay an assignee (anti-assignment: 42 U.S.C. 1395g(c), "
                    "1396a(a)(32), 42 CFR 424.73): their payments must reach an account the hospital "
                    "controls and be swept to the factor, which adds days and commingling risk. Recourse "
                    "offers make the hospital buy back what is unpaid at the end of the recourse period; "
                    "termination needs notice and a buy-back or a run-off. The factor may also demand "
                    "audits and exclusivity not modelled here."))
    digital = [k for k, s in strategies.items() if _channels(s) & {"sms", "whatsapp", "call"}]
    if digital:
        out.append(("Texts and calls", _who(res, digital),
                    "Automated calls and texts to mobile phones need the patient's prior consent (Telephone "
                    "Consumer Protection Act), every text or e-mail needs a simple opt-out, and the contact "
                    "limits and quiet hours set in the scenario must hold in the real system."))
    return out


#: said only of a run without a warm-up or an open book (simlib.model.measurement_window)
_COLD_START = ("The simulation starts with no unpaid bills on the books (no warm-up): the early cash dip is "
               "deeper than in a running hospital, which is already collecting last year's bills. Compare "
               "strategies on it rather than read it as a forecast of the bank balance; a warm-up "
               "(simulation.warm_up_days) measures a running hospital.")

_MODEL_LIMITS = (
    "Patients' payment behaviour (how they respond to statements, reminders, discounts) comes from "
    "published studies and assumptions, not from this hospital's own accounts; the sensitivity report "
    "shows which assumptions the recommendation depends on.",
    "Figures are means over a finite number of simulated runs; the 95 % confidence intervals say how "
    "far they could move with more runs.",
    "Financial-assistance (charity care) screening, payer contract changes and the patients' "
    "satisfaction or loyalty are not modelled.",
)


def limitations_section(res):
    """The "Limitations and risks" section: rules and risks of each lever in use, then what the
    model leaves out."""
    items = "".join(f"<li><strong>{esc(topic)}</strong> ({esc(who)}): {esc(text)}</li>"
                    for topic, who, text in lever_risks(res))
    parts = ["<h2>Limitations and risks</h2>"]
    if items:
        parts.append("<p>Rules and risks to check before adopting the levers these strategies use "
                     "(a checklist for the compliance team, not legal advice):</p>")
        parts.append(f"<ul>{items}</ul>")
    parts.append("<p>What the model leaves out:</p>")
    limits = list(_MODEL_LIMITS)
    sim = res.scenario.simulation
    if cold_start(sim):
        limits.insert(1, _COLD_START)
    parts.append("<ul>" + "".join(f"<li>{esc(t)}</li>" for t in limits) + "</ul>")
    return _html("\n".join(parts))
