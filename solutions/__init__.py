"""The course's drills, one folder each (see grader.grading.drills)."""
