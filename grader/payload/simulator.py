"""The interview simulator: questions from every drill, a clock per answer, spaced repetition.

`make release` pastes this file into interview_simulator.ipynb after progress.py, followed by
a cell holding QUESTIONS, the deck built from the drills: cold starts, questions, their
probes, spot-the-bug cards. It imports only the standard library; ipywidgets and IPython are
optional (without them everything is printed).

A round draws cards: first those due again (a low self-score brings a card back sooner), then
ones you have never answered, in random order, then the ones due soonest. A question and its
probes are one unit: a probe is asked right after its question, never alone. For each card:
the question, a countdown while you answer out loud, the model answer with a checklist to
tick, and a score of 0 (missed it), 1 (partly) or 2 (nailed it), from your ticks or given
directly. A 0 brings its unit back later in the same round. Scores go to progress.json (one
card per question), so the next session picks up where this ended.
"""
import html
import random
import re
import textwrap
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
FIRST_GOOD_BOX = 2  # a 2 lands at least here: 3 days, then 7, then 21
REQUEUE_AFTER = 3  # a 0 comes back after this many other cards, once per round
SCORES = {0: "missed it", 1: "partly", 2: "nailed it"}
TICK_SHARES = {2: 0.75, 1: 0.4}  # the share of the checklist ticked for a 2, for a 1
WIDTH = 88  # printed text is wrapped at this many characters, between words
THREAD_NAME = "dropout-drills-countdown"
KINDS = {"cold": "Cold start", "question": "Question", "probe": "Pushback",
         "bug": "Spot the bug"}
PLURALS = {"cold": "cold starts", "question": "questions", "probe": "pushbacks",
           "bug": "spot-the-bug cards"}


def schedule(score, box, now):
    """(new box, due time) after a self-score: 0 starts over (10 minutes), 1 repeats in a day,
    2 moves up a box, to 3 days at least, then 7, then 21 days."""
    if score <= 0:
        box = 0
    elif score == 1:
        box = 1
    else:
        box = min(max(int(box) + 1, FIRST_GOOD_BOX), len(INTERVALS) - 1)
    return box, now + INTERVALS[box]


def score_from_ticks(ticked, total):
    """The score a checklist gives: 2 for at least 75 % ticked, 1 for at least 40 %, else 0."""
    share = ticked / total if total else 0.0
    return next((s for s, need in TICK_SHARES.items() if share >= need), 0)


def units(questions):
    """The cards grouped as they are asked: each question followed by its probes."""
    heads, out = {}, []
    for q in questions:
        if q.get("chain") in heads:
            heads[q["chain"]].append(q)
        else:
            unit = [q]
            heads[q["id"]] = unit
            out.append(unit)
    return out


def _pick(groups, cards, n, now, rng):
    """Units holding about n cards: due ones (most overdue first), unseen ones at random, then
    those due soonest."""
    def due_of(unit):
        return min((cards[q["id"]].get("due", 0) for q in unit if q["id"] in cards),
                   default=None)
    seen = [u for u in groups if due_of(u) is not None]
    due = sorted((u for u in seen if due_of(u) <= now), key=due_of)
    new = [u for u in groups if due_of(u) is None]
    rng.shuffle(new)
    later = sorted((u for u in seen if due_of(u) > now), key=due_of)
    chosen, count = [], 0
    for unit in due + new + later:
        if count >= n:
            break
        chosen.append(unit)
        count += len(unit)
    return chosen


def draw(questions, cards, n, now, rng, bugs=0):
    """About n spoken cards (whole units, a question with its probes) and `bugs` spot-the-bug
    cards, chosen by _pick; the units are shuffled so drills interleave, probes stay put."""
    spoken = units([q for q in questions if q.get("kind") != "bug"])
    chosen = _pick(spoken, cards, n, now, rng)
    chosen += _pick(units([q for q in questions if q.get("kind") == "bug"]), cards, bugs, now,
                    rng)
    rng.shuffle(chosen)
    return [q for unit in chosen for q in unit]


