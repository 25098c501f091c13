"""What each notebook shows, as data. This module holds the sliders' grids and every run behind them, in real and
fast mode. It also holds the names the lessons give the kinds of network (`LABELS`) and the way the tables and figures
look results up.

One list serves everyone that needs it. The widgets take their grids from it, `experiments.precompute` takes what to
train before class, the bundle builder takes what to bundle, and the docs generator takes what to report.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .models import PRESETS
# the notebooks read the controls here, with the runs that use them
from .results import ALL_CONTROLS, CONTROLS, Result
from .summaries import Spread, Summary, by_configuration

LABELS = {"dense": "dense (unpruned)", "ticket": "winning ticket", "reinit": "random reinit",  # the lessons' names
          "reinit_signs": "random reinit, signs kept", "random_prune": "random pruning"}
PAPER_RATE = PRESETS["lenet"].rate  # LeNet's fc layers lose 20 % of their survivors per round
PAPER_ROUNDS = 18  # at 20 % a round they leave 1.9 % of the weights, the sparsest ticket of the paper's Figure 3
DEMO_RATE = 0.8  # notebook 01 walks through one-shot pruning of 80 % by hand, as the slides do
ITERATIVE_RATES = (PAPER_RATE, 0.5)  # the per-round rates of notebook 02's dropdown, the paper's and a bigger step
SIGN_CONTROLS = ("reinit", "reinit_signs")  # notebook 05's plain random reinit, and the same draw keeping θ0's signs


def slider_rates(rate: float = PAPER_RATE, positions: int = 14) -> tuple[float, ...]:
    """One-shot rates that keep as many weights as k iterative rounds at `rate`, for k = 1..positions. They are
    rounded to 4 decimals, because these rates are part of the stored configurations."""
    return tuple(round(1 - (1 - rate) ** k, 4) for k in range(1, positions + 1))


SLIDER_RATES = slider_rates()  # LeNet's fc layers keep 0.8^n, the sparsities of n rounds at the paper's 20 %
ONE_SHOT_GRID = tuple(sorted({DEMO_RATE, *SLIDER_RATES}))  # the one-shot sliders' positions
# Notebook 05 runs the sign experiment at every other one-shot position. It rewinds to iteration k at every third
# position, where about 80, 41, 21, 13.5 and 7 % of the weights remain.
SIGN_RATES = ONE_SHOT_GRID[::2]
REWIND_RATES = ONE_SHOT_GRID[::3]
REWINDS = (0, 100, 500, 2_000)
NOTEBOOKS = ("01", "02", "03", "05")  # the notebooks with widgets (05 also feeds the classroom app's signs panel)
# The bundle's parts. They hold notebooks 01-03 with the app and the paper's figure, then notebook 05, then the
# 18-round sign experiment, and last the trained weights that lessons read.
PARTS = ("lessons", "why", "signs", "weights")


def is_printed_share(remaining: float, share: float) -> bool:
    """Whether `remaining` is the share the paper prints as `share`, such as 0.211 for its "21.1 %".

    The paper's rounds leave shares within 0.05 points of their printed values.
    """
    return abs(remaining - share) < 5e-4


def by_kind_and_remaining(rows: Iterable[Summary]) -> dict[tuple[str, float], Summary]:
    """Summary rows by (kind, `remaining_key`). The tables and figures look one configuration up this way."""
    return {(row.kind, row.remaining_key): row for row in rows}


def find_result(results: Iterable[Result], kind: str, at_round: int | None = None) -> Result:
    """Find one `kind` network among `results`, of round `at_round` and of the lowest seed that has it.

    Without `at_round`, it finds the last round's network (the sparsest of an iterative run). A lookup that finds
    nothing raises LookupError.
    """
    found = [r for r in results if r.kind == kind and (at_round is None or r.round == at_round)]
    if not found:
        raise LookupError(f"No {kind!r} network{'' if at_round is None else f' of round {at_round}'} among the "
                          f"results.")
    return min(found, key=lambda r: (-r.round, r.seed))


def initial_accuracies(results: Iterable[Result]) -> list[tuple[str, float, Spread]]:
    """The test accuracy before training, over the seeds, for each configuration, as (kind, remaining, Spread).

    This is the supermask experiment (Zhou et al. 2019), read off the results' curves. The rows are in
    `summarize`'s order.
    """
    return [(group[0].kind, group[0].remaining, Spread.of([r.initial_test_accuracy for r in group]))
            for group in by_configuration(results)]


def sweep_rates(fast: bool) -> tuple[float, ...]:
    """The one-shot positions a lesson's whole-range figure draws. It draws every slider position, or every third in
    fast mode."""
    return ONE_SHOT_GRID[::3] if fast else ONE_SHOT_GRID


@dataclass(frozen=True)
class Run:
    """One run a notebook shows. It prunes for `rounds` rounds at pruning rate `rate` (see `Preset.rate`), and None
    means the paper's rate. Each round's ticket trains with `controls`, and tickets are reset to θk, where k is
    `rewind_iteration`."""

    rounds: int
    rate: float | None
    controls: tuple[str, ...] = ()
    rewind_iteration: int = 0
    needs_weights: bool = False  # the lesson reads its trained weights (seed 0's, from the bundle's weights part)


def one_shot_runs(rates, controls: tuple[str, ...] = (), rewind_iteration: int = 0) -> list[Run]:
    """One-shot pruning at each of `rates`."""
    return [Run(1, rate, controls, rewind_iteration) for rate in rates]


@dataclass(frozen=True)
class WhyGrids:
    """Notebook 05's grids for the supermask sweep (section 1), the sign experiment (3) and rewinding (4)."""

    supermask_rates: tuple[float, ...]
    sign_rates: tuple[float, ...]
    rewind_rates: tuple[float, ...]
    rewinds: tuple[int, ...]


