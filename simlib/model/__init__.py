"""The model: population, insurer claims, the SimPy world of one strategy and replication, factoring settlement, metrics from the ledger."""
