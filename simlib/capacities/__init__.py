"""The capacities a hospital's world shares: SimPy resources whose queues make accounts wait.

- :mod:`~simlib.capacities.phone_team`: agents who place calls (a strategy's ``phone_team``);
- :mod:`~simlib.capacities.billing_team`: staff who resolve disputes (``operations.billing_team``);
- :mod:`~simlib.capacities.denials_team`: staff who rework denied claims (``operations.denials_team``).
"""
