# Each line is its own cell in the notebook built from this file (split on blank lines).
import sys; sys.exit(3)

import os; os._exit(0)

import os; os.abort()

import posix; posix._exit(0)
