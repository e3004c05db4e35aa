"""Drill 04: beyond Bernoulli: spatial dropout, DropBlock, DropPath, DropConnect, Gaussian dropout."""
