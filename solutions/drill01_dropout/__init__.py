"""Drill 01: dropout, the paper-to-code mock interview."""
