"""Data and formulas: the chain's nodes, the accelerator catalog."""
