"""The home notebook's progress view: one line per drill, the simulator's cards, a plot, and
a plan to the interview.

`make release` pastes this file into 00_start_here.ipynb after progress.py, followed by a
cell holding DRILLS (id, title, minutes, level, produces, file) taken from the drills'
declarations and DECK (id, drill, kind, concept of every simulator card and coding rep). It
reads progress.json in the working directory, the file every drill's scoreboard, timer and
rubric write, and the interview simulator too. Standard library, plus matplotlib for the plot
when it is installed.
"""
import datetime
import sys
import textwrap
import time

from grader.payload.progress import fmt_duration, help_used, load_progress, progress_path

try:
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
except ImportError:  # no plot, the table still prints
    plt = None

WIDTH = 88  # printed lines are wrapped between words at this width
SESSION_CARDS = 6  # today's ten minutes: this many due cards, one spot-the-bug, one rep
PLAN_DAYS_SHOWN = 21  # a longer plan prints its first days and the interview day


def on_colab():
    return "google.colab" in sys.modules


def progress_rows(drills, data):
    """[(drill, started, checks, help, rubric, time)] as strings, one per drill, in course
    order; help is the hints and reference answers asked for (a record, not a penalty)."""
    rows = []
    for d in drills:
        entry = data["drills"].get(d["id"], {})
        started = (time.strftime("%Y-%m-%d", time.localtime(entry["started"]))
                   if "started" in entry else "not yet")
        checks = entry.get("checks")
        checks = f"{checks['passed']} of {checks['total']}" if checks else "-"
        rubric = entry.get("rubric")
        rubric = f"{rubric['score']:g} of {rubric['total']:g}" if rubric else "-"
        spent = entry.get("time")
        spent = fmt_duration(spent["seconds"]) if spent else "-"
        rows.append((d["id"], started, checks, help_used(entry), rubric, spent))
    return rows


def next_drill(drills, data):
    """The first drill, in the suggested order, whose full verdict (narrated and stress
    checks: the scoreboard's) does not pass yet. A score recorded against fewer checks than
    the drill has now (DRILLS' "checks", when given) is from an older release: not done."""
    for d in drills:
        checks = data["drills"].get(d["id"], {}).get("checks")
        if not checks or checks["passed"] < max(checks["total"], d.get("checks", 0)):
            return d
    return None


def progress_table(drills, data):
    """The progress as aligned text lines."""
    head = ("drill", "started", "checks passed", "help used", "last rubric", "time used")
    rows = [head] + progress_rows(drills, data)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]


def series(data):
    """{(panel, line): ([datetime], [value])}: per drill, the share of checks passed (panel
    "checks") and the rubric's share (panel "rubric"), a point only when the value changed;
    and on the "rubric" panel the simulator's mean self-score per day."""
    out, last, days = {}, {}, {}
    for e in sorted(data["history"], key=lambda e: e.get("t", 0)):
        when = datetime.datetime.fromtimestamp(e.get("t", 0))
        kind = e.get("kind")
        if kind == "checks" and e.get("total"):
            key, value = ("checks", e.get("drill")), e.get("passed", 0) / e["total"]
        elif kind == "rubric" and e.get("total"):
            key, value = ("rubric", e.get("drill")), e["score"] / e["total"]
        elif kind == "card":
            days.setdefault(when.date(), []).append(e.get("score", 0) / 2)
            continue
        else:
            continue
        if last.get(key) != value:
            last[key] = value
            out.setdefault(key, ([], []))
            out[key][0].append(when)
            out[key][1].append(value)
    if days:
        ordered = sorted(days)
        out[("rubric", "interview (daily mean)")] = (
            [datetime.datetime.combine(d, datetime.time(12)) for d in ordered],
            [sum(days[d]) / len(days[d]) for d in ordered])
    return out


