"""Notebook 01's checks: counting weights, the share remaining, your winning_ticket."""
from __future__ import annotations

from torch import nn

from ..models import weight_counts
from ..layers import masks, prunable_layers, remaining_weights
from ..masking import clone
from ..pruning import prune_smallest, winning_ticket
from ._common import (StandIn, Unreadable, Verdict, boolean_masks, compare_ticket, correct, is_close, model_and_name,
                     not_yet, read_count, read_fraction, theta_0_and_trained)


def check_weight_count(answer, model: nn.Module | str, layer_type: str = "all") -> Verdict:
    """How many weights (layer_type "conv", "linear" or "all"; biases and batch norm excluded) does the model have?"""
    network, name = model_and_name(model)
    counts = weight_counts(network)
    if layer_type not in counts:
        raise ValueError(f"layer_type must be one of {sorted(counts)}, got {layer_type!r}.")
    what = {"all": "weights", "conv": "convolutional weights", "linear": "fully connected weights"}[layer_type]
    try:
        count = read_count(answer)
    except Unreadable as problem:
        return not_yet(f"{problem} Give a whole number.")
    expected = counts[layer_type]
    if count == expected:
        return correct(f"{name} has {expected:,} {what}: weight matrices and kernels, without biases and batch "
                       f"norm, as these lessons count them.")
    layers = [m for m in network.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    of_type = [m for m in layers if layer_type == "all" or isinstance(m, nn.Conv2d) == (layer_type == "conv")]
    with_biases = expected + sum(m.bias.numel() for m in of_type if m.bias is not None)
    everything = sum(p.numel() for p in network.parameters())
    if count == with_biases and with_biases != expected:
        hint = "you counted the biases too; count only the weight matrices and kernels, as these lessons do."
    elif count == everything:
        hint = "you counted every parameter (biases, batch norm); count only the weights, as these lessons do."
    elif layer_type != "all" and count in (counts["all"], counts["linear" if layer_type == "conv" else "conv"]):
        hint = f"that is another row of the table; count only the {what}."
    else:
        nearly = abs(count - expected) <= 0.02 * expected
        hint = (("close, but a count is exact: check each layer once more. " if nearly else
                 f"{'too many' if count > expected else 'too few'}. ")
                + "A Linear(n_in, n_out) holds n_in × n_out weights, a Conv2d(c_in, c_out, k) holds "
                  "c_in × c_out × k × k; print(model) lists the layers.")
    return not_yet(hint)


def check_remaining_weights(answer, model: nn.Module, amount=None) -> Verdict:
    """Which fraction of the model's prunable weights survives its masks, or, with `amount` (amounts by layer role, as
    winning_ticket takes them), would survive pruning that much of each layer's remaining weights?"""
    if amount is not None:
        model = clone(model)
        prune_smallest(model, amount)
    expected = remaining_weights(model)
    try:
        value, how = read_fraction(answer)
    except Unreadable as problem:
        return not_yet(f"{problem} Give the share of weights that remain as a fraction (0.5) or a percent (50).")
    if abs(value - expected) <= 0.0005:  # to a twentieth of a point: the small output layer must count
        return correct(f"({how}.) {100 * expected:.4g} % of the prunable weights remain.")
    if is_close(value, 1 - expected):
        return not_yet(f"({how}.) that is the share pruned; the question asks for the share that remains.")
    layer_shares = {1 - mask.mean().item() for mask in masks(model).values() if mask is not None}
    if any(abs(value - share) <= 0.0005 or abs(value - (1 - share)) <= 0.0005 for share in layer_shares):
        return not_yet(f"({how}.) that is one layer's share; the layers are pruned by different amounts and hold "
                        f"different numbers of weights, so add up the weights each layer keeps.")
    return not_yet(f"({how}.) count the weights each layer keeps (its weights times the share it keeps), add them "
                    f"up, and divide by all the prunable weights.")


def check_winning_ticket(fn) -> Verdict:
    """Your `fn(trained_network, copy_network, amount)`: prune `amount` of the trained network's weights with the
    smallest |w| in each layer (prune.l1_unstructured), and give the copy, made before training, the same mask
    (prune.custom_from_mask), so its survivors keep their initial values. Checked on the check's own LeNet, with one
    amount for every layer role and with the paper's per-role amounts, then on a second round: the ticket, trained,
    and an untrained clone of it."""
    if not callable(fn):
        return not_yet("pass your function itself, e.g. check_winning_ticket(my_winning_ticket).")
    if fn is winning_ticket:
        return not_yet("that is the library's own winning_ticket: write yours with prune.l1_unstructured and "
                       "prune.custom_from_mask, and pass it.")
    theta_0, trained = theta_0_and_trained()
    for amount in ({"fc": 0.5, "output": 0.5}, {"fc": 0.2, "output": 0.1}):
        mine, ours = (clone(trained), clone(theta_0)), (clone(trained), clone(theta_0))
        for call in (1, 2):
            initial = {name: layer.weight.detach().clone() for name, layer in prunable_layers(mine[1]).items()}
            trained_now = {name: layer.weight.detach().clone() for name, layer in prunable_layers(mine[0]).items()}
            before = boolean_masks(mine[0])
            try:
                returned = fn(*mine, amount)
            except Exception as error:  # the student's code: say what broke, in their terms
                return not_yet(f"your function raised {type(error).__name__}: {error} (amount={amount!r}).")
            if returned is not None and returned is not mine[1]:
                return not_yet("return the copy network (or nothing): it becomes the winning ticket, in place.")
            winning_ticket(*ours, amount)
            hint = compare_ticket(mine[1], ours[1], before, initial, trained_now, call)
            if hint:
                return not_yet(hint)
            next_round = []
            for ticket in (mine[1], ours[1]):  # the next round: each ticket trained alike, and an untrained clone
                trained_ticket = clone(ticket)
                StandIn([None])(trained_ticket)
                next_round.append((trained_ticket, clone(ticket)))
            mine, ours = next_round
    return correct("your winning_ticket keeps the largest |θj| of each layer by its own amount, gives the copy the "
                    "same mask on θ0, and in a second round prunes again what is left.")
