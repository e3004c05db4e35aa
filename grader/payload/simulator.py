"""The interview simulator: questions from every drill, a clock per answer, spaced repetition.

`make release` pastes this file into interview_simulator.ipynb after progress.py, followed by
a cell holding QUESTIONS, extracted from the drills' solution notebooks. It imports only the
standard library; ipywidgets and IPython are optional (without them everything is printed).

A round draws questions: first those due again (a low self-score brings a question back
sooner), then ones you have never answered, in random order, then the ones due soonest. For
each: the question, a countdown while you answer out loud, the model answer, and a self-score
of 0 (missed it), 1 (partly) or 2 (nailed it). A 0 comes back later in the same round. Scores
go to progress.json (one card per question), so the next session picks up where this ended.
"""
import random
import re
import threading
import time

from grader.payload.progress import load_progress, record_card

try:
    import ipywidgets as widgets
    from IPython.display import Markdown, display
except ImportError:  # no widget support: the round is driven by functions and printed
    widgets = None

DAY = 24 * 3600
INTERVALS = [10 * 60, 1 * DAY, 3 * DAY, 7 * DAY, 21 * DAY]  # when a card in box k is due again
REQUEUE_AFTER = 3  # a 0 comes back after this many other questions, once per round
SCORES = {0: "missed it", 1: "partly", 2: "nailed it"}
THREAD_NAME = "dropout-drills-countdown"


def schedule(score, box, now):
    """(new box, due time) after a self-score: 0 starts over, 1 repeats soon, 2 moves up."""
    if score <= 0:
        box = 0
    elif score == 1:
        box = 1
    else:
        box = min(int(box) + 1, len(INTERVALS) - 1)
    return box, now + INTERVALS[box]


def draw(questions, cards, n, now, rng):
    """Up to n questions: the due ones (most overdue first), then unseen ones at random,
    then those due soonest; the chosen ones are then shuffled so drills interleave."""
    due = sorted((q for q in questions if q["id"] in cards and cards[q["id"]].get("due", 0) <= now),
                 key=lambda q: (cards[q["id"]].get("due", 0), cards[q["id"]].get("box", 0)))
    new = [q for q in questions if q["id"] not in cards]
    rng.shuffle(new)
    later = sorted((q for q in questions if q["id"] in cards and cards[q["id"]].get("due", 0) > now),
                   key=lambda q: cards[q["id"]].get("due", 0))
    chosen = (due + new + later)[:n]
    rng.shuffle(chosen)
    return chosen


def plain(markdown):
    """Markdown as plain text for a terminal-like output: no bold marks, no HTML tags."""
    text = re.sub(r"</?(details|summary)[^>]*>", "", markdown)
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text).strip()


def fmt_clock(seconds):
    minutes, secs = divmod(int(round(max(seconds, 0))), 60)
    return f"{minutes}:{secs:02d}"


def topic_of(q, titles=None):
    title = (titles or {}).get(q["drill"], q["drill"])
    return f"{title} › {q['topic']}" if q.get("topic") else title


def weak_topics(questions, cards, titles=None, threshold=1.5):
    """[(mean last score, topic, answered, total)] for topics under threshold, weakest first."""
    groups = {}
    for q in questions:
        groups.setdefault(topic_of(q, titles), []).append(cards.get(q["id"]))
    out = []
    for topic, got in groups.items():
        scores = [c["score"] for c in got if c]
        if scores and sum(scores) / len(scores) < threshold:
            out.append((sum(scores) / len(scores), topic, len(scores), len(got)))
    return sorted(out)


def summary_text(questions, cards, titles=None, round_scores=()):
    """This round's scores, the weak topics over every session, and what is left."""
    lines = []
    if round_scores:
        total = sum(s for _, s in round_scores)
        lines.append(f"This round: {total} of {2 * len(round_scores)} points over "
                     f"{len(round_scores)} answers.")
        missed = [q for q, s in round_scores if s == 0]
        for q in missed:
            lines.append(f"  missed: {plain(q['question'])[:90]}")
    weak = weak_topics(questions, cards, titles)
    if weak:
        lines.append("Weak topics (mean of your last scores, 0-2):")
        lines += [f"  {mean:.1f}  {topic} ({n} of {total} answered)" for mean, topic, n, total in weak]
    elif cards:
        lines.append("No weak topics: every topic you answered averages 1.5 or more.")
    seen = sum(q["id"] in cards for q in questions)
    due = sum(q["id"] in cards and cards[q["id"]].get("due", 0) <= time.time() for q in questions)
    lines.append(f"Answered at least once: {seen} of {len(questions)} questions; due again now: {due}.")
    return "\n".join(lines)