def plain(markdown):
    """Markdown as plain text for a terminal-like output: no bold marks, no HTML tags."""
    text = re.sub(r"</?(details|summary)[^>]*>", "", markdown)
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text).strip()


def wrap(text, width=WIDTH):
    """Text wrapped between words at `width`; code blocks, bullets and blank lines kept."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            fenced = not fenced
        if fenced or line.strip().startswith("```") or len(line) <= width:
            out.append(line)
            continue
        indent = re.match(r"\s*(?:[-*]\s+|\d+\.\s+)?", line).group(0)
        out += textwrap.wrap(line, width, subsequent_indent=" " * len(indent),
                             break_long_words=False, break_on_hyphens=False)
    return "\n".join(out)


def inline_html(markdown):
    """One line of markdown as HTML for a widget label: escaped, with bold and code kept."""
    text = html.escape(markdown, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def fmt_clock(seconds):
    minutes, secs = divmod(int(round(max(seconds, 0))), 60)
    return f"{minutes}:{secs:02d}"


def topic_of(q, titles=None):
    title = (titles or {}).get(q["drill"], q["drill"])
    return f"{title} › {q['topic']}" if q.get("topic") else title


def weak_concepts(questions, cards, threshold=1.5):
    """[(mean last score, concept name, answered, total, [sections to reread])] for concepts
    under threshold, weakest first; the sections are those of the low-scored cards."""
    groups = {}
    for q in questions:
        groups.setdefault(q.get("concept") or q.get("topic", ""), []).append(q)
    out = []
    for concept, qs in groups.items():
        got = [(q, cards[q["id"]]["score"]) for q in qs if q["id"] in cards]
        mean = sum(s for _, s in got) / len(got) if got else None
        if got and mean < threshold:
            low = sorted(got, key=lambda g: g[1])
            sections = list(dict.fromkeys(f"{q['drill']} › {q.get('reread') or q.get('topic')}"
                                          for q, s in low if s < 2))
            name = qs[0].get("concept_name") or concept
            out.append((mean, name, len(got), len(qs), sections[:2]))
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
            lines.append(textwrap.shorten("  missed: " + plain(q["question"]), WIDTH))
    weak = weak_concepts(questions, cards)
    if weak:
        lines.append("Weak concepts (mean of your last scores, 0-2), and where to reread:")
        for mean, name, n, total, sections in weak:
            lines.append(f"  {mean:.1f}  {name} ({n} of {total} answered)")
            lines += [f"       reread: {s}" for s in sections]
    elif cards:
        lines.append("No weak concepts: every concept you answered averages 1.5 or more.")
    seen = sum(q["id"] in cards for q in questions)
    due = sum(q["id"] in cards and cards[q["id"]].get("due", 0) <= time.time() for q in questions)
    lines.append(f"Answered at least once: {seen} of {len(questions)} cards; due again now: {due}.")
    return "\n".join(wrap(line) for line in lines)


def question_bank(questions, titles=None, path=None):
    """Print how many questions each drill contributes, and how many you have answered."""
    data = load_progress(path)
    cards = data["cards"]
    by_drill = {}
    for q in questions:
        by_drill.setdefault(q["drill"], []).append(q)
    print(f"{len(questions)} cards from {len(by_drill)} drill{'s' * (len(by_drill) != 1)}:")
    for drill, qs in by_drill.items():
        kinds = ", ".join(f"{sum(q['kind'] == k for q in qs)} {PLURALS[k]}"
                          for k in PLURALS if any(q["kind"] == k for q in qs))
        seen = sum(q["id"] in cards for q in qs)
        checks = data["drills"].get(drill, {}).get("checks")
        done = f"; your checks: {checks['passed']} of {checks['total']}" if checks else ""
        print(wrap(f"  {drill}  {(titles or {}).get(drill, '')}: {len(qs)} cards ({kinds}), "
                   f"{seen} answered before{done}"))


class Round:
    """One round of the simulator: the queue, the current question, the scores so far."""

    def __init__(self, questions, n=8, seed=None, path=None, titles=None, clock=time.time,
                 bugs=1):
        self.questions, self.path, self.titles, self.clock = list(questions), path, titles, clock
        cards = load_progress(path)["cards"]
        self.queue = draw(self.questions, cards, n, clock(), random.Random(seed), bugs)
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
            self.requeue(q)
        self.current = None
        return box, due

    def requeue(self, q):
        """Bring a missed card's unit (its question and probes) back later in the round:
        after the current unit and REQUEUE_AFTER more cards, at a unit's start."""
        head = q.get("chain", q["id"])
        unit = [c for c in self.questions if c["id"] == head or c.get("chain") == head]
        self.requeued |= {c["id"] for c in unit}
        at = 0
        while at < len(self.queue) and self.queue[at].get("chain") == head:
            at += 1
        at = min(at + REQUEUE_AFTER, len(self.queue))
        while at < len(self.queue) and self.queue[at].get("chain"):
            at += 1
        self.queue[at:at] = unit

    def score_ticks(self, ticked):
        """Score the open card from the checklist items ticked (1-based numbers)."""
        items = (self.current or {}).get("checklist") or []
        bad = [t for t in ticked if not (isinstance(t, int) and 1 <= t <= len(items))]
        if bad:
            raise ValueError(f"tick items by their numbers, 1 to {len(items)}; got {bad}")
        return self.score(score_from_ticks(len(set(ticked)), len(items)))

    def summary(self):
        return summary_text(self.questions, load_progress(self.path)["cards"], self.titles,
                            self.scores)


