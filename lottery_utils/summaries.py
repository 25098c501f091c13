"""Results over seeds: the mean, min and max of each configuration's numbers, as the paper's figures draw them.

`configuration` says which results are the same network but for the seed, `summarize` averages their numbers, and
`unique_networks` drops a network that was given twice.
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from .results import KINDS, Kind, Result, as_results, remaining_key


def configuration(result: Result) -> tuple:
    """Everything about a result except its seed: `summarize` averages the results of one configuration.

    A stored result also carries its training key (`StoredResult.training_key`, the whole configuration but the
    seed), so networks trained at two learning rates, or pruned by two schedules to one sparsity, stay apart.
    """
    return (result.kind, result.model, result.iterations, result.rewind_iteration, result.round,
            remaining_key(result.remaining), getattr(result, "training_key", ""))


def unique_networks(results: Iterable[Result]) -> list[Result]:
    """Return each network once. The dense network is in every one-shot amount's results, but it is one network."""
    seen, unique = set(), []
    for r in as_results(results):
        identity = (configuration(r), r.seed)
        if identity not in seen:
            seen.add(identity)
            unique.append(r)
    return unique


@dataclass(frozen=True)
class Spread:
    """One metric over seeds: the mean, and the min and max that the paper draws as error bars."""

    mean: float
    min: float
    max: float
    n: int = 1  # how many seeds

    @classmethod
    def of(cls, values: list[float]) -> "Spread":
        return cls(statistics.fmean(values), min(values), max(values), len(values))

    def text(self, *, percent: bool) -> str:
        """Show the mean, then [min–max] when there are several seeds: "97.56 [97.36–97.77]" or "2,650 [2,500–2,800]".

        Use `percent=True` for accuracies, which shows fractions as percentages. Use `percent=False` for counts
        such as iterations.
        """
        def form(value: float) -> str:
            return f"{100 * value:.2f}" if percent else f"{value:,.0f}"
        return form(self.mean) + (f" [{form(self.min)}–{form(self.max)}]" if self.n > 1 else "")


@dataclass(frozen=True)
class Summary:
    """One configuration (kind, sparsity, training), summarized over the seeds that have it."""

    kind: Kind
    remaining: float
    final_test_accuracy: Spread
    early_stop_iteration: Spread
    early_stop_test_accuracy: Spread
    round: int = 0  # how many times it was pruned
    rewind_iteration: int = 0
    model: str = ""
    iterations: int = 0  # the training length

    @property
    def n_seeds(self) -> int:
        return self.final_test_accuracy.n

    @property
    def remaining_key(self) -> float:  # `remaining`, rounded to match sparsities (see results.remaining_key)
        return remaining_key(self.remaining)


METRICS = ("final_test_accuracy", "early_stop_iteration", "early_stop_test_accuracy")


def by_configuration(results: Iterable[Result]) -> list[list[Result]]:
    """Group the results by `configuration`, with each seed once, in `summarize`'s order."""
    groups: dict[tuple, list[Result]] = {}
    for r in unique_networks(results):
        groups.setdefault(configuration(r), []).append(r)

    def order(group: list[Result]) -> tuple:  # by kind, then from the densest to the sparsest
        first = group[0]
        return KINDS.index(first.kind), -first.remaining, first.round, first.rewind_iteration

    return sorted(groups.values(), key=order)


def summarize(results: Iterable[Result]) -> list[Summary]:
    """Compute the mean, min and max over seeds of each configuration's numbers, as in the paper's error bars.

    A result given twice (the dense network of several sweeps) counts once. The rows come in the order of KINDS,
    then from the densest configuration to the sparsest.
    """
    rows = []
    for group in by_configuration(results):
        first = group[0]
        spreads = {metric: Spread.of([getattr(r, metric) for r in group]) for metric in METRICS}
        rows.append(Summary(first.kind, first.remaining, **spreads, round=first.round,
                            rewind_iteration=first.rewind_iteration, model=first.model, iterations=first.iterations))
    return rows
