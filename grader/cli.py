"""`python -m grader`: release, readme, workspace, check, grade, gradescope, anki.

Heavy imports (torch) happen inside the commands that need them, so `release` and `--help`
start fast. Bad input ends with one line on stderr and exit status 2, never a traceback.
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cmd_release(args):
    """Write the student notebooks and the course notebooks under --out (notebooks/) only.

    A notebook that holds a learner's work is never overwritten without --force."""
    from grader.build import course, notebook, release
    from grader.grading import drills
    out = os.path.abspath(args.out or os.path.join(ROOT, "notebooks"))
    texts = {}
    for drill_id in drills.ids():
        solution, student = drills.paths(drill_id)
        texts[os.path.basename(student)] = (
            release.release(os.path.join(ROOT, solution), ROOT, drill_id), solution)
    for path, text in course.generated().items():
        texts[os.path.basename(path)] = (text, "the drills")
    stale, refused = [], []
    for name, (text, origin) in texts.items():
        target = os.path.join(out, name)
        shown = os.path.relpath(target)
        current = open(target, encoding="utf-8").read() if os.path.exists(target) else None
        if current == text:
            print(f"{shown}: up to date")
        elif args.check:
            stale.append(shown)
            print(f"{shown}: differs from what `make release` generates from {origin}")
        else:
            why = (release.learner_work(current, text, name)
                   if current is not None and not args.force else None)
            if why and not _committed(target):
                refused.append(shown)
                print(f"error: {shown} not overwritten: it holds a learner's work ({why}); "
                      "move it away, or rerun with --force to replace it", file=sys.stderr)
                continue
            notebook.write_atomic(target, text)
            print(f"{shown}: written from {origin}")
    return 1 if stale or refused else 0


