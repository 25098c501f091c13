"""Classroom widgets. Move a slider to see the lottery-ticket experiment at that position, answered from the cache.

Each builder returns a small dataclass of its parts (`ui`, the controls, a `status` line, the plot Output). So a
test can set `slider.value` and read what changed, with no browser. Figures are rendered to PNG and put into the
Output with `append_display_data`. That is the kernel's own state, the same in JupyterLab, Voila, nbval and plain
pytest. A `with out: display(fig)` block, by contrast, is captured only by a frontend and leaks into the cell under
nbval. The drawing itself is done by the `*_panel` functions of `plots`, which take results and return a Figure. This
module is the glue. In real mode the results bundled with the project answer at once, over all their complete seeds
(mean and min-max band). A slider position that is neither cached nor bundled trains right away, with its tqdm bars
shown inside the widget. That takes minutes in real mode, so warm the cache before class with
`python -m lottery_utils precompute`. Every builder takes `settings` (fast mode, the folders) from the notebook's first
cell, and nothing here reads the environment.
The CSS classes for browser tests are "prune-slider", "prune-remaining", "prune-status", "prune-plot", "prune-progress".
"""
from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import matplotlib
from IPython.display import Image
from matplotlib.figure import Figure
from tqdm.notebook import tqdm as notebook_tqdm

from . import experiments, plots, tables
from .config import TrainingSetup, validate_controls
from .lessons import (DEMO_RATE, ITERATIVE_RATES, LABELS, ONE_SHOT_GRID, PAPER_RATE, default_rounds, max_rounds,
                      find_result, slider_rates)
from .models import get_preset
from .results import ALL_CONTROLS, CONTROLS, Result
from .summaries import summarize, unique_networks
from .settings import Settings
from .store import Store

DPI = 100  # legible when projected in a lecture hall


@dataclass(kw_only=True)
class Explorer:
    """What every explorer shares: its layout, status line, plot, progress area and timings for tests."""

    ui: widgets.Box
    status: widgets.HTML  # plain text in an HTML widget, which wraps long lines where a Label cuts them off
    out: widgets.Output
    progress: widgets.Box  # shows tqdm bars while a missing position trains
    results: list[Result] = field(default_factory=list)  # the selected position's results
    draws: int = 0
    trainings: int = 0  # how many updates had to train something
    last_from_cache: bool = True
    last_seconds: float = 0.0  # time to find the selected position's results, by a cache lookup or by training
    last_draw_seconds: float = 0.0  # time to draw the figure and put its PNG into `out`
    # Rendering takes a few hundred ms, so each picture is drawn once. Moving back to a position is then instant.
    pictures: dict[tuple, bytes] = field(default_factory=dict)  # PNG per position shown

    def _repr_mimebundle_(self, **kwargs) -> dict:
        """A bare `explorer` at the end of a cell shows the UI where there is a kernel (JupyterLab, Voila). In a page
        without a kernel (a repository's notebook view, a static export) it shows the picture it starts with."""
        bundle = self.ui._repr_mimebundle_(**kwargs)
        if self.out.outputs:
            bundle["image/png"] = self.out.outputs[-1]["data"]["image/png"]
        return bundle


@dataclass(kw_only=True)
class OneShotExplorer(Explorer):
    """A pruning-rate slider over one-shot experiments. `computed` maps each rate seen to its results."""

    slider: widgets.SelectionSlider
    remaining: widgets.Label
    computed: dict[float, list[Result]] = field(default_factory=dict)
    ticket: Result | None = None  # the selected ticket (e.g. for plots.plot_first_layer_mask)


@dataclass(kw_only=True)
class IterativeExplorer(Explorer):
    """A rounds slider and a per-round-rate dropdown over iterative pruning."""

    rounds: widgets.IntSlider
    rate: widgets.Dropdown
    compare: widgets.Checkbox  # adds one-shot tickets pruned to the same sparsities
    remaining: widgets.Label
    one_shot_results: list[Result] = field(default_factory=list)


# --- building blocks ---------------------------------------------------------------------------------------------

def _percent(fraction: float) -> str:
    """A fraction pruned (0.832) as the sliders and status lines print it ("83.2 %")."""
    return f"{100 * fraction:.3g} %"


