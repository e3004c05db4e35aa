"""Learner progress across the course, kept in progress.json next to the notebooks.

`make release` pastes this file into every drill notebook (right after the setup cell, whose
`DRILL_ID = "..."` line names the drill), into 00_start_here.ipynb and into
interview_simulator.ipynb. It imports only the standard library. Every notebook reads and
writes the same file in its working directory, so a drill's scoreboard, timer and rubric, the
home notebook and the simulator all share it. On Colab the file lives only as long as the
session: export_progress() prints a short code and import_progress(code) merges it back.

What is recorded, per drill: when it was started, the last scoreboard (checks passed / total),
the last rubric score, the time the drill's timer measured, the hints and reference answers
asked for per target. For the simulator: one card per
question (its Leitner box, when it is due, the last self-score). Every record also goes to a
short history, which the home notebook plots.

The functions the drill cells call take the drill id as an argument; left out, it is the
`DRILL_ID` of the notebook (the pasted cell's globals, else the kernel's `__main__`). Without
a drill id (a solution notebook run from the repository) nothing is written.
"""
import base64
import json
import os
import sys
import tempfile
import time
import uuid
import zlib

PROGRESS_FILE = "progress.json"
HISTORY_LIMIT = 400  # history events kept in the file (oldest dropped first)
CODE_PREFIX = "DDP1."  # version tag of the export code
SESSION_ENV = "DROPOUT_DRILLS_SESSION"  # one id per kernel: survives re-running this cell


def progress_path(path=None):
    """The progress file: the given path, else progress.json in the working directory."""
    return path or os.path.join(os.getcwd(), PROGRESS_FILE)


def empty_progress():
    return {"version": 1, "drills": {}, "cards": {}, "history": []}


