"""Hints and the reference answer on demand, offline: check first, then hint(), then solution().

`make release` pastes this file into every drill notebook right after the drill's checks,
followed by a generated cell holding SOLUTIONS: {target: the reference answer cell's code,
zlib-compressed and base64-encoded, so it is not read by accident while scrolling}. The hints
are the drill's HINTS ({target: [nudge, stronger, nearly the method]}) from its checks. Both
are in the notebook itself, so they work on Colab with nothing else uploaded.

Each call is recorded in progress.json (`record_help`, when the progress cell is pasted too):
an honest record of the help used, shown beside the score in the home notebook, not a penalty.
Standard library only.
"""
import base64
import zlib

_SEEN = {}  # target -> hints shown in this kernel


def _known(table, target, what):
    """The entry of HINTS or SOLUTIONS for target, or None after saying what exists."""
    if not isinstance(table, dict) or not table:
        print(f"This notebook has no {what}.")
        return None
    if target not in table:
        names = ", ".join(f'"{t}"' for t in table)
        print(f"No {what} for {target!r}: try one of {names}.")
        return None
    return table[target]


def _record(target, **used):
    record = globals().get("record_help")
    if callable(record) and isinstance(globals().get("DRILL_ID"), str):
        try:
            record(target, **used)
        except OSError as e:  # a read-only folder must not hide the help asked for
            print(f"(progress not saved: {e})")


def hint(target):
    """Print the next hint for target (a name you define, e.g. hint("Dropout")).

    The first hint gives the least away; after the last one, solution(target) is left."""
    hints = _known(globals().get("HINTS"), target, "hints")
    if not hints:
        return
    shown = _SEEN.get(target, 0)
    if shown >= len(hints):
        print(f"No more hints for {target}: you have seen all {len(hints)}. The last one again:")
        print(f"  {hints[-1]}")
        print(f'Next step: solution("{target}") shows the reference answer.')
        return
    _SEEN[target] = shown + 1
    last = shown + 1 == len(hints)
    print(f"Hint {shown + 1} of {len(hints)} for {target}{' (the last one)' if last else ''}:")
    print(f"  {hints[shown]}")
    print(f'Still stuck? solution("{target}") shows the reference answer.' if last
          else f'Run hint("{target}") again for a stronger one.')
    _record(target, hints=shown + 1)


def _confirmed(target):
    """Ask before showing; where no one can answer (papermill, nbval, a pipe) say how instead."""
    seen = _SEEN.get(target, 0)
    question = (f"Show the reference answer for {target}? You have seen {seen} hint(s); "
                "try the checks and hints first. Type yes to show it: ")
    try:
        answer = input(question)
    except (EOFError, OSError, RuntimeError, NotImplementedError):  # no stdin or frontend
        print(f'Not shown: nobody can confirm here. Run solution("{target}", confirm=True).')
        return False
    if answer.strip().lower() not in ("y", "yes"):
        print("Not shown. Keep going: the checks and hints are still there.")
        return False
    return True


def solution(target, confirm=False):
    """Print the reference answer for target after you confirm (or with confirm=True)."""
    code = _known(globals().get("SOLUTIONS"), target, "reference answers")
    if code is None or not (confirm or _confirmed(target)):
        return
    print(f"Reference answer for {target} (compare it with yours, then close it and write "
          "your own from memory):\n")
    print(zlib.decompress(base64.b64decode(code)).decode("utf-8"))
    _record(target, solution=True)
