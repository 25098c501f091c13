"""Lottery tickets (Frankle & Carbin, ICLR 2019) for teaching: data, models, pruning, training, experiments."""
from .data import Data, best_device, load_cifar10, load_mnist
from .models import PRESETS, Preset, build_model, weight_counts
from .pruning import (clone, iterative_pruning, layer_kinds, masks, per_round_amount, random_prune,
                      random_reinit, remaining_weights, sign_preserving_reinit, weight_statistics, winning_ticket)
from .results import Result
from .training import History, evaluate, supermask_accuracy, train

__all__ = ["Data", "best_device", "load_cifar10", "load_mnist", "PRESETS", "Preset", "build_model",
           "weight_counts", "clone", "iterative_pruning", "layer_kinds", "masks", "per_round_amount",
           "random_prune", "random_reinit", "remaining_weights", "sign_preserving_reinit", "weight_statistics",
           "winning_ticket",
           "Result", "History", "evaluate", "supermask_accuracy", "train"]
