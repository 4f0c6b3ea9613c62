"""Collection levers, one module each, registered by the YAML key they own in a strategy.

Importing this package registers the built-in levers in the order below: the order of a
strategy's sections, of the words that describe it, and in which the levers' hooks run (credit
terms first: the due date they set is what ladder steps may be timed from). A new built-in lever
is one module plus one line here; a lever in another package registers itself (``@register_lever``)
or is found through the ``simlib.levers`` entry point (``docs/extending.md``).

What a lever is: :mod:`simlib.levers.base`. What it may do to an account: :mod:`simlib.world.account`.
"""
# the registry first: a lever module (built in or not) may import it from this package
from simlib.levers.base import (Lever, describe_strategy, lever_descriptions,  # noqa: F401
                                register_lever, registered_levers)
from simlib.levers import credit_terms  # noqa: F401  credit_terms_days
from simlib.levers import reminders  # noqa: F401  statement_channel, ladder
from simlib.levers import phone_team  # noqa: F401  phone_team
from simlib.levers import contact_limits  # noqa: F401  contact_limits
from simlib.levers import prompt_pay_discount  # noqa: F401  prompt_pay_discount
from simlib.levers import deposit  # noqa: F401  deposit
# billing and claims quality: before the disputes, whose billing error rate they lower
from simlib.levers import billing_training  # noqa: F401  billing_training
from simlib.levers import coding_audit  # noqa: F401  coding_audit
from simlib.levers import eligibility_check  # noqa: F401  eligibility_check
from simlib.levers import claims_scrubber  # noqa: F401  claims_scrubber
from simlib.levers import coverage_discovery  # noqa: F401  coverage_discovery
from simlib.levers import disputes  # noqa: F401  price_estimate (and every dispute)
from simlib.levers import write_off  # noqa: F401  write_off
from simlib.levers import financial_assistance  # noqa: F401  fap_screening (the policy: finance)
from simlib.levers import collection_charges  # noqa: F401  collection_charges
from simlib.levers import payment_plan  # noqa: F401  payment_plan
from simlib.levers import payment_methods  # noqa: F401  payment_methods (before the levers that take payments)
from simlib.levers import pay_link  # noqa: F401  pay_link
from simlib.levers import card_on_file  # noqa: F401  card_on_file
from simlib.levers import patient_portal  # noqa: F401  patient_portal
from simlib.levers import financing  # noqa: F401  financing
from simlib.levers import targeted_offer  # noqa: F401  targeted_offer (after the offers it withholds)
from simlib.levers import agency  # noqa: F401  agency
from simlib.levers import legal_action  # noqa: F401  legal_action
from simlib.levers import public_accountant  # noqa: F401  public_accountant
from simlib.levers import credit_reporting  # noqa: F401  credit_reporting
from simlib.levers import factoring  # noqa: F401  factoring
