"""The appendix: every resolved parameter of the scenario in plain words — the time frame and the
money context as sentences, the rest as short tables whose rows say what each setting means.

Generated from the parameters themselves, so a setting added to the scenario appears here too
(under its field name in words, or the field's own ``description`` when the model gives one).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simlib.report.labels import label_of
from simlib.report.markup import _html, esc
from simlib.analysis.numbers import value_text
from simlib.report.param_words import _fmt_param, _humanise

# what each setting means, in the board's words (unit carried by the formatted value)
PLAIN: dict[str, str] = {
    # payers
    "share": "Share of encounters", "allowed_median_usd": "Typical allowed amount per encounter (median)",
    "allowed_sigma": "Spread of allowed amounts (log-normal σ)", "patient_share": "Patient's share of the bill",
    "submission_lag_days": "Days to submit the claim", "adjudication_days_min": "Fastest payer decision (days)",
    "adjudication_days_mean": "Average payer decision (days)", "initial_denial_rate": "Claims denied at first",
    "overturn_rate": "Denials overturned on appeal", "anti_assignment": "Pays only the provider (anti-assignment)",
    "emergency_share": "Emergency encounters (no deposit asked)",
    # patients
    "ability_monthly_median_usd": "What a typical patient can pay per month (median)",
    "ability_sigma": "Spread of ability to pay (log-normal σ)",
    "propensity_sigma": "Spread of willingness to pay (log-normal σ)",
    "price_sensitivity_mean": "Average response to a discount (1 = as assumed)",
    "score_noise_sd": "Noise of the hospital's propensity score (higher: less accurate)",
    # behaviour
    "initial_per_day": "Chance per day of paying just after the statement",
    "floor_per_day": "Long-run chance per day of paying", "decay_per_day": "How fast attention fades (per day)",
    "balance_ref_usd": "Reference balance for the behaviour model",
    "balance_elasticity": "How much larger balances lower the will to pay",
    "payment_jump_base_per_day": "Boost to paying again after a payment",
    "payment_jump_fraction_per_day": "Extra boost per share of the balance paid",
    "partial_fraction_min": "Smallest partial payment (share of balance)",
    "partial_fraction_max": "Largest partial payment (share of balance)",
    "full_payment": "When a patient pays in full", "full_payment_months": "Months of ability to pay that a "
    "full payment may take", "due_date_jump_per_day": "Boost at the due date",
    "max_payments": "Payments after which the balance is settled",
    # channels
    "cost_usd": "Cost per contact", "reach": "Contacts that reach the patient",
    "jump_per_day": "Boost to paying when reached", "kind": "Kind",
    # operations
    "statement_lag_days": "Days from the payer's decision to the patient's statement",
    "staff": "Staff", "hours_per_rework": "Hours to rework a denied claim", "hours_per_day": "Working hours a day",
    "payer_review_days_min": "Payer review of an appeal, shortest (days)",
    "payer_review_days_max": "Payer review of an appeal, longest (days)", "max_rounds": "Appeal rounds at most",
    "cost_per_rework_usd": "Cost of one rework", "filing_limit_days": "Filing limit (days)",
    "final_denial_to_patient_share": "Final denials billed to the patient",
    "hours_per_dispute": "Hours to resolve a dispute", "billing_error_rate": "Bills with an error (leading to a dispute)",
    "dispute_delay_days_mean": "Average days a dispute waits", "patient_favour_rate": "Disputes settled in the "
    "patient's favour", "correction_fraction_mean": "Average correction of the balance in a dispute",
    "cost_per_dispute_usd": "Cost of handling a dispute",
}


def _name(model, field: str) -> str:
    info = getattr(type(model), "model_fields", {}).get(field)
    own = getattr(info, "description", None) if info is not None else None
    return PLAIN.get(field) or own or _humanise(field)


def _value(field: str, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and field.endswith("_usd") and abs(value) >= 10_000:
        return value_text(float(value), "usd")
    if field == "full_payment":
        return {"ability": "if the balance fits the months of ability to pay below",
                "never": "never (partial payments)", "always": "always"}.get(str(value), str(value))
    return _fmt_param(field, value)


def _settings_table(caption: str, model) -> str:
    rows = []
    for field, value in model.model_dump().items():
        if isinstance(value, dict):
            continue
        cls = " class=\"num\"" if isinstance(value, (int, float)) else ""
        rows.append(f"<tr><th scope=\"row\">{esc(_name(model, field))}</th>"
                    f"<td{cls}>{esc(_value(field, value))}</td></tr>")
    return (f"<div class=\"table-scroll\"><table><caption>{esc(caption)}</caption>"
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
    return (f"<div class=\"table-scroll\"><table><caption>{esc(caption)}</caption><thead><tr>"
            f"<th scope=\"col\">Setting</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _time_frame(sim) -> str:
    parts = []
    if sim.encounters_per_day > 0:
        parts.append(f"{sim.encounters_per_day:g} new patient encounters a day for {sim.billing_window_days:g} "
                     "days (the billing window)")
    if sim.open_book_accounts > 0:
        parts.append(f"an open book of {sim.open_book_accounts:,} unpaid receivables up to "
                     f"{sim.open_book_age_days_max:g} days old on day 0")
    if sim.open_book is not None:
        parts.append("the unpaid bills of the hospital's A/R aging report on day 0")
    warm = (f" A warm-up of {sim.warm_up_days:g} days before day 0 is simulated under each strategy and left "
            "out of every number, so day 0 finds the strategy's steady-state book." if sim.warm_up_days > 0 else "")
    return (f"The simulation follows {' and '.join(parts)}, to day {sim.horizon_days:g} (the horizon).{warm} Days "
            f"in A/R and the A/R aging are measured on day {sim.measurement_day:g}, against the average "
            f"billed over the {sim.ar_window_days:g} days before it. The parameter file asks for "
            f"{sim.replications} runs per strategy from seed {sim.seed} (the runs and seed of this report "
            "are in the reproducibility note).")


def _money(fin) -> str:
    text = (f"Money is discounted at a cost of capital of {value_text(fin.cost_of_capital_annual, 'share')} a year. The "
            f"hospital starts with {value_text(fin.starting_cash_usd, 'usd')} in cash")
    care = getattr(fin, "cost_of_care_ratio", 0.0)
    text += (f" and pays the cost of care, {value_text(care, 'share')} of the allowed amount, when it treats the patient."
             if care else "; the cost of care is not modelled (ratio 0).")
    if getattr(fin, "us_nonprofit", False):
        text += (" It is a US nonprofit hospital, so IRS §501(r) limits extraordinary collection actions "
                 "(no agency placement of that kind before day 120 after the first statement).")
    return text


def assumptions(res):
    """The appendix: every resolved parameter in plain words, generated from the parameters."""
    scen = res.scenario
    ops = scen.operations
    parts = [
        "<h2>Appendix: the assumptions in plain words</h2>",
        "<p class=\"note\">Every value the simulation used, read from the resolved parameter file. "
        "Behaviour settings are rates per day in the model of Chehrazi and Weber; see docs/model.md.</p>",
        "<h3>Time frame and runs</h3>", f"<p>{esc(_time_frame(scen.simulation))}</p>",
        "<h3>Money</h3>", f"<p>{esc(_money(scen.finance))}</p>",
        "<h3>Payers and contact channels</h3>", _across_table("Payers", scen.payers),
        _across_table("Contact channels", scen.channels),
        "<h3>Patients and operations</h3>",
        "<div class=\"settings\">",  # narrow two-column tables: side by side on paper
        _settings_table("Patients (traits drawn once per patient)", scen.patients),
        _settings_table("Payment behaviour", scen.behaviour),
        _settings_table("Statements and other operations", ops),
        _settings_table("Denials team (reworks denied claims)", ops.denials_team),
        _settings_table("Billing team (resolves disputes)", ops.billing_team),
        "</div>",
    ]
    return _html("\n".join(parts))
