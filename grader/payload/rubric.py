"""Self-assessment rubric for the drills: tick what your answer covered.

Red flags do NOT subtract points. A red flag (say, "dropout stays on at
evaluation") is a separate signal an interviewer weighs on its own; mixing it
into the score would let a strong answer hide it. Each ticked red flag is
listed as a warning under the score instead.
"""
import html

try:
    import ipywidgets as widgets
    from IPython.display import display
except ImportError:  # no widget support: print a plain-text checklist
    widgets = None


def rubric_score(rubric, checked, flags_checked):
    """Return (score, max score, ticked red flags in the order given).

    rubric: list of (criterion, points); checked: names of ticked criteria;
    flags_checked: ticked red-flag strings. Unknown criteria raise ValueError
    so a typo cannot silently score zero.
    """
    points = dict(rubric)
    unknown = set(checked) - set(points)
    if unknown:
        raise ValueError(f"not in the rubric: {sorted(unknown)}")
    score = sum(points[name] for name in set(checked))
    return score, sum(p for _, p in rubric), list(dict.fromkeys(flags_checked))


def rubric_text(rubric, red_flags):
    """The rubric as a plain-text checklist with points and red flags."""
    total = sum(p for _, p in rubric)
    lines = [f"Rubric ({total:g} points)"]
    lines += [f"  [ ] {name} ({p:g} pt)" for name, p in rubric]
    if red_flags:
        lines.append("Red flags (warnings, no points subtracted)")
        lines += [f"  [ ] {flag}" for flag in red_flags]
    return "\n".join(lines)


def summary_html(score, max_score, flagged):
    out = f"<b>Score: {score:g} / {max_score:g}</b>"
    for flag in flagged:
        out += f'<div style="color:#c00">&#9888; red flag: {html.escape(flag)}</div>'
    return out


class RubricWidget:
    """A Checkbox per criterion and per red flag, with a live score line on top, where it
    stays in view while the boxes are ticked."""

    def __init__(self, rubric, red_flags):
        self.rubric, self.red_flags = list(rubric), list(red_flags)
        wide = widgets.Layout(width="auto")
        self.criteria = [widgets.Checkbox(value=False, description=f"{name} ({p:g} pt)",
                                          indent=False, layout=wide)
                         for name, p in self.rubric]
        self.flags = [widgets.Checkbox(value=False, description=f"RED FLAG: {flag}",
                                       indent=False, layout=wide)
                      for flag in self.red_flags]
        self.summary = widgets.HTML()
        for box in self.criteria + self.flags:
            box.observe(self.update, names="value")
        parts = [self.summary, widgets.HTML("<b>Criteria</b>")] + self.criteria
        if self.flags:
            parts += [widgets.HTML("<b>Red flags</b> (no points subtracted)")] + self.flags
        self.box = widgets.VBox(parts)
        self.update()

    def result(self):
        checked = [name for (name, _), box in zip(self.rubric, self.criteria) if box.value]
        flagged = [flag for flag, box in zip(self.red_flags, self.flags) if box.value]
        return rubric_score(self.rubric, checked, flagged)

    def update(self, _change=None):
        self.summary.value = summary_html(*self.result())
        if _change is not None:  # a tick, not the first drawing: the progress file keeps it
            globals().get("record_rubric", lambda *a, **k: None)(*self.result()[:2])


def show_rubric(rubric, red_flags):
    """Display the checklist widget, or print the checklist without ipywidgets."""
    if widgets is None:
        print(rubric_text(rubric, red_flags))
        return
    display(RubricWidget(rubric, red_flags).box)