# ---------------------------------------------------------------- text mode
_ROUND = None


def _header(r, q):
    head = f"{KINDS.get(q['kind'], 'Question')} {r.number} of {r.size}+ · {topic_of(q, r.titles)}"
    if q.get("follows"):
        head += f"\n(a pushback on your answer to: {plain(q['follows'])})"
    return wrap(head)


def checklist_text(q):
    """The checklist as numbered lines, or '' for a card without one."""
    items = q.get("checklist") or []
    return "\n".join(wrap(f"{k}. {plain(item)}") for k, item in enumerate(items, 1))


def ask(r=None):
    """Text mode: print the next question and the time you have to answer it out loud."""
    r = r or _ROUND
    q = r.next()
    if q is None:
        print("The round is over.\n" + r.summary())
        return None
    stop = time.strftime("%H:%M:%S", time.localtime(time.time() + q["seconds"]))
    print(f"{_header(r, q)}\n\n{wrap(plain(q['question']))}\n\n" + wrap(
        f"Answer out loud: you have {fmt_clock(q['seconds'])} (until {stop}). Then run reveal(). "
        "For a ticking clock run countdown() (interrupt the kernel to stop it early)."))
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
    ticks = checklist_text(q)
    how = ("Tick what you said: said(1, 3, ...) with the numbers above scores it (2 for 75 % "
           "or more, 1 for 40 % or more); or score yourself directly: "
           if ticks else "Score yourself: ")
    print(f"You took {fmt_clock(took)} of {fmt_clock(budget)}{over}.\n\nModel answer:\n\n"
          f"{wrap(plain(q['answer']))}\n\n" + (f"What a strong answer holds:\n{ticks}\n\n"
                                                 if ticks else "")
          + wrap(how + "score(0) missed it, score(1) partly, score(2) nailed it."))


def score(value, r=None):
    """Text mode: record your self-score, then ask the next question."""
    r = r or _ROUND
    r.score(value)
    print(f"Recorded {value} ({SCORES[value]}).\n")
    return ask(r)


