"""Winning tickets: the paper's algorithm on one screen (student-facing core).

`winning_ticket` prunes a trained network's smallest weights and gives the same mask to the untrained copy;
`iterative_pruning` is the paper's Algorithm 1 (train, prune, reset, repeated); `prune_smallest` is the magnitude
cut. Below them: the mask plumbing, then the paper's two controls and Zhou et al.'s sign-preserving one.

The masks are torch's own (`torch.nn.utils.prune`: each pruned layer has `weight_orig` and `weight_mask`).
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn.utils import prune

from .checks import (validate_amount, validate_amount_keys, validate_fresh, validate_iterative_arguments,
                     validate_rounds, validate_same_architecture, validate_state, validate_strategy,
                     validate_ticket_pair, validate_unpruned)
from .layers import LAYER_ROLES, layer_roles, masks, prunable_layers, unmasked_weight
from .models import seeded


def winning_ticket(trained_network: nn.Module, copy_network: nn.Module, amount: float | Mapping[str, float],
                   strategy: str = "layerwise") -> nn.Module:
    """A winning ticket: prune the trained network (θj), and give its mask to the copy made before training (θ0).

    `amount`: the fraction of each layer's remaining weights to prune, those of smallest |w|: one number for every
    layer, or amounts by layer role ({"fc": 0.2, "output": 0.1}; a role left out is not pruned) or by layer name.
    `strategy`: "layerwise" (each layer ranked on its own) or "global" (the paper's, for ResNet-18 and VGG-19). Both
    networks change in place; the copy, now the ticket, keeps its initial values under the mask and is returned.
    Called again on a pruned pair it prunes `amount` of what is left: with retraining between, `iterative_pruning`.
    """
    validate_ticket_pair(trained_network, copy_network)
    prune_smallest(trained_network, amount, strategy)  # the mask: the trained weights of largest |w| survive
    apply_masks(trained_network, copy_network)  # the same mask on the copy, which keeps its initial values
    return copy_network


class Round(NamedTuple):
    """One round of `iterative_pruning`."""

    trained: nn.Module  # the network trained this round (the dense one in the first), pruned at the round's end
    history: Any  # what `train_round` returned for it: `train`'s History
    ticket: nn.Module  # the round's ticket, untrained: the survivors reset to θ0 (or θk)


def iterative_pruning(network: nn.Module, train_round: Callable[[nn.Module, int], object], rounds: int,
                      amount: float | Mapping[str, float], strategy: str = "layerwise",
                      reset_to: nn.Module | None = None) -> list[Round]:
    """The paper's Algorithm 1: `rounds` times train, prune `amount` of the survivors, reset them to θ0.

    `network` (θ0, left as it is) is copied for round 0; `train_round(net, r)` trains `net` in place, e.g.
    `lambda net, r: train(net, data, "lenet")`; round r gets a copy of round r - 1's ticket. `amount` and `strategy`
    as in `winning_ticket`. `reset_to`: θk for rewinding (Frankle et al. 2019), the first round's reset; then train
    the tickets from iteration k: `train(net, data, "lenet", start_iteration=k if r else 0)`.

    Returns a Round per round: the i-th ticket is pruned i + 1 times, its mask inside the previous one's, and
    `rounds[i].history` is the training of the network it was cut from. The last ticket is not trained here.
    """
    validate_iterative_arguments(network, train_round, rounds, reset_to)
    validate_strategy(layer_amounts(network, amount), strategy)
    done, ticket = [], network
    for r in range(rounds):
        trained = clone(ticket)
        history = train_round(trained, r)  # theta_0 -> theta_j
        start = reset_to if r == 0 and reset_to is not None else ticket  # what the survivors are reset to
        ticket = winning_ticket(trained, clone(start), amount, strategy)
        done.append(Round(trained, history, ticket))
    return done


def prune_smallest(network: nn.Module, amount: float | Mapping[str, float], strategy: str = "layerwise") -> None:
    """The magnitude cut: prune `amount` of the remaining weights with the smallest |w|, with torch's prune API.

    "layerwise" (the default) prunes each layer by its own amount (`prune.l1_unstructured`); "global" ranks the
    layers with a non-zero amount together (`prune.global_unstructured`), as the paper does for ResNet-18 and VGG-19.
    """
    amounts = layer_amounts(network, amount)  # each layer's fraction, from one number or amounts by layer role or name
    validate_strategy(amounts, strategy)
    recompute_weights(network)  # prune ranks `weight`, which its hook sets at a forward pass; a step may come after
    layers = prunable_layers(network)
    if strategy == "layerwise":
        for name, module in layers.items():
            prune.l1_unstructured(module, "weight", amount=amounts[name])
    else:  # global: one amount (validate_strategy checked), the layers ranked together
        together = [(layers[name], "weight") for name, a in amounts.items() if a > 0]
        if together:
            prune.global_unstructured(together, prune.L1Unstructured, amount=max(amounts.values()))
        for name, module in layers.items():
            if amounts[name] == 0:
                prune.identity(module, "weight")


def layer_amounts(network: nn.Module, amount: float | Mapping[str, float]) -> dict[str, float]:
    """Each layer's fraction to prune, by layer name, from one number (every layer) or a mapping by layer role
    ({"fc": 0.2, "output": 0.1}) or by layer name; a role or layer a mapping leaves out is not pruned."""
    roles = layer_roles(network)
    if not isinstance(amount, Mapping):
        return {name: validate_amount(amount) for name in roles}
    validate_amount_keys(amount, roles)
    keys = roles if set(amount) <= set(LAYER_ROLES) else {name: name for name in roles}  # each layer's key in amount
    return {name: validate_amount(amount.get(key, 0.0), key) for name, key in keys.items()}


# --- the mask plumbing: masks and copies ------------------------------------------------------------------------

def apply_masks(source: nn.Module, target: nn.Module) -> nn.Module:
    """Give `target` the masks of `source` (its weight values stay as they are); each mask moves to the device of
    the layer it goes on. On an already pruned target torch combines the two masks, so the source's must lie inside
    the target's (as a later round's mask lies inside the one before)."""
    validate_same_architecture(source, target, names=("source", "target"))
    theirs = masks(target)
    for name, mine in masks(source).items():
        if mine is not None and theirs[name] is not None and bool((mine.cpu() > theirs[name].cpu()).any()):
            raise ValueError(f"target's layer {name!r} is already pruned where source keeps weights: the masks would "
                             f"combine, not copy. Apply the masks to an unpruned target, or to one pruned in an "
                             f"earlier round of the same pruning.")
    return _copy_masks(source, target)


def _copy_masks(source: nn.Module, target: nn.Module) -> nn.Module:
    """`apply_masks` without its check, for the controls, which check the two architectures themselves and name them
    in their own words."""
    targets = prunable_layers(target)
    for name, module in prunable_layers(source).items():
        mask = getattr(module, "weight_mask", None)
        if mask is not None:
            layer = targets[name]
            prune.custom_from_mask(layer, "weight", mask.detach().to(layer.weight.device, copy=True))
    return target


def remaining_weights(network: nn.Module) -> float:
    """Fraction (0-1) of the prunable weights that are still unmasked."""
    kept = total = 0
    for module in prunable_layers(network).values():
        mask = getattr(module, "weight_mask", None)
        total += module.weight.numel()
        kept += module.weight.numel() if mask is None else int(mask.sum())
    return kept / total


def per_round_amount(total: float, rounds: int) -> float:
    """The fraction to prune in each of `rounds` rounds so that `total` is pruned overall: 1 - (1 - total)^(1/rounds).

    (The paper's "p^(1/n) %" is the share each round keeps when p is the share kept; read as the share pruned it
    removes far too much: pruning 90 % in 2 rounds takes 68 % per round, not 95 %.)
    """
    validate_amount(total, "total", "the share of the weights pruned overall")
    validate_rounds(rounds)
    return 1 - (1 - total) ** (1 / rounds)


def clone(network: nn.Module) -> nn.Module:
    """A deep copy, masks included. copy.deepcopy alone fails on a pruned layer: its `weight` is not a parameter but
    the tensor prune's forward hook computes (weight_orig * weight_mask), which cannot be deep-copied. So the copy
    leaves it out (deepcopy's memo maps it to None; `network` itself is not touched) and computes it again, as the hook
    would."""
    computed = {id(m.weight): None for m in prunable_layers(network).values() if hasattr(m, "weight_mask")}
    return recompute_weights(copy.deepcopy(network, memo=computed))


def recompute_weights(network: nn.Module) -> nn.Module:
    """Set each pruned layer's `weight` to weight_orig * weight_mask, as prune's hook does before every forward (after
    a copy, or after loading weight_orig)."""
    for module in prunable_layers(network).values():
        if hasattr(module, "weight_mask"):
            module.weight = module.weight_orig * module.weight_mask
    return network


def load_state(network: nn.Module, state: Mapping[str, torch.Tensor]) -> nn.Module:
    """Put a state dict into `network` in place, pruning masks included: a pruned network's state_dict holds
    weight_orig and weight_mask, which an unpruned network's load_state_dict refuses; this prunes the layers first.
    The values move to the network's device. E.g. `load_state(build_model("lenet", seed=0), ticket.state_dict())`."""
    validate_state(network, state)
    state = dict(state)
    for name, module in prunable_layers(network).items():
        mask = state.get(f"{name}.weight_mask")
        if mask is None and hasattr(module, "weight_mask") and f"{name}.weight" in state:
            raise ValueError(f"The state is of an unpruned network (layer {name!r} has no mask in it) but `network` is "
                             f"pruned: load it into an unpruned network (e.g. build_model with the same name).")
        if mask is not None and not hasattr(module, "weight_mask"):
            prune.custom_from_mask(module, "weight", mask.to(module.weight.device))
        if mask is not None:
            state.setdefault(f"{name}.weight_orig", state.pop(f"{name}.weight", None))
    network.load_state_dict(state)
    return recompute_weights(network)


# --- the controls: the ticket's mask on other weights, or another mask on its weights ----------------------------

def random_reinit(ticket: nn.Module, fresh_network: nn.Module) -> nn.Module:
    """The paper's control: the ticket's mask on a freshly initialized network (e.g. build_model with a new seed),
    which is changed in place and returned."""
    validate_fresh(ticket, fresh_network)
    return _copy_masks(ticket, fresh_network)


def random_prune(ticket: nn.Module, network: nn.Module, seed: int = 0) -> nn.Module:
    """The other control: a random mask on `network` (e.g. a clone of theta_0), keeping exactly as many weights per
    layer as `ticket` does; `network` is changed in place and returned. The mask is drawn on the CPU, so a seed gives
    the same mask on every device. (Mask source first, as in `random_reinit` and `apply_masks`.)"""
    validate_same_architecture(ticket, network, names=("ticket", "network"))
    validate_unpruned(network, "random_prune's network")
    on_cpu = clone(network).cpu()
    targets = prunable_layers(on_cpu)
    with seeded(seed):
        for name, mask in masks(ticket).items():
            pruned = 0 if mask is None else int(mask.numel() - mask.sum())
            prune.random_unstructured(targets[name], "weight", amount=pruned)
    return _copy_masks(on_cpu, network)


def sign_preserving_reinit(ticket: nn.Module, fresh_network: nn.Module) -> nn.Module:
    """Zhou et al. 2019's sign-preserving reinitialization ("reinit_signs", arXiv 1905.01067): the ticket's mask, and on
    each weight the sign the ticket starts with (θ0, or θk when rewound) with the magnitude of `fresh_network`'s weight
    there. The fresh draw is the one `random_reinit` would use, so the two controls differ only in the signs; biases
    and batch norm come from `fresh_network`. (Zhou et al. try several ways of choosing the new magnitudes.)
    """
    validate_fresh(ticket, fresh_network)
    fresh = prunable_layers(fresh_network)
    with torch.no_grad():
        for name, layer in prunable_layers(ticket).items():
            start = unmasked_weight(layer)  # the ticket's starting values, pruned ones included
            weight = fresh[name].weight
            weight.copy_(weight.abs() * torch.sign(start).to(weight.device))
    return _copy_masks(ticket, fresh_network)
