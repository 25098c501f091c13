"""Lottery tickets (Frankle & Carbin, ICLR 2019) for teaching: data, layers, checks, models, pruning, analysis, results,
training (the core, imported here), and above them the experiments, store, plots, tables and widgets (import those
modules by name)."""
from .data import Data, best_device, load_cifar10, load_mnist
from .layers import layer_roles, masks, prunable_layers
from .models import PRESETS, Preset, build_model, weight_counts
from .pruning import (Round, apply_masks, clone, iterative_pruning, layer_amounts, load_state, per_round_amount,
                      prune_smallest, random_prune, random_reinit, recompute_weights, remaining_weights,
                      sign_preserving_reinit, winning_ticket)
from .analysis import WeightStatistics, weight_statistics
from .results import History, Kind, Paired, Result, Spread, Summary, conditions, paired, pick, summarize
from .training import evaluate, supermask_accuracy, train

__all__ = ["Data", "best_device", "load_cifar10", "load_mnist",
           "PRESETS", "Preset", "build_model", "weight_counts",
           "Round", "WeightStatistics", "apply_masks", "clone", "iterative_pruning", "layer_amounts", "layer_roles",
           "load_state", "masks", "per_round_amount", "prunable_layers", "prune_smallest", "random_prune",
           "random_reinit", "recompute_weights", "remaining_weights", "sign_preserving_reinit", "weight_statistics",
           "winning_ticket",
           "History", "Kind", "Paired", "Result", "Spread", "Summary", "conditions", "paired", "pick", "summarize",
           "evaluate", "supermask_accuracy", "train"]
