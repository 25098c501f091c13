"""A trained network's history and result as values (the paper's numbers for it and its curves), and the mean and
spread over seeds that the lessons and the paper's figures show (student-facing core; imports nothing)."""
from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass
class History:
    """What the paper reports for one trained network: the early-stop iteration and the test accuracy there, and
    the curves (validation loss and test accuracy on a coarser grid of iterations)."""

    iterations: list[int] = field(default_factory=list, repr=False)  # the curves' iterations
    val_loss: list[float] = field(default_factory=list, repr=False)
    test_accuracy: list[float] = field(default_factory=list, repr=False)
    early_stop_iteration: int = 0  # the iteration of minimum validation loss: the paper's early-stopping criterion
    early_stop_test_accuracy: float = 0.0  # test accuracy at that iteration
    seconds: float = 0.0

    @property
    def final_test_accuracy(self) -> float:
        if not self.test_accuracy:
            raise ValueError("This History has no measurements: train records them (an empty History is untrained).")
        return self.test_accuracy[-1]


class Kind(StrEnum):
    """Which network: the dense one, the winning ticket, or one of the controls (equal to its name as a string)."""

    DENSE = "dense"
    TICKET = "ticket"
    REINIT = "reinit"  # pruning.random_reinit: the ticket's mask on a fresh initialization (the paper's control)
    REINIT_SIGNS = "reinit_signs"  # pruning.sign_preserving_reinit: the same, keeping theta_0's signs (Zhou et al.)
    RANDOM_PRUNE = "random_prune"  # pruning.random_prune: a random mask of the ticket's per-layer size on theta_0

    @classmethod
    def named(cls, name: str) -> Kind:
        """The Kind of that name; an unknown name is refused with the names allowed."""
        if name not in tuple(cls):
            raise ValueError(f"Unknown kind {name!r}: choose one of {', '.join(cls)}.")
        return cls(name)


KINDS = tuple(Kind)


def remaining_key(remaining: float) -> float:
    """How sparsities are matched: a share of weights remaining to 4 decimals, so that one share reached by different
    float arithmetic (0.8 ** 2, 1 - 0.36) is one sparsity, and the paper's rounds, 0.8 ** n, stay apart."""
    return round(remaining, 4)


def is_printed_share(remaining: float, share: float) -> bool:
    """Whether `remaining` is the share the paper prints as `share` (0.211 for its "21.1 %", to 0.1 point): the paper's
    rounds leave shares within 0.05 points of their printed values."""
    return abs(remaining - share) < 5e-4


@dataclass
class Result:
    """One trained network: which it is, and its History, from which the paper's numbers for it are read (the
    early-stop iteration and the test accuracy there, the final test accuracy, the curves)."""

    kind: Kind  # a Kind, or its name: "dense", "ticket", or a control: "reinit", "reinit_signs", "random_prune"
    round: int  # pruning rounds behind it (0: the dense network)
    remaining: float  # fraction of the prunable weights left
    seed: int
    model: str
    iterations: int
    history: History = field(default_factory=History, repr=False)
    rewind_iteration: int = 0  # k: a ticket or control reset to theta_k (the dense network after k iterations)
    schedule: tuple[dict[str, float], ...] = ()  # the per-role amounts of each round

    def __post_init__(self):
        self.kind = Kind.named(self.kind)

    @property
    def remaining_key(self) -> float:  # `remaining` as sparsities are matched (results.remaining_key)
        return remaining_key(self.remaining)

    @property
    def final_test_accuracy(self) -> float:  # at the end of training
        return self.history.final_test_accuracy

    @property
    def early_stop_iteration(self) -> int:  # the iteration of minimum validation loss
        return self.history.early_stop_iteration

    @property
    def early_stop_test_accuracy(self) -> float:  # test accuracy there
        return self.history.early_stop_test_accuracy

    @property
    def seconds(self) -> float:
        return self.history.seconds

    def group_key(self) -> tuple:
        """What the seeds of one configuration share, everything but the seed: `summarize` averages over the
        results with one group key. (A result read from a store, `store.StoredResult`, knows its training setup too,
        and groups by its stored configuration without the seed.)"""
        return (self.kind, self.model, self.iterations, self.rewind_iteration, self.round,
                tuple(tuple(sorted(step.items())) for step in self.schedule), self.remaining_key)

    @property
    def initial_test_accuracy(self) -> float:
        """Test accuracy before any training, the curve's first point: for a ticket its mask on theta_0 (Zhou et al.'s
        supermask), for random pruning a random mask on theta_0, for the dense network theta_0 (theta_k if rewound)."""
        if not self.history.iterations or self.history.iterations[0] != self.rewind_iteration:
            raise ValueError(f"This {self.kind} result has no curve point at the start of its training (iteration "
                             f"{self.rewind_iteration}).")
        return self.history.test_accuracy[0]


def pick(results: Iterable[Result], kind: str, at_round: int | None = None) -> Result:
    """The `kind` network of round `at_round` (default: the last round) among `results`: the lowest seed's."""
    found = [r for r in results if r.kind == kind and (at_round is None or r.round == at_round)]
    if not found:
        raise LookupError(f"No {kind!r} network{'' if at_round is None else f' of round {at_round}'} among the "
                          f"results.")
    return min(found, key=lambda r: (-r.round, r.seed))


