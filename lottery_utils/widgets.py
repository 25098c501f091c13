"""Classroom widgets: move a slider, see the lottery-ticket experiment for that setting, answered from the cache.

Each builder returns a small dataclass of its parts (`ui`, the controls, a `status` Label, the plot Output) so a
test can set `slider.value` and read what changed, with no browser. Figures are rendered to PNG and put into the
Output with `append_display_data`: that is the kernel's own state, the same in JupyterLab, Voila, nbval and plain
pytest (a `with out: display(fig)` block is captured only by a frontend, and leaks into the cell under nbval).
The drawing itself is plots' `*_panel` functions (results in, Figure out); this module is the glue. In real mode the
results bundled with the project answer at once, over all their complete seeds (mean and min-max band). A setting
that is neither cached nor bundled trains right away, with its tqdm bars shown inside the widget (minutes in real
mode: warm the cache before class with `precompute()` or `python -m lottery_utils precompute`).
CSS classes for browser tests: "prune-slider", "prune-remaining", "prune-status", "prune-plot", "prune-progress".
"""
from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import ipywidgets as widgets
from IPython.display import Image, display
from matplotlib.figure import Figure
from tqdm.notebook import tqdm as notebook_tqdm

from . import experiments, plots
from .cache import Cache
from .experiments import ALL_CONTROLS, CONTROLS, SLIDER_AMOUNTS, fast_mode, round_rates
from .models import PRESETS
from .results import Result, pick, summarize, unique_networks

PAPER_RATE = PRESETS["lenet"].paper_rate  # LeNet's fc layers lose 20 % of their survivors per round
ITERATIVE_RATES = (PAPER_RATE, 0.5)  # per-round rates of notebook 02's dropdown: the paper's, and bigger steps
DEMO_AMOUNT = 0.8  # notebook 01 walks through one-shot pruning of 80 % by hand, as the slides do
# The one-shot sliders' positions: the sparsities of 1..14 iterative rounds, and the slides' 80 %, where they start
ONE_SHOT_GRID = tuple(sorted({DEMO_AMOUNT, *SLIDER_AMOUNTS}))
# Notebook 05's real-mode settings (bundled): the sign experiment at every other one-shot position, rewinding to
# iteration k at every third (about 80, 41, 21, 13.5 and 7 % of the weights remaining)
SIGN_AMOUNTS = ONE_SHOT_GRID[::2]
REWIND_AMOUNTS = ONE_SHOT_GRID[::3]
REWINDS = (0, 100, 500, 2_000)
NOTEBOOKS = ("01", "02", "03", "05")
DPI = 80


class WhySettings(NamedTuple):
    """Notebook 05's grids: the supermask sweep (section 1), the sign experiment (3), rewinding (4)."""

    supermask_amounts: tuple[float, ...]
    sign_amounts: tuple[float, ...]
    rewind_amounts: tuple[float, ...]
    rewinds: tuple[int, ...]


def why_settings() -> WhySettings:
    """Notebook 05's settings: the bundled ones in real mode; in fast mode fewer points, and k within its 300
    iterations."""
    if fast_mode():
        return WhySettings(ONE_SHOT_GRID[::3], SIGN_AMOUNTS[::3], REWIND_AMOUNTS[::2], (0, 50, 100, 200))
    return WhySettings(ONE_SHOT_GRID, SIGN_AMOUNTS, REWIND_AMOUNTS, REWINDS)


def default_rounds() -> int:
    """Iterative rounds the notebooks show: 5 in fast mode (seconds), else 14 (fc layers down to 0.8^14 = 4.4 %),
    as many as the one-shot slider has positions."""
    return 5 if fast_mode() else len(SLIDER_AMOUNTS)


@dataclass(kw_only=True)
class Explorer:
    """What every explorer shares: its layout, status line, plot, progress area and timings for tests."""

    ui: widgets.Box
    status: widgets.HTML  # plain text; an HTML widget wraps long lines where a Label cuts them off
    out: widgets.Output
    progress: widgets.Box  # tqdm bars while a missing setting trains
    records: list[Result] = field(default_factory=list)  # the selected setting's results
    draws: int = 0
    trainings: int = 0  # how many updates had to train something
    last_from_cache: bool = True
    last_seconds: float = 0.0  # finding the selected setting's results: a cache lookup, or training
    last_draw_seconds: float = 0.0  # drawing the figure and putting its PNG into `out`
    # Rendering takes a few hundred ms, so each picture is drawn once: moving back to a setting is instant.
    pictures: dict[tuple, bytes] = field(default_factory=dict)  # PNG per setting shown

    def _ipython_display_(self):  # a bare `explorer` at the end of a cell shows the UI
        display(self.ui)