def load_progress(path=None):
    """The stored progress, or an empty record when there is no readable file."""
    try:
        with open(progress_path(path), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return empty_progress()
    if not isinstance(data, dict):
        return empty_progress()
    base = empty_progress()
    for key in ("drills", "cards"):
        if isinstance(data.get(key), dict):
            base[key] = data[key]
    if isinstance(data.get("history"), list):
        base["history"] = [e for e in data["history"] if isinstance(e, dict)]
    return base


def save_progress(data, path=None):
    """Write the progress atomically (a reader never sees half a file)."""
    path = progress_path(path)
    data["history"] = sorted(data.get("history", []), key=lambda e: e.get("t", 0))[-HISTORY_LIMIT:]
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".progress-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def current_drill(drill=None):
    """The drill id given, else the notebook's DRILL_ID, else None."""
    if drill:
        return drill
    found = globals().get("DRILL_ID")
    if not isinstance(found, str):
        found = getattr(sys.modules.get("__main__"), "DRILL_ID", None)
    return found if isinstance(found, str) and found else None


def session_id():
    """An id for this kernel process, the same however often the cell is re-run."""
    if SESSION_ENV not in os.environ:
        os.environ[SESSION_ENV] = uuid.uuid4().hex[:12]
    return os.environ[SESSION_ENV]


def _update(drill, kind, fields, path=None, now=None):
    """Record one event for a drill: its state field `kind` and a history entry."""
    drill = current_drill(drill)
    if drill is None:
        return None
    now = time.time() if now is None else now
    data = load_progress(path)
    entry = data["drills"].setdefault(drill, {})
    entry.setdefault("started", now)
    if kind != "start":
        entry[kind] = dict(fields, at=now)
        lean = {k: v for k, v in fields.items() if k != "sessions"}
        data["history"].append(dict(lean, t=now, drill=drill, kind=kind))
    entry["updated"] = now
    save_progress(data, path)
    return entry


def record_start(drill=None, path=None, now=None):
    """Mark a drill as started (the first time only); the pasted cell calls it."""
    return _update(drill, "start", {}, path, now)


def record_checks(passed, total, drill=None, path=None, now=None):
    """The scoreboard's result: checks passed out of total."""
    return _update(drill, "checks", {"passed": int(passed), "total": int(total)}, path, now)


def record_rubric(score, total, drill=None, path=None, now=None):
    """The self-grading rubric's score out of total (the last one counts)."""
    return _update(drill, "rubric", {"score": float(score), "total": float(total)}, path, now)


def record_help(target, hints=0, solution=False, drill=None, path=None, now=None):
    """Help used on one target: the most hints seen, and whether the reference was shown."""
    drill = current_drill(drill)
    if drill is None:
        return None
    old = load_progress(path)["drills"].get(drill, {}).get("help", {})
    used = {t: dict(v) for t, v in old.items() if isinstance(v, dict)}
    mine = used.setdefault(str(target), {"hints": 0, "solution": False})
    mine["hints"] = max(int(mine.get("hints", 0)), int(hints))
    mine["solution"] = bool(mine.get("solution")) or bool(solution)
    return _update(drill, "help", used, path, now)


def help_used(entry):
    """'2 hints, 1 solution' for a drill's progress entry; '-' when no help was asked for."""
    used = [v for v in entry.get("help", {}).values() if isinstance(v, dict)]
    hints = sum(int(v.get("hints", 0)) for v in used)
    shown = sum(bool(v.get("solution")) for v in used)
    words = [f"{n} {what}{'s' if n != 1 else ''}" for n, what in ((hints, "hint"),
                                                                   (shown, "solution")) if n]
    return ", ".join(words) or "-"


_LAST_TIME_WRITE = {}  # drill -> when record_time last wrote, for its `every`


def record_time(seconds, drill=None, path=None, now=None, every=0):
    """The drill timer's reading in seconds. Within one kernel the largest reading counts (a
    reset does not erase time spent); readings from different kernels (another day, a
    restart) add up. With `every`, a call within that many seconds of the last write is
    skipped, so a ticking timer can call this on every tick."""
    drill = current_drill(drill)
    if drill is None or not seconds or seconds <= 0:  # a timer not started yet: nothing to say
        return None
    now = time.time() if now is None else now
    if every and now - _LAST_TIME_WRITE.get(drill, float("-inf")) < every:
        return None
    _LAST_TIME_WRITE[drill] = now
    sessions = dict(load_progress(path)["drills"].get(drill, {}).get("time", {}).get("sessions", {}))
    sessions[session_id()] = max(round(float(seconds), 1), sessions.get(session_id(), 0.0))
    total = round(sum(sessions.values()), 1)
    return _update(drill, "time", {"seconds": total, "sessions": sessions}, path, now)


def record_card(card, score, box, due, drill="", topic="", path=None, now=None):
    """The simulator's self-score (0-2) for one question, with its new box and due time."""
    now = time.time() if now is None else now
    data = load_progress(path)
    old = data["cards"].get(card, {})
    data["cards"][card] = {"score": int(score), "box": int(box), "due": float(due), "at": now,
                           "reviews": int(old.get("reviews", 0)) + 1, "drill": drill,
                           "topic": topic}
    data["history"].append({"t": now, "kind": "card", "drill": drill, "card": card,
                            "score": int(score)})
    save_progress(data, path)
    return data["cards"][card]


def fmt_duration(seconds):
    """1 h 05 min, 12 min, 40 s."""
    seconds = int(round(seconds or 0))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def merge_progress(mine, theirs):
    """Both records in one: per item the more recent wins; histories are united."""
    out = empty_progress()
    for drill in set(mine["drills"]) | set(theirs["drills"]):
        a, b = mine["drills"].get(drill, {}), theirs["drills"].get(drill, {})
        merged = {}
        starts = [e["started"] for e in (a, b) if "started" in e]
        if starts:
            merged["started"] = min(starts)
        merged["updated"] = max(a.get("updated", 0), b.get("updated", 0))
        for kind in ("checks", "rubric", "time", "help"):
            have = [e[kind] for e in (a, b) if isinstance(e.get(kind), dict)]
            if have:
                merged[kind] = max(have, key=lambda r: r.get("at", 0))
        sessions = {**a.get("time", {}).get("sessions", {}), **b.get("time", {}).get("sessions", {})}
        if sessions:
            merged["time"] = dict(merged["time"], sessions=sessions,
                                  seconds=round(sum(sessions.values()), 1))
        out["drills"][drill] = merged
    for card in set(mine["cards"]) | set(theirs["cards"]):
        have = [c for c in (mine["cards"].get(card), theirs["cards"].get(card)) if c]
        out["cards"][card] = max(have, key=lambda c: c.get("at", 0))
    seen = set()
    for event in mine["history"] + theirs["history"]:
        key = json.dumps(event, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out["history"].append(event)
    out["history"].sort(key=lambda e: e.get("t", 0))
    return out


def progress_code(path=None):
    """The whole progress as one line of text: a version tag, then compressed JSON."""
    raw = json.dumps(load_progress(path), separators=(",", ":"), sort_keys=True).encode()
    return CODE_PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii")


def export_progress(path=None):
    """Print a code holding your progress; paste it into import_progress in another session."""
    code = progress_code(path)
    print("Your progress, as a code to keep (copy the whole line):\n")
    print(code)
    print(f"\n({len(code)} characters.) In a new session run: import_progress(\"...\") with it.")


def import_progress(code, path=None):
    """Merge progress from an export code into this session's progress file."""
    text = "".join(str(code).split())
    if not text.startswith(CODE_PREFIX):
        raise ValueError("not a progress code: it should start with " + CODE_PREFIX)
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(text[len(CODE_PREFIX):].encode("ascii")))
        theirs = json.loads(raw)
    except (ValueError, zlib.error):
        raise ValueError("this progress code is damaged (was it copied whole?)") from None
    if not isinstance(theirs, dict):
        raise ValueError("this progress code holds no progress")
    clean = empty_progress()
    for key in ("drills", "cards"):
        if isinstance(theirs.get(key), dict):
            clean[key] = theirs[key]
    if isinstance(theirs.get("history"), list):
        clean["history"] = [e for e in theirs["history"] if isinstance(e, dict)]
    merged = merge_progress(load_progress(path), clean)
    save_progress(merged, path)
    print(f"Imported: {len(clean['drills'])} drill(s), {len(clean['cards'])} interview "
          f"card(s); saved to {progress_path(path)}")


if __name__ == "__main__" and isinstance(globals().get("DRILL_ID"), str):
    record_start()  # pasted into a drill notebook: the drill counts as started