def _nearest(options: Sequence[float], value: float) -> float:
    return min(options, key=lambda option: abs(option - value))


def _status_area() -> tuple[widgets.HTML, widgets.Output, widgets.Box]:
    status = widgets.HTML()
    out = widgets.Output(layout={"min_height": "330px"})
    progress = widgets.VBox()
    for part, css in ((status, "prune-status"), (out, "prune-plot"), (progress, "prune-progress")):
        part.add_class(css)
    return status, out, progress


def _png(draw: Callable[..., Figure], *args, **kwargs) -> bytes:
    """`draw(*args, **kwargs)` as a PNG. Its text is a size larger than matplotlib's default, to be legible when
    projected."""
    with matplotlib.rc_context({"font.size": 12}):
        fig = draw(*args, **kwargs)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")  # so that no title or colour-bar label is cut off
    return buffer.getvalue()


def _show(out: widgets.Output, png: bytes) -> None:
    """Replace the Output's content by one PNG, in one message (no blank flicker)."""
    with out.hold_sync():
        out.outputs = ()
        out.append_display_data(Image(data=png, format="png"))


def _accuracy(results: list[Result], kind: str) -> str:
    """The accuracy as text, such as "98.12 % (early stop at 3,100)" for one seed. For several seeds it gives the
    mean, then [min–max] over the seeds."""
    last = max(r.round for r in results if r.kind == kind)
    row = summarize(r for r in results if r.kind == kind and r.round == last)[0]
    return (f"{row.early_stop_test_accuracy.text(percent=True)} % (early stop at "
            f"{row.early_stop_iteration.text(percent=False)})")


def _seeds_note(results: list[Result]) -> str:
    seeds = len({r.seed for r in results})
    return f"; mean [min–max] of {seeds} seeds" if seeds > 1 else ""


@contextmanager
def _bars_into(box: widgets.Box):
    """A tqdm class whose bars show as widgets inside `box`, to pass as the library's `progress` while training.

    tqdm.notebook's bar calls display(). A frontend would put that bar under the cell, and nbval cannot route it into
    an Output. This bar is built with display=False and added to `box` instead. The box is emptied afterwards.
    """
    class Bar(notebook_tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "display": False})
            if not self.disable:
                box.children = (*box.children, self.container)

        def close(self):
            if not self.disable:
                box.children = tuple(c for c in box.children if c is not self.container)
            super().close()

    try:
        yield Bar
    finally:
        box.children = ()


def _training_message(what: str, missing: int, setup: TrainingSetup, store: Store) -> str:
    if setup.fast:
        return (f"{what} is not in the cache yet: training {missing} network{'s' * (missing > 1)} now (fast mode: "
                f"a few seconds)…")
    return (f"{what} is not in the cache yet: {experiments.training_note(missing, setup, store)} Before class, run "
            f"`python -m lottery_utils precompute` to have every slider position ready.")


def _fetch(explorer: Explorer, compute: Callable[[Any], list[Result]], missing: int,
           note: Callable[[], str]) -> list[Result]:
    """Run `compute(progress)`. When nothing is missing, it answers from the cache. Otherwise it first shows `note()`,
    which says what trains and for how long, and then trains with bars in the widget."""
    start = time.perf_counter()
    explorer.last_from_cache = missing == 0
    if missing:
        explorer.trainings += 1
        explorer.status.value = note()
        with _bars_into(explorer.progress) as bars:
            results = compute(bars)
    else:
        results = compute(False)
    explorer.last_seconds = time.perf_counter() - start
    return results


def _source(explorer: Explorer) -> str:
    if not explorer.last_from_cache:
        return f"trained now in {explorer.last_seconds:.0f} s"
    bundled = sum(r.bundled for r in explorer.results)  # shipped with the project; the rest were trained here
    if bundled == len(explorer.results):
        return "trained in advance"
    return "trained earlier on this machine" + (" and in advance" if bundled else "")


# --- one-shot pruning (notebook 01) and its controls (notebook 03) -----------------------------------------------

