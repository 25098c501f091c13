"""Helpers around torch's prune. They copy and load pruned networks, move masks, and train pruned networks fast.

A pruned layer holds `weight_orig` and `weight_mask`, and prune's hook sets `weight = weight_orig * weight_mask`
before every forward pass (the drawing is in layers.py). That breaks three things, mended here:
- `copy.deepcopy` fails on a pruned layer: use `clone`.
- `weight` is stale after a copy or a load until the next forward pass: `recompute_weights`.
- `load_state_dict` refuses a pruned state on an unpruned network: use `load_state`.
This is the only core module that works on prune's `weight_orig` directly (a test checks it).
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn.utils import prune

from .checks import validate_mask_transfer, validate_state
from .layers import masks, prunable_layers


def clone(network: nn.Module) -> nn.Module:
    """Return a deep copy of `network`, masks included, as in `copy_network = clone(network)`."""
    # `copy.deepcopy` fails on a pruned layer's `weight`, which is computed (weight_orig * weight_mask), not a
    # parameter. Telling deepcopy that each computed weight is already copied, as None, makes it skip them.
    computed = {id(m.weight): None for m in prunable_layers(network).values() if hasattr(m, "weight_mask")}
    copied = copy.deepcopy(network, memo=computed)
    return recompute_weights(copied)  # computes each skipped weight again, from the copied weight_orig and mask


def recompute_weights(network: nn.Module) -> nn.Module:
    """Set each pruned layer's `weight` to weight_orig * weight_mask, as prune's hook does before a forward pass."""
    for module in prunable_layers(network).values():
        if hasattr(module, "weight_mask"):
            module.weight = module.weight_orig * module.weight_mask
    return network


def load_state(network: nn.Module, state: Mapping[str, torch.Tensor]) -> nn.Module:
    """Load a state dict into `network` in place, masks included, as in `load_state(build_model("lenet", 0), state)`.

    Details: a pruned state holds `weight_orig` and `weight_mask`, which an unpruned network refuses. So each layer
    with a mask in the state is first pruned with that mask.
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
    """Give `target` the masks of `source`, in place. The target keeps its weights under them.

    Details: on a target that is already pruned, torch combines the two masks. So the source's mask must lie inside
    the target's, as a later round's mask lies inside the one before.
    """
    validate_mask_transfer(source, target)  # a pruned source, and a target whose masks hold the source's
    targets = prunable_layers(target)
    for name, mask in masks(source).items():
        if mask is not None:
            layer = targets[name]
            prune.custom_from_mask(layer, "weight", mask.detach().to(layer.weight.device, copy=True))
    return target


@contextmanager
def masks_folded(network: nn.Module) -> Iterator[Callable[[], None]]:
    """Train a pruned network at the speed of a dense one, with the same numbers as through prune's hooks.

    Inside the block, each pruned weight is a plain parameter holding zeros where pruned. Call the function the block
    yields after each optimizer step, to zero them again. On exit, the masks go back on.

        with masks_folded(network) as reapply_masks:
            ...  # loss.backward(); optimizer.step()
            reapply_masks()

    Details: prune's hook recomputes every masked weight in every forward pass, which is slower. This gives the same
    numbers for optimizers that update each weight on its own (Adam, SGD), on every weight the mask keeps
    (tests/test_pruning.py checks it). The values the mask hides keep the ones they had before training.
    """
    pruned = {module: (module.weight_mask.detach().clone(), module.weight_orig.detach().clone())
              for module in prunable_layers(network).values() if prune.is_pruned(module)}
    for module in pruned:
        prune.remove(module, "weight")  # `weight` becomes a plain parameter, zero where pruned

    folded = [(module.weight, mask) for module, (mask, _) in pruned.items()]

    def reapply_masks() -> None:
        with torch.no_grad():
            for weight, mask in folded:
                weight.mul_(mask)

    try:
        yield reapply_masks
    finally:
        for module, (mask, before) in pruned.items():
            prune.custom_from_mask(module, "weight", mask)
            with torch.no_grad():  # what the mask hides keeps the value it had before training
                module.weight_orig.copy_(torch.where(mask.bool(), module.weight_orig, before))