def unique_networks(results: Iterable[Result]) -> list[Result]:
    """Each network once: every one-shot amount's results repeat the same dense network, which is not another seed."""
    seen, unique = set(), []
    for r in results:
        identity = (r.group_key(), r.seed)
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

    def text(self, percent: bool = False) -> str:
        """"97.56 [97.36–97.77]" (`percent`: a fraction shown x 100) or "2,650 [2,500–2,800]": the mean, then
        [min–max] when there are several seeds; one seed's value alone."""
        def form(value: float) -> str:
            return f"{100 * value:.2f}" if percent else f"{value:,.0f}"
        return form(self.mean) + (f" [{form(self.min)}–{form(self.max)}]" if self.n > 1 else "")


@dataclass(frozen=True)
class Summary:
    """One configuration (kind, sparsity, training) over the seeds that have it."""

    kind: Kind
    remaining: float
    final_test_accuracy: Spread
    early_stop_iteration: Spread
    early_stop_test_accuracy: Spread
    round: int = 0  # pruning rounds behind it
    rewind_iteration: int = 0

    @property
    def n_seeds(self) -> int:
        return self.final_test_accuracy.n

    @property
    def remaining_key(self) -> float:  # `remaining` as sparsities are matched (results.remaining_key)
        return remaining_key(self.remaining)


METRICS = ("final_test_accuracy", "early_stop_iteration", "early_stop_test_accuracy")


def _by_configuration(results: Iterable[Result]) -> list[list[Result]]:
    """The results grouped by configuration (each seed once), in KINDS order, then from the densest to the sparsest."""
    groups: dict[tuple, list[Result]] = {}
    for r in unique_networks(results):
        groups.setdefault(r.group_key(), []).append(r)
    return sorted(groups.values(), key=lambda group: (KINDS.index(group[0].kind), -group[0].remaining,
                                                      group[0].round, group[0].rewind_iteration))


def summarize(results: Iterable[Result]) -> list[Summary]:
    """Mean and spread over seeds for each configuration (the paper's error bars: min and max over trials); a result
    given twice (e.g. the dense network of several sweeps) counts once."""
    return [Summary(group[0].kind, group[0].remaining, *(Spread.of([getattr(r, m) for r in group]) for m in METRICS),
                    group[0].round, group[0].rewind_iteration) for group in _by_configuration(results)]


def by_kind_and_remaining(rows: Iterable[Summary]) -> dict[tuple[str, float], Summary]:
    """Summary rows by (kind, `remaining_key`): how the tables look one configuration up."""
    return {(row.kind, row.remaining_key): row for row in rows}


def initial_accuracies(results: Iterable[Result]) -> list[tuple[str, float, Spread]]:
    """(kind, weights remaining, test accuracy before training over the seeds) for each configuration, ordered as
    `summarize`: the supermask experiment (Zhou et al. 2019) read off the results' curves."""
    return [(group[0].kind, group[0].remaining, Spread.of([r.initial_test_accuracy for r in group]))
            for group in _by_configuration(results)]


@dataclass(frozen=True)
class Paired:
    """One configuration against the dense network of each seed, seed by seed: in how many seeds it is at least as
    accurate at early stop (the hypothesis' a' >= a), in how many it stops no later (j' <= j), and in how many both.
    With few seeds this says more than the means do, because the seeds' dense networks differ among themselves."""

    kind: Kind
    remaining: float
    n_seeds: int
    as_accurate: int
    no_later: int
    both: int = 0


def references(results: Iterable[Result], against: str = "dense") -> list[tuple[Result, Result]]:
    """Each network (each seed once) with its reference of the same seed, model and training length: the dense
    network (default), or the network of kind `against` at the same round, rewind iteration and sparsity (e.g.
    "reinit": each ticket with its own seed's reinitialization). Networks without a reference (the references
    themselves included) are left out."""
    results = unique_networks(results)

    def identity(r: Result) -> tuple:
        return (r.seed, r.model, r.iterations) + (() if against == "dense" else
                                                  (r.round, r.rewind_iteration, r.remaining_key))

    reference = {identity(r): r for r in results if r.kind == against}
    pairs = [(r, reference.get(identity(r))) for r in results if r.kind != against]
    return [(r, ref) for r, ref in pairs if ref is not None]


def paired(results: Iterable[Result], against: str = "dense") -> list[Paired | None]:
    """For each configuration, in `summarize`'s order, the seed-by-seed comparison with its reference
    (`references`): None where it has none (the reference itself included)."""
    groups: dict[tuple, list[tuple[Result, Result]]] = {}
    for r, ref in references(results, against):
        groups.setdefault(r.group_key(), []).append((r, ref))
    return [_paired(groups.get(group[0].group_key(), [])) for group in _by_configuration(results)]


def _paired(pairs: list[tuple[Result, Result]]) -> Paired | None:
    if not pairs:
        return None
    met = [conditions(r, ref) for r, ref in pairs]
    return Paired(pairs[0][0].kind, pairs[0][0].remaining, len(pairs), sum(a for a, _ in met),
                  sum(j for _, j in met), sum(a and j for a, j in met))


def conditions(network: Result, reference: Result) -> tuple[bool, bool]:
    """The hypothesis' two conditions for `network` against `reference`: at least as accurate at early stop
    (a' >= a), and stopping no later (j' <= j)."""
    return (network.early_stop_test_accuracy >= reference.early_stop_test_accuracy,
            network.early_stop_iteration <= reference.early_stop_iteration)
