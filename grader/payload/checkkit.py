"""The check kit: checks a learner runs in the notebook, and the grader runs in two processes.

`make release` pastes this file into every student notebook (before the drill's own checks),
and the grader imports it, so it imports only the standard library.

A check has three phases, so the grader can run the learner's code in a child process and
still decide every verdict in its own process:
  prepare()                 -> inputs, built by us, never by the learner's code
  execute(target, inputs)   -> what the learner's object did with them (tensors, plain values)
  judge(inputs, results)    -> (passed, message); the message names the likely bug
Statuses are "pass", "fail", "todo" (the stub still raises NotImplementedError) and "error"
(the learner's code raised). A check whose `after` names a failing check reports that it
follows from it instead of guessing a cause of its own.

Statistical checks allow SIGMAS standard deviations derived from their n and p; with 6 the
two-sided false-fail probability of one such test is FALSE_FAIL (about 2e-9).
"""
import builtins
import contextlib
import functools
import importlib
import math
import os
import re
import sysconfig
import traceback
from dataclasses import dataclass
from typing import Any, Callable

SIGMAS = 6.0
FALSE_FAIL = math.erfc(SIGMAS / math.sqrt(2.0))
MARKS = {"pass": "PASS", "fail": "FAIL", "todo": "TODO", "error": "ERROR"}


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    target: str  # the name the learner defines that this check exercises
    hint: str  # the rule behind the check, shown beside a failure
    prepare: Callable[[], Any]
    execute: Callable[[Any, Any], Any]
    judge: Callable[[Any, Any], tuple]
    after: tuple = ()  # checks whose failure would make this one fail too


def bound(q, n):
    """SIGMAS standard deviations of the fraction of successes in n Bernoulli(q) trials."""
    return SIGMAS * math.sqrt(q * (1.0 - q) / n)


def scale_hint(ratio, p, subject="survivors are", base="the input", show_p=True):
    """Name the bug behind kept values (or their gradient) that are `ratio` times `base`,
    where inverted dropout wants 1/(1-p). show_p=False keeps p out of the message (hidden
    checks never reveal their inputs)."""
    times = f"{1 - p:g} times" if show_p else "(1 - p) times"
    known = [(1.0, f"{subject} equal to {base}: divide by (1 - p) (inverted dropout)"),
             (1.0 - p, f"{subject} {times} {base}: you multiplied by (1 - p) "
                       "instead of dividing"),
             (1.0 / p if p else float("inf"), f"{subject} divided by p: p is the drop "
                                              "probability, divide by the keep probability 1 - p"),
             (1.0 / (1.0 - p) ** 2, f"{subject} scaled twice: divide by (1 - p) once"),
             (0.0, f"{subject} zero: the scaled input must stay in the autograd graph")]
    for value, hint in known:
        if math.isfinite(value) and abs(ratio - value) < 1e-3 * max(1.0, value):
            return hint
    if not show_p:
        return f"{subject} not {base} / (1 - p)"
    return f"{subject} {ratio:.4g} times {base}, expected 1/(1-p) = {1 / (1 - p):.4g}"


