"""Drill 03: Monte Carlo dropout, uncertainty you can plot and check."""
