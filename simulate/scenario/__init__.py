"""Scenario files: TOML to a validated Scenario."""