@dataclass(frozen=True)
class _Context:
    """Where an explorer's networks come from and how they train. It is passed to every experiment the explorer
    runs."""

    model: str
    seeds: tuple[int, ...]
    settings: Settings
    store: Store
    setup: TrainingSetup
    rewind_iteration: int = 0

    @classmethod
    def of(cls, model, seeds, settings, store, setup, rewind_iteration=0) -> "_Context":
        settings, store, setup = experiments.with_defaults(model, settings, store, setup)
        return cls(model, tuple(settings.seeds(model) if seeds is None else seeds), settings, store, setup,
                   rewind_iteration)

    def count_to_train(self, runs, controls=()) -> int:
        return experiments.count_to_train(self.model, runs, self.seeds, controls=controls, store=self.store,
                                          rewind_iteration=self.rewind_iteration, settings=self.settings,
                                          setup=self.setup)

    def run(self, rounds: int, rate: float | None, controls, progress) -> list[Result]:
        return experiments.iterative(self.model, rounds, rate, self.seeds, controls=controls, progress=progress,
                                     store=self.store, rewind_iteration=self.rewind_iteration,
                                     settings=self.settings, setup=self.setup)


def one_shot_explorer(model: str = "lenet", rates: Sequence[float] | None = None, rate: float = DEMO_RATE,
                      seeds: Sequence[int] | None = None, *, controls: Iterable[str] = (), store: Store | None = None,
                      settings: Settings, setup: TrainingSetup | None = None) -> OneShotExplorer:
    """Prune once by the slider's rate. Show accuracy vs weights remaining, the ticket's training curve and its mask.

    The slider's grid is `rates`, the fraction of fc weights pruned (default lessons.ONE_SHOT_GRID). The output layer
    is pruned at half that rate. `rate` picks the grid point shown first. `seeds` defaults to settings.seeds(), which
    in real mode is all the bundled ones. `settings`, `store` and `setup` are as in experiments.iterative.
    """
    return _one_shot_ui(_Context.of(model, seeds, settings, store, setup), rates, rate, validate_controls(controls),
                        plots.one_shot_panel)


def controls_explorer(model: str = "lenet", rates: Sequence[float] | None = None, rate: float = DEMO_RATE,
                      seeds: Sequence[int] | None = None, *, controls: Iterable[str] = CONTROLS,
                      store: Store | None = None, rewind_iteration: int = 0, settings: Settings,
                      setup: TrainingSetup | None = None) -> OneShotExplorer:
    """The paper's controls at the slider's sparsity. The winning ticket is compared with the same mask randomly
    reinitialized and with a random mask of the same size on θ0. Accuracy vs weights remaining is shown for all three.

    `controls` defaults to the paper's two (lessons.CONTROLS). It may add "reinit_signs", Zhou et al.'s
    sign-preserving reinitialization, e.g. with controls=lessons.ALL_CONTROLS. `rewind_iteration=k` resets the
    tickets to θk."""
    context = _Context.of(model, seeds, settings, store, setup, rewind_iteration)
    return _one_shot_ui(context, rates, rate, validate_controls(controls), plots.controls_panel)


def _one_shot_ui(context: _Context, rates, rate, controls, draw) -> OneShotExplorer:
    rates = tuple(ONE_SHOT_GRID if rates is None else rates)
    slider = widgets.SelectionSlider(options=[(_percent(a), a) for a in rates], value=_nearest(rates, rate),
                                     description="pruned", continuous_update=False,
                                     layout={"width": "420px"}, style={"description_width": "60px"})
    remaining = widgets.Label()
    slider.add_class("prune-slider")
    remaining.add_class("prune-remaining")
    status, out, progress = _status_area()
    ui = widgets.VBox([widgets.HBox([slider, remaining]), progress, status, out])
    explorer = OneShotExplorer(ui=ui, status=status, out=out, progress=progress, slider=slider, remaining=remaining)

    def compute(a: float, progress_) -> list[Result]:
        return context.run(1, a, controls, progress_)

    def collect_cached() -> None:
        """Collect every grid point already in the cache, including those another process trained meanwhile."""
        for a in rates:
            if a not in explorer.computed and not context.count_to_train([(1, a)], controls):
                explorer.computed[a] = compute(a, False)

    def update(change=None) -> None:
        a = slider.value
        missing = context.count_to_train([(1, a)], controls)
        results = _fetch(explorer, lambda progress_: compute(a, progress_), missing,
                         lambda: _training_message(f"Pruning {_percent(a)}", missing, context.setup, context.store))
        explorer.computed[a] = explorer.results = results
        collect_cached()
        start = time.perf_counter()
        explorer.ticket = ticket = find_result(results, "ticket")
        picture = (a, tuple(sorted(explorer.computed)))  # the grid drawn grows as rates get computed
        if picture not in explorer.pictures:
            grid = unique_networks(r for a_ in sorted(explorer.computed) for r in explorer.computed[a_])
            explorer.pictures[picture] = _png(draw, results, grid)
        _show(out, explorer.pictures[picture])
        explorer.last_draw_seconds = time.perf_counter() - start
        remaining.value = f"{100 * ticket.remaining:.1f} % of the weights remain"
        explorer.draws += 1
        status.value = _one_shot_status(a, results, _source(explorer))

    slider.observe(update, names="value")
    update()
    return explorer