def _committed(path):
    """True when path is tracked by git and identical to its committed version: replacing
    it loses nothing that git does not keep."""
    import subprocess
    folder = os.path.dirname(path)
    try:
        tracked = subprocess.run(["git", "-C", folder, "ls-files", "--error-unmatch", path],
                                 capture_output=True, timeout=20)
        if tracked.returncode != 0:
            return False
        clean = subprocess.run(["git", "-C", folder, "diff", "--quiet", "HEAD", "--", path],
                               capture_output=True, timeout=20)
        return clean.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def cmd_readme(args):
    """Regenerate the course table in README.md (or, with --check, report it stale)."""
    from grader.build import course, notebook
    path = os.path.join(ROOT, "README.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    new = course.with_table(text, course.readme_block())
    if new == text:
        print("README.md: course table up to date")
        return 0
    if args.check:
        print("README.md: the course table differs from the drills; run `make release`")
        return 1
    notebook.write_atomic(path, new)
    print("README.md: course table written from the drills")
    return 0


def cmd_workspace(args):
    """Fill the learner's workspace from notebooks/ (new files only, never an overwrite)."""
    from grader.build import workspace
    workspace.fill(os.path.relpath(args.source or os.path.join(ROOT, "notebooks")),
                   os.path.relpath(args.to or os.path.join(ROOT, "workspace")))
    return 0


def check_assignment(name):
    """Fail fast on a mistyped --assignment instead of an error row for every student."""
    from grader.grading import drills
    if name is not None and name not in drills.ids():
        raise UserError(f"unknown assignment {name!r}; known: {', '.join(drills.ids())}")


def cmd_check(args):
    from grader.grading import collect, report
    from grader.grading.pipeline import Grader
    check_assignment(args.assignment)
    if not os.path.exists(args.notebook):
        raise UserError(f"no such file: {args.notebook}")
    subs, problems = collect.collect([args.notebook])
    if problems or not subs:
        raise UserError(problems[0].reason if problems else f"{args.notebook}: nothing to check")
    result = Grader(args.assignment, visible_only=True).grade(subs[:1])[0]
    print(report.scoreboard_text(result))
    return 0 if result.status == "graded" and result.score == result.max_score else 1


def cmd_grade(args):
    from grader.grading import batch
    from grader.grading.config import Config, ConfigError
    check_assignment(args.assignment)
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:  # a typo on the command line, not a student's problem: no gradebook row
        raise UserError(f"no such file or folder: {missing[0]}")
    try:
        config = Config.load(args.config) if args.config else Config()
    except ConfigError as e:
        raise UserError(str(e)) from None
    if args.timeout:
        config.limits["seconds"] = args.timeout
    if args.memory_mb:
        config.limits["memory_bytes"] = int(args.memory_mb * 1024 * 1024)
    summary = batch.grade_paths(args.paths, args.out, jobs=args.jobs, assignment=args.assignment,
                                config=config, progress=not args.quiet,
                                targets=lms_targets(args))
    print(summary)
    return 0


def lms_targets(args):
    """The LMS templates to fill, read and checked now: a bad one is one line before any
    grading. `[DRILL=]VALUE`: DRILL may be left out when the batch has one drill."""
    from grader.grading import drills, lms
    known = drills.ids()
    if args.canvas_assignment and not args.canvas:
        raise UserError("--canvas-assignment needs --canvas EXPORT.csv")
    if args.canvas and not args.canvas_assignment:
        raise UserError("--canvas needs --canvas-assignment NAME (the assignment's column "
                        "in the export; DRILL=NAME for each drill of a batch across drills)")
    targets = [lms.Target("canvas", args.canvas, *lms.split_spec(name, known))
               for name in args.canvas_assignment]
    targets += [lms.Target("moodle", path, drill)
                for drill, path in (lms.split_spec(spec, known) for spec in args.moodle)]
    sheets = {}
    for t in targets:
        if t.kind == "canvas" and t.path in sheets:
            t.sheet = sheets[t.path]  # one export, several drills' columns
            t.col = lms.canvas_column(t.sheet, t.assignment)
        else:
            lms.open_target(t)
            sheets[t.path] = t.sheet
    return targets


def cmd_gradescope(args):
    from grader.grading import gradescope
    gradescope.main(args.submission, args.results)
    return 0


def cmd_anki(args):
    """Export the simulator's deck and the coding reps as an Anki package (needs genanki)."""
    try:
        import genanki  # noqa: F401  (a development dependency: only this command needs it)
    except ImportError:
        raise UserError("the Anki export needs genanki: pip install genanki") from None
    from grader.build import anki
    if not args.out.endswith(".apkg"):
        raise UserError(f"the output must be an .apkg file, got {args.out!r}")
    n = anki.export(args.out)
    print(f"{args.out}: {n} notes (import it in Anki with File > Import)")
    return 0


class UserError(Exception):
    """Bad input from the command line: reported as one line."""


def parser():
    p = argparse.ArgumentParser(prog="python -m grader", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("release", help="generate the student notebooks from the solutions")
    r.add_argument("--check", action="store_true",
                   help="only report student notebooks that differ (exit 1 if any)")
    r.add_argument("--force", action="store_true",
                   help="overwrite notebooks even when they hold a learner's work")
    r.add_argument("--out", help="the folder to write (default: notebooks/)")
    r.set_defaults(run=cmd_release)
    m = sub.add_parser("readme", help="regenerate the course table in README.md")
    m.add_argument("--check", action="store_true", help="only report a stale table (exit 1)")
    m.set_defaults(run=cmd_readme)
    w = sub.add_parser("workspace", help="copy new notebooks into workspace/ (never overwrites)")
    w.add_argument("--from", dest="source", help="default: notebooks/")
    w.add_argument("--to", help="default: workspace/")
    w.set_defaults(run=cmd_workspace)
    c = sub.add_parser("check", help="self-check a notebook with the checks it runs itself")
    c.add_argument("notebook")
    c.add_argument("--assignment")
    c.set_defaults(run=cmd_check)
    g = sub.add_parser("grade", help="grade submissions into a gradebook and feedback")
    g.add_argument("paths", nargs="+", metavar="PATH",
                   help=".ipynb or .py files, folders, .zip archives")
    g.add_argument("--out", required=True, help="output folder (rerun it to resume)")
    g.add_argument("--jobs", type=int, default=1)
    g.add_argument("--assignment", help="the drill id of every file (default: each file's "
                                        "`# @drill setup` line)")
    g.add_argument("--config", help="JSON with 'points' {check: points} and 'limits'")
    g.add_argument("--timeout", type=float, help="seconds per submission (default 60)")
    g.add_argument("--memory-mb", type=float, help="memory per submission (default 2048)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.add_argument("--canvas", metavar="EXPORT.csv",
                   help="Canvas Gradebook export to fill: written to OUT/canvas_import.csv")
    g.add_argument("--canvas-assignment", action="append", default=[], metavar="[DRILL=]NAME",
                   help="the export's column for a drill: its assignment name (repeat per drill)")
    g.add_argument("--moodle", action="append", default=[], metavar="[DRILL=]WORKSHEET.csv",
                   help="Moodle offline grading worksheet to fill: written to "
                        "moodle_import.csv beside the drill's gradebook (repeat per drill)")
    g.set_defaults(run=cmd_grade)
    s = sub.add_parser("gradescope", help="Gradescope autograder entry point")
    s.add_argument("--submission", help="default: $AUTOGRADER_ROOT/submission")
    s.add_argument("--results", help="default: $AUTOGRADER_ROOT/results")
    s.set_defaults(run=cmd_gradescope)
    a = sub.add_parser("anki", help="export the interview deck as an Anki package (genanki)")
    a.add_argument("out", metavar="OUT.apkg")
    a.set_defaults(run=cmd_anki)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if getattr(args, "jobs", 1) is not None and getattr(args, "jobs", 1) < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: finished results are saved; run the same command to resume",
              file=sys.stderr)
        return 130
    except (UserError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
