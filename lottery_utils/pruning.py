"""Winning tickets. First the paper's algorithm, then the controls. (How much to prune is in `amounts.py`.)

The masks are torch's own (`torch.nn.utils.prune`). What prune needs around it, such as copying a pruned network, is
in `masking.py`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import torch
from torch import nn
from torch.nn.utils import prune

from .amounts import Amounts, as_amounts, layer_amounts
from .checks import (validate_fresh, validate_iterative_arguments, validate_random_prune, validate_ticket_pair,
                     validate_trained)
from .history import History
from .layers import LAYER_ROLES, layer_roles, masks, prunable_layers, remaining_weights, unmasked_weight
from .masking import apply_masks, clone
from .models import seeded  # random_prune seeds its mask as build_model does


def winning_ticket(trained_network: nn.Module, copy_network: nn.Module,
                   amount: Mapping[str, float] | Amounts) -> nn.Module:
    """Put the mask of the trained network's largest weights on θ0, the copy made before training: the ticket.

        ticket = winning_ticket(network, copy_network, PRESETS["lenet"].amounts(0.8))

    The copy is pruned in place, keeps its initial values under the mask, and is returned. The trained network is
    not changed, so a cell run twice gives the same ticket.

    Args:
        trained_network: θj, the trained network.
        copy_network: θ0, a copy of the same network made before training (`clone(network)`).
        amount: the fraction of each layer's remaining weights to prune, those of smallest |w|. A preset's
            `amounts(rate)` follows the paper: LeNet's `amounts(0.8)` prunes 80 % of the hidden layers and 40 % of
            the output layer. A plain mapping by layer role works too, such as {"fc": 0.8, "output": 0.4}.
    """
    amounts = as_amounts(trained_network, amount)  # a preset's Amounts, or a mapping by layer role made one
    validate_ticket_pair(trained_network, copy_network)
    ranked = prune_smallest(clone(trained_network), amounts)  # The mask keeps the trained weights of largest |w|.
    return apply_masks(ranked, copy_network)  # The copy gets the same mask and keeps its initial values.


class Round(NamedTuple):
    """One round of `iterative_pruning`. `steps[0]` is the dense network, and `steps[r]` the ticket pruned r times.

    `ticket` is the untrained network (θ0 under the mask), `trained` is a trained copy of it, and `history` is what
    `train_round` returned for that copy.
    """

    ticket: nn.Module  # untrained: θ0 (or θk) under the mask of r prunings
    trained: nn.Module  # the ticket after `train_round`: θj under the same mask
    history: History  # what `train_round` returned for the ticket

    def __repr__(self) -> str:  # Round(20.2 % of the weights (fc 20.0 %, output 60.0 %), history: ...)
        roles = sorted(set(layer_roles(self.ticket).values()), key=LAYER_ROLES.index)
        by_role = ", ".join(f"{role} {100 * remaining_weights(self.ticket, role):.1f} %" for role in roles)
        return (f"Round({100 * remaining_weights(self.ticket):.1f} % of the weights ({by_role}), "
                f"history: {self.history!r})")


def iterative_pruning(network: nn.Module, train_round: Callable[[nn.Module, int], History], rounds: int,
                      amount: Mapping[str, float] | Amounts,
                      reset_to: tuple[nn.Module, int] | None = None) -> list[Round]:
    """Run the paper's Algorithm 1. Train, prune `amount` of the surviving weights, and reset them to θ0, n times.

        steps = iterative_pruning(network, lambda net, r: train(net, data, "lenet", 5_000), 5, amounts)

    Args:
        network: θ0, the untrained network. It is not changed: round 0 trains a copy.
        train_round: `train_round(net, r)` trains `net` in place in round r and returns its History.
        rounds: how many times to prune (n). The last ticket is trained too, so there are n + 1 trainings.
        amount: as in `winning_ticket`, usually a preset's `amounts()`.
        reset_to: for rewinding (Frankle et al. 2019), the pair (θk, k). θk is the dense network after k
            iterations, and the tickets are reset to it instead of θ0. Make it with `theta_k = clone(network)`, then
            `train(theta_k, data, "lenet", k)`. Train the tickets on from k, as the dense network did:
            `train(net, data, "lenet", 5_000, start_iteration=k if r > 0 else 0)`.

    Returns:
        `rounds + 1` Rounds: round 0 is the dense network, round r the ticket pruned r times, each with its training.

    Details: after each round, an error says so if `train_round` returned no History, left the network untrained, or
    trained from another iteration than 0 (k for a rewound ticket). Every round's networks are kept: for VGG-19's
    18 rounds, about 9 GB.
    """
    amounts = as_amounts(network, amount)
    validate_iterative_arguments(network, train_round, rounds, amounts.by_role, reset_to)  # before any training
    reset_values, k = reset_to or (network, 0)  # θ0, or (θk, k) when rewinding
    completed = []
    ticket = clone(network)  # round 0: the dense network, θ0
    for r in range(rounds + 1):
        trained = clone(ticket)
        history = train_round(trained, r)  # trains the ticket into θj
        validate_trained(history, ticket, trained, r, start=k if r > 0 else 0)
        completed.append(Round(ticket, trained, history))
        if r < rounds:  # Prune the trained ticket, and reset the survivors to θ0 (or θk): the next ticket.
            ticket = winning_ticket(trained, clone(reset_values), amounts)
    return completed


def prune_smallest(network: nn.Module, amount: Mapping[str, float] | Amounts) -> nn.Module:
    """Prune `amount` of each layer's remaining weights, those of smallest |w|, in place.

        prune_smallest(network, {"fc": 0.2, "output": 0.1})

    `amount` is as in `winning_ticket`. Each layer ranks its own weights (`prune.l1_unstructured`), unless `amount`
    is an `Amounts` with strategy "global": then the layers it prunes are ranked together (`global_unstructured`).
    """
    amounts = as_amounts(network, amount)
    per_layer = layer_amounts(network, amounts)  # {"fc1": 0.2, "fc2": 0.2, "fc3": 0.1}
    layers = prunable_layers(network)
    # Ranked by `unmasked_weight`, which is always current: prune's hook refreshes `weight` only at a forward pass.
    if amounts.strategy == "layerwise":
        for name, layer in layers.items():
            prune.l1_unstructured(layer, "weight", per_layer[name], importance_scores=unmasked_weight(layer))
    else:  # global: one ranking of the layers pruned (an Amounts holds one amount for them)
        together = [(layers[name], "weight") for name, a in per_layer.items() if a > 0]
        if together:
            prune.global_unstructured(together, prune.L1Unstructured, amount=max(per_layer.values()),
                                      importance_scores={pair: unmasked_weight(pair[0]) for pair in together})
        for name, layer in layers.items():
            if per_layer[name] == 0:
                prune.identity(layer, "weight")
    return network


# --- the controls: the ticket's mask on other weights, or another mask on its weights ----------------------------

def random_reinit(ticket: nn.Module, fresh_network: nn.Module) -> nn.Module:
    """Put the ticket's mask on `fresh_network`, in place. This is the paper's random-reinit control.

        control = random_reinit(ticket, build_model("lenet", seed=1))   # for a ticket of seed 0

    `fresh_network` is a new initialization of the ticket's architecture (another seed). It is returned.
    """
    validate_fresh(ticket, fresh_network)
    return apply_masks(ticket, fresh_network)


def random_prune(ticket: nn.Module, network: nn.Module, seed: int) -> nn.Module:
    """Put a random mask on `network`, in place, as large as the ticket's in each layer. This is the paper's other
    control.

        control = random_prune(ticket, clone(theta_0), seed=0)

    Args:
        ticket: the winning ticket. Only how many weights each layer keeps is used.
        network: the unpruned weights to mask, usually a clone of θ0 (θk when rewinding). It is returned.
        seed: draws the mask, on the CPU, so that a seed gives the same mask on every device.
    """
    validate_random_prune(ticket, network)
    on_cpu = clone(network).cpu()
    targets = prunable_layers(on_cpu)
    with seeded(seed):
        for name, mask in masks(ticket).items():
            pruned = 0 if mask is None else int(mask.numel() - mask.sum())
            prune.random_unstructured(targets[name], "weight", amount=pruned)
    return apply_masks(on_cpu, network)


def sign_preserving_reinit(ticket: nn.Module, fresh_network: nn.Module) -> nn.Module:
    """Give `fresh_network` the ticket's signs and mask, in place. This is Zhou et al. 2019's control "reinit_signs".

        control = sign_preserving_reinit(ticket, build_model("lenet", seed=1))

    Each weight keeps its fresh magnitude and takes the sign the ticket starts with (θ0, or θk when rewound). The
    fresh network's biases and batch norm stay as they are. It is returned.

    Details: with the fresh network `random_reinit` is given, the two controls differ only in the signs. Zhou et al.
    (arXiv 1905.01067) try several ways of choosing the new magnitudes; this is one of them.
    """
    validate_fresh(ticket, fresh_network)
    fresh = prunable_layers(fresh_network)
    with torch.no_grad():
        for name, layer in prunable_layers(ticket).items():
            start = unmasked_weight(layer)  # the ticket's starting values, pruned ones included
            weight = fresh[name].weight
            weight.copy_(weight.abs() * torch.sign(start).to(weight.device))
    return apply_masks(ticket, fresh_network)