@dataclass(kw_only=True)
class OneShotExplorer(Explorer):
    """A prune-amount slider over one-shot experiments; `computed` maps each amount seen to its records."""

    slider: widgets.SelectionSlider
    remaining: widgets.Label
    computed: dict[float, list[Result]] = field(default_factory=dict)
    ticket: Result | None = None  # the selected ticket (e.g. for plots.plot_first_layer_mask)


@dataclass(kw_only=True)
class IterativeExplorer(Explorer):
    """A rounds slider and a per-round-rate dropdown over iterative pruning."""

    rounds: widgets.IntSlider
    rate: widgets.Dropdown
    compare: widgets.Checkbox  # add one-shot tickets pruned to the same sparsities
    remaining: widgets.Label
    one_shot_records: list[Result] = field(default_factory=list)


# --- building blocks ---------------------------------------------------------------------------------------------

def _percent(amount: float) -> str:
    return f"{100 * amount:.3g} %"


def _nearest(options: Sequence[float], value: float) -> float:
    return min(options, key=lambda option: abs(option - value))


def _status_area() -> tuple[widgets.HTML, widgets.Output, widgets.Box]:
    status = widgets.HTML()
    out = widgets.Output(layout={"min_height": "330px"})
    progress = widgets.VBox()
    for part, css in ((status, "prune-status"), (out, "prune-plot"), (progress, "prune-progress")):
        part.add_class(css)
    return status, out, progress


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _show(out: widgets.Output, png: bytes) -> None:
    """Replace the Output's content by one PNG, in one message (no blank flicker)."""
    with out.hold_sync():
        out.outputs = ()
        out.append_display_data(Image(data=png, format="png"))


def default_seeds(model: str = "lenet", cache: Cache | None = None, part: str = "lessons") -> tuple[int, ...]:
    """The seeds the explorers show: in real mode those of the bundled results (answered at once; `part="why"`:
    notebook 05's sign and rewinding networks), else seed 0."""
    cache = cache or Cache()
    bundled = cache.bundle.seeds(model, part) if cache.bundle is not None and not fast_mode() else ()
    return bundled or (0,)


def _accuracy(records: list[Result], kind: str) -> str:
    """"98.12 % (early stop at 3,100)" for one seed; the mean, then [min–max] over the seeds, for several."""
    last = max(r.round for r in records if r.kind == kind)
    row = summarize(r for r in records if r.kind == kind and r.round == last)[0]
    return f"{row.early_stop_test_accuracy.text(percent=True)} % (early stop at {row.early_stop_iteration.text()})"


def _seeds_note(records: list[Result]) -> str:
    seeds = len({r.seed for r in records})
    return f"; mean [min–max] of {seeds} seeds" if seeds > 1 else ""


