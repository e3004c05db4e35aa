"""Drill 05: dropout meets BatchNorm (variance shift), and how exact the ensemble story is."""
