"""Notebook 02's checks: what remains after rounds, the sparsest ticket that wins in every seed, your iterative pruning
loop."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..layers import masks, prunable_layers, remaining_weights
from ..models import build_model
from ..pruning import iterative_pruning
from ..tables import paired
from ._common import CHECK_SEED, StandIn, Unreadable, Verdict, boolean_masks, correct, is_close, not_yet, read_fraction


def check_sparsest_winning_ticket(answer, results) -> Verdict:
    """Which is the sparsest ticket of `results` (e.g. the iterative run's) that is a winning ticket in every seed: at
    least as accurate as its own seed's dense network at early stop and stopping no later (`tables.paired`'s "both",
    the tables' last column)? The share of weights remaining, as the table prints it."""
    pairs = {p.remaining: p for p in paired(results) if p is not None and p.kind == "ticket"}
    if not pairs:
        raise ValueError("Pass the results of a run with its dense networks, e.g. section 2's "
                         "experiments.iterative(...) results.")
    winners = [r for r, p in pairs.items() if p.both == p.n_seeds]
    try:
        value, how = read_fraction(answer)
    except Unreadable as problem:
        return not_yet(f"{problem} Give the share of weights remaining in percent, as the table prints it "
                        f"(e.g. 12.5).")
    nearest = min(pairs, key=lambda r: abs(r - value))
    if abs(nearest - value) > max(0.0005, 0.02 * nearest):
        if any(abs((1 - r) - value) <= 0.005 for r in pairs):
            return not_yet(f"({how}.) that looks like a share pruned; give the share of weights remaining.")
        return not_yet(f"({how}.) no row of the table is there: read the share of weights remaining off its first "
                        f"column.")
    pair, seeds = pairs[nearest], pairs[nearest].n_seeds
    if winners and nearest == min(winners):
        return correct(f"({how}.) at {100 * nearest:.1f} % of the weights remaining the ticket is at least as "
                        f"accurate as its own seed's dense network and stops no later in all {seeds} seeds; every "
                        f"sparser ticket fails one of the two conditions in some seed.")
    if nearest in winners:
        return not_yet(f"({how}.) that ticket wins in every seed, but a sparser one does too: read further down the "
                        f"table.")
    return not_yet(f"({how}.) at {100 * nearest:.1f} % the ticket is at least as accurate in {pair.as_accurate} of "
                    f"{seeds} seeds and stops no later in {pair.no_later} of {seeds}: a winning ticket in every seed "
                    f"needs both in all {seeds}.")


def check_remaining_after(answer, amount: float = 0.2, rounds: int = 5) -> Verdict:
    """Which fraction of the weights is left after `rounds` rounds, each pruning `amount` of the survivors?"""
    expected = (1 - amount) ** rounds
    try:
        value, how = read_fraction(answer)
    except Unreadable as problem:
        return not_yet(f"{problem} Give the remaining share as a fraction (0.5) or a percent (50).")
    if is_close(value, expected):
        return correct(f"({how}.) (1 - {amount:g})^{rounds} = {expected:.4f}: {100 * expected:.3g} % of the weights "
                        f"remain, {100 * (1 - expected):.3g} % are pruned.")
    if is_close(value, 1 - expected):
        hint = "that is the share pruned; the question asks for the share that remains."
    elif is_close(value, max(0.0, 1 - amount * rounds)):
        hint = ("rounds compound: each round prunes a share of what is left after the previous one, not of the "
                "original network.")
    elif is_close(value, amount ** rounds):
        hint = f"each round keeps 1 - {amount:g} of the survivors, not {amount:g}."
    elif rounds > 1 and any(is_close(value, (1 - amount) ** (rounds + off)) for off in (-1, 1)):
        hint = "off by one round: count the rounds again."
    else:
        hint = (f"after one round 1 - {amount:g} = {1 - amount:g} of the weights remain; the next round keeps "
                f"{1 - amount:g} of those, and so on for {rounds} rounds.")
    return not_yet(f"({how}.) {hint}")


def check_iterative_pruning(fn, rounds: int = 3, amount=None) -> Verdict:
    """Your `fn(network, train_round, rounds, amount)`, called as `iterative_pruning` is: `rounds` times, train a copy
    of the current ticket with `train_round`, prune `amount` of its surviving weights with winning_ticket, reset to
    θ0; return the list of tickets, one per round, untrained, and leave `network` as it was. Checked with the check's
    own LeNet and a quick stand-in for training, against the tickets of pruning.iterative_pruning (which also trains
    the last ticket, to measure it)."""
    amount = {"fc": 0.2, "output": 0.1} if amount is None else amount
    if not callable(fn):
        return not_yet("pass your function itself, e.g. check_iterative_pruning(my_iterative_pruning).")
    theta_0 = build_model("lenet", seed=CHECK_SEED)
    untouched = {n: v.clone() for n, v in theta_0.state_dict().items()}
    calls = []
    try:
        tickets = fn(theta_0, StandIn(calls), rounds, amount)
    except Exception as error:
        return not_yet(f"your function raised {type(error).__name__}: {error}.")
    library = iterative_pruning(build_model("lenet", seed=CHECK_SEED), StandIn([]), rounds, amount)
    expected = [step.ticket for step in library[1:]]  # round 0 is the dense network; the library also trains the last
    if not calls and not tickets:
        return not_yet("replace the placeholder `...` with the loop: one round per pass, which trains, prunes and "
                       "keeps a ticket.")
    if len(calls) != rounds:
        return not_yet(f"train_round was called {len(calls)} time(s) for {rounds} rounds: train once per round, the "
                        f"current ticket's copy.")
    if (not isinstance(tickets, (list, tuple)) or len(tickets) != rounds
            or not all(isinstance(t, nn.Module) for t in tickets)):
        return not_yet(f"return a list of {rounds} networks, the ticket of each round.")
    if (any(not torch.equal(v, theta_0.state_dict().get(n, v * 0 + 1)) for n, v in untouched.items())
            or any(m is not None for m in masks(theta_0).values())):
        return not_yet("`network` changed: train and prune clones (lottery_utils.clone), never θ0 itself.")
    if len({id(t) for t in tickets}) < rounds:
        return not_yet("some rounds return the same network object: keep a separate ticket for each round.")
    previous = {name: None for name in masks(theta_0)}
    for r, (ticket, want) in enumerate(zip(tickets, expected), 1):
        got_masks, want_masks = boolean_masks(ticket), boolean_masks(want)
        if any(m is None for m in got_masks.values()):
            return not_yet(f"round {r}'s ticket has an unpruned layer: each round's ticket carries the round's mask.")
        for name in got_masks:
            if previous[name] is not None and (got_masks[name] & ~previous[name]).any():
                return not_yet(f"round {r}'s mask keeps weights that round {r - 1} had pruned (layer {name}): each "
                                f"round prunes the survivors of the round before.")
        if not math.isclose(remaining_weights(ticket), remaining_weights(want), abs_tol=1e-9):
            return not_yet(f"after round {r}, {remaining_weights(ticket):.2%} of the weights remain, not "
                            f"{remaining_weights(want):.2%}: each round prunes `amount` of what is left.")
        for name, layer in prunable_layers(ticket).items():
            if not torch.equal(got_masks[name], want_masks[name]):
                return not_yet(f"round {r}'s mask differs in layer {name}: prune the copy trained in that round, by "
                                f"its trained magnitudes (winning_ticket(trained, copy, amount)).")
            weight = layer.weight.detach()
            if not torch.equal(weight, prunable_layers(want)[name].weight.detach()):
                return not_yet(f"round {r}'s ticket does not hold θ0 under its mask (layer {name}): prune a trained "
                                f"clone, and give the mask to an untrained copy of the ticket; later rounds must not "
                                f"train or change earlier tickets.")
        previous = got_masks
    return correct(f"your loop trains, prunes and resets {rounds} times: nested masks, θ0 under every mask, "
                    f"{remaining_weights(tickets[-1]):.1%} of the weights left after round {rounds}.")
