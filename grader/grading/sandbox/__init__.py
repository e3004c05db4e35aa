"""Run a submission's code in a forked, confined child process that can only hand back data.

  limits.py      Limits, Job (what to run) and Outcome (what came back)
  supervisor.py  the grader's side: fork, poll, time out, reap, decode
  child.py       the child's side: confine, run cells, run the checks' execute halves
  channel.py     the length-prefixed report and its safe decoding
  capture.py     bounded capture of what the child printed
  reaping.py     waiting, killing leftovers, naming why a child died
  isolation.py   namespaces, read-only filesystem, dropped privileges
"""
from grader.grading.sandbox.limits import Job, Limits, Outcome  # noqa: F401
from grader.grading.sandbox.supervisor import run, run_many  # noqa: F401
