"""Which layers of a network get pruned, and their masks.

`prunable_layers` finds them: every conv and linear layer. `masks` reads torch's masks back, `remaining_weights` the
share of weights still kept, and `unmasked_weight` the values under a mask. `layer_roles` says which amount a layer
gets.

What torch's prune makes of a layer (`prune.l1_unstructured(layer, "weight", amount=0.4)`):

    before:  layer.weight               a parameter
    after:   layer.weight_orig          the parameter, every value kept, pruned ones included
             layer.weight_mask          a buffer: 1 = kept, 0 = pruned
             layer.weight               weight_orig * weight_mask, recomputed by a hook before each forward pass

A layer never pruned has no `weight_mask`: `masks` gives None for it.
"""
from __future__ import annotations

import torch
from torch import nn

LAYER_ROLES = ("conv", "fc", "output")  # A preset's amounts are keyed by these roles. "output" is the last Linear one.


def prunable_layers(network: nn.Module) -> dict[str, nn.Module]:
    """Return the layers whose weights are pruned, by name. They are the Conv2d and Linear layers (not their biases)."""
    return {name: m for name, m in network.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))}


def masks(network: nn.Module) -> dict[str, torch.Tensor | None]:
    """Return each prunable layer's mask, by name, with 1 where a weight is kept. A layer never pruned gets None."""
    return {name: getattr(m, "weight_mask", None) for name, m in prunable_layers(network).items()}


def remaining_weights(network: nn.Module, role: str | None = None) -> float:
    """Return the fraction (0-1) of the prunable weights still unmasked. After pruning 80 %, it is 0.2.

    With a `role` ("conv", "fc" or "output"), only the weights of the layers with that role count.
    """
    layers = prunable_layers(network)
    if role is not None:
        roles = layer_roles(network)
        layers = {name: m for name, m in layers.items() if roles[name] == role}
        if not layers:
            raise ValueError(f"This network has no {role!r} layer (its layers' roles: {roles}).")
    kept = total = 0
    for module in layers.values():
        mask = getattr(module, "weight_mask", None)
        total += module.weight.numel()
        kept += module.weight.numel() if mask is None else int(mask.sum())
    return kept / total


def unmasked_weight(layer: nn.Module) -> torch.Tensor:
    """Return a layer's weights, the pruned ones included with their values. (That is prune's `weight_orig`.)"""
    return getattr(layer, "weight_orig", layer.weight)


def layer_roles(network: nn.Module) -> dict[str, str]:
    """Return each prunable layer's role, by name. A role is "conv", "fc", or "output" for the last Linear layer.

    For LeNet it is {"fc1": "fc", "fc2": "fc", "fc3": "output"}. A preset's amounts are given by role. "Last" means
    the last defined: the networks of the paper's table define their layers in the order they run.
    """
    layers = prunable_layers(network)
    linear = [name for name, m in layers.items() if isinstance(m, nn.Linear)]
    roles = {}
    for name, m in layers.items():
        if isinstance(m, nn.Conv2d):
            roles[name] = "conv"
        elif name == linear[-1]:
            roles[name] = "output"
        else:
            roles[name] = "fc"
    return roles
