"""Which trained network a result is: its kind, round, sparsity, seed and model, beside its History (machinery).

`Kind` names the networks (the dense one, the ticket, the controls), and `Result` is one trained network as the
store, the tables and the plots know it. `from_rounds` makes Results of your own `iterative_pruning`. `remaining_key`
matches sparsities reached by different float arithmetic.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .history import History
from .layers import remaining_weights
from .pruning import Round


class Kind(StrEnum):
    """Which network a result is: the dense one, the winning ticket, or a control (`Kind.TICKET == "ticket"`)."""

    DENSE = "dense"
    TICKET = "ticket"
    REINIT = "reinit"  # the paper's control (pruning.random_reinit): the ticket's mask on a fresh initialization
    REINIT_SIGNS = "reinit_signs"  # like REINIT, but it keeps θ0's signs (Zhou et al.; pruning.sign_preserving_reinit)
    RANDOM_PRUNE = "random_prune"  # a random mask on θ0, as large in each layer as the ticket's (pruning.random_prune)

    @classmethod
    def named(cls, name: str) -> Kind:
        """Return the Kind with this name. For an unknown name, the error lists the allowed names."""
        if name not in tuple(cls):
            raise ValueError(f"Unknown kind {name!r}: choose one of {', '.join(cls)}.")
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
    curves) are read from the History. For your own `iterative_pruning`, `from_rounds` makes them. For another
    network you trained yourself, wrap its training:
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
    def seconds(self) -> float:  # how long the training took
        return self.history.seconds

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


def from_rounds(steps: Sequence[Round], model: str, seed: int, iterations: int,
                rewind_iteration: int = 0) -> list[Result]:
    """Make Results of your own `iterative_pruning`, so that the course's plots and tables take them.

        steps = iterative_pruning(build_model("lenet", seed=0), lambda net, r: train(net, data, "lenet", 5_000), ...)
        plots.plot_lottery_summary(from_rounds(steps, model="lenet", seed=0, iterations=5_000))

    Round 0 is the dense network, and round r the ticket pruned r times. `model`, `seed` and `iterations` say what
    the rounds trained, and `rewind_iteration` is k if the tickets were reset to θk (`reset_to=(θk, k)`).
    """
    for r, step in enumerate(steps):
        if not isinstance(step, Round):
            raise TypeError(f"steps[{r}] is a {type(step).__name__}: pass the list iterative_pruning returned.")
    return [Result(Kind.DENSE if r == 0 else Kind.TICKET, r, remaining_weights(step.ticket), seed, model, iterations,
                   step.history, rewind_iteration=rewind_iteration if r > 0 else 0)
            for r, step in enumerate(steps)]


def as_results(results: Iterable[Result]) -> list[Result]:
    """Return the results as a list, refusing anything that is not a Result with what to pass instead."""
    results = list(results)
    for given in results:
        if isinstance(given, Round):
            raise TypeError("These are iterative_pruning's Rounds, which do not say which model, seed and training "
                            "they are: pass from_rounds(steps, model=\"lenet\", seed=0, iterations=...) (from "
                            "lottery_utils.results).")
        if not isinstance(given, Result):
            raise TypeError(f"Expected Results (from lottery_utils.experiments, or results.from_rounds), got a "
                            f"{type(given).__name__}.")
    return results