def plot_progress(data):
    """Two panels over dates, one line per drill: the share of checks passed, and the rubric's
    share with the simulator's daily mean; once there are at least two points, else a note."""
    points = series(data)
    if sum(len(t) for t, _ in points.values()) < 2:
        print("(A plot of your progress over time appears here once there is some history.)")
        return None
    if plt is None:
        print("(Install matplotlib to see your progress plotted over time.)")
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharex=True)
    panels = {"checks": axes[0], "rubric": axes[1]}
    names = sorted({name for _, name in points})
    for (panel, name), (ts, vs) in sorted(points.items(), key=lambda kv: str(kv[0])):
        style = "--" if name.startswith("interview") else "-"
        panels[panel].plot(ts, vs, style, marker="o", label=name,
                           color=f"C{names.index(name) % 10}")  # a drill keeps its colour
    stamps = [t for ts, _ in points.values() for t in ts]
    first, last = min(stamps), max(stamps)
    pad = datetime.timedelta(days=1) if last - first < datetime.timedelta(days=2) else (
        (last - first) / 20)
    axes[0].set(ylabel="share of checks passed", title="Checks passed, per drill")
    axes[1].set(ylabel="share of the maximum", title="Rubric and interview self-scores")
    for axis in axes:
        axis.set_ylim(-0.05, 1.05)  # a share: the same scale with nothing passed yet
        axis.set_xlim(first - pad, last + pad)
        span = (last - first + 2 * pad).days
        axis.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, span // 6)))
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        axis.grid(alpha=0.3)
        if axis.lines:
            axis.legend(loc="lower right", fontsize="small")
    plt.tight_layout()
    plt.show()
    return fig


# ------------------------------------------------------------------ the plan
def parse_date(text):
    """A date from "YYYY-MM-DD" (ValueError with a one-line reason otherwise)."""
    try:
        return datetime.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"write the interview date as YYYY-MM-DD, e.g. \"2026-12-24\"; got "
                         f"{text!r}") from None


def streak(data, today=None):
    """Days in a row with some practice, ending today (or yesterday: still alive today)."""
    today = today or datetime.date.today()
    days = {datetime.date.fromtimestamp(e["t"]) for e in data["history"] if "t" in e}
    day = today if today in days else today - datetime.timedelta(days=1)
    n = 0
    while day in days:
        n += 1
        day -= datetime.timedelta(days=1)
    return n


def todays_session(deck, cards, now):
    """(due cards to answer, one spot-the-bug card or None, one rep or None) for today."""
    def pick(kind):
        mine = [c for c in deck if c["kind"] == kind]
        due = sorted((c for c in mine if c["id"] in cards and cards[c["id"]].get("due", 0) <= now),
                     key=lambda c: cards[c["id"]].get("due", 0))
        new = [c for c in mine if c["id"] not in cards]
        later = sorted((c for c in mine if c["id"] in cards and c not in due),
                       key=lambda c: cards[c["id"]].get("due", 0))
        return (due + new + later or [None])[0]
    spoken = [c for c in deck if c["kind"] in ("cold", "question", "probe")]
    due = [c for c in spoken if c["id"] in cards and cards[c["id"]].get("due", 0) <= now]
    due.sort(key=lambda c: cards[c["id"]].get("due", 0))
    return due[:SESSION_CARDS], pick("bug"), pick("rep")