def _one_shot_status(rate: float, results: list[Result], source: str) -> str:
    """Test accuracy at the early-stopping iteration of each kind at the slider's sparsity."""
    ticket = find_result(results, "ticket")
    others = [f"{role} {_percent(amount)}" for role, amount in get_preset(ticket.model).amounts(rate).by_role.items()
              if not math.isclose(amount, rate)]  # e.g. LeNet's output layer, pruned at half the rate
    parts = [f"{_percent(rate)} pruned{' (' + ', '.join(others) + ')' if others else ''}, "
             f"{100 * ticket.remaining:.1f} % of all weights remain, test accuracy at early stop:"]
    for kind in ("ticket", *ALL_CONTROLS, "dense"):
        if any(r.kind == kind for r in results):
            parts.append(f"{LABELS[kind]} {_accuracy(results, kind)}")
    signs = next((p for p in tables.paired(results, against="reinit") if p is not None and p.kind == "reinit_signs"),
                 None)
    signs_note = (f";<br>random reinit with the signs kept "
                  f"{tables.paired_text(signs, 'plain random reinit of its seed')} seeds"
                  if signs is not None and signs.n_seeds > 1 else "")
    return (f"{parts[0]}<br>{',<br>'.join(parts[1:])}{_seeds_note(results)}{_seed_by_seed(results)}{signs_note}; "
            f"{source}.")


def _seed_by_seed(results: list[Result], at_round: int = 1) -> str:
    """The note "; the ticket against its own seed's dense network: ..." for the ticket of `at_round`. It is empty
    unless there are several seeds."""
    pair = next((p for row, p in zip(summarize(results), tables.paired(results))
                 if p is not None and p.kind == "ticket" and row.round == at_round), None)
    return f";<br>the ticket {tables.paired_text(pair)} seeds" if pair is not None and pair.n_seeds > 1 else ""


# --- iterative pruning (notebook 02) -----------------------------------------------------------------------------

