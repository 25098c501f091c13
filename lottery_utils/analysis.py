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


def weight_statistics(theta_0: nn.Module, trained: nn.Module, masks_from: nn.Module | None = None,
                      trained_from: nn.Module | None = None) -> dict[str, WeightStatistics]:
    """Split each layer's weights by a mask. Return where each group started, and how far training moved it.

        statistics = weight_statistics(theta_0, trained)   # `trained` pruned by winning_ticket: its own mask

    The values under a mask count too (`unmasked_weight`).

    Args:
        theta_0: the initial weights θ0, either the untrained network or its ticket.
        trained: the trained network, θj.
        masks_from: the network whose mask splits the weights. The default is `trained`'s own mask.
        trained_from: in a later round, the ticket that `trained` started as. The weights its mask had already
            pruned did not train, so they are left out.
    """
    validate_statistics(theta_0, trained, masks_from, trained_from)
    mask_source = trained if masks_from is None else masks_from
    starts, ends = prunable_layers(theta_0), prunable_layers(trained)
    masks_before = masks(trained_from) if trained_from is not None else {}
    statistics = {}
    for name, mask in masks(mask_source).items():
        start = unmasked_weight(starts[name]).detach().cpu()
        end = unmasked_weight(ends[name]).detach().cpu()
        trained_weights = _as_bool(masks_before.get(name), like=start)  # the weights the earlier mask left to train
        kept = trained_weights & _as_bool(mask, like=start)
        pruned = trained_weights & ~kept
        moved = (end - start).abs()
        same_sign = torch.sign(end) == torch.sign(start)
        statistics[name] = WeightStatistics(
            initial_kept=start[kept].abs(), initial_pruned=start[pruned].abs(),
            moved_kept=moved[kept], moved_pruned=moved[pruned], shape=tuple(start.shape),
            same_sign_kept=same_sign[kept].float().mean().item(),
            same_sign_pruned=same_sign[pruned].float().mean().item())
    pruned_moves = [s.moved_pruned for s in statistics.values() if s.moved_pruned.numel()]
    if pruned_moves and not any(bool(moved.any()) for moved in pruned_moves):
        raise ValueError("None of the weights the mask prunes moved: they did not train, since the mask was on before "
                         "training (a round's ticket and its trained copy). Pass the mask cut after training: the "
                         "dense network with masks_from=its ticket, or a trained ticket with masks_from=the next "
                         "round's ticket and trained_from=its own ticket.")
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
