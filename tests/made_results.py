"""Results made from their numbers alone, as a table gives them (the curve: its last point only), for tests."""
import math

from lottery_utils.history import History
from lottery_utils.results import Result


def result_from_numbers(kind, round_index: int, remaining: float, final_test_accuracy: float,
                        early_stop_iteration: int, early_stop_test_accuracy: float, seed: int, model: str,
                        iterations: int, seconds: float = 0.0, **fields) -> Result:
    history = History([iterations], [math.nan], [final_test_accuracy], early_stop_iteration,
                      early_stop_test_accuracy, seconds)
    return Result(kind, round_index, remaining, seed, model, iterations, history, **fields)
