"""Where drill 01 lives; kept apart from its checks so the release step needs no torch."""
SOLUTION = "solutions/01_dropout_mock_interview.ipynb"
STUDENT = "notebooks/01_dropout_mock_interview.ipynb"
