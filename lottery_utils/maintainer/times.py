"""How long each section of a lesson takes: what can be measured (its words, its prompts, its cells' running time in
real mode) and the minutes a class needs, worked out from those at stated rates. The teacher's guide prints the
table (`python -m lottery_utils report`); `notebooks/refresh_reference_outputs.py` measures the running times when
it executes a lesson in real mode and keeps them in notebooks/instructor/timings.json.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from ..settings import project_root

TIMINGS = project_root() / "notebooks" / "instructor" / "timings.json"
LESSONS = ("00_the_theorem", "01_one_shot_mnist", "02_iterative_pruning", "03_random_reinit_controls",
           "04_architectures", "05_why_tickets_win")
# The rates the minutes are worked out at: careful reading of prose with formulas and code, writing down a guess,
# thinking a question through, doing an exercise (core or not). Not measured in a class: adjust after one.
WORDS_PER_MINUTE = 120
MINUTES = {"predict": 1.5, "think": 3.0, "exercise": 4.0, "coding": 15.0}
SHOWN_MINUTES = 1.0  # to read one figure or table of results the lesson shows
NAMES = {"predict": ("Predict", "Predicts"), "think": ("To think about", "To think abouts"),
         "exercise": ("exercise to work out", "exercises to work out"), "coding": ("code exercise", "code exercises")}
PROMPTS = {"predict": re.compile(r"(?<!marked )\*\*Predict"), "think": re.compile(r"\*\*To think about"),
           "exercise": re.compile(r"\*\*Exercise \d+\b(?![^\n]*\b[Ww]rite\b)"),  # a question: work it out, check
           "coding": re.compile(r"\*\*Exercise \d+\b(?=[^\n]*\b[Ww]rite\b)")}  # a function or a loop to write


@dataclass(frozen=True)
class Section:
    """One `## ` section of a lesson (the cells before the first heading: "intro"): its prose and its prompts."""

    title: str
    words: int  # of markdown, code not counted
    predict: int
    think: int
    exercise: int
    coding: int
    cells: tuple[int, ...]  # the indices of its code cells
    shown: int = 0  # figures and tables of results in its cells' outputs

    def minutes(self, seconds: float, prompts: tuple[str, ...] = tuple(MINUTES)) -> float:
        """Reading its prose, figures and tables, the `prompts` of these kinds (default: all) and `seconds` of running
        cells."""
        return (self.words / WORDS_PER_MINUTE + SHOWN_MINUTES * self.shown
                + sum(MINUTES[kind] * getattr(self, kind) for kind in prompts) + seconds / 60)


def sections(notebook: dict) -> list[Section]:
    """The lesson's sections in order, from its JSON (nbformat 4); a markdown cell with a heading inside it counts
    up to the heading to the section before."""
    found: list[dict] = []

    def start(title: str) -> dict:
        return {"title": title, "words": 0, **dict.fromkeys(PROMPTS, 0), "cells": [], "shown": 0}

    current = start("intro")
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            current["cells"].append(index)
            current["shown"] += sum(_shows(output.get("data", {})) for output in cell.get("outputs", []))
            continue
        if cell["cell_type"] != "markdown":
            continue
        for part in re.split(r"(?m)^(?=## )", "".join(cell["source"])):
            if part.startswith("## "):
                found.append(current)
                current = start(part.splitlines()[0][3:].strip())
            current["words"] += len(re.findall(r"\w+", re.sub(r"\$[^$]*\$", " x ", part)))
            for kind, pattern in PROMPTS.items():
                current[kind] += len(pattern.findall(part))
    found.append(current)
    return [Section(**{**s, "cells": tuple(s["cells"])}) for s in found if s["words"] or s["cells"]]


def _shows(data: dict) -> bool:
    """Whether a cell output is a figure (an image) or a Markdown table."""
    return "image/png" in data or "|---" in "".join(data.get("text/markdown", ""))


def cell_seconds(cell: dict) -> float:
    """A code cell's running time, from the timestamps nbclient results while it executes."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    return (datetime.fromisoformat(end.replace("Z", "+00:00"))
            - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def measured(executed: dict) -> dict[str, float]:
    """Seconds of running time per section of an executed lesson (nbclient's timestamps still on its cells)."""
    return {s.title: round(sum(cell_seconds(executed["cells"][i]) for i in s.cells), 1) for s in sections(executed)}


def record(name: str, executed: dict, machine: str) -> None:
    """Keep a real-mode run's seconds per section in TIMINGS (one entry per lesson, replaced)."""
    timings = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    timings[name] = {"machine": machine, "seconds": measured(executed)}
    TIMINGS.write_text(json.dumps(timings, indent=1, sort_keys=True) + "\n")


def table(name: str, timings: dict | None = None) -> list[str]:
    """The guide's lines for one lesson: each section's words, prompts, running seconds and minutes."""
    timings = json.loads(TIMINGS.read_text()) if timings is None else timings
    notebook = json.loads((project_root() / "notebooks" / f"{name}.ipynb").read_text())
    run = timings.get(name, {}).get("seconds", {})
    rows, total = [], 0.0
    for section in sections(notebook):
        if section.title not in run:
            raise LookupError(f"{name}: no running time for section {section.title!r}: run "
                              f"`python notebooks/refresh_reference_outputs.py notebooks/{name}.ipynb`.")
        minutes = section.minutes(run[section.title])
        total += minutes
        prompts = ", ".join(f"{count} {NAMES[kind][count > 1]}" for kind in MINUTES
                            if (count := getattr(section, kind)))
        rows.append(f"| {section.title} | {section.words:,} | {section.shown or '—'} | {prompts or '—'} | "
                    f"{run[section.title]:.0f} | {minutes:.0f} |")
    return [f"**{name}.ipynb**: about {5 * round(total / 5):.0f} minutes in all", "",
            "| section | words | figures, tables | prompts | running (s) | minutes |", "|---|---:|---:|---|---:|---:|",
            *rows, ""]


