"""The scenario file: its schema, bounds and sections (decision, uncertain, liquidity, sensitivity, search), and writing scenarios (schema export, starter files)."""
