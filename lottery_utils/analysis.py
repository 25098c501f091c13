"""Measurements the lessons make on winning tickets.

`weight_statistics` splits each layer's weights by a mask, and measures where they started (|θ0|) and how far
training moved them (|θj - θ0|). These are the questions of the paper's Appendix F.1 and F.5. `supermask_accuracy`
measures a ticket's accuracy before any training.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .checks import validate_fits, validate_statistics
from .data import Data
from .layers import masks, prunable_layers, unmasked_weight
from .masking import clone
from .training import evaluate


@dataclass(frozen=True)
class WeightStatistics:
    """One layer's weights, split into those the mask keeps and those it prunes (`weight_statistics`).

    Attributes:
        initial_kept, initial_pruned: where each group started, |θ0|, as 1-D tensors on the CPU.
        moved_kept, moved_pruned: how far training moved each group, |θj - θ0|, in the same form.
        shape: the layer's weight shape, (outputs, inputs) for a Linear layer.
        same_sign_kept, same_sign_pruned: the share of each group that ends training with the sign it started with.
            An empty group, such as the pruned weights of a layer never pruned, gives nan.
    """

    initial_kept: torch.Tensor
    initial_pruned: torch.Tensor
    moved_kept: torch.Tensor
    moved_pruned: torch.Tensor
    shape: tuple[int, ...]
    same_sign_kept: float
    same_sign_pruned: float

    @property
    def same_sign_all(self) -> float:
        """The share of all the layer's weights that end training with the sign they started with."""
        groups = [(self.same_sign_kept, self.initial_kept.numel()),
                  (self.same_sign_pruned, self.initial_pruned.numel())]
        return sum(share * n for share, n in groups if n) / sum(n for _, n in groups)


def weight_statistics(theta_0: nn.Module, trained: nn.Module, ticket: nn.Module) -> dict[str, WeightStatistics]:
    """Split the weights that trained into those the ticket keeps and those it prunes. Return, for each layer, where
    each group started and how far training moved it.

        statistics = weight_statistics(theta_0, trained, winning_ticket(trained, clone(theta_0), amounts))
        statistics = weight_statistics(steps[r].ticket, steps[r].trained, steps[r + 1].ticket)   # round r

    Args:
        theta_0: the weights before training: θ0, or the ticket that was trained.
        trained: the trained network, θj. If it is a trained ticket, only the weights its mask keeps trained.
        ticket: the ticket cut from `trained`, whose mask splits its weights.

    The values under a mask count too (`unmasked_weight`).
    """
    validate_statistics(theta_0, trained, ticket)
    starts, ends, trained_masks = prunable_layers(theta_0), prunable_layers(trained), masks(trained)
    statistics = {}
    for name, mask in masks(ticket).items():
        start = unmasked_weight(starts[name]).detach().cpu()
        end = unmasked_weight(ends[name]).detach().cpu()
        trained_weights = _as_bool(trained_masks[name], like=start)  # those pruned before training did not train
        kept = trained_weights & _as_bool(mask, like=start)
        pruned = trained_weights & ~kept
        moved = (end - start).abs()
        same_sign = torch.sign(end) == torch.sign(start)
        statistics[name] = WeightStatistics(
            initial_kept=start[kept].abs(), initial_pruned=start[pruned].abs(),
            moved_kept=moved[kept], moved_pruned=moved[pruned], shape=tuple(start.shape),
            same_sign_kept=same_sign[kept].float().mean().item(),
            same_sign_pruned=same_sign[pruned].float().mean().item())
    return statistics


def _as_bool(mask: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    """Return a mask as booleans on the CPU. No mask (a layer never pruned) keeps every weight."""
    return torch.ones_like(like, dtype=torch.bool) if mask is None else mask.detach().cpu().bool()


def supermask_accuracy(network: nn.Module, data: Data) -> float:
    """Return the test accuracy of a network as it is, untrained, as in `supermask_accuracy(ticket, data)`.

    For a ticket, that is its mask on θ0 (m ⊙ θ0). Zhou et al. 2019 ("Deconstructing Lottery Tickets") call such a
    mask a supermask when the untrained network beats chance (10 % on MNIST). A copy is evaluated: the network is
    not changed.
    """
    network = clone(network).to(data.test_x.device)
    validate_fits(network, data)
    return evaluate(network, data.test_x, data.test_y).accuracy
