"""What a submission's child may use (Limits) and what came back from it (Outcome)."""
from dataclasses import dataclass, field


@dataclass
class Limits:
    seconds: float = 60.0
    memory_bytes: int = 2 * 1024 ** 3  # address space on top of what the child inherits
    output_bytes: int = 1024 * 1024  # captured stdout+stderr kept: first and last half
    file_bytes: int = 256 * 1024 ** 2  # largest file (and, with a tmpfs, all files) it may write
    processes: int = 256  # processes of the unprivileged user (enforced where we drop root)


@dataclass
class Job:
    """One submission to run: its cells, the targets to find, the checks' child halves."""
    cells: list  # (label, source)
    targets: dict  # name -> kind (grader.grading.model.TARGET_KINDS)
    tasks: list  # (check name, target name, execute, inputs)
    guard: object = None  # child-side context manager yielding recorded calls
    limits: Limits = field(default_factory=Limits)


@dataclass
class Outcome:
    """What came back from one child: `failure` is empty when the child reported normally."""
    failure: str = ""
    cell_errors: list = field(default_factory=list)
    tasks: dict = field(default_factory=dict)  # check -> ("ok", result) | (status, message)
    guard_calls: list = field(default_factory=list)
    protections: list = field(default_factory=list)  # confinement the child ran under
    output: str = ""
    seconds: float = 0.0
