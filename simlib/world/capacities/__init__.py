"""The capacities a hospital's world shares: SimPy resources whose queues make accounts wait.

- :mod:`~simlib.world.capacities.phone_team`: agents who place calls (a strategy's ``phone_team``);
- :mod:`~simlib.world.capacities.billing_team`: staff who resolve disputes (``operations.billing_team``);
- :mod:`~simlib.world.capacities.denials_team`: staff who rework denied claims (``operations.denials_team``);
- :mod:`~simlib.world.capacities.staffing`: what the staffed hours of the denials and billing teams cost.
"""
