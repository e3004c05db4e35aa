"""Tests of drill 04: its checks, mutants and demo helpers."""
