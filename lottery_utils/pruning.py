"""Winning tickets: the paper's algorithm, then the per-round amount and the controls.

The masks are torch's own (`torch.nn.utils.prune`). What prune needs around it, such as copying a pruned network, is
in `masking.py`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import torch
from torch import nn
from torch.nn.utils import prune

from .checks import (validate_amount, validate_amount_keys, validate_fresh, validate_iterative_arguments,
                     validate_rounds, validate_same_architecture, validate_ticket_pair, validate_trained,
                     validate_unpruned)
from .layers import layer_roles, masks, prunable_layers, remaining_weights, unmasked_weight
from .masking import apply_masks, clone, recompute_weights
from .models import Amounts, seeded  # random_prune seeds its mask as build_model does
from .history import History


def winning_ticket(trained_network: nn.Module, copy_network: nn.Module,
                   amount: float | Mapping[str, float] | Amounts) -> nn.Module:
    """Prune the trained network (θj), and give its mask to the copy made before training (θ0) to make a winning ticket.

    Both networks change in place. The copy keeps its initial values under the mask, and is returned. Called again
    on a pruned pair, it prunes `amount` of the weights that are left. Doing this with training in between is
    `iterative_pruning`. The two networks must share their architecture and their masks (they are pruned together),
    and must hold different weights: θj is θ0 trained. A pair that breaks these rules raises a ValueError that says
    what is wrong, before anything is pruned.

    Args:
        trained_network: the trained network, θj.
        copy_network: a copy of the same network made before training, θ0 (`clone(network)`).
        amount: the fraction of each layer's remaining weights to prune, taking those of smallest |w|. Usually a
            preset's `amounts(rate)`: for LeNet, `PRESETS["lenet"].amounts(0.8)` prunes 80 % of the hidden layers
            and 40 % of the output layer, as the paper does. It can also be a mapping by layer role, such as
            {"fc": 0.8, "output": 0.4}, where a role left out loses no weight, or one number for every layer, the
            output layer included. Each layer ranks its own weights, unless `amount` is an `Amounts` with strategy
            "global", such as `PRESETS["resnet18"].amounts()`.

    Returns:
        `copy_network`, now the winning ticket.
    """
    validate_ticket_pair(trained_network, copy_network)
    prune_smallest(trained_network, amount)  # The mask keeps the trained weights of largest |w|.
    apply_masks(trained_network, copy_network)  # The copy gets the same mask and keeps its initial values.
    return copy_network


class Round(NamedTuple):
    """Round r of `iterative_pruning`. It holds the ticket pruned r times, and that ticket after training.

    Round 0's ticket is the dense network θ0, pruned 0 times. The results tables count rounds the same way.
    """

    ticket: nn.Module  # untrained: θ0 (or θk) under the mask of r prunings
    trained: nn.Module  # the ticket after `train_round`: θj under the same mask
    history: History  # what `train_round` returned for the ticket

    def __repr__(self) -> str:  # shows the weights remaining, not two whole networks
        return f"Round({remaining_weights(self.ticket):.1%} of the weights, history: {self.history!r})"


def iterative_pruning(network: nn.Module, train_round: Callable[[nn.Module, int], History], rounds: int,
                      amount: float | Mapping[str, float] | Amounts, reset_to: nn.Module | None = None
                      ) -> list[Round]:
    """Run the paper's Algorithm 1. Repeat `rounds` times: train, prune `amount` of the surviving weights, and reset.

    The last ticket is trained too, so each round holds its ticket's training. That makes `rounds + 1` trainings.
    Every round's ticket and trained network are kept: for VGG-19's 18 rounds, about 9 GB.

    Args:
        network: the untrained network (θ0). It is not changed; round 0 trains a copy of it.
        train_round: a function `train_round(net, r)` that trains `net` in place in round `r` and returns its
            History, e.g. `lambda net, r: train(net, data, "lenet", 5_000)`. After each round, an error says so if
            it returned no History, left the network untrained, or (rewinding) trained a ticket from 0 instead of k.
        rounds: how many times to prune.
        amount: as in `winning_ticket`: a preset's `amounts()` (the paper's), amounts by layer role such as
            {"fc": 0.2, "output": 0.1}, or one number.
        reset_to: only for rewinding (Frankle et al. 2019). Pass θk, the dense network after k training
            iterations. The first ticket is reset to it instead of θ0, and every later ticket inherits it. Then
            train the tickets from iteration k: `train(net, data, "lenet", 5_000, start_iteration=k if r > 0 else 0)`.
            To make θk, train a copy of θ0 for k iterations, as the dense network trains. That is
            `theta_k = clone(network)`, then `train(theta_k, data, "lenet", k)`.

    Returns:
        `rounds + 1` Rounds, each with its training. Round 0 is the dense network. Round r is the ticket pruned r times.
    """
    validate_iterative_arguments(network, train_round, rounds, reset_to)
    layer_amounts(network, amount)  # checks the amounts against the network before any training
    completed = []
    ticket = clone(network)  # round 0: the dense network, θ0
    for r in range(rounds + 1):
        trained = clone(ticket)
        history = train_round(trained, r)  # trains the ticket into θj
        validate_trained(history, ticket, trained, r, rewinding=reset_to is not None)
        completed.append(Round(ticket, trained, history))
        if r < rounds:  # Reset: the untrained ticket still holds θ0 (or θk) under its mask.
            reset_values = reset_to if r == 0 and reset_to is not None else ticket
            ticket = winning_ticket(clone(trained), clone(reset_values), amount)  # clones: `trained` is kept
    return completed


def prune_smallest(network: nn.Module, amount: float | Mapping[str, float] | Amounts) -> nn.Module:
    """Prune `amount` of the remaining weights, those with the smallest |w|, with torch's prune API.

    Args:
        network: the network to prune, in place. It is also returned.
        amount: as in `winning_ticket`. Layer by layer, each layer is pruned by its own amount
            (`prune.l1_unstructured`). An `Amounts` with strategy "global" ranks together the layers with a non-zero
            amount (`prune.global_unstructured`).
    """
    amounts = layer_amounts(network, amount)
    strategy = amount.strategy if isinstance(amount, Amounts) else "layerwise"
    recompute_weights(network)  # prune ranks `weight`, and its hook sets `weight` only in a forward pass
    layers = prunable_layers(network)
    if strategy == "layerwise":
        for name, module in layers.items():
            prune.l1_unstructured(module, "weight", amount=amounts[name])
    else:  # global: all layers are ranked together, by one amount (Amounts checked it)
        together = [(layers[name], "weight") for name, a in amounts.items() if a > 0]
        if together:
            prune.global_unstructured(together, prune.L1Unstructured, amount=max(amounts.values()))
        for name, module in layers.items():
            if amounts[name] == 0:
                prune.identity(module, "weight")
    return network


def layer_amounts(network: nn.Module, amount: float | Mapping[str, float] | Amounts) -> dict[str, float]:
    """Return the fraction of each layer to prune, keyed by layer name.

    Args:
        network: the network to be pruned.
        amount: an `Amounts`, a mapping by layer role ({"fc": 0.2, "output": 0.1}), or one number for every layer.
            The last two become an `Amounts` first, which checks them. A role left out gets 0: its mask keeps every
            weight.
    """
    roles = layer_roles(network)  # {"fc1": "fc", "fc2": "fc", "fc3": "output"}
    if not isinstance(amount, Amounts):
        by_role = amount if isinstance(amount, Mapping) else dict.fromkeys(roles.values(), validate_amount(amount))
        amount = Amounts(by_role)
    validate_amount_keys(amount.by_role, roles)  # not empty, and no role the network lacks
    return {name: amount.by_role.get(role, 0.0) for name, role in roles.items()}


def per_round_amount(total: float, rounds: int) -> float:
    """Return the fraction to prune in each of `rounds` rounds so that `total` is pruned overall.

    Each round keeps (1 - total)^(1/rounds) of the survivors, so it prunes 1 - (1 - total)^(1/rounds). The paper's
    "p^(1/n) %" is the share each round keeps when p is the share kept. Read as the share pruned, it removes far too
    much: pruning 90 % in 2 rounds takes 68 % per round, not 95 %.
    """
    validate_amount(total, "total", "the share of the weights pruned overall")
    validate_rounds(rounds)
    return 1 - (1 - total) ** (1 / rounds)


# --- the controls: the ticket's mask on other weights, or another mask on its weights ----------------------------

def random_reinit(ticket: nn.Module, fresh_network: nn.Module) -> nn.Module:
    """Make the paper's control, which puts the ticket's mask on a freshly initialized network.

    Args:
        ticket: the winning ticket whose mask is copied.
        fresh_network: a new initialization of the same architecture (`build_model` with another seed). It is
            changed in place and returned.
    """
    validate_fresh(ticket, fresh_network)
    return apply_masks(ticket, fresh_network)


def random_prune(ticket: nn.Module, network: nn.Module, seed: int) -> nn.Module:
    """Make the paper's other control: a random mask of the ticket's size per layer, on the ticket's starting weights.

    Args:
        ticket: the winning ticket. Only how many weights each layer keeps is used.
        network: the unpruned weights to mask, usually a clone of θ0 (θk when rewinding). It is changed in place
            and returned.
        seed: the seed of the random mask. The mask is drawn on the CPU, so a seed gives the same mask on every device.
    """
    validate_same_architecture(ticket, network, names=("ticket", "network"))
    validate_unpruned(network, "random_prune's network", "the ticket's unpruned starting weights (a clone of θ0)")
    if not prune.is_pruned(ticket):
        raise ValueError("The ticket has no mask, so there is no size to copy: pass a winning ticket.")
    on_cpu = clone(network).cpu()
    targets = prunable_layers(on_cpu)
    with seeded(seed):
        for name, mask in masks(ticket).items():
            pruned = 0 if mask is None else int(mask.numel() - mask.sum())
            prune.random_unstructured(targets[name], "weight", amount=pruned)
    return apply_masks(on_cpu, network)


def sign_preserving_reinit(ticket: nn.Module, fresh_network: nn.Module) -> nn.Module:
    """Make Zhou et al. 2019's control ("reinit_signs", arXiv 1905.01067): fresh magnitudes with the ticket's signs.

    Each weight takes the sign the ticket starts with (θ0, or θk when rewound) and the magnitude of
    `fresh_network`'s weight there. The ticket's mask then goes on top. Given the fresh network that
    `random_reinit` would use, the two controls differ only in the signs. Biases and batch norm come from
    `fresh_network`. (Zhou et al. try several ways of choosing the new magnitudes, and this is one of them.)

    Args:
        ticket: the winning ticket, untrained.
        fresh_network: a new initialization of the same architecture. It is changed in place and returned.
    """
    validate_fresh(ticket, fresh_network)
    fresh = prunable_layers(fresh_network)
    with torch.no_grad():
        for name, layer in prunable_layers(ticket).items():
            start = unmasked_weight(layer)  # the ticket's starting values, pruned ones included
            weight = fresh[name].weight
            weight.copy_(weight.abs() * torch.sign(start).to(weight.device))
    return apply_masks(ticket, fresh_network)
