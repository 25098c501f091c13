"""Seed-by-seed comparisons behind the lessons' tables, beyond the core's `summarize` and `paired`: the ticket each
control was trained beside (a stored result may name one), how far each control is behind it (`Lag`), the share of
plain reinit's lag that keeping θ0's signs recovers, and where θ0's share of the ticket's lead beats the mask's.
Machinery: imports the core and the store, nothing else."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .results import Result, references
from .store import StoredResult


def beside_ticket(results: Iterable[Result]) -> list[tuple[Result, Result]]:
    """Each control (each seed once) with the ticket it was trained beside: the one its store names
    (`StoredResult.trained_beside`: the bundle's sign controls of seeds 0-2 were trained beside a re-run of the ticket
    chain, whose masks differ, more as pruning goes on), else its run's ticket of the same seed, round and sparsity."""
    return [(c, c.trained_beside if isinstance(c, StoredResult) and c.trained_beside else ticket)
            for c, ticket in references(results, against="ticket")]


def points(a: float, b: float) -> float:
    """a − b in percentage points, from the two accuracies as the tables print them (rounded to the hundredth), so
    that a printed gap is always the difference of the printed numbers."""
    return round(100 * a, 2) - round(100 * b, 2)

TEST_IMAGES = 10_000  # MNIST's test set: an accuracy is a whole number of them


def split_by_seed(results: list[Result]) -> dict[float, tuple[int, int]]:
    """Section 1 of notebook 03 splits the ticket's lead over random pruning into θ0's share (ticket − random reinit)
    and the mask's (random reinit − random pruning). Seed by seed, at each sparsity with both controls: in how many
    seeds θ0's share is the larger (accuracy at early stop, counted in test images, so that a tie is no win), of how
    many."""
    by_reinit: dict[int, dict[str, Result]] = {}
    for network, reinit in references(results, against="reinit"):
        by_reinit.setdefault(id(reinit), {"reinit": reinit})[network.kind] = network
    counts: dict[float, tuple[int, int]] = {}
    for three in by_reinit.values():
        if {"ticket", "random_prune"} <= set(three):
            ticket, reinit, pruned = (round(TEST_IMAGES * three[k].early_stop_test_accuracy)
                                      for k in ("ticket", "reinit", "random_prune"))
            larger, n = counts.get(three["reinit"].remaining, (0, 0))
            counts[three["reinit"].remaining] = (larger + (ticket - reinit > reinit - pruned), n + 1)
    return counts


@dataclass(frozen=True)
class Lag:
    """How far a control is behind the ticket it was trained beside, seed by seed (`beside_ticket`), in
    early-stop iterations and in points of accuracy at early stop: positive when later, or less accurate."""

    seeds: tuple[int, ...]
    iterations: tuple[float, ...]
    points: tuple[float, ...]

    @classmethod
    def of(cls, pairs: list[tuple[Result, Result]]) -> Lag:
        pairs = sorted(pairs, key=lambda pair: pair[0].seed)
        return cls(tuple(c.seed for c, _ in pairs),
                   tuple(c.early_stop_iteration - t.early_stop_iteration for c, t in pairs),
                   tuple(points(t.early_stop_test_accuracy, c.early_stop_test_accuracy) for c, t in pairs))

    def mean(self, metric: str) -> float:
        values = getattr(self, metric)
        return sum(values) / len(values)

def lags(results: list[Result], control: str) -> dict[int, Lag]:
    """By round, the `control` networks' Lag behind their tickets."""
    by_round: dict[int, list[tuple[Result, Result]]] = {}
    for c, ticket in beside_ticket(results):
        if c.kind == control:
            by_round.setdefault(c.round, []).append((c, ticket))
    return {r: Lag.of(pairs) for r, pairs in by_round.items()}

def recovered(plain: Lag, signs: Lag, metric: str) -> float | None:
    """The share of plain reinit's mean lag (`metric`: "iterations" or "points") that keeping the signs recovers,
    1 − signs' mean lag / plain's: 1 all of it, 0 none, negative when further behind than plain reinit; None when
    plain reinit is not behind on average."""
    return 1 - signs.mean(metric) / plain.mean(metric) if plain.mean(metric) > 0 else None

def sign_recovery(results: list[Result]) -> dict[int, tuple[Lag, Lag]]:
    """By round, plain reinit's and the signs-kept control's Lag behind their tickets."""
    plain, signs = lags(results, "reinit"), lags(results, "reinit_signs")
    return {r: (plain[r], signs[r]) for r in sorted(set(plain) & set(signs))}

def trained_again(results: list[Result]) -> list[int]:
    """The seeds whose signs-kept controls were trained beside another training of the ticket chain than the run's
    (the tickets plain reinit is paired with)."""
    def numbers(r: Result) -> tuple:
        return r.early_stop_iteration, r.early_stop_test_accuracy, r.final_test_accuracy

    pairs = beside_ticket(results)
    run = {(c.seed, c.round): t for c, t in pairs if c.kind == "reinit"}
    return sorted({c.seed for c, t in pairs if c.kind == "reinit_signs" and (c.seed, c.round) in run
                   and numbers(t) != numbers(run[(c.seed, c.round)])})

def shorter(plain: Lag, signs: Lag) -> tuple[int, int]:
    """In how many seeds the signs-kept control is less far behind its ticket in speed than plain reinit behind its
    own, of how many seeds have both."""
    own = dict(zip(plain.seeds, plain.iterations))
    pairs = [(lag, own[seed]) for seed, lag in zip(signs.seeds, signs.iterations) if seed in own]
    return sum(lag < plain_lag for lag, plain_lag in pairs), len(pairs)
