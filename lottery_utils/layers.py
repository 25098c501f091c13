"""Which layers are pruned, and their masks (student-facing core; imports nothing from the package).

`prunable_layers` and `layer_roles` say which weights the paper prunes; `masks` reads torch's masks back and
`unmasked_weight` the values under them; `first_different_mask` compares two networks' masks.
"""
from __future__ import annotations

import torch
from torch import nn

LAYER_ROLES = ("conv", "fc", "output")  # what a preset's amounts are keyed by (the output layer: the last Linear)
STRATEGIES = ("layerwise", "global")  # how a cut ranks weights: each layer by itself, or all layers together


def prunable_layers(network: nn.Module) -> dict[str, nn.Module]:
    """The layers whose weights are pruned: every Conv2d and Linear (biases and batch norm are never pruned)."""
    return {name: m for name, m in network.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))}


def layer_roles(network: nn.Module) -> dict[str, str]:
    """"conv", "fc" or "output" (the last Linear) for each prunable layer."""
    layers = prunable_layers(network)
    last_linear = [name for name, m in layers.items() if isinstance(m, nn.Linear)][-1:]
    return {name: "conv" if isinstance(m, nn.Conv2d) else "output" if name in last_linear else "fc"
            for name, m in layers.items()}


def unmasked_weight(layer: nn.Module) -> torch.Tensor:
    """A layer's weights with the pruned ones still holding their values: torch prune's `weight_orig`, or `weight`
    where the layer was never pruned."""
    return getattr(layer, "weight_orig", layer.weight)


def masks(network: nn.Module) -> dict[str, torch.Tensor | None]:
    """Each prunable layer's mask (1 = kept), or None where the layer was never pruned."""
    return {name: getattr(m, "weight_mask", None) for name, m in prunable_layers(network).items()}


def first_different_mask(first: nn.Module, second: nn.Module) -> str | None:
    """The first prunable layer whose masks differ between two networks of one architecture (None: all agree)."""
    theirs = masks(second)
    for name, mine in masks(first).items():
        other = theirs[name]
        if (mine is None) != (other is None) or (mine is not None and not torch.equal(mine.cpu(), other.cpu())):
            return name
    return None
