"""Self-checks for the notebooks' exercises, one module per lesson (lesson00 ... lesson05).

Every `check_*` function prints "Correct! ..." or "Not yet: <a hint>" (never the answer itself) and returns a
`Verdict`, true when the answer is correct. Fractions may be given as 0.2, as a percent (20) or as a string ("20 %");
the message says how it was read.
"""
from .lesson00 import check_mask, check_per_round_amount, check_ticket
from .lesson01 import check_remaining_weights, check_weight_count, check_winning_ticket
from .lesson02 import check_iterative_pruning, check_remaining_after, check_sparsest_winning_ticket
from .lesson03 import CONTROL_NAMES, check_control, check_gap
from .lesson04 import check_layer_weights, check_learning_rate
from .lesson05 import check_sign_preserving_reinit, check_supermask

__all__ = ["CONTROL_NAMES", "check_control", "check_gap", "check_iterative_pruning",
           "check_layer_weights",
           "check_learning_rate", "check_mask", "check_per_round_amount", "check_remaining_after",
           "check_remaining_weights", "check_sign_preserving_reinit", "check_sparsest_winning_ticket",
           "check_supermask", "check_ticket",
           "check_weight_count", "check_winning_ticket"]
