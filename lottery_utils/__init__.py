"""Lottery tickets (Frankle & Carbin, ICLR 2019) for teaching.

The core is imported here; read it in the README's order: data, layers, amounts, models, history, masking, pruning,
training, analysis (and checks, for reference). Everything else a module holds is imported from it, as in
`from lottery_utils.history import History`. The machinery above the core (experiments, store, plots, tables,
widgets, ...) is imported by module name: `from lottery_utils import plots`.
"""
from .data import Data, load_cifar10, load_mnist
from .layers import masks, prunable_layers, remaining_weights
from .history import History, conditions
from .amounts import Amounts, layer_amounts, per_round_amount
from .models import PRESETS, build_model, weight_counts
from .masking import apply_masks, clone
from .pruning import (iterative_pruning, prune_smallest, random_prune, random_reinit, sign_preserving_reinit,
                      winning_ticket)
from .analysis import supermask_accuracy, weight_statistics
from .training import evaluate, train

__all__ = [
    # the method: data, the paper's networks, training, winning tickets and the controls
    "load_mnist", "load_cifar10", "Data", "build_model", "PRESETS", "train", "evaluate", "clone", "winning_ticket",
    "iterative_pruning", "random_reinit", "random_prune", "sign_preserving_reinit", "Amounts",
    # what training records, and the hypothesis' two conditions (a′ ≥ a, j′ ≤ j)
    "History", "conditions",
    # looking at networks and pruning by hand: masks, layers, sparsity, weights
    "masks", "prunable_layers", "remaining_weights", "weight_counts", "layer_amounts", "per_round_amount",
    "prune_smallest", "apply_masks", "supermask_accuracy", "weight_statistics",
]
