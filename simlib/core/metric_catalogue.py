"""The metric catalogue: one entry per metric the engine reports, with its unit and direction.

Reports and summaries look metrics up here for labels and formatting, so a new metric needs one
line here and one computation in :mod:`simlib.model.metrics`.
"""
from __future__ import annotations

from simlib.core.language import N_

from dataclasses import dataclass
from typing import Literal

Unit = Literal["usd", "days", "share", "count", "hours"]


def mid_sentence(label: str) -> str:
    """A label with its first word lower-cased for use mid-sentence, acronyms kept (NPV, A/R)."""
    first, _, rest = label.partition(" ")
    if len(first) > 1 and first[1:2].isupper():
        return label
    return first.lower() + (" " + rest if rest else "")


@dataclass(frozen=True)
class MetricInfo:
    label: str
    unit: Unit
    higher_is_better: bool | None
    description: str
    group: Literal["finance", "patients", "operations", "factoring", "policies"] = "finance"

    def __getattribute__(self, name: str):
        """``label`` and ``description`` read in the language in force (the catalogue's entries
        are English, marked for it with ``N_``): every table, chart and sentence that names a
        metric names it in the page's language, and in English everything reads as written."""
        value = object.__getattribute__(self, name)
        if name in ("label", "description"):
            from simlib.core.language import _

            return _(value)
        return value


