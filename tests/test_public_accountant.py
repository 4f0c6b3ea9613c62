"""A French public hospital's recovery by the public accountant (issue 23 item 4): the ledger of
the reminder, formal demand and garnishment by hand, the threshold, the hand-back to the
hospital's write-off, and each rule of fr.yaml's public_recovery / public_hospital.

A self-pay patient owes exactly €1,000 and never pays on their own (``tiny`` of test_levers):
every row is known in advance, to the cent.
"""
from __future__ import annotations

import pytest

from simlib.scenario.schema import scenario_from_dict
from conftest import assert_refused
from test_levers import rows, run, tiny

#: the numbers are the test's, not the law's (except the 30 days' wait, the law's least)
ACCOUNTANT = {"reminder_days": 45, "demand_days": 90, "seizure_days_after_demand": 30, "garnishee": "bank",
              "cost_per_seizure": 4.5, "payment_days": 30}


def hospital(success_rate: float, balance: float = 1000.0, write_off_days: float = 400, **extra) -> dict:
    data = tiny({"public_accountant": {**ACCOUNTANT, "seizure_success_rate": success_rate, **extra},
                 "write_off": {"after_days": write_off_days}}, balance=balance)
    data["jurisdiction"] = "FR"
    data["finance"] = {"us_nonprofit": False, "public_hospital": True}
    data["channels"]["letter"]["cost"] = 1.25
    data["channels"]["formal_demand"] = {"cost": 8.0, "reach": 1.0, "jump_per_day": 0.0, "delivery_days": 0.0}
    return data


def test_a_garnishment_that_succeeds_pays_the_whole_balance_to_the_cent():
    res, _ = run(hospital(1.0))
    # the statement letter (€1.25) on day 0, the accountant's reminder letter on 45, the mise en
    # demeure (€8) on 90, the garnishment on 120 (€4.50 of the hospital's time), paid 30 days later
    assert rows(res) == [(0.0, "BILLED", 100000), (0.0, "COST_STATEMENT", 125), (45.0, "COST_CONTACT", 125),
                         (90.0, "COST_CONTACT", 800), (120.0, "COST_LEGAL", 450),
                         (150.0, "PAYMENT_PATIENT", 100000)]
    c = res.counters
    assert (c["accountant_reminders"], c["accountant_demands"], c["accountant_seizures"],
            c["accountant_seizures_paid"], c["accountant_seizures_failed"]) == (1, 1, 1, 1, 0)


def test_a_failed_garnishment_goes_back_to_the_hospitals_write_off():
    res, _ = run(hospital(0.0))
    assert rows(res)[-2:] == [(120.0, "COST_LEGAL", 450), (400.0, "WRITE_OFF_BAD_DEBT", 100000)]
    assert res.counters["accountant_seizures_failed"] == 1
    # the write-off fell due (day 140) while the garnishment was pending: it happens on its failure
    res, _ = run(hospital(0.0, write_off_days=140))
    assert rows(res)[-1] == (150.0, "WRITE_OFF_BAD_DEBT", 100000)


def test_no_garnishment_below_the_threshold_seuil_de_poursuites():
    """€100 owed: below the €130 of a bank garnishment (no enforcement: written off at 400), above
    the €30 of an employer's (garnished)."""
    res, _ = run(hospital(1.0, balance=100.0))
    assert [r for r in rows(res) if r[1] in ("COST_LEGAL", "PAYMENT_PATIENT", "WRITE_OFF_BAD_DEBT")] == \
        [(400.0, "WRITE_OFF_BAD_DEBT", 10000)]
    assert res.counters["accountant_below_threshold"] == 1 and res.counters["accountant_seizures"] == 0
    res, _ = run(hospital(1.0, balance=100.0, garnishee="employer"))
    assert rows(res)[-1] == (150.0, "PAYMENT_PATIENT", 10000)
    res, _ = run(hospital(1.0, balance=100.0, garnishee="employer", balance_min=150))  # a higher floor of its own
    assert res.counters["accountant_below_threshold"] == 1


def test_rule_only_a_public_hospital_has_a_public_accountant():
    data = hospital(0.5)
    data["finance"]["public_hospital"] = False
    assert_refused(data, "public_accountant: only a public hospital's bills", "chu-caen.fr")
    for code in ("US", "CL"):
        data = hospital(0.5)
        data["jurisdiction"], data["currency"] = code, None
        assert_refused(data, "public_accountant: no public accountant recovers bills in",
                 "finance.public_hospital: expected false in")


def test_rule_the_garnishment_waits_30_days_after_the_formal_demand():
    assert_refused(hospital(0.5, seizure_days_after_demand=20),
             "seizure_days_after_demand: expected at least 30 days after the formal demand", "LPF L257-0 A")


def test_rule_no_threshold_below_the_laws():
    assert_refused(hospital(0.5, balance_min=100), "public_accountant.balance_min: expected at least 130",
             "R1617-22")
    scenario_from_dict(hospital(0.5, balance_min=100, garnishee="employer"))  # €30 at an employer


@pytest.mark.parametrize("lever,settings", [
    ("legal_action", {"filing_days": 120, "success_rate": 0.5}),
    ("agency", {"kind": "bad_debt", "placement_days": 120, "notice_days_before": None}),
])
def test_rule_a_public_hospital_uses_neither_a_court_order_nor_an_agency(lever, settings):
    data = hospital(0.5)
    del data["strategies"]["s"]["public_accountant"]
    data["strategies"]["s"][lever] = settings
    assert_refused(data, f"{lever}: a public hospital may not use it in France", "Préfet de l'Eure", "houdart.org")
    data["finance"]["public_hospital"] = False  # a private clinic may
    scenario_from_dict(data)


def test_board_words_in_english_french_and_spanish():
    """The levers' words through the catalogue: title, description, glossary and risk per language."""
    from simlib.core.language import _, speaking
    from simlib.levers.credit_reporting import CreditReporting, CreditReportingLever
    from simlib.levers.public_accountant import PublicAccountant, PublicAccountantLever

    pa = PublicAccountant(seizure_success_rate=0.6)
    cr = CreditReporting(report_days=365, balance_min=500)
    expected = {
        "en": ("Public accountant", "recovery by the public accountant: formal demand on day 90, garnishment 30 days "
               "later (60 % paid)", "Credit reporting", "credit bureau report on day 365 for balances of at least $500"),
        "fr": ("Comptable public", "recouvrement par le comptable public : mise en demeure au jour 90, saisie 30 jours "
               "plus tard (60 % payées)", "Signalement aux bureaux de crédit", None),
        "es": ("Contador público", "cobro por el contador público: intimación de pago el día 90, embargo 30 días "
               "después (60 % pagados)", "Informe a burós de crédito", None),
    }
    for language, (title, text, cr_title, cr_text) in expected.items():
        currency = {"en": "USD", "fr": "EUR", "es": "CLP"}[language]
        with speaking(language, currency):
            assert PublicAccountantLever.board_title() == title
            assert PublicAccountantLever.describe(pa) == text
            assert CreditReportingLever.board_title() == cr_title
            if cr_text:
                assert CreditReportingLever.describe(cr) == cr_text
            for term, words in PublicAccountantLever.glossary + CreditReportingLever.glossary:
                assert (_(term) == term and _(words) == words) == (language == "en"), (language, term)
            assert (_(PublicAccountantLever.risk[1]) != PublicAccountantLever.risk[1]) == (language != "en")
