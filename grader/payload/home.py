"""The home notebook's progress view: one line per drill, the simulator's cards, a plot.

`make release` pastes this file into 00_start_here.ipynb after progress.py, followed by a
cell holding DRILLS (id, title, minutes, level, produces, file) taken from the drills'
declarations. It reads progress.json in the working directory, the file every drill's
scoreboard, timer and rubric write, and the interview simulator too. Standard library, plus
matplotlib for the plot when it is installed.
"""
import sys
import time

from grader.payload.progress import fmt_duration, help_used, load_progress, progress_path

try:
    import matplotlib.pyplot as plt
except ImportError:  # no plot, the table still prints
    plt = None


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
    """Points to plot over time: total checks passed (latest per drill), rubric scores as a
    fraction, and the simulator's self-scores as a fraction; {name: ([t], [value])}."""
    latest, out = {}, {"checks passed (all drills)": ([], []), "rubric score (fraction)": ([], []),
                       "interview self-score (fraction)": ([], [])}
    for e in sorted(data["history"], key=lambda e: e.get("t", 0)):
        t = e.get("t", 0)
        if e.get("kind") == "checks":
            latest[e.get("drill")] = e.get("passed", 0)
            out["checks passed (all drills)"][0].append(t)
            out["checks passed (all drills)"][1].append(sum(latest.values()))
        elif e.get("kind") == "rubric" and e.get("total"):
            out["rubric score (fraction)"][0].append(t)
            out["rubric score (fraction)"][1].append(e["score"] / e["total"])
        elif e.get("kind") == "card":
            out["interview self-score (fraction)"][0].append(t)
            out["interview self-score (fraction)"][1].append(e.get("score", 0) / 2)
    return {k: v for k, v in out.items() if v[0]}


def plot_progress(data):
    """A plot of progress over time once there are at least two records; else a note."""
    points = series(data)
    if sum(len(t) for t, _ in points.values()) < 2:
        print("(A plot of your progress over time appears here once there is some history.)")
        return None
    if plt is None:
        print("(Install matplotlib to see your progress plotted over time.)")
        return None
    start = min(t[0] for t, _ in points.values())
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2), sharex=True)
    for name, (ts, vs) in points.items():
        axis = left if name.startswith("checks") else right
        axis.plot([(t - start) / 86400 for t in ts], vs, marker="o", label=name)
    left.set(xlabel="days since your first record", ylabel="checks passed",
             title="Checks passed")
    right.set(xlabel="days since your first record", ylabel="fraction of the maximum",
              ylim=(-0.05, 1.05), title="Self-scores")
    for axis in (left, right):
        if axis.lines:
            axis.legend(loc="best", fontsize="small")
    plt.tight_layout()
    plt.show()
    return fig


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
    print(f"Suggested next: {nxt['id']} ({nxt['title']}, {nxt['minutes']} min)." if nxt
          else "Every drill's checks pass. Keep the interview simulator going.")
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
