"""The appendix: every resolved parameter of the scenario in plain words — the time frame and the
money context as sentences, the rest as short tables whose rows say what each setting means.

Generated from the parameters themselves, so a setting added to the scenario appears here too
(under its field name in words, or the field's own ``description`` when the model gives one).
"""
from __future__ import annotations

from simlib.core.money_names import is_money

from simlib.core.language import N_, _, localised, short_number_text

from collections.abc import Mapping
from typing import Any

from simlib.report.labels import label_of
from simlib.report.markup import _html, esc, html_words
from simlib.analysis.numbers import value_text
from simlib.report.param_words import _fmt_param, _humanise

# what each setting means, in the board's words (unit carried by the formatted value)
PLAIN: dict[str, str] = {
    # payers
    "share": N_("Share of encounters"), "allowed_median": N_("Typical allowed amount per encounter (median)"),
    "allowed_sigma": N_("Spread of allowed amounts (log-normal σ)"), "patient_share": N_("Patient's share of the bill"),
    "submission_lag_days": N_("Days to submit the claim"), "adjudication_days_min": N_("Fastest payer decision (days)"),
    "adjudication_days_mean": N_("Average payer decision (days)"), "initial_denial_rate": N_("Claims denied at first"),
    "overturn_rate": N_("Denials overturned on appeal"), "anti_assignment": N_("Pays only the provider (anti-assignment)"),
    "emergency_share": N_("Emergency encounters (no deposit asked)"),
    # patients
    "ability_monthly_median": N_("What a typical patient can pay per month (median)"),
    "ability_sigma": N_("Spread of ability to pay (log-normal σ)"),
    "propensity_sigma": N_("Spread of willingness to pay (log-normal σ)"),
    "price_sensitivity_mean": N_("Average response to a discount (1 = as assumed)"),
    "score_noise_sd": N_("Noise of the hospital's propensity score (higher: less accurate)"),
    # behaviour
    "initial_per_day": N_("Chance per day of paying just after the statement"),
    "floor_per_day": N_("Long-run chance per day of paying"), "decay_per_day": N_("How fast attention fades (per day)"),
    "balance_ref": N_("Reference balance for the behaviour model"),
    "balance_elasticity": N_("How much larger balances lower the will to pay"),
    "payment_jump_base_per_day": N_("Boost to paying again after a payment"),
    "payment_jump_fraction_per_day": N_("Extra boost per share of the balance paid"),
    "partial_fraction_min": N_("Smallest partial payment (share of balance)"),
    "partial_fraction_max": N_("Largest partial payment (share of balance)"),
    "full_payment": N_("When a patient pays in full"), "full_payment_months": N_("Months of ability to pay that a "
    "full payment may take"), "due_date_jump_per_day": N_("Boost at the due date"),
    "max_payments": N_("Payments after which the balance is settled"),
    # channels
    "cost": N_("Cost per contact"), "reach": N_("Contacts that reach the patient"),
    "jump_per_day": N_("Boost to paying when reached"), "kind": N_("Kind"),
    # operations
    "statement_lag_days": N_("Days from the payer's decision to the patient's statement"),
    "staff": N_("Staff"), "hours_per_rework": N_("Hours to rework a denied claim"), "hours_per_day": N_("Working hours a day"),
    "payer_review_days_min": N_("Payer review of an appeal, shortest (days)"),
    "payer_review_days_max": N_("Payer review of an appeal, longest (days)"), "max_rounds": N_("Appeal rounds at most"),
    "cost_per_rework": N_("Cost of one rework"), "filing_limit_days": N_("Filing limit (days)"),
    "final_denial_to_patient_share": N_("Final denials billed to the patient"),
    "hours_per_dispute": N_("Hours to resolve a dispute"), "billing_error_rate": N_("Bills with an error (leading to a dispute)"),
    "dispute_delay_days_mean": N_("Average days a dispute waits"), "patient_favour_rate": N_("Disputes settled in the "
    "patient's favour"), "correction_fraction_mean": N_("Average correction of the balance in a dispute"),
    "cost_per_dispute": N_("Cost of handling a dispute"),
}


#: Settings without a plain name here, in the words their field names give (for the catalogue: a
#: French or Spanish page names them in its language too).
FIELD_WORDS = (N_("Contact responsiveness sigma"), N_("Contact propensity correlation"), N_("Payment timing"),
               N_("Unreached statement share"), N_("Contact fatigue per contact"),
               N_("Contact fatigue window (days)"), N_("Contact age decay (days)"), N_("Discount uplift max"),
               N_("Discount half rate"), N_("Corrected statement jump per day"), N_("Cost per hour ($)"),
               N_("Resolution wait days mean"), N_("Delivery (days)"), N_("Opt out rate"), N_("Complaint rate"),
               N_("Notice"))


def _name(model, field: str) -> str:
    info = getattr(type(model), "model_fields", {}).get(field)
    own = getattr(info, "description", None) if info is not None else None
    return _(PLAIN.get(field) or own or _humanise(field))


