"""Which strategies the NumPy model (:mod:`simlib.model.vectorized`) simulates, and why not the others.

A strategy lies in the subset when every lever active in it has a NumPy form, its contacts are
messages and nothing in it needs a shared capacity (a phone team, the billing team's disputes).
With ``per_account`` the capacities are left to the caller, which keeps on the engine every
account that may meet one (:mod:`simlib.model.hybrid`).
"""
from __future__ import annotations

from simlib.levers import registered_levers
from simlib.levers.contact_limits import default_counted
from simlib.levers.quality import QualityLever
from simlib.model.vectorized_accountant import accountant_problems
from simlib.model.vectorized_agency_notice import agency_problems
from simlib.model.vectorized_legal import legal_problems
from simlib.model.vectorized_notices import notice_problems
from simlib.model.vectorized_self_service import self_service_problems
from simlib.scenario.schema import Scenario

#: the strategy sections this module simulates (``price_estimate`` only matters for disputes,
#: refused below; factoring is settled on the ledger afterwards)
SIMULATED = {"credit_terms_days", "statement_channel", "ladder", "contact_limits", "write_off",
             "price_estimate", "factoring", "prompt_pay_discount", "deposit", "financing",
             "payment_plan", "agency", "payment_methods", "collection_charges",
             "targeted_offer", "public_accountant", "legal_action",  # an agency: see agency_problems
             "pay_link", "card_on_file", "patient_portal"}  # the self-service levers: self_service_problems

#: levers that change only what the world derives before the run, which the hybrid engine reads
#: (:mod:`simlib.model.hybrid`): coverage discovery re-bills some encounters (they stay on SimPy);
#: a billing or claims quality investment (:class:`~simlib.levers.quality.QualityLever`) shortens
#: the statement lag and prevents billing errors and denials
WORLD_ONLY = {"coverage_discovery"}

#: the levers that take an account over (``PatientAccount.take_over``): the engine offers no
#: financing while one holds it, which :mod:`simlib.model.vectorized_financing` cannot see
HOLDERS = ("payment_plan", "agency", "legal_action", "public_accountant")


def check_capacity_free(sc: Scenario, strategy: str) -> None:
    """Raise ``ValueError`` unless ``strategy`` lies in the subset this module simulates."""
    problems = capacity_free_problems(sc, strategy)
    if problems:
        raise ValueError(f"strategy {strategy!r} is not capacity-free: it has {', '.join(dict.fromkeys(problems))}")


def capacity_free_problems(sc: Scenario, strategy: str, per_account: bool = False) -> list[str]:
    """Why ``strategy`` lies outside the subset this module simulates (``[]``: inside). With
    ``per_account`` the shared capacities an account may never meet are left to the caller
    (:mod:`simlib.model.hybrid`: call steps whose targeting excludes it, disputes it has not, the
    price estimate's cost booked at service by the engine)."""
    st = sc.strategies[strategy]
    problems = []
    if st.phone_team is not None and not per_account:
        problems.append("a phone team")
    if sc.channels[st.statement_channel].kind != "message":
        problems.append(f"a statement by a {sc.channels[st.statement_channel].kind!r} channel")
    for step in st.ladder:
        kind = sc.channels[step.channel].kind
        if kind != "message" and not (per_account and kind == "call"):
            problems.append(f"a {kind!r} step ({step.channel})")
    for key, lever in registered_levers().items():
        if key in WORLD_ONLY or issubclass(lever, QualityLever):
            if not per_account and lever.active(getattr(st, key)):  # what they change is the world's:
                problems.append(f"the {key} lever")  # simlib.model.hybrid reads it
            continue
        if key not in SIMULATED and key not in ("phone_team", "fap_screening") \
                and lever.active(getattr(st, key)):
            problems.append(f"the {key} lever")
    if st.financing is not None and any(getattr(st, key) is not None for key in HOLDERS):
        problems.append("financing beside a lever that holds accounts (its NumPy form knows no holder)")
    if st.targeted_offer is not None and (st.targeted_offer.ladder or st.targeted_offer.score != "propensity"):
        problems.append("a targeted offer's own score (a contact-response score, or the ladder's targets)")
    if st.collection_charges is not None and st.payment_plan is not None:  # their actions share order 4
        problems.append("collection charges beside a payment plan (its NumPy form knows no charge)")
    if st.price_estimate is not None and st.price_estimate.cost_per_estimate > 0 and not per_account:
        problems.append("a price estimate's cost (price_estimate.cost_per_estimate > 0)")
    if sc.operations.billing_team.billing_error_rate > 0 and not per_account:
        problems.append("disputes (billing_error_rate > 0)")
    if sc.behaviour.payment_timing is not None:
        problems.append("payment timing with planners (behaviour.payment_timing)")
    if sc.behaviour.decay_per_day == 0:
        problems.append("a constant intensity (behaviour.decay_per_day = 0)")
    lim = st.contact_limits
    counted = lim.message_cap_channels if lim.message_cap_channels is not None else default_counted(sc.channels)
    sent_at_statement = [_at_the_statement(sc, st, step) for step in st.ladder]
    if sum(map(bool, sent_at_statement)) >= 2 and "before" in sent_at_statement:
        problems.append("two delivered messages due at or before the statement (the engine delivers them "
                        "in the order it sent them, which may not be the ladder's)")
    problems += notice_problems(sc, st, counted)  # the quiet hours' move is static (simlib.model.vectorized_notices)
    problems += agency_problems(sc, st)
    problems += accountant_problems(st, disputes=sc.operations.billing_team.billing_error_rate > 0)  # the only source
    problems += legal_problems(st)
    problems += self_service_problems(sc, st, counted)
    for name, payer in sc.payers.items():
        if payer.secondary is not None and not per_account:  # a denial raises the patient's balance:
            problems.append(f"a secondary payer (payers.{name}.secondary)")  # the engine's transfer
    return problems


def _at_the_statement(sc: Scenario, st, step) -> str:
    """Whether ``step`` is a message with delivery days sent at the statement: due on it (``"on"``:
    no hour, day 0 — its key is the statement's day) or possibly before it (``"before"``: an hour
    on a day before the first full day — ``floor(statement + day) + hour`` may precede it), when it
    goes out at the statement all the same (the clock never goes back); ``""`` otherwise. Two such
    messages, one due before, arrive at one instant in the order the engine sent them (by their
    keys), which the NumPy model's columns cannot follow (they keep the ladder's order)."""
    if sc.channels[step.channel].kind != "message" or sc.channels[step.channel].delivery_days <= 0.0:
        return ""
    day = step.day + (st.credit_terms_days if step.relative_to == "due_date" else 0.0)
    if step.hour is None:
        return "on" if day <= 0.0 else ""
    return "before" if day < 1.0 else ""
