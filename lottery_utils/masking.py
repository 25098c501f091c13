"""What torch's prune needs around it: copying pruned networks, keeping their weights current, and moving masks.

A pruned layer holds `weight_orig` and `weight_mask`, and prune's hook sets `weight = weight_orig * weight_mask` before
every forward pass. Three things break on such a layer. `copy.deepcopy` fails (`clone` works). `weight` is stale after
a training step, a copy or a load (`recompute_weights`). `load_state_dict` refuses a pruned state (`load_state`).
"""
from __future__ import annotations

import copy
from collections.abc import Mapping

import torch
from torch import nn
from torch.nn.utils import prune

from .checks import validate_same_architecture, validate_state
from .layers import masks, prunable_layers


def clone(network: nn.Module) -> nn.Module:
    """Return a deep copy of `network`, masks included.

    `copy.deepcopy` alone fails on a pruned layer ("Only Tensors created explicitly by the user support the deepcopy
    protocol"), because its `weight` is the product weight_orig * weight_mask, not a parameter. Mapping each product
    to None in deepcopy's `memo` makes the copy skip it, and `recompute_weights` computes it again in the copy.
    """
    products = {id(m.weight): None for m in prunable_layers(network).values() if hasattr(m, "weight_mask")}
    return recompute_weights(copy.deepcopy(network, memo=products))


def recompute_weights(network: nn.Module) -> nn.Module:
    """Set each pruned layer's `weight` to weight_orig * weight_mask, as prune's hook does before every forward.

    This is needed when `weight_orig` has changed since the last forward pass, as after a copy, a load or a training
    step.
    """
    for module in prunable_layers(network).values():
        if hasattr(module, "weight_mask"):
            module.weight = module.weight_orig * module.weight_mask
    return network


def load_state(network: nn.Module, state: Mapping[str, torch.Tensor]) -> nn.Module:
    """Load a state dict into `network` in place, masks included: `load_state(build_model("lenet", 0), state)`.

    A pruned network's state dict holds `weight_orig` and `weight_mask`, which an unpruned network's
    `load_state_dict` refuses. So this first prunes each layer that has a mask in the state.
    """
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


def apply_masks(source: nn.Module, target: nn.Module) -> nn.Module:
    """Give `target` the masks of `source`. The target's weight values stay as they are.

    Each mask moves to the device of the layer it goes on. On a target that is already pruned, torch combines the
    two masks, so the source's mask must lie inside the target's, as a later round's mask lies inside the one before.
    """
    validate_same_architecture(source, target, names=("source", "target"))
    if not prune.is_pruned(source):
        raise ValueError("source has no mask to give: prune it first (prune_smallest, or winning_ticket for a pair).")
    target_masks = masks(target)
    for name, mask in masks(source).items():
        earlier = target_masks[name]
        if mask is not None and earlier is not None and bool((mask.cpu() > earlier.cpu()).any()):  # kept, was pruned
            raise ValueError(f"target's layer {name!r} is already pruned where source keeps weights: the masks would "
                             f"combine, not copy. Apply the masks to an unpruned target, or to one pruned in an "
                             f"earlier round of the same pruning.")
    targets = prunable_layers(target)
    for name, mask in masks(source).items():
        if mask is not None:
            layer = targets[name]
            prune.custom_from_mask(layer, "weight", mask.detach().to(layer.weight.device, copy=True))
    return target
