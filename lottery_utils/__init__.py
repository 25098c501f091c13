"""Lottery tickets (Frankle & Carbin, ICLR 2019) for teaching.

The core is imported here; read it in the README's order: data, layers, models, results, masking, pruning, training,
analysis (and checks, for reference). The machinery above it (experiments, store, plots, tables, widgets, ...) is
imported by module name: `from lottery_utils import plots`.
"""
from .data import Data, best_device, load_cifar10, load_mnist
from .layers import layer_roles, masks, prunable_layers, remaining_weights
from .models import PRESETS, Preset, build_model, weight_counts
from .results import Conditions, History, Kind, Result, conditions
from .masking import apply_masks, clone, load_state
from .pruning import (Round, iterative_pruning, layer_amounts, per_round_amount, prune_smallest, random_prune,
                      random_reinit, sign_preserving_reinit, winning_ticket)
from .analysis import WeightStatistics, supermask_accuracy, weight_statistics
from .training import evaluate, train

__all__ = [
    # the method: data, the paper's networks, training, winning tickets and the two controls
    "load_mnist", "load_cifar10", "build_model", "PRESETS", "train", "clone", "winning_ticket", "iterative_pruning",
    "Round", "random_reinit", "random_prune", "sign_preserving_reinit",
    # looking at networks: masks, layers, sparsity, weights before training
    "masks", "prunable_layers", "layer_roles", "layer_amounts", "remaining_weights", "weight_counts",
    "supermask_accuracy", "weight_statistics", "WeightStatistics", "evaluate",
    # the results: one network's numbers
    "History", "Kind", "Result", "Conditions", "conditions",
    # helpers: devices, presets, masks by hand, loading weights
    "Data", "best_device", "Preset", "per_round_amount", "prune_smallest", "apply_masks", "load_state",
]
