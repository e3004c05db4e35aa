"""Drill 02: the export trap, from a PyTorch model with dropout to an offline engine."""
