"""The numbers the paper reports for a trained network, and their mean and spread over seeds.

`History` is what `train` records for one network, and `Result` says which network it is. `summarize` averages the
seeds of each configuration, as the paper's figures do, and `conditions` tests the hypothesis' two conditions for one
network against another.
"""
from __future__ import annotations

import difflib
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


@dataclass
class History:
    """What `train` records for one network.

    The paper reports the early-stop iteration (the earliest iteration of the lowest validation loss) and the test
    accuracy there. The curves hold the validation loss and the test accuracy on a coarser grid of iterations.
    """

    curve_iterations: list[int] = field(default_factory=list)  # the iterations where the curves were measured
    val_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    early_stop_iteration: int | None = None  # the iteration of lowest validation loss (None if not trained)
    early_stop_test_accuracy: float | None = None  # the test accuracy there
    seconds: float = 0.0  # how long the training took

    def __repr__(self) -> str:  # shows the paper's numbers, not the curves
        if self.early_stop_iteration is None:
            return "History(not trained)"
        return (f"History(early stop at {self.early_stop_iteration:,} with {100 * self.early_stop_test_accuracy:.2f} % "
                f"test accuracy, {len(self.curve_iterations)} curve points, {self.seconds:.1f} s)")

    @property
    def final_test_accuracy(self) -> float:
        if not self.test_accuracy:
            raise ValueError("This History has no measurements. `train` records them; an empty History is untrained.")
        return self.test_accuracy[-1]


class Kind(StrEnum):
    """Which network a result is: the dense one, the winning ticket, or a control (`Kind.TICKET == "ticket"`)."""

    DENSE = "dense"
    TICKET = "ticket"
    REINIT = "reinit"  # the paper's control (pruning.random_reinit): the ticket's mask on a fresh initialization
    REINIT_SIGNS = "reinit_signs"  # like REINIT, but it keeps θ0's signs (Zhou et al.; pruning.sign_preserving_reinit)
    RANDOM_PRUNE = "random_prune"  # a random mask on θ0, as large in each layer as the ticket's (pruning.random_prune)

    @classmethod
    def named(cls, name: str) -> Kind:
        """Return the Kind with this name. For an unknown name, the error lists the allowed names and the closest."""
        if name not in tuple(cls):
            close = difflib.get_close_matches(str(name), [str(kind) for kind in cls], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"Unknown kind {name!r}: choose one of {', '.join(cls)}.{hint}")
        return cls(name)

    def __repr__(self) -> str:  # shows 'ticket' in a Result's repr, not <Kind.TICKET: 'ticket'>
        return repr(self.value)


KINDS = tuple(Kind)
CONTROLS = (Kind.REINIT, Kind.RANDOM_PRUNE)  # The paper's two controls, used by default and in the bundled results.
ALL_CONTROLS = (Kind.REINIT, Kind.REINIT_SIGNS, Kind.RANDOM_PRUNE)  # Adds Zhou et al. 2019's sign-preserving one.


def remaining_key(remaining: float) -> float:
    """Round the share of weights remaining to 4 decimals. Two results with the same key have the same sparsity.

    One share reached by different float arithmetic, such as 0.8 ** 2 and 1 - 0.36, gets one key. The sparsities
    of the paper's rounds still get different keys.
    """
    return round(remaining, 4)


@dataclass
class Result:
    """One trained network: which network it is, and its History.

    The paper's numbers for it (the early-stop iteration, the test accuracy there, the final test accuracy, the
    curves) are read from the History. To compare networks you trained yourself, wrap each training:
    `Result("ticket", 1, remaining_weights(ticket), seed=0, model="lenet", iterations=5_000, history=train(...))`.
    """

    kind: Kind  # "dense", "ticket" or a control's name ("reinit", "reinit_signs", "random_prune"), or its Kind
    round: int  # how many times it was pruned (0 for the dense network)
    remaining: float  # the fraction of the prunable weights left
    seed: int  # the seed of θ0
    model: str  # the preset's name, such as "lenet"
    iterations: int  # the training length
    history: History = field(repr=False)  # what `train` recorded for it
    rewind_iteration: int = 0  # k if the ticket or control was reset to θk (the dense network after k iterations)

    def __post_init__(self):
        self.kind = Kind.named(self.kind)

    @property
    def remaining_key(self) -> float:  # `remaining`, rounded to match sparsities (see results.remaining_key)
        return remaining_key(self.remaining)

    @property
    def final_test_accuracy(self) -> float:  # the test accuracy at the end of training
        return self.history.final_test_accuracy

    @property
    def early_stop_iteration(self) -> int | None:  # the iteration of lowest validation loss (None if not trained)
        return self.history.early_stop_iteration

    @property
    def early_stop_test_accuracy(self) -> float | None:  # the test accuracy at that iteration
        return self.history.early_stop_test_accuracy

    @property
    def seconds(self) -> float:
        return self.history.seconds

    @property
    def group_key(self) -> tuple:
        """Everything about the result except its seed. `summarize` averages the results that share a group key."""
        return self.kind, self.model, self.iterations, self.rewind_iteration, self.round, self.remaining_key

    @property
    def initial_test_accuracy(self) -> float:
        """The test accuracy before any training, which is the curve's first point.

        For a ticket, this measures its mask on θ0 (Zhou et al.'s supermask). For random pruning, it measures a
        random mask on θ0. For the dense network, it measures θ0 itself (θk when rewound).
        """
        if not self.history.curve_iterations or self.history.curve_iterations[0] != self.rewind_iteration:
            raise ValueError(f"This {self.kind} result has no curve point at the start of its training (iteration "
                             f"{self.rewind_iteration}).")
        return self.history.test_accuracy[0]


def unique_networks(results: Iterable[Result]) -> list[Result]:
    """Return each network once. The dense network is in every one-shot amount's results, but it is one network."""
    seen, unique = set(), []
    for r in results:
        identity = (r.group_key, r.seed)
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
    """Group the results by `Result.group_key`, with each seed once, in `summarize`'s order."""
    groups: dict[tuple, list[Result]] = {}
    for r in unique_networks(results):
        groups.setdefault(r.group_key, []).append(r)

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


class Conditions(NamedTuple):
    """The hypothesis' two conditions for a network against a reference."""

    as_accurate: bool  # at least as accurate at early stop: a' >= a
    no_later: bool  # reaches its early stop no later: j' <= j


def conditions(network: Result | History, reference: Result | History) -> Conditions:
    """Test whether `network` meets the hypothesis' two conditions against `reference`.

    Each is a Result, or the History `train` returned for it: `conditions(train(ticket, ...), train(dense, ...))`.
    """
    for name, given in (("network", network), ("reference", reference)):
        if given.early_stop_iteration is None:
            raise ValueError(f"{name} has no early stop: it was not trained. Pass what `train` returned for it.")
    return Conditions(network.early_stop_test_accuracy >= reference.early_stop_test_accuracy,
                      network.early_stop_iteration <= reference.early_stop_iteration)