METRICS: dict[str, MetricInfo] = {
    "npv_net_cash": MetricInfo(
        N_("NPV of net collections"), "usd", True,
        N_("Present value, at the cost of capital, of collections minus collection costs and fees, minus "
        "the present value of the margin lost to harm (care deferred after a declined deposit, "
        "patients who do not come back after complaints and opt-outs).")),
    "net_collection_rate": MetricInfo(
        N_("Net collection rate"), "share", True,
        N_("Collected ÷ (billed − allowances − corrections − charity care), all receivables, at the horizon.")),
    "patient_collection_rate": MetricInfo(
        N_("Patient collection rate"), "share", True,
        N_("Patient-responsibility dollars collected ÷ patient dollars billed net of corrections and "
        "charity care (what the hospital seeks to collect).")),
    "patient_responsibility_collection_rate": MetricInfo(
        N_("Patient collection rate (Kodiak's definition)"), "share", True,
        N_("Patient-responsibility dollars collected ÷ all patient dollars billed net of corrections, "
        "charity care included: what patients owed, as Kodiak's benchmark counts it (its 47.8 % for "
        "2022–23 and 34.5 % for 2024 are on this definition, not on the patient collection rate's).")),
    "patient_collected_60_days": MetricInfo(
        N_("Patient dollars collected within 60 days"), "share", True,
        N_("Patient-responsibility dollars collected within 60 days of service ÷ the patient collection "
        "rate's denominator: the early point of the patient liquidation curve (how fast patients pay, "
        "where the collection rate says how much).")),
    "days_in_ar": MetricInfo(
        N_("Days in A/R"), "days", False,
        N_("Open A/R at the measurement day ÷ average daily billed over the A/R window.")),
    "ar_over_90_share": MetricInfo(
        N_("A/R over 90 days"), "share", False,
        N_("Share of open A/R (by dollars) older than 90 days from service, at the measurement day.")),
    "cash_collected": MetricInfo(
        N_("Cash collected"), "usd", True, N_("All collections to the horizon (patients, insurers, agency, lender).")),
    "collection_cost": MetricInfo(
        N_("Collection cost"), "usd", False,
        N_("Statements, contacts, agent hours, rework, dispute handling, agency, financing and factoring fees.")),
    "cost_to_collect": MetricInfo(
        N_("Collection operations cost ratio"), "share", False,
        N_("Collection cost ÷ cash collected: only the collection operations the model simulates "
        "(statements, contacts, agents, denials and billing staff, fees). Not HFMA's cost to collect, "
        "whose 2–4 % benchmark counts the whole revenue cycle (patient access, coding, IT): never "
        "compare the two.")),
    "bad_debt_rate": MetricInfo(
        N_("Bad debt"), "share", False,
        N_("(Bad-debt write-offs + patient dollars still open at the horizon, projected unrecovered) "
        "÷ net patient revenue (billed − discounts and small-balance adjustments − corrections − "
        "charity care), billing-window cohort.")),
    "open_at_horizon_share": MetricInfo(
        N_("Still open at the horizon"), "share", None,
        N_("Billing-window cohort dollars (patients and insurers) not yet resolved at the horizon ÷ "
        "billed; the patient part is counted in bad debt.")),
    "charity_care": MetricInfo(
        N_("Charity care"), "usd", None,
        N_("Balances adjusted as financial assistance (501(r) FAP): an adjustment, not bad debt.")),
    "charity_care_share": MetricInfo(
        N_("Charity care share"), "share", None, N_("Charity care ÷ net patient revenue (as for bad debt).")),
    "denial_write_off_rate": MetricInfo(
        N_("Final denials written off"), "share", False, N_("Final-denial write-offs ÷ insurer dollars billed.")),
    "initial_denial_rate": MetricInfo(
        N_("Initial claim denials"), "share", False, N_("Claims denied on first adjudication ÷ claims adjudicated."),
        "operations"),
    "lost_margin": MetricInfo(
        N_("Margin lost to harm"), "usd", False,
        N_("Contribution margin of elective care deferred or cancelled after a declined deposit, plus the "
        "expected future margin of patients who do not come back after complaints and opt-outs "
        "(not cash: subtracted from the NPV).")),
    "cash_trough": MetricInfo(
        N_("Lowest cash position"), "usd", True,
        N_("Minimum of starting cash − cost of care + net collections over the horizon.")),
    # liquidity (simlib.scenario.liquidity): only when the scenario sets finance.minimum_cash
    "npv_after_liquidity": MetricInfo(
        N_("NPV after credit-line interest"), "usd", True,
        N_("NPV of net collections minus the present value of the interest on the credit line that keeps "
        "cash at the minimum (the ranking metric when a cash floor is set).")),
    "credit_drawn_peak": MetricInfo(
        N_("Peak drawn on the credit line"), "usd", False,
        N_("Largest end-of-day shortfall below the minimum cash, funded by the credit line (above the "
        "line's limit: the shortfall the line could not fund).")),
    "credit_interest": MetricInfo(
        N_("Credit-line interest"), "usd", False,
        N_("Simple daily interest at the line's annual rate ÷ 365 on each day's drawn balance, to the horizon.")),
    "credit_cost_per_rate_point": MetricInfo(
        N_("Credit cost per point of interest rate"), "usd", False,
        N_("Present value of the interest the same drawn balances would cost at 1 % a year: the cost of "
        "the line is this × the rate in points.")),
    "liquidity_infeasible": MetricInfo(
        N_("Runs short beyond the credit line"), "share", False,
        N_("Share of runs in which cash falls below the minimum by more than the credit line's limit "
        "(with no line: below the minimum at all); above 5 % the strategy cannot be recommended.")),
    # a second payer per encounter (simlib.scenario.second_payer): only when a payer has the block
    "late_payment_penalties": MetricInfo(
        N_("Late-payment penalties received"), "usd", True,
        N_("Penalties the mandatory insurer owed for paying claims after its tiers-payant deadline (a fixed "
        "amount per claim just after the deadline, a share of its part later), measured cohort; income "
        "in the NPV.")),
    "secondary_denial_rate": MetricInfo(
        N_("Secondary insurer denial rate"), "share", False,
        N_("Share of the complementary insurers' claims decided before the horizon that they refused; "
        "what they refuse passes to the patient."), "operations"),
    "days_to_resolution": MetricInfo(
        N_("Days to resolution"), "days", False,
        N_("Dollar-weighted mean days from service to the resolution of each billed dollar (billing-window "
        "cohort): collected, adjusted or written off at its day; still open at the horizon counted at "
        "the horizon, so dollars kept open or written off later never look faster.")),
    "contacts_per_account": MetricInfo(
        N_("Contacts per patient account"), "count", None,
        N_("Reminders sent (all channels, calls placed included) ÷ patient balances billed."), "patients"),
    "calls_per_account": MetricInfo(
        N_("Calls per patient account"), "count", None, N_("Calls placed ÷ patient balances billed."), "patients"),
    "disputes_per_account": MetricInfo(
        N_("Disputes per patient account"), "count", False, N_("Disputes raised ÷ patient balances billed."),
        "patients"),
    "agency_share": MetricInfo(
        N_("Accounts sent to an agency"), "share", False, N_("Patient balances placed with an agency ÷ billed."),
        "patients"),
    "plan_share": MetricInfo(
        N_("Accounts on a payment plan"), "share", None, N_("Patient balances that took a payment plan ÷ billed."),
        "patients"),
    "plan_default_rate": MetricInfo(
        N_("Payment plans defaulted"), "share", False,
        N_("Plans that defaulted (too many missed instalments) ÷ plans started."), "patients"),
    "financed_share": MetricInfo(
        N_("Accounts financed by a lender"), "share", None,
        N_("Patient balances paid off by a financing partner ÷ patient balances billed."), "patients"),
    "agency_recovery_rate": MetricInfo(
        N_("Agency recovery rate"), "share", True,
        N_("Agency collections (gross of its fee) ÷ balances placed with the agency."), "finance"),
    "suppressed_contacts": MetricInfo(
        N_("Contacts suppressed by limits"), "count", None,
        N_("Planned contacts not made because of frequency limits or quiet hours."), "operations"),
    "complaints_per_1000_accounts": MetricInfo(
        N_("Complaints per 1,000 accounts"), "count", False,
        N_("Patients' complaints about contacts (at most one per patient and channel) × 1,000 ÷ "
        "patient balances billed."), "patients"),
    "opted_out_contacts": MetricInfo(
        N_("Contacts stopped by opt-outs"), "count", None,
        N_("Planned contacts not made because the patient opted out of the channel."), "operations"),
    "agent_utilisation": MetricInfo(
        N_("Agent utilisation"), "share", None, N_("Agent busy time ÷ agent open time."), "operations"),
    "call_wait_mean_hours": MetricInfo(
        N_("Mean call queue wait"), "hours", False,
        N_("Mean time a call waited for an agent (open and closed hours), calls placed."), "operations"),
    "calls_abandoned": MetricInfo(
        N_("Calls dropped from the queue"), "count", False,
        N_("Call attempts that waited longer than the team's max wait and were dropped."), "operations"),
    "patients_lost": MetricInfo(
        N_("Patients lost"), "count", False,
        N_("Expected patients who do not come back for future care because of complaints and "
        "opt-outs (sum over patients of the chance they leave)."), "patients"),
    "deposits_asked": MetricInfo(
        N_("Deposits asked"), "count", None,
        N_("Deposits asked at service (non-emergency encounters of the payers a deposit may be asked of)."),
        "patients"),
    "deposits_paid": MetricInfo(
        N_("Deposits paid"), "count", None, N_("Deposits asked and paid at service."), "patients"),
    "deposits_declined": MetricInfo(
        N_("Deposits declined"), "count", None, N_("Deposits asked and not paid."), "patients"),
    "care_deferred": MetricInfo(
        N_("Care deferred after a declined deposit"), "count", False,
        N_("Patients who declined a deposit and deferred or cancelled their elective care."), "patients"),
    "deposits_refunded": MetricInfo(
        N_("Deposits refunded"), "count", None,
        N_("Deposits paid back in part or in full: above the final responsibility, or beyond what a "
        "patient found eligible for financial assistance owes (501(r))."), "patients"),
    # factoring (simlib/model/factoring_settlement.py); 0 (APR: NaN) for strategies that factor nothing
    "factoring_factored_share": MetricInfo(
        N_("Share of billed dollars factored"), "share", None,
        N_("Face value sold to the factor (open balance at purchase) ÷ all dollars billed."), "factoring"),
    "factoring_advanced": MetricInfo(
        N_("Cash advanced by the factor"), "usd", None,
        N_("Advances paid at purchase (advance rate × face or ECV, net of any upfront admin fee)."),
        "factoring"),
    "factoring_fees": MetricInfo(
        N_("Factoring fees"), "usd", False,
        N_("Admin fees + fees kept at settlement + fees in buy-backs; deducted from rebates, "
        "never a separate cash row."), "factoring"),
    "factoring_rebates": MetricInfo(
        N_("Reserve released"), "usd", None,
        N_("Rebates: collected − advance share − fee share, when positive."), "factoring"),
    "factoring_chargebacks": MetricInfo(
        N_("Charge-backs"), "usd", False,
        N_("Shortfalls the hospital repays: denials, corrections, discounts (and bad debt under "
        "recourse) — advance share + fee share − any cash collected."), "factoring"),
    "factoring_buybacks": MetricInfo(
        N_("Buy-backs"), "usd", False,
        N_("Receivables repurchased at the end of the recourse period or on termination: "
        "remaining advance share + fee accrued."), "factoring"),
    "factoring_credit_loss": MetricInfo(
        N_("Credit loss borne by the factor"), "usd", None,
        N_("Advance shares on bad-debt write-offs the factor absorbs (non-recourse only)."), "factoring"),
    "factoring_apr": MetricInfo(
        N_("Factoring effective annual cost"), "share", False,
        N_("All fees ÷ advance dollar-days × 365 (each advance share from purchase to settlement). "
        "For one invoice: fee ÷ advance × 365 ÷ days (MedBanker: $2 on $75 for 30 days ≈ 32 %)."),
        "factoring"),
}

