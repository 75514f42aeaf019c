"""What the commands do, callable from Python: run, compare, backtest."""
