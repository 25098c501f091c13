"""`History` holds what `train` records for one network. `conditions` tests the hypothesis' two conditions.

`History` holds the numbers the paper reports for a trained network: the early-stop iteration, the test accuracy
there, and the curves. `conditions` tests a′ ≥ a and j′ ≤ j.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass
class History:
    """What `train` records for one network.

    The paper reports the early-stop iteration (the earliest iteration of the lowest validation loss) and the test
    accuracy there. `every_val_loss` holds each validation loss measured, and the early stop is its first minimum.
    The curves, `val_loss` and `test_accuracy`, are measured on a coarser grid (testing is slower), so the minimum of
    `val_loss` can lie off the early stop.
    """

    curve_iterations: list[int] = field(default_factory=list)  # the iterations where the curves were measured
    val_loss: list[float] = field(default_factory=list)  # the validation loss at each of them
    test_accuracy: list[float] = field(default_factory=list)  # the test accuracy at each of them
    early_stop_iteration: int | None = None  # the first minimum of every_val_loss (None if not trained)
    early_stop_test_accuracy: float | None = None  # the test accuracy there
    seconds: float = 0.0  # how long the training took
    start_iteration: int | None = None  # the iteration training started at: 0, or k for a network rewound to θk
    # Each validation loss measured, by iteration (LeNet: every 100). None when not kept: the course's stored results
    # keep the curves only.
    every_val_loss: dict[int, float] | None = None

    def __repr__(self) -> str:  # shows the paper's numbers, not the curves
        if self.early_stop_iteration is None:
            return "History(not trained)"
        return (f"History(early stop at {self.early_stop_iteration:,} with {100 * self.early_stop_test_accuracy:.2f} % "
                f"test accuracy, {len(self.curve_iterations)} curve points, {self.seconds:.1f} s)")

    @property
    def final_test_accuracy(self) -> float:
        """The test accuracy at the end of training. The paper reports the one at the early stop instead."""
        if not self.test_accuracy:
            raise ValueError("This History has no measurements. `train` records them; an empty History is untrained.")
        return self.test_accuracy[-1]


class Conditions(NamedTuple):
    """The hypothesis' two conditions for a network against a reference."""

    as_accurate: bool  # at least as accurate at early stop: a' >= a
    no_later: bool  # reaches its early stop no later: j' <= j


def conditions(history: History, reference: History) -> Conditions:
    """Test the hypothesis' two conditions for a trained network against a reference, the dense network.

        conditions(history, dense)   # Conditions(as_accurate=True, no_later=True): a winning ticket

    Each argument is the History `train` returned; for `iterative_pruning`'s rounds, `steps[r].history`.
    """
    history, reference = _history(history, "history"), _history(reference, "reference")
    return Conditions(history.early_stop_test_accuracy >= reference.early_stop_test_accuracy,
                      history.early_stop_iteration <= reference.early_stop_iteration)


def _history(given, name: str) -> History:
    """Return `given` if it is a trained History, the argument `conditions` compares. Say what to pass if not."""
    if not isinstance(given, History):
        holds = isinstance(getattr(given, "history", None), History)
        raise TypeError(f"conditions compares what `train` returned (a History); {name} is a {type(given).__name__}. "
                        + (f"Pass its History: {name}.history." if holds else
                           "Pass train's result, as in conditions(train(ticket, ...), dense)."))
    if given.early_stop_iteration is None:
        raise ValueError(f"{name} has no early stop: it was not trained. Pass what `train` returned for it.")
    return given