#: the built-in channels (simlib.world.channels.default_channels), with their words for labels
CHANNEL_WORDS = {"email": "email", "sms": "SMS", "whatsapp": "WhatsApp", "letter": "letter",
                 "formal_demand": "formal demand", "call": "call"}
METRICS["notices_moved"] = MetricInfo(
    N_("Notices moved by limits"), "count", None,
    N_("Legally required notices (formal demand, final notice) the contact limits moved to the next "
    "allowed slot instead of dropping them."), "operations")
for _name, _words in CHANNEL_WORDS.items():
    METRICS[f"suppressed_{_name}"] = MetricInfo(
        f"Suppressed by limits: {_words}", "count", None,
        f"Planned {_words} contacts not made because of frequency limits or quiet hours.", "operations")
    METRICS[f"moved_{_name}"] = MetricInfo(
        f"Notices moved by limits: {_words}", "count", None,
        f"Legally required notices by {_words} moved to the next slot the limits allow.", "operations")

#: what reactive collection policies do (simlib.policies): engine counter -> (metric, label, definition),
#: each written out whole so the message catalogue has it.
#: Present only in scenarios where some strategy records contact outcomes or runs a policy
#: (``simlib.policies.base.reacts``); each a count per 1,000 patient balances billed, except the
#: two per account.
POLICY_COUNTER_METRICS: dict[str, tuple[str, str, str]] = {
    "outcome_no_answer": ("outcome_no_answer_per_1000_accounts",
        N_("Calls not answered per 1,000 accounts"),
        N_("Calls placed that did not reach the patient × 1,000 ÷ patient balances billed.")),
    "outcome_right_party": ("outcome_right_party_per_1000_accounts",
        N_("Calls answered, no commitment per 1,000 accounts"),
        N_("Calls that reached the patient, who made no commitment × 1,000 ÷ patient balances billed.")),
    "outcome_promise": ("outcome_promise_per_1000_accounts",
        N_("Promises to pay per 1,000 accounts"),
        N_("Calls that ended in a promise to pay the balance on a date × 1,000 ÷ patient balances billed.")),
    "outcome_plan_requested": ("outcome_plan_requested_per_1000_accounts",
        N_("Plans requested per 1,000 accounts"),
        N_("Calls in which the patient asked for a payment plan × 1,000 ÷ patient balances billed.")),
    "outcome_dispute": ("outcome_dispute_per_1000_accounts",
        N_("Disputes on a call per 1,000 accounts"),
        N_("Calls in which the patient disputed the bill × 1,000 ÷ patient balances billed.")),
    "outcome_assistance_application": ("outcome_assistance_application_per_1000_accounts",
        N_("Assistance applications on a call per 1,000 accounts"),
        N_("Calls in which the patient applied for financial assistance × 1,000 ÷ patient balances billed.")),
    "outcome_refusal": ("outcome_refusal_per_1000_accounts",
        N_("Refusals to pay per 1,000 accounts"),
        N_("Calls in which the patient refused to pay × 1,000 ÷ patient balances billed.")),
    "outcome_promise_kept": ("outcome_promise_kept_per_1000_accounts",
        N_("Promises kept per 1,000 accounts"),
        N_("Promised dates on which the patient paid the balance × 1,000 ÷ patient balances billed.")),
    "outcome_promise_broken": ("outcome_promise_broken_per_1000_accounts",
        N_("Promises broken per 1,000 accounts"),
        N_("Promised dates that passed without the payment × 1,000 ÷ patient balances billed.")),
    "outcome_bounced": ("outcome_bounced_per_1000_accounts",
        N_("Messages bounced per 1,000 accounts"),
        N_("Emails and texts that came back undelivered × 1,000 ÷ patient balances billed.")),
    "outcome_returned": ("outcome_returned_per_1000_accounts",
        N_("Letters returned per 1,000 accounts"),
        N_("Letters that came back undelivered × 1,000 ÷ patient balances billed.")),
    "outcome_inbound": ("outcome_inbound_per_1000_accounts",
        N_("Patients who contacted the hospital per 1,000 accounts"),
        N_("Patients' own contacts about their bill (calls in, replies) × 1,000 ÷ patient balances billed.")),
    "policy_actions": ("policy_actions_per_account",
        N_("Policy actions per account"),
        N_("Actions a collection policy took (contacts, notices, offers, placements, pauses, stops) ÷ "
           "patient balances billed.")),
    "policy_contacts": ("policy_contacts_per_account",
        N_("Policy contacts per account"),
        N_("Contacts a collection policy made, final notices included (also counted in the contacts per "
           "patient account) ÷ patient balances billed.")),
    "final_notices": ("final_notices_per_1000_accounts",
        N_("Final notices per 1,000 accounts"),
        N_("Final notices a policy sent × 1,000 ÷ patient balances billed.")),
    "policy_plan_offers": ("policy_plan_offers_per_1000_accounts",
        N_("Plans offered by the policy per 1,000 accounts"),
        N_("Payment plans a policy offered × 1,000 ÷ patient balances billed.")),
    "policy_plans_taken": ("policy_plans_taken_per_1000_accounts",
        N_("Plans taken on the policy's offer per 1,000 accounts"),
        N_("Payment plans a policy's offer started × 1,000 ÷ patient balances billed.")),
    "settlement_offers": ("settlement_offers_per_1000_accounts",
        N_("Settlement offers per 1,000 accounts"),
        N_("Settlement discounts a policy offered × 1,000 ÷ patient balances billed.")),
    "settlements": ("settlements_per_1000_accounts",
        N_("Settlements per 1,000 accounts"),
        N_("Balances settled in full at the offered discount × 1,000 ÷ patient balances billed.")),
    "policy_placements": ("policy_placements_per_1000_accounts",
        N_("Agency placements by the policy per 1,000 accounts"),
        N_("Accounts a policy placed with the agency × 1,000 ÷ patient balances billed.")),
    "policy_pauses": ("policy_pauses_per_1000_accounts",
        N_("Policy pauses per 1,000 accounts"),
        N_("Pauses a policy started × 1,000 ÷ patient balances billed.")),
    "policy_stops": ("policy_stops_per_1000_accounts",
        N_("Policy stops per 1,000 accounts"),
        N_("Accounts a policy stopped acting on × 1,000 ÷ patient balances billed.")),
    "policy_actions_capped": ("policy_actions_capped_per_1000_accounts",
        N_("Policy actions capped per 1,000 accounts"),
        N_("Actions not taken because the account reached the policy's cap on actions × 1,000 ÷ patient "
           "balances billed.")),
}
for _counter, (_metric, _label, _what) in POLICY_COUNTER_METRICS.items():
    METRICS[_metric] = MetricInfo(_label, "count", None, _what, "policies")
METRICS["promise_kept_share"] = MetricInfo(
    N_("Promises kept"), "share", None,
    N_("Promised dates on which the patient paid ÷ promised dates that fell due (kept + broken; a "
    "promise that falls due after the balance is paid, or while a plan or an agency holds it, is neither)."),
    "policies")

KEY_METRIC = "npv_net_cash"
#: The key metric when the scenario sets a cash floor (finance.minimum_cash).
LIQUIDITY_KEY_METRIC = "npv_after_liquidity"


def key_metric(scenario=None) -> str:
    """The metric strategies are ranked on: the NPV after the credit line's interest when the
    scenario sets a cash floor, otherwise the NPV of net collections."""
    finance = getattr(scenario, "finance", None)
    return LIQUIDITY_KEY_METRIC if getattr(finance, "minimum_cash", None) is not None else KEY_METRIC

AGING_BUCKETS = ("0-30", "31-60", "61-90", "91-120", ">120")