_LIBRARY = tuple(os.path.realpath(p) + os.sep for p in {
    sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")} if p)


def _library(filename):
    """Is this code file Python's or an installed package's (torch), never the learner's?"""
    return filename.startswith("<frozen") or os.path.realpath(filename).startswith(_LIBRARY)


def _code_files(*objs):
    """The files that hold the code of these functions or classes (a class: every method
    along its bases), installed packages left out."""
    files = set()
    for obj in objs:
        for item in ([v for k in obj.__mro__ for v in vars(k).values()]
                     if isinstance(obj, type) else [obj]):
            item = getattr(item, "fget", None) or getattr(item, "__func__", item)
            code = getattr(item, "__code__", None)
            if code is not None:
                files.add(code.co_filename)
    return {f for f in files if not _library(f)}


def _place(filename, places):
    """How the learner knows the cell a file name stands for: 'your cell In[5]', 'your cell'."""
    if filename in places:
        return places[filename]
    shell = getattr(builtins, "get_ipython", lambda: None)()
    try:
        kind, name = shell.compile.format_code_name(filename)  # IPython: ("Cell", "In[5]")
        return f"your cell {name}"
    except Exception:  # not IPython, or a file it does not know
        return "your cell"


def raised(exc, target, ours=(), places=None, text=None):
    """An exception the learner's code raised, as one line naming their line when the
    traceback passes through it: "raised NameError: ... (your cell In[5], line 14: `mask =
    ...`)"; it starts with "raised" either way.

    The line is the last frame of the learner's code: the traceback is walked from the first
    frame in a file holding the target's code, skipping this kit's file, the files of the
    functions in `ours` (the check's) and installed packages. places maps a code file name
    to what the learner calls it (the grader's "your cell 14"); text replaces the
    exception's own one-line text."""
    text = text or f"{type(exc).__name__}: {str(exc)[:300]}"
    ours = _code_files(raised, *ours)
    frames = traceback.extract_tb(exc.__traceback__)
    mine = _code_files(target) - ours if target is not None else set()
    start = next((i for i, f in enumerate(frames) if f.filename in mine), None)
    if start is None:
        return f"raised {text}"
    frame = [f for f in frames[start:] if f.filename not in ours and not _library(f.filename)][-1]
    code = (frame.line or "").strip().replace("`", "'")
    code = f": `{code[:120]}`" if code else ""
    return f"raised {text} ({_place(frame.filename, places or {})}, line {frame.lineno}{code})"


WHERE = re.compile(r"^raised (?P<text>.*?)(?: \((?P<where>your .*?, line \d+(?:: `[^`]*`)?)\))?$",
                   re.DOTALL)


def without_inputs(message):
    """A hidden check's error with the exception's text dropped (it may quote the hidden
    inputs' shapes or values): the exception's kind, and the learner's line when known."""
    m = WHERE.match(message)
    kind = (m.group("text") if m else message).split(":", 1)[0]
    where = f" ({m.group('where')})" if m and m.group("where") else ""
    return f"your code raised {kind} on this hidden check's inputs{where}"


# --- torch's own dropout, caught as it runs (the grader's guard; a notebook check) -----
_VF_NAMES = ("dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout",
             "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_")


def _targets():
    """(owner, owner's name, attribute) for every torch dropout callable worth wrapping.

    Classes such as nn.Dropout are not wrapped: their forward calls F.dropout & co."""
    torch = importlib.import_module("torch")  # on call: the kit itself needs no torch
    functional = importlib.import_module("torch.nn.functional")
    owners = [(functional, "torch.nn.functional", dir(functional)),
              (torch, "torch", dir(torch)),
              (torch._VF, "torch._VF", _VF_NAMES)]
    for owner, label, names in owners:
        for attr in names:
            value = getattr(owner, attr, None)
            if "dropout" in attr.lower() and callable(value) and not isinstance(value, type):
                yield owner, label, attr


@contextlib.contextmanager
def record_torch_dropout_calls():
    """Wrap torch's dropout callables while the block runs; yields the list of the dotted
    names that were called (each once, in order), filled in as the learner's code runs."""
    called, patched = [], []

    def wrap(name, original):
        @functools.wraps(original)
        def recorder(*args, **kwargs):
            if name not in called:
                called.append(name)
            return original(*args, **kwargs)
        return recorder

    try:
        for owner, label, attr in list(_targets()):
            had_own = attr in vars(owner)  # torch._VF resolves names lazily
            original = getattr(owner, attr)
            setattr(owner, attr, wrap(f"{label}.{attr}", original))
            patched.append((owner, attr, had_own, original))
        yield called
    finally:
        for owner, attr, had_own, original in reversed(patched):
            if had_own:
                setattr(owner, attr, original)
            else:
                delattr(owner, attr)


def evaluate(check, target):
    """Run one check in this process: (status, message)."""
    inputs = check.prepare()
    try:
        results = check.execute(target, inputs)
    except NotImplementedError:
        return "todo", "not implemented yet"
    except Exception as e:  # the learner's bug is the message, not a traceback
        return "error", raised(e, target, (check.prepare, check.execute, check.judge))
    return verdict(check, inputs, results)


def verdict(check, inputs, results):
    """judge(), with a result the judge cannot read turned into a fail: (status, message)."""
    try:
        passed, message = check.judge(inputs, results)
    except Exception as e:  # e.g. an output of a type or dtype that cannot be compared
        return "fail", f"your result could not be judged ({type(e).__name__}: {str(e)[:200]})"
    return ("pass" if passed else "fail"), str(message)


def explain(checks, outcomes):
    """Rewrite failures that follow from another failing check: {name: (status, message)}.

    The cause named is the root: the first failing check in `after`, followed through its
    own `after` until a failing check that nothing else explains."""
    by_name = {c.name: c for c in checks}
    failing = {n for n, (s, _) in outcomes.items() if s in ("fail", "error")}

    def cause(name):
        return next((a for a in getattr(by_name.get(name), "after", ()) if a in failing), None)
    out = dict(outcomes)
    for c in checks:
        root, seen = cause(c.name), {c.name}
        if c.name not in failing or root is None:
            continue
        while cause(root) is not None and root not in seen:
            seen.add(root)
            root = cause(root)
        out[c.name] = (outcomes[c.name][0],
                       f"follows from: {by_name[root].title} (fix that first)")
    return out


class CheckSet:
    """A drill's notebook checks, in two tiers that make one verdict.

    `narrated` checks each get a cell of their own (the learner says why each one holds);
    `stress` checks run together in one cell, a line each: the properties the grader would
    otherwise be the first to test (fresh masks, independence, odd p, dtypes, state left
    alone), on the notebook's own inputs. Iterating the set yields both tiers: the notebook's
    full verdict (the scoreboard) and `python -m grader check` are the same checks."""

    def __init__(self, title, narrated, stress=()):
        self.title, self.narrated, self.stress = title, list(narrated), list(stress)
        self.checks = [*self.narrated, *self.stress]
        self.by_name = {c.name: c for c in self.checks}

    def __iter__(self):
        return iter(self.checks)

    def check(self, name, target):
        """Run one check and print its verdict (prints only, so the cell shows no Out[])."""
        c = self.by_name[name]
        status, message = evaluate(c, target)
        print(f"{MARKS[status]}  {c.title} ({c.hint})\n      {message}")

    def _outcomes(self, checks, namespace):
        outcomes = {}
        for c in checks:
            if c.target in namespace:
                outcomes[c.name] = evaluate(c, namespace[c.target])
            else:
                outcomes[c.name] = ("todo", f"`{c.target}` is not defined yet")
        return explain(checks, outcomes)

    def _table(self, title, checks, outcomes):
        width = max(len(c.title) for c in checks)
        print(title)
        digits = len(str(len(checks)))
        for i, c in enumerate(checks, 1):
            status, message = outcomes[c.name]
            print(f"  {i:>{digits}}. {c.title:<{width}}  {MARKS[status]:<5}  {message}")
        passed = sum(outcomes[c.name][0] == "pass" for c in checks)
        todo = sum(outcomes[c.name][0] == "todo" for c in checks)
        tail = f" ({todo} not implemented yet)" if todo else ""
        print(f"Score: {passed} of {len(checks)} passed{tail}")
        return passed

    def stress_test(self, namespace):
        """Run the stress tier only (pass globals()): one line per check; records nothing."""
        if self.stress:
            self._table(f"{self.title}: stress test", self.stress,
                        self._outcomes(self.stress, namespace))

    def scoreboard(self, namespace):
        """Run every check of both tiers on the targets found in namespace (pass globals()).

        When the notebook also holds the progress module (its `record_checks`) and a
        `DRILL_ID`, the score is recorded in progress.json; without them nothing is written."""
        passed = self._table(self.title, self.checks, self._outcomes(self.checks, namespace))
        record = namespace.get("record_checks")
        if callable(record) and isinstance(namespace.get("DRILL_ID"), str):
            try:
                record(passed, len(self.checks), drill=namespace["DRILL_ID"])
            except OSError as e:  # a read-only folder must not break the scoreboard
                print(f"(progress not saved: {e})")
