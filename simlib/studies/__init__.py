"""Studies that re-run a scenario: lever contributions, one-at-a-time sensitivity, flip points."""