def question_bank(questions, titles=None, path=None):
    """Print how many questions each drill contributes, and how many you have answered."""
    data = load_progress(path)
    cards = data["cards"]
    by_drill = {}
    for q in questions:
        by_drill.setdefault(q["drill"], []).append(q)
    print(f"{len(questions)} questions from {len(by_drill)} drill{'s' * (len(by_drill) != 1)}:")
    for drill, qs in by_drill.items():
        probes = sum(q["kind"] == "probe" for q in qs)
        seen = sum(q["id"] in cards for q in qs)
        title = (titles or {}).get(drill, "")
        checks = data["drills"].get(drill, {}).get("checks")
        done = f"; your checks: {checks['passed']} of {checks['total']}" if checks else ""
        print(f"  {drill}  {title}: {len(qs)} questions ({probes} pushbacks), "
              f"{seen} answered before{done}")


class Round:
    """One round of the simulator: the queue, the current question, the scores so far."""

    def __init__(self, questions, n=8, seed=None, path=None, titles=None, clock=time.time):
        self.questions, self.path, self.titles, self.clock = list(questions), path, titles, clock
        cards = load_progress(path)["cards"]
        self.queue = draw(self.questions, cards, n, clock(), random.Random(seed))
        self.size = len(self.queue)
        self.current, self.asked_at, self.scores, self.requeued = None, None, [], set()

    def next(self):
        """The next question (and start its clock), or None at the end of the round."""
        self.current = self.queue.pop(0) if self.queue else None
        self.asked_at = self.clock() if self.current else None
        return self.current

    @property
    def number(self):
        return len(self.scores) + 1

    def elapsed(self):
        return self.clock() - self.asked_at if self.asked_at is not None else 0.0

    def score(self, value):
        """Record a self-score for the current question; a 0 comes back later this round."""
        if self.current is None:
            raise ValueError("no question is open: ask one first")
        if value not in SCORES:
            raise ValueError("score with 0 (missed it), 1 (partly) or 2 (nailed it)")
        q, now = self.current, self.clock()
        box = load_progress(self.path)["cards"].get(q["id"], {}).get("box", 0)
        box, due = schedule(value, box, now)
        record_card(q["id"], value, box, due, drill=q["drill"], topic=q.get("topic", ""),
                    path=self.path, now=now)
        self.scores.append((q, value))
        if value == 0 and q["id"] not in self.requeued:
            self.requeued.add(q["id"])
            self.queue.insert(min(REQUEUE_AFTER, len(self.queue)), q)
        self.current = None
        return box, due

    def summary(self):
        return summary_text(self.questions, load_progress(self.path)["cards"], self.titles,
                            self.scores)


# ---------------------------------------------------------------- text mode
_ROUND = None


def _header(r, q):
    kind = "Pushback" if q["kind"] == "probe" else "Question"
    head = f"{kind} {r.number} of {r.size}+ · {topic_of(q, r.titles)}"
    if q.get("follows"):
        head += f"\n(a pushback on: {plain(q['follows'])})"
    return head


def ask(r=None):
    """Text mode: print the next question and the time you have to answer it out loud."""
    r = r or _ROUND
    q = r.next()
    if q is None:
        print("The round is over.\n" + r.summary())
        return None
    stop = time.strftime("%H:%M:%S", time.localtime(time.time() + q["seconds"]))
    print(f"{_header(r, q)}\n\n{plain(q['question'])}\n\nAnswer out loud: you have "
          f"{fmt_clock(q['seconds'])} (until {stop}). Then run reveal(). For a ticking clock "
          "run countdown() (interrupt the kernel to stop it early).")
    return q


def countdown(seconds=None, sleep=time.sleep, step=5):
    """Text mode: a clock that prints the time left every `step` seconds (blocks the cell)."""
    r = _ROUND
    left = seconds if seconds is not None else (r.current["seconds"] - r.elapsed()
                                                if r and r.current else 90)
    try:
        while left > 0:
            print(f"{fmt_clock(left)} left", flush=True)
            sleep(min(step, left))
            left -= step
        print("Time. Run reveal().")
    except KeyboardInterrupt:
        print("Stopped. Run reveal().")


def reveal(r=None):
    """Text mode: print the model answer of the open question and the time you took."""
    r = r or _ROUND
    if r is None or r.current is None:
        print("No question is open: run ask().")
        return
    q = r.current
    took, budget = r.elapsed(), q["seconds"]
    over = " (over time)" if took > budget else ""
    print(f"You took {fmt_clock(took)} of {fmt_clock(budget)}{over}.\n\nModel answer:\n\n"
          f"{plain(q['answer'])}\n\nScore yourself: score(0) missed it, score(1) partly, "
          "score(2) nailed it.")


