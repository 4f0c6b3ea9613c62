"""Analysis of result tables: Monte Carlo summaries, the decision (recommendation, runner-up, materiality), spread, number formatting."""
