"""Notebook 05's checks: your supermask (m ⊙ θ0), your sign-preserving control."""
from __future__ import annotations

import torch
from torch import nn

from ..layers import prunable_layers, remaining_weights
from ..models import build_model
from ..masking import apply_masks, clone
from ..pruning import sign_preserving_reinit, winning_ticket
from ._common import CHECK_SEED, StandIn, Verdict, boolean_masks, correct, not_yet

# --- why tickets win (notebook 05) ---------------------------------------------------------------------------------


def _check_ticket(amount: float = 0.8) -> tuple[nn.Module, nn.Module, nn.Module]:
    """(theta_0, a 'trained' ticket, the ticket): a mask from 'trained' weights (theta_0 moved by seeded noise) on
    theta_0, and the same mask on the trained weights."""
    theta_0 = build_model("lenet", seed=CHECK_SEED)
    trained = clone(theta_0)
    StandIn([])(trained)
    ticket = winning_ticket(trained, clone(theta_0), {"fc": amount, "output": amount})
    return theta_0, apply_masks(ticket, trained), ticket


def check_supermask(fn) -> Verdict:
    """Your `fn(trained_ticket, theta_0)`: the supermask network m ⊙ theta_0, theta_0's values under the trained
    ticket's mask, untrained; the trained ticket is left as it is. Checked on the check's own pair (a mask from
    'trained' weights, theta_0) against winning_ticket's copy."""
    if not callable(fn):
        return not_yet("pass your function itself, e.g. check_supermask(my_supermask).")
    theta_0, trained, expected = _check_ticket()  # `expected` is m ⊙ theta_0, `trained` the pruned, trained ticket
    before = {n: v.detach().clone() for n, v in trained.state_dict().items()}
    try:
        got = fn(trained, clone(theta_0))
    except Exception as error:
        return not_yet(f"your function raised {type(error).__name__}: {error}.")
    after = trained.state_dict()
    if after.keys() != before.keys() or any(not torch.equal(v, after[n]) for n, v in before.items()):
        return not_yet("the trained ticket changed: take its mask, and leave it as it is.")
    if not isinstance(got, nn.Module):
        return not_yet(f"return the network (m ⊙ θ0), got {type(got).__name__}.")
    mine, want = boolean_masks(got), boolean_masks(expected)
    trained_layers, expected_layers = prunable_layers(trained), prunable_layers(expected)
    for name, layer in prunable_layers(got).items():
        if mine[name] is None:
            return not_yet(f"layer {name} has no mask: give θ0 the ticket's mask (apply_masks, or "
                           f"prune.custom_from_mask with the ticket's layer.weight_mask).")
        if not torch.equal(mine[name].cpu(), want[name]):
            return not_yet(f"layer {name}'s mask is not the ticket's: copy the ticket's mask, do not prune again.")
        weight = layer.weight.detach().cpu()
        if torch.equal(weight, trained_layers[name].weight.detach().cpu()):
            return not_yet(f"layer {name} holds the ticket's trained values θj: a supermask puts the mask on θ0, "
                           f"the values before training.")
        if not torch.equal(weight, expected_layers[name].weight.detach().cpu()):
            return not_yet(f"layer {name}'s surviving weights are not θ0's: keep the values of `theta_0` under the "
                           f"mask.")
    return correct(f"m ⊙ θ0: {remaining_weights(got):.1%} of θ0's weights under the ticket's mask, untrained (on the "
                   f"check's own pair; below, seed 0's real ticket).")


def check_sign_preserving_reinit(fn) -> Verdict:
    """Your `fn(ticket, fresh_network)`: the ticket's mask, on each weight the sign of the ticket's initial value
    and the magnitude of fresh_network's weight there. Checked against pruning.sign_preserving_reinit."""

    if not callable(fn):
        return not_yet("pass your function itself, e.g. check_sign_preserving_reinit(my_reinit_signs).")
    theta_0, _, ticket = _check_ticket()
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
