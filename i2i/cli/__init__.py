"""Typer command-line interface: one module per command group; bodies call library functions."""
