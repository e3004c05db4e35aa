"""Mock-interview timer for drill 01.

The time arithmetic lives in ``InterviewClock`` (pure, injectable clock) so it
can be tested without widgets. ``show_timer`` always prints the plan as text,
so papermill, nbval or a terminal show it, and never starts a thread itself:
only the Start button does, and at most one timer thread exists per kernel.
"""
import collections
import threading
import time

try:
    import ipywidgets as widgets
    from IPython.display import display
except ImportError:  # no widget support: show_timer prints the plan only
    widgets = None

PLAN = [("Read", 12), ("Explain out loud", 5), ("Implement", 16), ("Check", 5)]
THREAD_NAME = "dropout-drill-timer"

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

    def __init__(self, plan=PLAN, clock=time.monotonic, tick=0.5):
        self.clock = InterviewClock(plan, clock)
        self.tick = tick
        self._thread = None
        self._stop = threading.Event()
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
        self.render()

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


def show_timer(plan=PLAN):
    """Print the plan; with ipywidgets also display the timer (idle until Start)."""
    print(plan_text(plan))
    if widgets is None:
        return
    print("Press Start below; the timer keeps running while you work in other cells.")
    display(TimerWidget(plan).box)
