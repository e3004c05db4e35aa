"""Mock-interview timer for the drills.

The time arithmetic lives in ``InterviewClock`` (pure, injectable clock) so it
can be tested without widgets. ``show_timer`` always prints the plan as text,
so papermill, nbval or a terminal show it, and never starts a thread itself:
only the Start button does, and at most one timer thread exists per kernel.

Re-running the timer cell (or "Run all") re-executes this module, which makes
new classes and a new widget. The elapsed time must survive that, so each
plan's clock lives in a registry kept on ``builtins`` (which re-execution does
not touch): a new widget for the same plan takes over the old clock, running
or paused as it was, and the old widget is stopped and says it was replaced.
"""
import builtins
import collections
import threading
import time

try:
    import ipywidgets as widgets
    from IPython.display import display
except ImportError:  # no widget support: show_timer prints the plan only
    widgets = None

PLAN = [("Cold open", 3), ("Skim the paper", 10), ("Questions out loud", 7),
        ("Clarify and code", 14), ("Prove it works", 6)]
THREAD_NAME = "dropout-drill-timer"
REGISTRY = "_dropout_drills_timers"  # attribute of builtins: {plan key: TimerWidget}


def registry():
    """The kernel-wide {plan key: widget} dict; it outlives re-runs of this module."""
    reg = getattr(builtins, REGISTRY, None)
    if not isinstance(reg, dict):
        reg = {}
        setattr(builtins, REGISTRY, reg)
    return reg


def plan_key(plan):
    return tuple((str(name), float(minutes)) for name, minutes in plan)

ClockStatus = collections.namedtuple("ClockStatus", "index name block_left total_left elapsed")


def fmt(seconds):
    """m:ss of the magnitude; callers add the sign wording."""
    minutes, secs = divmod(int(round(abs(seconds))), 60)
    return f"{minutes}:{secs:02d}"


class InterviewClock:
    """Elapsed time over a plan of (name, minutes) blocks, with pause/resume.

    Blocks follow the schedule: when a block's minutes are used up, the next
    one starts. Only the last block can run over, and that is also the plan
    running over; ``block_left``/``total_left`` are then negative.
    """

    def __init__(self, plan=PLAN, clock=time.monotonic):
        self.plan = [(str(name), float(minutes) * 60) for name, minutes in plan]
        self.total = sum(seconds for _, seconds in self.plan)
        self._clock = clock
        self.reset()

    @property
    def running(self):
        return self._started_at is not None

    def reset(self):
        self._banked = 0.0
        self._started_at = None

    def start(self):
        if not self.running:
            self._started_at = self._clock()

    def pause(self):
        if self.running:
            self._banked += self._clock() - self._started_at
            self._started_at = None

    def elapsed(self):
        live = self._clock() - self._started_at if self.running else 0.0
        return self._banked + live

    def status(self):
        t = self.elapsed()
        end = 0.0
        for index, (name, seconds) in enumerate(self.plan):
            end += seconds
            if t < end:
                break
        return ClockStatus(index, name, end - t, self.total - t, t)


def plan_text(plan=PLAN):
    """The plan as a plain-text table of blocks with start-end minutes."""
    total = sum(minutes for _, minutes in plan)
    lines = [f"Mock-interview plan ({total:g} min)"]
    start = 0
    for i, (name, minutes) in enumerate(plan, 1):
        span = f"{start:g}-{start + minutes:g}"
        lines.append(f"  {i}. {name:<18} {span:>7} min  ({minutes:g} min)")
        start += minutes
    return "\n".join(lines)


class TimerWidget:
    """Start/Pause/Reset buttons, status line and progress bar over a clock."""

    def __init__(self, plan=PLAN, clock=time.monotonic, tick=0.5, keep=True):
        self.clock = InterviewClock(plan, clock)
        self.tick = tick
        self._thread = None
        self._stop = threading.Event()
        self.taken_over = 0.0  # seconds carried over from an earlier widget of this plan
        old = registry().get(plan_key(plan)) if keep else None
        self.start_button = widgets.Button(description="Start", icon="play", button_style="success")
        self.pause_button = widgets.Button(description="Pause", icon="pause")
        self.reset_button = widgets.Button(description="Reset", icon="undo")
        self.start_button.on_click(lambda _: self.start())
        self.pause_button.on_click(lambda _: self.pause())
        self.reset_button.on_click(lambda _: self.reset())
        self.label = widgets.HTML()
        self.bar = widgets.FloatProgress(min=0.0, max=self.clock.total, value=0.0,
                                         layout=widgets.Layout(width="60%"))
        buttons = widgets.HBox([self.start_button, self.pause_button, self.reset_button])
        self.box = widgets.VBox([buttons, self.label, self.bar])
        if old is not None and old is not self:
            self._take_over(old)
        if keep:
            registry()[plan_key(plan)] = self
        self.render()

    def _take_over(self, old):
        """Carry an earlier widget's elapsed time (and running state) over; stop that one."""
        try:
            running, elapsed = bool(old.clock.running), float(old.clock.elapsed())
            old.pause()
            old.label.value = "<i>This timer moved to the newer copy of the timer cell.</i>"
        except Exception:  # an older, incompatible widget: start fresh
            return
        self.clock._banked = self.taken_over = elapsed
        if running:
            self.start()

    def start(self):
        self.clock.start()
        if self._thread is None:
            # A re-run cell builds a new widget: pause any older timer first.
            for other in threading.enumerate():
                if other.name == THREAD_NAME and hasattr(other, "drill_pause"):
                    other.drill_pause()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, args=(self._stop,),
                                            name=THREAD_NAME, daemon=True)
            self._thread.drill_pause = self.pause
            self._thread.start()
        self.render()

    def pause(self):
        self.clock.pause()
        _record_time(self.clock.elapsed())
        if self._thread is not None:
            self._stop.set()
            if self._thread is not threading.current_thread():
                self._thread.join(timeout=5)
            self._thread = None
        self.render()

    def reset(self):
        self.pause()
        self.clock.reset()
        self.render()

    def _run(self, stop):
        while not stop.wait(self.tick):
            self.render()

    def render(self):
        s = self.clock.status()
        state = "running" if self.clock.running else "paused"
        n = len(self.clock.plan)
        html = f"<b>Block {s.index + 1}/{n}: {s.name}</b> ({state}) &middot; "
        if s.total_left < 0:
            html += f'<span style="color:#c00;font-weight:bold">overtime +{fmt(s.total_left)}</span>'
            self.bar.bar_style = "danger"
        else:
            warn = s.block_left < 60
            block = f"block left {fmt(s.block_left)}"
            html += f'<span style="color:#c60">{block}</span>' if warn else block
            html += f" &middot; total left {fmt(s.total_left)}"
            self.bar.bar_style = "warning" if warn else "info"
        self.label.value = html
        self.bar.value = min(s.elapsed, self.clock.total)
        if self.clock.running:
            _record_time(s.elapsed, every=30)  # at most one write per 30 s while it ticks


def _record_time(seconds, **kwargs):
    """Tell the progress file (pasted in the notebook as progress.py) the time used, if any."""
    globals().get("record_time", lambda *a, **k: None)(seconds, **kwargs)


def show_timer(plan=PLAN):
    """Print the plan; with ipywidgets also display the timer (idle until Start; after a
    re-run, it carries on from the earlier copy's time)."""
    print(plan_text(plan))
    if widgets is None:
        return
    print("Press Start below; the timer keeps running while you work in other cells, "
          "and re-running this cell keeps its time (Reset starts over).")
    display(TimerWidget(plan).box)