def iterative_explorer(model: str = "lenet", rounds: int | None = None, rates: Sequence[float] = ITERATIVE_RATES,
                       rate: float = PAPER_RATE, seeds: Sequence[int] | None = None, *,
                       controls: Iterable[str] = (), store: Store | None = None, compare_one_shot: bool = False,
                       show_compare: bool = True, start: int | None = None, settings: Settings,
                       setup: TrainingSetup | None = None,
                       fit_accuracy_to: Sequence[str] | None = None) -> IterativeExplorer:
    """Iterative pruning round by round. It shows accuracy and early-stop iteration vs weights remaining, with one
    round marked.

    `rounds` is the most rounds at 20 % (default lessons.default_rounds). A bigger `rate` gets as many rounds as reach
    about the same sparsity. `compare_one_shot` is the first state of the checkbox, which adds one-shot tickets as
    sparse. `show_compare=False` hides the checkbox, for where those tickets are not bundled. `controls` train beside
    every ticket (the paper's Figure 4). `start` is the round shown first (default the last). `fit_accuracy_to` is as
    in `plots.pruning_panel`.
    """
    context, controls = _Context.of(model, seeds, settings, store, setup), validate_controls(controls)
    rounds = default_rounds(context.settings.fast) if rounds is None else rounds
    labels = [f"{_percent(r)} per round" + (" (the paper's)" if r == PAPER_RATE else "") for r in rates]
    rate_choice = widgets.Dropdown(options=list(zip(labels, rates)), value=_nearest(rates, rate), description="rate",
                                   style={"description_width": "40px"}, layout={"width": "240px"})
    start_rounds = max_rounds(rate_choice.value, rounds)
    round_slider = widgets.IntSlider(value=min(start or start_rounds, start_rounds), min=1, max=start_rounds,
                                     description="rounds",
                                     continuous_update=False, style={"description_width": "60px"})
    if len(rates) == 1:  # nothing to choose
        rate_choice.layout.display = "none"
    compare = widgets.Checkbox(value=compare_one_shot, description="compare with one-shot pruning", indent=False)
    if not show_compare:
        compare.layout.display = "none"
    remaining = widgets.Label()
    for part, css in ((round_slider, "prune-slider"), (rate_choice, "prune-rate"), (compare, "prune-compare"),
                      (remaining, "prune-remaining")):
        part.add_class(css)
    status, out, progress = _status_area()
    ui = widgets.VBox([widgets.HBox([rate_choice, round_slider, remaining]), compare, progress, status, out])
    explorer = IterativeExplorer(ui=ui, status=status, out=out, progress=progress, rounds=round_slider,
                                 rate=rate_choice, compare=compare, remaining=remaining)
    busy = False  # True while the rate handler moves the slider, so one change draws once

    def update(change=None) -> None:
        if busy:
            return
        r, per_round = round_slider.value, rate_choice.value
        one_step = list(slider_rates(per_round, r)) if compare.value else []
        missing = (context.count_to_train([(r, per_round)], controls)
                   + context.count_to_train([(1, a) for a in one_step]))

        def compute(progress_) -> list[Result]:
            results = context.run(r, per_round, controls, progress_)
            explorer.one_shot_results = [t for a in one_step for t in context.run(1, a, (), progress_)
                                         if t.kind == "ticket"]
            return results

        what = f"{r} round{'s' * (r > 1)} at {_percent(per_round)}"
        explorer.results = _fetch(explorer, compute, missing,
                                  lambda: _training_message(what, missing, context.setup, context.store))
        start = time.perf_counter()
        picture = (r, per_round, tuple(one_step))
        if picture not in explorer.pictures:
            top = round_slider.max  # axes fit every round where all are stored, so they stay put as rounds move
            every_round = (context.run(top, per_round, controls, False)
                           if not context.count_to_train([(top, per_round)], controls) else ())
            explorer.pictures[picture] = _png(plots.pruning_panel, explorer.results, explorer.one_shot_results,
                                              current=find_result(explorer.results, "ticket"), axes_for=every_round,
                                              what=what, fit_accuracy_to=fit_accuracy_to)
        _show(out, explorer.pictures[picture])
        explorer.last_draw_seconds = time.perf_counter() - start
        last = find_result(explorer.results, "ticket")
        remaining.value = f"{100 * last.remaining:.1f} % of the weights remain"
        explorer.draws += 1
        kinds = ("ticket", *controls, "dense")
        status.value = (f"{r} round{'s' * (r > 1)} pruning {_percent(per_round)} of the survivors each: "
                        f"{100 * last.remaining:.1f} % remain; test accuracy at early stop:<br>"
                        + ",<br>".join(f"{LABELS[kind]} {_accuracy(explorer.results, kind)}" for kind in kinds)
                        + f"{_seeds_note(explorer.results)}{_seed_by_seed(explorer.results, last.round)}; "
                        f"{_source(explorer)}.")

    def new_rate(change) -> None:
        nonlocal busy
        busy = True
        try:
            top = max_rounds(rate_choice.value, rounds)
            round_slider.max = max(top, round_slider.min)
            round_slider.value = min(round_slider.value, top)
        finally:
            busy = False
        update()

    round_slider.observe(update, names="value")
    compare.observe(update, names="value")
    rate_choice.observe(new_rate, names="value")
    update()
    return explorer