def _value(field: str, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and is_money(field) and abs(value) >= 10_000:
        return value_text(float(value), "usd")
    if field == "full_payment":
        return {"ability": _("if the balance fits the months of ability to pay below"),
                "never": _("never (partial payments)"), "always": _("always")}.get(str(value), str(value))
    return _fmt_param(field, value)


def _settings_table(caption: str, model) -> str:
    rows = []
    for field, value in model.model_dump().items():
        if isinstance(value, dict):
            continue
        cls = " class=\"num\"" if isinstance(value, (int, float)) else ""
        rows.append(f"<tr><th scope=\"row\">{esc(_name(model, field))}</th>"
                    f"<td{cls}>{esc(_value(field, value))}</td></tr>")
    return (f"<div class=\"table-scroll\"><table><caption>{esc(_(caption))}</caption>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _across_table(caption: str, models: Mapping[str, Any]) -> str:
    """One column per payer (or channel), one row per setting: narrow enough for any page."""
    if not models:
        return ""
    dumps = {k: m.model_dump() for k, m in models.items()}
    first = next(iter(models.values()))
    fields = list(dict.fromkeys(f for d in dumps.values() for f in d))
    head = "".join(f"<th scope=\"col\">{esc(label_of(k, m))}</th>" for k, m in models.items())
    rows = []
    for f in fields:
        cells = "".join(f"<td class=\"num\">{esc(_value(f, d.get(f)))}</td>" for d in dumps.values())
        rows.append(f"<tr><th scope=\"row\">{esc(_name(first, f))}</th>{cells}</tr>")
    return (f"<div class=\"table-scroll\"><table><caption>{esc(_(caption))}</caption><thead><tr>"
            f"<th scope=\"col\">{esc(_('Setting'))}</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _time_frame(sim) -> str:
    g = short_number_text
    parts = []
    if sim.encounters_per_day > 0:
        parts.append(_("{per_day} new patient encounters a day for {days} days (the billing window)").format(
            per_day=g(sim.encounters_per_day), days=g(sim.billing_window_days)))
    if sim.open_book_accounts > 0:
        parts.append(_("an open book of {accounts} unpaid receivables up to {age} days old on day 0").format(
            accounts=localised(f"{sim.open_book_accounts:,}"), age=g(sim.open_book_age_days_max)))
    if sim.open_book is not None:
        parts.append(_("the unpaid bills of the hospital's A/R aging report on day 0"))
    warm = (" " + _("A warm-up of {days} days before day 0 is simulated under each strategy and left "
                    "out of every number, so day 0 finds the strategy's steady-state book.").format(
                        days=g(sim.warm_up_days)) if sim.warm_up_days > 0 else "")
    return _("The simulation follows {what}, to day {horizon} (the horizon).{warm_up} Days "
             "in A/R and the A/R aging are measured on day {day}, against the average "
             "billed over the {window} days before it. The parameter file asks for "
             "{runs} runs per strategy from seed {seed} (the runs and seed of this report "
             "are in the reproducibility note).").format(
                 what=_(" and ").join(parts), horizon=g(sim.horizon_days), warm_up=warm, day=g(sim.measurement_day),
                 window=g(sim.ar_window_days), runs=sim.replications, seed=sim.seed)


def _money(fin) -> str:
    care = getattr(fin, "cost_of_care_ratio", 0.0)
    text = (_("Money is discounted at a cost of capital of {rate} a year. The hospital starts with {cash} in cash "
              "and pays the cost of care, {care} of the allowed amount, when it treats the patient.") if care else
            _("Money is discounted at a cost of capital of {rate} a year. The hospital starts with {cash} in cash; "
              "the cost of care is not modelled (ratio 0).")).format(
                  rate=value_text(fin.cost_of_capital_annual, 'share'), cash=value_text(fin.starting_cash, 'usd'),
                  care=value_text(care, 'share'))
    if getattr(fin, "us_nonprofit", False):
        text += " " + _("It is a US nonprofit hospital, so IRS §501(r) limits extraordinary collection actions "
                        "(no agency placement of that kind before day 120 after the first statement).")
    return text


def assumptions(res):
    """The appendix: every resolved parameter in plain words, generated from the parameters."""
    scen = res.scenario
    ops = scen.operations
    parts = [
        f"<h2>{esc(_('Appendix: the assumptions in plain words'))}</h2>",
        "<p class=\"note\">" + html_words(_(
            "Every value the simulation used, read from the resolved parameter file. "
            "Behaviour settings are rates per day in the model of Chehrazi and Weber; see docs/model.md.")) + "</p>",
        f"<h3>{esc(_('Time frame and runs'))}</h3>", f"<p>{esc(_time_frame(scen.simulation))}</p>",
        f"<h3>{esc(_('Money'))}</h3>", f"<p>{esc(_money(scen.finance))}</p>",
        f"<h3>{esc(_('Payers and contact channels'))}</h3>", _across_table(N_("Payers"), scen.payers),
        _across_table(N_("Contact channels"), scen.channels),
        f"<h3>{esc(_('Patients and operations'))}</h3>",
        "<div class=\"settings\">",  # narrow two-column tables: side by side on paper
        _settings_table(N_("Patients (traits drawn once per patient)"), scen.patients),
        _settings_table(N_("Payment behaviour"), scen.behaviour),
        _settings_table(N_("Statements and other operations"), ops),
        _settings_table(N_("Denials team (reworks denied claims)"), ops.denials_team),
        _settings_table(N_("Billing team (resolves disputes)"), ops.billing_team),
        "</div>",
    ]
    return _html("\n".join(parts))