@contextmanager
def _bars_into(box: widgets.Box):
    """A tqdm class whose bars show as widgets inside `box`, to pass as the library's `progress` while training.

    tqdm.notebook's bar calls display(): a frontend would put it under the cell, and nbval cannot route it into an
    Output. This one is built with display=False and added to `box` instead; the box is emptied afterwards.
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


def _training_message(what: str, missing: int, model: str, cache: Cache, setup: dict[str, Any]) -> str:
    if fast_mode():
        return (f"{what} is not in the cache yet: training {missing} network{'s' * (missing > 1)} now (fast mode: "
                f"a few seconds)…")
    return (f"{what} is not in the cache yet: {experiments.training_note(model, missing, cache, **setup)} Before "
            f"class, run `python -m lottery_utils precompute` (or widgets.precompute()) to have every setting ready.")


def _fetch(explorer: Explorer, compute: Callable[[Any], list[Result]], missing: int,
           note: Callable[[], str]) -> list[Result]:
    """Run `compute(progress)`: from the cache when nothing is missing, else training with bars in the widget after
    saying (`note()`) what trains and for how long."""
    start = time.perf_counter()
    explorer.last_from_cache = missing == 0
    if missing:
        explorer.trainings += 1
        explorer.status.value = note()
        with _bars_into(explorer.progress) as bars:
            records = compute(bars)
    else:
        records = compute(False)
    explorer.last_seconds = time.perf_counter() - start
    return records


def _source(explorer: Explorer) -> str:
    if not explorer.last_from_cache:
        return f"trained now in {explorer.last_seconds:.0f} s"
    bundled = sum(r.bundled for r in explorer.records)
    if bundled == len(explorer.records):
        return "from the bundled results"
    return "from the cache" + (" and the bundled results" if bundled else "")


# --- one-shot pruning (notebook 01) and its controls (notebook 03) -----------------------------------------------

def one_shot_explorer(model: str = "lenet", amounts: Sequence[float] | None = None, amount: float = DEMO_AMOUNT,
                      seeds: Sequence[int] | None = None, controls: Iterable[str] = (), cache: Cache | None = None,
                      **setup) -> OneShotExplorer:
    """Prune once by the slider's amount: accuracy vs weights remaining, the ticket's training curve, its mask.

    The slider's grid is `amounts` (default ONE_SHOT_GRID, the fraction of fc weights pruned; the
    output layer at half that rate); `amount` picks the grid point shown first. `setup` (iterations=..., ...) goes
    to experiments.Setup.for_model. `seeds` default: default_seeds (in real mode, all the bundled ones).
    """
    return _one_shot_ui(model, amounts, amount, seeds, tuple(controls), cache, setup, plots.one_shot_panel)


def controls_explorer(model: str = "lenet", amounts: Sequence[float] | None = None, amount: float = DEMO_AMOUNT,
                      seeds: Sequence[int] | None = None, cache: Cache | None = None, *,
                      controls: Iterable[str] = CONTROLS, **setup) -> OneShotExplorer:
    """The paper's controls at the slider's sparsity: winning ticket vs the same mask randomly reinitialized vs a
    random mask of the same size on theta_0, and accuracy vs weights remaining for all three.

    `controls` (default the paper's two, experiments.CONTROLS) may add "reinit_signs", Zhou et al.'s sign-preserving
    reinitialization: e.g. controls=experiments.ALL_CONTROLS. `setup` may hold rewind_iteration=k (tickets reset to
    theta_k), as experiments.one_shot takes it."""
    return _one_shot_ui(model, amounts, amount, seeds, experiments.check_controls(controls), cache, setup,
                        plots.controls_panel)


def _one_shot_ui(model, amounts, amount, seeds, controls, cache, setup, draw) -> OneShotExplorer:
    amounts = tuple(ONE_SHOT_GRID if amounts is None else amounts)
    cache = cache or Cache()
    seeds = tuple(default_seeds(model, cache) if seeds is None else seeds)
    slider = widgets.SelectionSlider(options=[(_percent(a), a) for a in amounts], value=_nearest(amounts, amount),
                                     description="pruned", continuous_update=False,
                                     layout={"width": "420px"}, style={"description_width": "60px"})
    remaining = widgets.Label()
    slider.add_class("prune-slider")
    remaining.add_class("prune-remaining")
    status, out, progress = _status_area()
    ui = widgets.VBox([widgets.HBox([slider, remaining]), progress, status, out])
    explorer = OneShotExplorer(ui=ui, status=status, out=out, progress=progress, slider=slider, remaining=remaining)

    def compute(a: float, progress_) -> list[Result]:
        return experiments.one_shot(model, a, seeds, controls, progress_, cache, **setup)

    def collect_cached() -> None:
        """Every grid point already in the cache (also those another process trained meanwhile)."""
        for a in amounts:
            if a not in explorer.computed and \
                    not experiments.to_train(model, [(1, a)], seeds, controls, cache, **setup):
                explorer.computed[a] = compute(a, False)

    def update(change=None) -> None:
        a = slider.value
        missing = experiments.to_train(model, [(1, a)], seeds, controls, cache, **setup)
        records = _fetch(explorer, lambda progress_: compute(a, progress_), missing,
                         lambda: _training_message(f"Pruning {_percent(a)}", missing, model, cache, setup))
        explorer.computed[a] = explorer.records = records
        collect_cached()
        start = time.perf_counter()
        explorer.ticket = ticket = pick(records, "ticket")
        picture = (a, tuple(sorted(explorer.computed)))  # the grid drawn grows as amounts get computed
        if picture not in explorer.pictures:
            grid = unique_networks(r for a_ in sorted(explorer.computed) for r in explorer.computed[a_])
            explorer.pictures[picture] = _png(draw(records, grid))
        _show(out, explorer.pictures[picture])
        explorer.last_draw_seconds = time.perf_counter() - start
        remaining.value = f"{100 * ticket.remaining:.1f} % of the weights remain"
        explorer.draws += 1
        status.value = _one_shot_status(a, records, _source(explorer))

    slider.observe(update, names="value")
    update()
    return explorer


def _one_shot_status(amount: float, records: list[Result], source: str) -> str:
    """Test accuracy at the early-stopping iteration of each kind at the slider's sparsity."""
    ticket = pick(records, "ticket")
    others = [f"{kind} {_percent(rate)}" for kind, rate in round_rates(ticket.model, amount).items()
              if rate != amount]  # e.g. LeNet's output layer, pruned at half the rate
    parts = [f"{_percent(amount)} pruned{' (' + ', '.join(others) + ')' if others else ''}, "
             f"{100 * ticket.remaining:.1f} % of all weights remain, test accuracy at early stop:"]
    for kind in ("ticket", *ALL_CONTROLS, "dense"):
        if any(r.kind == kind for r in records):
            parts.append(f"{plots.LABELS[kind]} {_accuracy(records, kind)}")
    return f"{parts[0]} {', '.join(parts[1:])}{_seeds_note(records)}; {source}."


# --- iterative pruning (notebook 02) -----------------------------------------------------------------------------

def max_rounds(rate: float, rounds: int | None = None) -> int:
    """Rounds at `rate` that reach the sparsity of `rounds` rounds at the paper's rate (LeNet's fc layers: 20 %)."""
    rounds = default_rounds() if rounds is None else rounds
    target = (1 - PAPER_RATE) ** rounds
    return max(1, math.ceil(math.log(target) / math.log(1 - rate) - 1e-9))


def one_shot_amounts(rate: float, rounds: int) -> list[float]:
    """One-shot amounts that prune the fc layers as much as rounds 1..`rounds` of iterative pruning at `rate`."""
    return [round(1 - (1 - rate) ** r, 4) for r in range(1, rounds + 1)]


def iterative_explorer(model: str = "lenet", rounds: int | None = None, rates: Sequence[float] = ITERATIVE_RATES,
                       rate: float = PAPER_RATE, seeds: Sequence[int] | None = None, compare_one_shot: bool = False,
                       cache: Cache | None = None, **setup) -> IterativeExplorer:
    """Iterative pruning round by round: accuracy and early-stop iteration vs weights remaining.

    `rounds` is the most rounds at 20 % per round (default: default_rounds()); a bigger rate gets as many rounds
    as reach about the same sparsity (max_rounds). The checkbox adds one-shot tickets pruned as much in one go.
    """
    rounds = default_rounds() if rounds is None else rounds
    cache = cache or Cache()
    seeds = tuple(default_seeds(model, cache) if seeds is None else seeds)
    labels = [f"{_percent(r)} per round" + (" (the paper's)" if r == PAPER_RATE else "") for r in rates]
    rate_choice = widgets.Dropdown(options=list(zip(labels, rates)), value=_nearest(rates, rate), description="rate",
                                   style={"description_width": "40px"}, layout={"width": "240px"})
    start_rounds = max_rounds(rate_choice.value, rounds)
    round_slider = widgets.IntSlider(value=start_rounds, min=1, max=start_rounds, description="rounds",
                                     continuous_update=False, style={"description_width": "60px"})
    compare = widgets.Checkbox(value=compare_one_shot, description="compare with one-shot pruning", indent=False)
    remaining = widgets.Label()
    for part, css in ((round_slider, "prune-slider"), (rate_choice, "prune-rate"), (compare, "prune-compare"),
                      (remaining, "prune-remaining")):
        part.add_class(css)
    status, out, progress = _status_area()
    ui = widgets.VBox([widgets.HBox([rate_choice, round_slider, remaining]), compare, progress, status, out])
    explorer = IterativeExplorer(ui=ui, status=status, out=out, progress=progress, rounds=round_slider,
                                 rate=rate_choice, compare=compare, remaining=remaining)
    busy = []  # set while the rate handler moves the slider, so one change draws once

    def update(change=None) -> None:
        if busy:
            return
        r, per_round = round_slider.value, rate_choice.value
        amounts = one_shot_amounts(per_round, r) if compare.value else []
        missing = experiments.to_train(model, [(r, per_round)] + [(1, a) for a in amounts], seeds, (), cache, **setup)

        def compute(progress_) -> list[Result]:
            records = experiments.iterative(model, r, per_round, seeds, (), progress_, cache, **setup)
            explorer.one_shot_records = [t for a in amounts for t in experiments.one_shot(
                model, a, seeds, (), progress_, cache, **setup) if t.kind == "ticket"]
            return records

        what = f"{r} round{'s' * (r > 1)} at {_percent(per_round)}"
        explorer.records = _fetch(explorer, compute, missing,
                                  lambda: _training_message(what, missing, model, cache, setup))
        start = time.perf_counter()
        picture = (r, per_round, tuple(amounts))
        if picture not in explorer.pictures:
            explorer.pictures[picture] = _png(plots.iterative_panel(explorer.records, explorer.one_shot_records))
        _show(out, explorer.pictures[picture])
        explorer.last_draw_seconds = time.perf_counter() - start
        last = pick(explorer.records, "ticket")
        remaining.value = f"{100 * last.remaining:.1f} % of the weights remain"
        explorer.draws += 1
        status.value = (f"{r} round{'s' * (r > 1)} pruning {_percent(per_round)} of the survivors each: "
                        f"{100 * last.remaining:.1f} % remain; test accuracy at early stop: winning ticket "
                        f"{_accuracy(explorer.records, 'ticket')}, dense {_accuracy(explorer.records, 'dense')}"
                        f"{_seeds_note(explorer.records)}; {_source(explorer)}.")

    def new_rate(change) -> None:
        busy.append(True)
        try:
            top = max_rounds(rate_choice.value, rounds)
            round_slider.max = max(top, round_slider.min)
            round_slider.value = min(round_slider.value, top)
        finally:
            busy.clear()
        update()

    round_slider.observe(update, names="value")
    compare.observe(update, names="value")
    rate_choice.observe(new_rate, names="value")
    update()
    return explorer


# --- before class ------------------------------------------------------------------------------------------------

def precompute(notebook: str | None = None, model: str = "lenet", seed: int = 0, progress: bool = True,
               cache: Cache | None = None, **setup) -> int:
    """Train (or find in the cache) every network the widgets of a notebook ("01", "02", "03", "05"; default all)
    show, so that in class every slider move answers at once; "05" also the trained weights its section 2 reads
    (seed 0), and the classroom app's signs panel. Returns the number of networks. Uses LOTTERY_FAST and
    LOTTERY_CACHE like the notebooks, so run it in the environment Jupyter will run in."""
    chosen = NOTEBOOKS if notebook is None else (str(notebook)[:2],)
    unknown = [n for n in chosen if n not in NOTEBOOKS]
    if unknown:
        raise ValueError(f"Unknown notebook {notebook!r}: choose one of {', '.join(NOTEBOOKS)} (or None for all).")
    cache, seeds, records = cache or Cache(), (seed,), []
    if "01" in chosen:
        records += experiments.sweep(model, ONE_SHOT_GRID, seeds, (), progress, cache, **setup)
    if "02" in chosen:
        for rate in ITERATIVE_RATES:
            rounds = max_rounds(rate)
            records += experiments.iterative(model, rounds, rate, seeds, (), progress, cache, **setup)
            records += experiments.sweep(model, one_shot_amounts(rate, rounds), seeds, (), progress, cache, **setup)
    if "03" in chosen:
        records += experiments.sweep(model, ONE_SHOT_GRID, seeds, CONTROLS, progress, cache,
                                     **setup)
    if "05" in chosen:
        why = why_settings()
        records += experiments.sweep(model, why.supermask_amounts, seeds, ("random_prune",), progress, cache, **setup)
        weights = Cache(cache.root, use_bundle=False)  # section 2 reads trained weights: the bundle holds none
        records += experiments.one_shot(model, DEMO_AMOUNT, (0,), (), progress, weights, **setup)  # seed 0's
        records += experiments.sweep(model, SIGN_AMOUNTS, seeds, ("reinit", "reinit_signs"), progress, cache,
                                     **setup)  # fast mode: the notebook's grid and the app's signs panel's
        for k in why.rewinds:
            records += experiments.sweep(model, why.rewind_amounts, seeds, (), progress, cache, rewind_iteration=k,
                                         **setup)
    return len(unique_networks(records))
