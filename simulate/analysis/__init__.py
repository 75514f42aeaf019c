"""Generic statistics on draws: intervals, summaries, sensitivity.

Imports nothing from the rest of simulate (checked by lint-imports)."""
