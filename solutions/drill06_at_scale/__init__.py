"""Drill 06: dropout at scale (mask memory, masks regenerated from a seed, speed)."""
