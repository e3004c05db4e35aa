"""The values that flow through grading: a check, a submission, and a graded result.

A drill is a list of Check objects; the core never knows what a check tests. Each check is
split so that the learner's code only ever runs `execute`, in a child process:
  prepare()               parent: build the inputs (payload)
  execute(target, payload) child: run the learner's object on them, return tensors/plain data
  judge(payload, result)  parent: (passed, message)
"""
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional


@dataclass
class Check:
    name: str
    title: str
    points: float
    visible: bool
    hint: str
    prepare: Callable[[], Any]
    execute: Callable[[Any, Any], Any]
    judge: Callable[[Any, Any], tuple]
    uses_source: bool = False  # judge gets (source_text, guard_calls) instead of a child result


@dataclass
class Drill:
    id: str
    title: str
    solution: str  # repo-relative paths
    student: str
    target: str  # the name the learner must define, e.g. "Dropout"
    checks: list
    guard: Optional[Callable] = None  # child-side context manager yielding a list of calls

    def check(self, name):
        return next(c for c in self.checks if c.name == name)


@dataclass
class CheckResult:
    name: str
    title: str
    score: float
    max_score: float
    visible: bool
    status: str  # pass | fail | todo | error
    message: str  # safe to show the learner: hidden checks never carry their inputs


@dataclass
class Submission:
    student: str
    name: str  # the file's name as submitted (inside an archive: archive.zip:inner/path)
    kind: str  # "ipynb" or "py"
    data: bytes = field(repr=False)
    sha256: str = ""
    order: tuple = ()  # sort key for "latest wins": (mtime, name)
    superseded: list = field(default_factory=list)  # names of this student's other files


@dataclass
class Result:
    student: str
    assignment: str
    status: str  # graded | error
    reason: str  # one line; empty when graded cleanly
    checks: list
    seconds: float
    sha256: str
    source_name: str
    demo: dict = field(default_factory=dict)
    cell_errors: list = field(default_factory=list)
    captured_output: str = ""  # instructor only
    superseded: list = field(default_factory=list)  # other submissions of this student, not graded
    config: str = ""  # digest of the grading settings it was graded with

    @property
    def score(self):
        return round(sum(c.score for c in self.checks), 4)

    @property
    def max_score(self):
        return round(sum(c.max_score for c in self.checks), 4)

    def to_dict(self):
        d = asdict(self)
        d["score"], d["max_score"] = self.score, self.max_score
        return d

    @classmethod
    def from_dict(cls, d):
        d = dict(d)
        d.pop("score", None)
        d.pop("max_score", None)
        d["checks"] = [CheckResult(**c) for c in d["checks"]]
        return cls(**d)
