"""Tests of drill 03 (Monte Carlo dropout): checks, mutants and demo helpers."""
