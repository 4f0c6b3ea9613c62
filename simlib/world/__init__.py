"""The world's mechanisms: the patient account and its contact verb, contact channels and responses, the shared capacities (phone, billing and denials teams)."""
