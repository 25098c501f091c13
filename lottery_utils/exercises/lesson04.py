"""Notebook 04's checks: a layer's weights, the learning rate at an iteration."""
from __future__ import annotations

import math

from torch import nn

from ..models import Preset, get_preset
from ..training import lr_factor
from ._common import Unreadable, Verdict, correct, not_yet, read_count, read_number


def check_layer_weights(answer, layer: nn.Module) -> Verdict:
    """How many weights (not biases) does one Linear or Conv2d layer hold?"""
    if not isinstance(layer, (nn.Linear, nn.Conv2d)):
        raise TypeError(f"layer must be an nn.Linear or nn.Conv2d, got {type(layer).__name__}.")
    try:
        count = read_count(answer)
    except Unreadable as problem:
        return not_yet(f"{problem} Give a whole number.")
    expected = layer.weight.numel()
    if count == expected:
        return correct(f"{layer} holds {expected:,} weights (shape {tuple(layer.weight.shape)}).")
    if layer.bias is not None and count == expected + layer.bias.numel():
        hint = "you added the biases; count only the weights."
    elif isinstance(layer, nn.Conv2d):
        k = layer.kernel_size[0] * layer.kernel_size[1]
        if count == layer.in_channels * layer.out_channels:
            hint = "each of those connections is a whole kernel, not a single number."
        elif count in (layer.out_channels * k, layer.in_channels * k):
            hint = "every output channel has one kernel for each input channel."
        else:
            hint = "a Conv2d(c_in, c_out, k) holds c_out kernels, each of shape c_in × k × k."
    else:
        hint = "a Linear(n_in, n_out) connects every input to every output, with one weight per connection."
    return not_yet(hint)


def check_learning_rate(answer, preset: Preset | str, iteration: int) -> Verdict:
    """Which learning rate does `train` use at `iteration` (1 is the first step) under the preset's warmup and
    drops? Computed from the preset given, through the schedule `train` itself uses (training.lr_factor)."""
    paper = get_preset(preset)
    if isinstance(iteration, bool) or not isinstance(iteration, int) or iteration < 1:
        raise ValueError(f"iteration must be a whole number >= 1, got {iteration!r}.")
    expected = paper.lr * lr_factor(paper, iteration - 1)
    try:
        value = read_number(answer)
    except Unreadable as problem:
        return not_yet(f"{problem} Give the learning rate as a number.")

    def same(a, b):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)

    if same(value, expected):
        return correct(f"{paper.name} trains at {expected:g} in iteration {iteration:,}.")
    warming = iteration < paper.warmup_iterations
    drops = sum(milestone < iteration for milestone in paper.lr_milestones)
    if warming and same(value, paper.lr * 0.1 ** drops):
        hint = (f"iteration {iteration:,} is still in the warmup: over the first {paper.warmup_iterations:,} "
                f"iterations the rate climbs in a straight line from 0 to {paper.lr:g}.")
    elif drops and same(value, paper.lr * min(1.0, iteration / (paper.warmup_iterations or 1))):
        hint = (f"iteration {iteration:,} comes after {drops} of the milestones {list(paper.lr_milestones)}: the rate "
                f"is divided by 10 at each one passed.")
    elif same(value, paper.lr):
        hint = f"{paper.lr:g} is the peak rate; where is iteration {iteration:,} in the schedule?"
    else:
        hint = ("in iteration i the rate is the preset's lr × i / warmup_iterations while i is within the warmup, "
                "the full lr after it, and divided by 10 after each of lr_milestones: print the preset to see them.")
    return not_yet(hint)