def guide_block(timings: dict | None = None) -> list[str]:
    """Every lesson's table, with how the minutes are worked out."""
    timings = json.loads(TIMINGS.read_text()) if timings is None else timings
    machines = sorted({timings[name]["machine"] for name in LESSONS if name in timings})
    rates = ", ".join(f"{m:g} min for each {NAMES[kind][0]}" for kind, m in MINUTES.items())
    lines = [f"Worked out from what is measured, each section's words, figures and tables, prompts and running time: "
             f"its prose read at {WORDS_PER_MINUTE} words a minute, {SHOWN_MINUTES:g} min for each figure or table of "
             f"results, {rates} (an exercise that writes a function or a loop), and the "
             f"running time of its cells in real mode, measured on {'; '.join(machines) or 'no machine yet'}. The "
             f"rates are assumptions, not times measured in a class.", ""]
    for name in LESSONS:
        lines += table(name, timings)
    return lines


# The 90-minute lab through lessons 00-03: what students read before it (lesson 00's statement), then per lesson the
# sections done in class (by number; "intro": the text before the first), its core exercises (questions, code to
# write) and what is left as homework; a two-minute debrief closes each lesson.
BEFORE_LAB = ("00_the_theorem", ("intro", "1", "2"))
SETUP_MINUTES = 5  # start JupyterLab, open lesson 00, run its first cell; pairs sit down
LAB = (("00_the_theorem", ("3",), (1, 0), "Exercise 1 (a) and (b), the mask and m ⊙ θ0 by hand",
        "§4 (the reset to θ0 on the toy; 03 tests it on LeNet), §5 (the per-round rate and the loop), Exercise 2; "
        "To think about; §7", "3"),
       ("01_one_shot_mnist", ("intro", "1", "2", "3", "4"), (0, 1), "Exercise 3 (`winning_ticket`)",
        "§5, §6, Exercises 1-2", None),
       ("03_random_reinit_controls", ("intro", "1", "2"), (1, 0), "Exercise 3 (the two gaps)",
        "§3-4, Exercises 1-2; To think about", None))  # last: the section holding the core exercise (None: after all)
DEBRIEF_MINUTES = 2
HOMEWORK = "Iterative pruning is homework, 00 §5 then lesson 02: the lecture's panel 2 shows its 18 rounds."
LATE_ALLOWANCE = 5  # minutes behind the plan at which a lesson's core exercise becomes homework


def _chosen(name: str, chosen: tuple[str, ...]) -> list[Section]:
    notebook = json.loads((project_root() / "notebooks" / f"{name}.ipynb").read_text())
    found = [s for s in sections(notebook) if (s.title if s.title == "intro" else s.title.split(".")[0]) in chosen]
    if len(found) != len(chosen):
        raise LookupError(f"{name}: the lab's sections {chosen} are not all in the lesson.")
    return found


def _reading(done: list[Section], run: dict[str, float]) -> float:
    """Minutes to read and run `done`, predictions included (exercises apart)."""
    return sum(s.minutes(run.get(s.title, 0), prompts=("predict",)) for s in done)


def _short(section: Section) -> str:
    return section.title if section.title == "intro" else "§" + section.title.split(".")[0]


def lab_block(timings: dict | None = None) -> list[str]:
    """The lab's plan: each lesson's sections in class, read and run, with its core exercises, in minutes from the
    start, at the rates of `guide_block`."""
    timings = json.loads(TIMINGS.read_text()) if timings is None else timings
    name, chosen = BEFORE_LAB
    before = _chosen(name, chosen)
    lines = [f"Before the lab, at home: {name[:2]} {', '.join(map(_short, before))} (about "
             f"{_reading(before, timings.get(name, {}).get('seconds', {})):.0f} minutes).", "",
             "| minutes | lesson, sections in class | core exercises | homework |", "|---:|---|---|---|"]
    lines.append(f"| 0-{SETUP_MINUTES} | setting up: JupyterLab, lesson 00's first cell, pairs | — | — |")
    clock, late = float(SETUP_MINUTES), []
    for name, chosen, (questions, coding), core, homework, core_in in LAB:
        done = _chosen(name, chosen)
        seconds = timings.get(name, {}).get("seconds", {})
        reading = _reading(done, seconds)
        up_to_core = done if core_in is None else done[:[_short(s) for s in done].index(f"§{core_in}") + 1]
        minutes = reading + MINUTES["exercise"] * questions + MINUTES["coding"] * coding + DEBRIEF_MINUTES
        lines.append(f"| {clock:.0f}-{clock + minutes:.0f} | {name[:2]}: {', '.join(map(_short, done))} | {core} | "
                     f"{homework} |")
        late.append(f"not at {name[:2]}'s core exercise by minute "
                    f"{clock + _reading(up_to_core, seconds) + LATE_ALLOWANCE:.0f}, it becomes homework")
        clock += minutes
    return lines + ["", f"In class about {clock:.0f} minutes, debriefs included, at the rates of the section times "
                        f"below, which leaves {90 - clock:.0f} of 90 minutes for what runs long. {HOMEWORK}", "",
                    f"**If the lab runs late**, decide by the clock ({LATE_ALLOWANCE} minutes behind the plan): "
                    + "; ".join(late) + " (its debrief still asks the question)."]
