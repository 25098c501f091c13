"""What `train` records for one network, and the hypothesis' two conditions for one network against another.

`History` holds the numbers the paper reports for a trained network: the early-stop iteration, the test accuracy
there, and the curves. `conditions` tests a′ ≥ a and j′ ≤ j. (Which network a History belongs to, and the mean and
spread over seeds, are machinery: `results.Result` and `summaries.summarize`.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
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


class Conditions(NamedTuple):
    """The hypothesis' two conditions for a network against a reference."""

    as_accurate: bool  # at least as accurate at early stop: a' >= a
    no_later: bool  # reaches its early stop no later: j' <= j


def conditions(history: History, reference: History) -> Conditions:
    """Test the hypothesis' two conditions for a trained network against a reference: `conditions(history, dense)`.

    Each argument is the History `train` returned, or anything with an `early_stop_iteration` and an
    `early_stop_test_accuracy`, such as a stored `results.Result`.
    """
    for name, given in (("history", history), ("reference", reference)):
        if given.early_stop_iteration is None:
            raise ValueError(f"{name} has no early stop: it was not trained. Pass what `train` returned for it.")
    return Conditions(history.early_stop_test_accuracy >= reference.early_stop_test_accuracy,
                      history.early_stop_iteration <= reference.early_stop_iteration)