def why_grids(fast: bool) -> WhyGrids:
    """Notebook 05's grids. Real mode uses the bundled ones, and fast mode uses fewer points, with k within its 300
    iterations."""
    if fast:
        return WhyGrids(ONE_SHOT_GRID[::3], SIGN_RATES[::3], REWIND_RATES[::2], (0, 50, 100, 200))
    return WhyGrids(ONE_SHOT_GRID, SIGN_RATES, REWIND_RATES, REWINDS)


def default_rounds(fast: bool) -> int:
    """The iterative rounds that notebook 02's slider reaches. That is 5 in fast mode (seconds). Otherwise it is 14,
    as many as the one-shot slider has positions, which takes the fc layers down to 0.8^14 = 4.4 %."""
    return 5 if fast else len(SLIDER_RATES)


def paper_rounds(fast: bool) -> int:
    """The rounds of the controls' figure (notebook 03, the app) and of the sign test (notebook 05).

    That is the paper's 18 rounds, or 5 in fast mode. Notebook 02's first figure runs all 18 in both modes.
    """
    return 5 if fast else PAPER_ROUNDS


def max_rounds(rate: float, rounds: int) -> int:
    """The rounds at `rate` that reach the sparsity of `rounds` rounds at the paper's rate (20 % for LeNet's fc)."""
    target = (1 - PAPER_RATE) ** rounds
    return max(1, math.ceil(math.log(target) / math.log(1 - rate) - 1e-9))


def notebook_runs(notebook: str, fast: bool) -> list[Run]:
    """Every run the widgets and figures of `notebook` show ("01", "02", "03", "05")."""
    if notebook == "01":
        return one_shot_runs(ONE_SHOT_GRID)
    if notebook == "02":
        return [Run(PAPER_ROUNDS, None)] + [  # section 1's figure and tables use 18 rounds in fast mode too
            run for rate in ITERATIVE_RATES
            for rounds in [max_rounds(rate, default_rounds(fast))]
            for run in [Run(rounds, rate), *one_shot_runs(slider_rates(rate, rounds))]]
    if notebook == "03":
        return [Run(paper_rounds(fast), None, CONTROLS), *one_shot_runs(ONE_SHOT_GRID, CONTROLS)]
    if notebook == "05":
        grids = why_grids(fast)
        return [*one_shot_runs(grids.supermask_rates, ("random_prune",)),
                Run(1, DEMO_RATE, needs_weights=True),  # section 2 reads seed 0's trained weights
                *one_shot_runs(grids.sign_rates, SIGN_CONTROLS),  # these also feed the classroom app's signs panel
                Run(paper_rounds(fast), None, SIGN_CONTROLS),  # the sharper test, over the paper's 18 rounds
                *(run for k in grids.rewinds for run in one_shot_runs(grids.rewind_rates, rewind_iteration=k))]
    raise ValueError(f"Unknown notebook {notebook!r}: choose one of {', '.join(NOTEBOOKS)}.")


def bundle_runs(part: str) -> list[Run]:
    """The runs one part of the bundle holds for a seed, in real mode, with the longest chain first.

    "lessons" holds notebooks 01-03, the app's first panel and the paper's 18-round figure. "why" holds notebook 05's
    one-shot sign control and its rewound tickets. "signs" holds the sign control beside each of the 18 rounds.
    "weights" holds the networks whose trained weights a lesson reads."""
    if part == "lessons":
        runs = {run: None for notebook in ("01", "02", "03") for run in notebook_runs(notebook, fast=False)}
        return sorted(runs, key=lambda run: (-run.rounds, -(run.rate or 0), -len(run.controls)))
    if part == "why":
        return [run for run in notebook_runs("05", fast=False)
                if run.rounds == 1 and ("reinit_signs" in run.controls or run.rewind_iteration)]
    if part == "signs":
        return [Run(run.rounds, run.rate, ("reinit_signs",)) for run in notebook_runs("05", fast=False)
                if run.rounds > 1 and "reinit_signs" in run.controls]
    if part == "weights":
        return [run for notebook in NOTEBOOKS for run in notebook_runs(notebook, fast=False) if run.needs_weights]
    raise ValueError(f"Unknown bundle part {part!r}: choose from {', '.join(PARTS)}.")


__all__ = ["ALL_CONTROLS", "CONTROLS", "DEMO_RATE", "ITERATIVE_RATES", "NOTEBOOKS", "ONE_SHOT_GRID", "PAPER_RATE",
           "PAPER_ROUNDS", "PARTS", "REWINDS", "REWIND_RATES", "Run", "SIGN_CONTROLS", "SIGN_RATES", "SLIDER_RATES",
           "WhyGrids",
           "bundle_runs", "default_rounds", "max_rounds", "notebook_runs", "one_shot_runs", "paper_rounds",
           "slider_rates", "sweep_rates", "why_grids"]
