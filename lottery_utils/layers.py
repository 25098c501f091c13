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

import warnings

import torch
from torch import fx, nn

LAYER_ROLES = ("conv", "fc", "output")  # A preset's amounts are keyed by these roles. "output" is the last Linear one.


def prunable_layers(network: nn.Module) -> dict[str, nn.Module]:
    """Return the layers whose weights are pruned, by name: every Conv2d and Linear (never biases or batch norm)."""
    return {name: m for name, m in network.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))}


def masks(network: nn.Module) -> dict[str, torch.Tensor | None]:
    """Return each prunable layer's mask (1 = kept), by name. A layer that was never pruned gets None."""
    return {name: getattr(m, "weight_mask", None) for name, m in prunable_layers(network).items()}


def remaining_weights(network: nn.Module, role: str | None = None) -> float:
    """Return the fraction (0-1) of the prunable weights still unmasked: 0.2 after pruning 80 %.

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
    """Return a layer's weights with the pruned ones still holding their values: prune's `weight_orig`, if pruned."""
    return getattr(layer, "weight_orig", layer.weight)


def layer_roles(network: nn.Module) -> dict[str, str]:
    """Return each prunable layer's role, by name: "conv", "fc", or "output" for the last Linear layer that runs.

    For LeNet: {"fc1": "fc", "fc2": "fc", "fc3": "output"}. A preset's amounts are given by role.

    Details: "last" is in the order the forward pass calls the layers, as torch.fx traces it, since a network may
    define its head first. For a network fx cannot trace, it is the last one defined, with a warning.
    """
    layers = prunable_layers(network)
    order = forward_order(network)
    if order is None:  # fx cannot trace the network: the order of definition stands in
        order = list(layers)
        if sum(isinstance(m, nn.Linear) for m in layers.values()) > 1:
            warnings.warn(f"torch.fx cannot trace {type(network).__name__}, so its output layer is taken to be the "
                          f"last Linear layer defined. Define the layers in the order they run.", stacklevel=2)
    linear = [name for name in order if isinstance(layers.get(name), nn.Linear)]
    roles = {}
    for name, m in layers.items():
        if isinstance(m, nn.Conv2d):
            roles[name] = "conv"
        elif name == linear[-1]:
            roles[name] = "output"
        else:
            roles[name] = "fc"
    return roles


def forward_order(network: nn.Module) -> list[str] | None:
    """Return the names of the modules in the order the forward pass calls them, or None if torch.fx cannot trace it.

    fx cannot trace a forward pass that branches on its input's values, for instance.
    """
    try:
        graph = fx.symbolic_trace(network).graph
    except Exception:  # noqa: BLE001 - fx fails in many ways on code it cannot trace
        return None
    return [node.target for node in graph.nodes if node.op == "call_module"]