def plan_days(drills, deck, data, interview, today):
    """[(date, [what to do])] from today to the interview: the drills not done yet spread
    over the days before it, the cards falling due each day, the unseen cards introduced
    evenly, and a warm-up on the day."""
    days = max((interview - today).days, 0)
    todo = [d for d in drills if not _passed(d, data)]
    ids = {c["id"] for c in deck}
    cards = {k: c for k, c in data["cards"].items() if k in ids}
    unseen = sum(c["kind"] in ("cold", "question", "probe") and c["id"] not in cards
                 for c in deck)
    when = {}  # day index -> drills, spread from today on: the cards need them first
    for i, d in enumerate(todo):
        when.setdefault(i * days // len(todo), []).append(d)
    out = []
    for k in range(days):
        day = today + datetime.timedelta(days=k)
        jobs = [f"drill {d['id']} ({d['minutes']} min)" for d in when.get(k, [])]
        due = sum(datetime.date.fromtimestamp(c.get("due", 0)) <= day if k == 0 else
                  datetime.date.fromtimestamp(c.get("due", 0)) == day for c in cards.values())
        new = unseen * (k + 1) // days - unseen * k // days
        if due:
            jobs.append(f"{due} card{'s' * (due != 1)} due")
        if new:
            jobs.append(f"{new} new card{'s' * (new != 1)}")
        jobs.append("the ten-minute session")
        out.append((day, jobs))
    out.append((interview, ["interview day: a warm-up round of cold starts, nothing new"]))
    return out


def _passed(d, data):
    checks = data["drills"].get(d["id"], {}).get("checks")
    return bool(checks) and checks["passed"] >= checks["total"]


def show_plan(drills, deck, interview="", path=None, today=None, now=None):
    """Print the plan to the interview: the days, today's ten minutes and the streak."""
    data = load_progress(path)
    today = today or datetime.date.today()
    now = time.time() if now is None else now
    n = streak(data, today)
    print(f"Streak: {n} day{'s' * (n != 1)} in a row" + (" (practise today to keep it)."
                                                         if n and not _today(data, today)
                                                         else "."))
    due, bug, rep = todays_session(deck, data["cards"], now)
    print("Today's ten-minute session (interview_simulator.ipynb), every day until then:")
    print(_wrap(f"  - {len(due)} due card{'s' * (len(due) != 1)}" + (
        ": " + ", ".join(sorted({c['drill'] for c in due})) if due else
        " (nothing is due: take new cards)")))
    if bug:
        print(_wrap(f"  - one spot-the-bug card, e.g. {bug['id']}"))
    if rep:
        print(_wrap(f"  - one coding rep: {rep['id']}"))
    if not str(interview).strip():
        print("Set your interview date (YYYY-MM-DD) in the cell above for a day-by-day plan.")
        return None
    try:
        date = parse_date(interview)
    except ValueError as e:
        print(f"Interview date: {e}")
        return None
    if date < today:
        print(f"The interview date {date} has passed: set the next one.")
        return None
    days = plan_days(drills, deck, data, date, today)
    print(f"\nThe plan to your interview on {date:%a %d %b %Y} ({(date - today).days} days):")
    shown = days if len(days) <= PLAN_DAYS_SHOWN else days[:PLAN_DAYS_SHOWN - 1] + [days[-1]]
    for day, jobs in shown:
        if day == days[-1][0] and len(days) > len(shown):
            print(f"  ... ({len(days) - len(shown)} more days like these)")
        print(_wrap(f"  {day:%a %d %b}: " + "; ".join(jobs), indent=14))
    return days


def _today(data, today):
    return any(datetime.date.fromtimestamp(e["t"]) == today for e in data["history"] if "t" in e)


def _wrap(text, indent=4):
    return textwrap.fill(text, WIDTH, subsequent_indent=" " * indent, break_long_words=False,
                         break_on_hyphens=False)


def show_progress(drills, path=None):
    """Print the progress table, the next suggested drill and the simulator's cards; plot."""
    data = load_progress(path)
    print(f"Progress file: {progress_path(path)}")
    if on_colab():
        print("On Colab this file lives only as long as this session: run export_progress() "
              "before you leave, and import_progress(code) in the next session.")
    for line in progress_table(drills, data):
        print(line)
    started = sum(d["id"] in data["drills"] for d in drills)
    print(f"\nDrills started: {started} of {len(drills)}.")
    nxt = next_drill(drills, data)
    print(_wrap(f"Suggested next: {nxt['id']} ({nxt['title']}, {nxt['minutes']} min)." if nxt
                else "Every drill's checks pass. Keep the interview simulator going."))
    cards = data["cards"]
    if cards:
        now = time.time()
        due = sum(c.get("due", 0) <= now for c in cards.values())
        mean = sum(c.get("score", 0) for c in cards.values()) / len(cards)
        print(f"Interview simulator: {len(cards)} questions answered, mean last score "
              f"{mean:.1f} of 2, {due} due again now.")
    else:
        print("Interview simulator: no answers yet (interview_simulator.ipynb).")
    plot_progress(data)
