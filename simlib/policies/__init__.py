"""Collection policies that react to the patient (``docs/policies.md``): contact outcomes, if/then
rules and a state-dependent barrier policy, each a lever of the strategy (:mod:`simlib.levers.base`,
hook ``on_event``) registered after the built-in levers when this package is imported (the
scenario schema imports it). What a policy is: :mod:`simlib.policies.base`.
"""
from simlib.policies import outcomes  # noqa: F401  contact_outcomes
from simlib.policies import rules  # noqa: F401  policy
from simlib.policies import barrier  # noqa: F401  barrier_policy
