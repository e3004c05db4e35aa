"""The values that flow through grading: a drill's declaration, a submission, a result.

A drill declares what the learner writes (targets), its checks (grader.payload.checkkit
Check objects: prepare in this process, execute in the child, judge here), its source checks
and its points; the core never knows what a check tests. Its id and paths come from its
folder (solutions/<id>/), found by grader.grading.drills.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

# What a target must be; the child checks it before running the target's checks.
TARGET_KINDS = ("module", "autograd", "class", "function")
LEVELS = ("core", "intermediate", "senior")
TRACKS = ("ML engineer", "research", "systems")  # the interview a drill prepares for


@dataclass(frozen=True)
class SourceCheck:
    """A check of the submission's code itself, never run: judge(source, guard_calls)."""
    name: str
    title: str
    target: str
    hint: str
    judge: Callable[[str, list], tuple]
    words: tuple = ("pass", "fail")  # what the gradebook writes for a check worth 0 points


@dataclass
class Drill:
    title: str
    minutes: int  # the plan's total, as the timer shows it
    level: str  # one of LEVELS
    track: str  # one of TRACKS
    produces: str  # one line for the course table: what the learner ends up with
    targets: dict  # name the learner defines -> one of TARGET_KINDS
    visible: list  # checkkit Checks pasted into the notebook (its CheckSet)
    hidden: list = field(default_factory=list)  # checkkit Checks kept in the grader
    extra: list = field(default_factory=list)  # visible checks not in the scoreboard (a demo)
    source_checks: list = field(default_factory=list)
    points: dict = field(default_factory=dict)  # check name -> points (default 1)
    shows: dict = field(default_factory=dict)  # check name -> {result key: label} for feedback
    guard: Optional[Callable] = None  # child-side context manager yielding recorded calls
    samples: dict = field(default_factory=dict)  # sample file name -> "correct" | "stub" | mutant
    concepts: dict = field(default_factory=dict)  # deck card key -> concept (grader.build.concepts)
    id: str = ""  # set by the loader from the folder name
    folder: str = ""

    def __post_init__(self):
        if self.level not in LEVELS or self.track not in TRACKS:
            raise ValueError(f"level {self.level!r} / track {self.track!r}: use one of {LEVELS} "
                             f"and one of {TRACKS}")
        bad = {k for k in self.targets.values()} - set(TARGET_KINDS)
        if bad:
            raise ValueError(f"unknown target kind {sorted(bad)}; use one of {TARGET_KINDS}")
        names = [c.name for c in self.all_checks()]
        if len(names) != len(set(names)):
            raise ValueError(f"check names repeat: {sorted(n for n in names if names.count(n) > 1)}")
        unknown = {c.target for c in self.all_checks()} - set(self.targets)
        if unknown:
            raise ValueError(f"checks name targets the drill does not declare: {sorted(unknown)}")

    def all_checks(self):
        return [*self.visible, *self.extra, *self.hidden, *self.source_checks]

    def is_visible(self, check):
        return check not in self.hidden

    def points_of(self, check):
        return float(self.points.get(check.name, 1.0))

    @property
    def solution(self):
        return f"solutions/{self.id}/solution.ipynb"

    @property
    def student(self):
        return f"notebooks/{self.id}.ipynb"


@dataclass
class CheckResult:
    name: str
    title: str
    score: float
    max_score: float
    visible: bool
    status: str  # pass | fail | todo | error
    message: str  # safe to show the learner: hidden checks never carry their inputs
    words: tuple = ("pass", "fail")  # how the gradebook writes a 0-point check's verdict


@dataclass
class Submission:
    student: str
    name: str  # the file's name as submitted (inside an archive: archive.zip:inner/path)
    kind: str  # "ipynb" or "py"
    data: bytes = field(repr=False)
    sha256: str = ""
    order: tuple = ()  # sort key for "latest wins": (mtime, name)
    superseded: list = field(default_factory=list)  # this student's older files, same drill
    drill: str = ""  # the drill it is for, when known before grading ("" when not)
    lms: tuple = ()  # ("canvas", user id) or ("moodle", participant) from the file's name


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
    shown: dict = field(default_factory=dict)  # {label: number} the feedback shows (a demo's)
    cell_errors: list = field(default_factory=list)
    captured_output: str = ""  # instructor only
    superseded: list = field(default_factory=list)  # other submissions of this student, not graded
    config: str = ""  # digest of the grading settings it was graded with
    protections: list = field(default_factory=list)  # the sandbox confinement it ran under

    @property
    def score(self):
        return round(sum(c.score for c in self.checks), 4)

    @property
    def max_score(self):
        return round(sum(c.max_score for c in self.checks), 4)


def failed(sub, reason, assignment="", seconds=0.0, config=""):
    """A zero-score Result telling, in one line, why a submission could not be graded."""
    return Result(student=sub.student, assignment=assignment, status="error", reason=reason,
                  checks=[], seconds=round(seconds, 3), sha256=sub.sha256,
                  source_name=sub.name, superseded=list(sub.superseded), config=config)
