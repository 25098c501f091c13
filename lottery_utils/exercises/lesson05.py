"""Notebook 05's checks: your supermask measurement, your sign-preserving control."""
from __future__ import annotations

import torch
from torch import nn

from ..models import build_model
from ..layers import prunable_layers
from ..pruning import clone, remaining_weights, sign_preserving_reinit, winning_ticket
from ..training import evaluate, supermask_accuracy
from ._common import CHECK_SEED, StandIn, boolean_masks, correct, not_yet

# --- why tickets win (notebook 05) ---------------------------------------------------------------------------------

def _check_ticket(amount: float = 0.8) -> tuple[nn.Module, nn.Module]:
    """(theta_0, the ticket): a mask from 'trained' weights (theta_0 moved by seeded noise), on theta_0."""
    theta_0 = build_model("lenet", seed=CHECK_SEED)
    trained = clone(theta_0)
    StandIn([])(trained)
    return theta_0, winning_ticket(trained, clone(theta_0), amount)


def check_supermask_accuracy(fn, data) -> bool:
    """Your `fn(network, data)`: the test accuracy (a fraction) of `network` as it is, untrained, on data.test_x /
    data.test_y, leaving the network unchanged. Checked on the check's own ticket against
    training.supermask_accuracy."""

    if not callable(fn):
        return not_yet("pass your function itself, e.g. check_supermask_accuracy(my_supermask_accuracy, data).")
    theta_0, ticket = _check_ticket()
    ticket.to(data.test_x.device)  # on the data's device (a GPU where there is one), as a student's network would be
    before = {n: v.detach().clone() for n, v in ticket.state_dict().items()}
    try:
        got = fn(ticket, data)
    except Exception as error:
        return not_yet(f"your function raised {type(error).__name__}: {error}.")
    if any(not torch.equal(v, ticket.state_dict()[n].to(v.device)) for n, v in before.items()):
        return not_yet("the network changed: a supermask is evaluated as it is, before any training.")
    try:
        got = float(got)
    except (TypeError, ValueError):
        return not_yet(f"return one number, the accuracy as a fraction; got {type(got).__name__}.")
    expected = supermask_accuracy(ticket, data)
    if abs(got - expected) <= 1e-6:
        return correct(f"the check's network ({remaining_weights(ticket):.1%} of θ0's weights under a mask the check "
                        f"made up, not a trained ticket's) classifies {got:.2%} of the test digits correctly.")
    copy_ = clone(ticket).to(data.test_x.device)  # the student's function may have moved the network
    if abs(got - 100 * expected) <= 1e-4:
        return not_yet("that looks like a percent: return the accuracy as a fraction between 0 and 1.")
    if abs(got - evaluate(copy_, data.val_x, data.val_y).accuracy) <= 1e-6:
        return not_yet("that is the accuracy on the validation images: the supermask is measured on the test set.")
    if abs(got - evaluate(copy_, data.test_x, data.test_y).loss) <= 1e-6:
        return not_yet("that is the loss; the question asks for the share of test digits classified correctly.")
    if abs(got - supermask_accuracy(theta_0, data)) <= 1e-6:
        return not_yet("that is the dense θ0, without the mask: evaluate the network as it is (its `weight`, which "
                        "is weight_orig times the mask).")
    return not_yet("run the network on the test images (model.eval(), no gradients), take the most likely class "
                    "of each, and count the share that matches the labels.")


def check_sign_preserving_reinit(fn) -> bool:
    """Your `fn(ticket, fresh_network)`: the ticket's mask, on each weight the sign of the ticket's initial value
    and the magnitude of fresh_network's weight there. Checked against pruning.sign_preserving_reinit."""

    if not callable(fn):
        return not_yet("pass your function itself, e.g. check_sign_preserving_reinit(my_reinit_signs).")
    theta_0, ticket = _check_ticket()
    fresh = build_model("lenet", seed=CHECK_SEED + 1)
    expected = sign_preserving_reinit(clone(ticket), clone(fresh))
    try:
        got = fn(clone(ticket), clone(fresh))
    except Exception as error:
        return not_yet(f"your function raised {type(error).__name__}: {error}.")
    if not isinstance(got, nn.Module):
        return not_yet("return the network, the fresh one with the ticket's mask and θ0's signs.")
    got_masks, want_masks = boolean_masks(got), boolean_masks(expected)
    for name, layer in prunable_layers(got).items():
        if got_masks[name] is None or not torch.equal(got_masks[name], want_masks[name]):
            return not_yet(f"layer {name} does not carry the ticket's mask: the control keeps the mask (apply it with "
                            f"prune.custom_from_mask) and changes only the values.")
        kept = want_masks[name]
        value = layer.weight.detach().cpu()[kept]
        want = prunable_layers(expected)[name].weight.detach().cpu()[kept]
        if torch.allclose(value, want):
            continue
        start = prunable_layers(theta_0)[name].weight.detach()[kept]
        new = prunable_layers(fresh)[name].weight.detach()[kept]
        if torch.allclose(value, start):
            return not_yet(f"layer {name} holds θ0 itself: that is the ticket. Draw new magnitudes from the fresh "
                            f"network and keep only θ0's signs.")
        if torch.allclose(value, new):
            return not_yet(f"layer {name} holds the fresh weights with their own signs: that is plain random "
                            f"reinitialization. Keep the sign of θ0 on every weight.")
        if torch.allclose(value, start.abs() * torch.sign(new)):
            return not_yet(f"layer {name} has it the wrong way round: the magnitude comes from the fresh network, the "
                            f"sign from θ0.")
        return not_yet(f"layer {name}: each surviving weight is sign(θ0) times |fresh weight| (torch.sign, .abs()).")
    return correct("the ticket's mask, θ0's signs, fresh magnitudes: Zhou et al.'s sign-preserving control.")
