"""Dropout Drills: the release step, the checks and the grader of the course."""