def said(*ticked, r=None):
    """Text mode: score the open card from the checklist items you said, then ask the next."""
    r = r or _ROUND
    items = len((r.current or {}).get("checklist") or [])
    r.score_ticks(list(ticked))
    value = score_from_ticks(len(set(ticked)), items)
    print(f"{len(set(ticked))} of {items} ticked: recorded {value} ({SCORES[value]}).\n")
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
        # a short label on an auto-width button: the whole label always shows
        self.done_button = widgets.Button(description="Done", icon="eye",
                                          tooltip="stop the clock and show the model answer",
                                          layout=widgets.Layout(width="auto"))
        self.score_buttons = [widgets.Button(description=f"{k}: {SCORES[k]}",
                                             layout=widgets.Layout(width="auto"))
                              for k in SCORES]
        self.ticks_button = widgets.Button(description="Score my ticks", button_style="info",
                                           layout=widgets.Layout(width="auto"))
        self.ask_button.on_click(lambda _: self.ask())
        self.done_button.on_click(lambda _: self.reveal())
        self.ticks_button.on_click(lambda _: self.score_ticks())
        for k, b in enumerate(self.score_buttons):
            b.on_click(lambda _, k=k: self.score(k))
        self.checks = []
        self.ticklist = widgets.VBox([])
        self.buttons = widgets.HBox([])
        self.box = widgets.VBox([self.label, self.bar, self.out, self.ticklist, self.buttons])
        self.waiting()

    def waiting(self):
        r = self.round
        if not r.queue:
            self.finish()
            return
        self.label.value = (f"<b>Card {r.number} of {r.size}+</b> · next: "
                            f"{KINDS.get(r.queue[0]['kind'], 'Question').lower()} from "
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
        if q is None or self.done_button not in self.buttons.children:
            return
        self.stop_clock()
        took = self.round.elapsed()
        # append_*: safe from the countdown's thread, where `with self.out:` is not
        self.out.append_display_data(Markdown(f"**Model answer** (you took {fmt_clock(took)} "
                                              f"of {fmt_clock(q['seconds'])})\n\n{q['answer']}"))
        items = q.get("checklist") or []
        self.checks = [widgets.Checkbox(value=False, indent=False,
                                        layout=widgets.Layout(width="auto")) for _ in items]
        self.ticklist.children = [widgets.HBox([c, widgets.HTMLMath(inline_html(item))])
                                  for c, item in zip(self.checks, items)]
        self.label.value = ("<b>Tick what you said</b>, then score your ticks (or score "
                            "yourself directly)" if items else
                            "<b>Score yourself</b>: did you say what the model answer says?")
        self.buttons.children = ([self.ticks_button] if items else []) + self.score_buttons

    def score_ticks(self):
        ticked = [k for k, c in enumerate(self.checks, 1) if c.value]
        if self.round.current is None:
            return
        self.round.score_ticks(ticked)
        self._next()

    def score(self, value):
        if self.round.current is None:
            return
        self.round.score(value)
        self._next()

    def _next(self):
        self.out.outputs = ()
        self.ticklist.children, self.checks = [], []
        self.waiting()

    def finish(self):
        self.stop_clock()
        self.label.value = "<b>Round over.</b> Run the cell again for another round."
        self.buttons.children = []
        self.bar.value = 0.0
        self.out.outputs = ()
        self.out.append_stdout(self.round.summary() + "\n")


def run_interview(questions, n=8, seed=None, path=None, titles=None, bugs=1):
    """Start a round of about n spoken cards and `bugs` spot-the-bug cards: a widget, or
    printed text with ask/reveal/said/score."""
    global _ROUND
    _ROUND = Round(questions, n=n, seed=seed, path=path, titles=titles, bugs=bugs)
    print(wrap(f"A round of {_ROUND.size} cards (a missed one comes back once, with its "
               "question). Answer each out loud before you look at the model answer; be strict "
               "when you tick."))
    if widgets is None:
        print("No widgets here: the round runs as text.\n")
        ask(_ROUND)
        return _ROUND
    display(InterviewWidget(_ROUND).box)
    return _ROUND