def score(value, r=None):
    """Text mode: record your self-score, then ask the next question."""
    r = r or _ROUND
    r.score(value)
    print(f"Recorded {value} ({SCORES[value]}).\n")
    return ask(r)


def summary(r=None):
    """The round's scores and your weak topics over every session."""
    r = r or _ROUND
    print(r.summary())


# ---------------------------------------------------------------- widget mode
class InterviewWidget:
    """Ask, a countdown bar, the model answer, three score buttons; then the summary."""

    def __init__(self, r, tick=1.0):
        self.round, self.tick = r, tick
        self._stop, self._thread = threading.Event(), None
        self.label = widgets.HTML()
        self.bar = widgets.FloatProgress(min=0.0, max=1.0, value=0.0,
                                         layout=widgets.Layout(width="60%"))
        self.out = widgets.Output()
        self.ask_button = widgets.Button(description="Ask", icon="play", button_style="success")
        self.done_button = widgets.Button(description="Done: model answer", icon="eye")
        self.score_buttons = [widgets.Button(description=f"{k}: {SCORES[k]}") for k in SCORES]
        self.ask_button.on_click(lambda _: self.ask())
        self.done_button.on_click(lambda _: self.reveal())
        for k, b in enumerate(self.score_buttons):
            b.on_click(lambda _, k=k: self.score(k))
        self.buttons = widgets.HBox([])
        self.box = widgets.VBox([self.label, self.bar, self.buttons, self.out])
        self.waiting()

    def waiting(self):
        r = self.round
        if not r.queue:
            self.finish()
            return
        self.label.value = (f"<b>Question {r.number} of {r.size}+</b> · next from "
                            f"{r.queue[0]['drill']}. Press Ask: the question appears and "
                            "the clock starts.")
        self.bar.value = 0.0
        self.buttons.children = [self.ask_button]

    def ask(self):
        q = self.round.next()
        if q is None:
            self.finish()
            return
        self.out.outputs = ()
        self.out.append_display_data(Markdown(f"*{_header(self.round, q)}*\n\n{q['question']}"))
        self.buttons.children = [self.done_button]
        self._start_clock()
        self.render()

    def _start_clock(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), name=THREAD_NAME,
                                        daemon=True)
        self._thread.start()

    def _run(self, stop):
        while not stop.wait(self.tick):
            if self.round.current is None:
                return
            self.render()
            if self.round.elapsed() >= self.round.current["seconds"]:
                self.reveal()
                return

    def stop_clock(self):
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    def render(self):
        q = self.round.current
        if q is None:
            return
        left = q["seconds"] - self.round.elapsed()
        self.bar.max = float(q["seconds"])
        self.bar.value = min(self.round.elapsed(), float(q["seconds"]))
        self.bar.bar_style = "warning" if left < 15 else "info"
        self.label.value = (f"<b>Answer out loud</b> · {fmt_clock(left)} left"
                            if left > 0 else "<b>Time.</b>")

    def reveal(self):
        q = self.round.current
        if q is None or self.buttons.children == tuple(self.score_buttons):
            return
        self.stop_clock()
        took = self.round.elapsed()
        # append_*: safe from the countdown's thread, where `with self.out:` is not
        self.out.append_display_data(Markdown(f"**Model answer** (you took {fmt_clock(took)} "
                                              f"of {fmt_clock(q['seconds'])})\n\n{q['answer']}"))
        self.label.value = "<b>Score yourself</b>: did you say what the model answer says?"
        self.buttons.children = list(self.score_buttons)

    def score(self, value):
        if self.round.current is None:
            return
        self.round.score(value)
        self.out.outputs = ()
        self.waiting()

    def finish(self):
        self.stop_clock()
        self.label.value = "<b>Round over.</b> Run the cell again for another round."
        self.buttons.children = []
        self.bar.value = 0.0
        self.out.outputs = ()
        self.out.append_stdout(self.round.summary() + "\n")


def run_interview(questions, n=8, seed=None, path=None, titles=None):
    """Start a round of n questions: a widget, or printed text with ask/reveal/score."""
    global _ROUND
    _ROUND = Round(questions, n=n, seed=seed, path=path, titles=titles)
    print(f"A round of {_ROUND.size} questions (a missed one comes back once). Answer each out "
          "loud before you look at the model answer; be strict when you score.")
    if widgets is None:
        print("No widgets here: the round runs as text.\n")
        ask(_ROUND)
        return _ROUND
    display(InterviewWidget(_ROUND).box)
    return _ROUND
