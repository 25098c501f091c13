"""Notebook 00's checks: the per-round rate, a mask, a ticket by hand."""
from __future__ import annotations

import torch
from torch.nn.utils import prune

from ..checks import validate_amount
from ..amounts import per_round_amount
from ._common import TOLERANCE, Unreadable, Verdict, answer_tensor, correct, is_close, not_yet, read_fraction


def check_per_round_amount(answer, total: float = 0.9, rounds: int = 5, kept: float | None = None) -> Verdict:
    """Which fraction of the survivors must each of `rounds` rounds prune, to prune `total` overall (or to keep
    `kept` overall: the exercise where the student turns the share kept into the share pruned)?"""
    if kept is not None:
        total = 1 - kept
    expected = per_round_amount(total, rounds)
    try:
        rate, how = read_fraction(answer)
    except Unreadable as problem:
        return not_yet(f"{problem} Give the per-round rate as a fraction (0.2) or a percent (20).")
    if is_close(rate, expected):
        return correct(f"({how}.) Each of the {rounds} rounds prunes {100 * expected:.2f} % of the weights that "
                        f"are left: 1 - (1 - {total:g})^(1/{rounds}) = {expected:.4f}.")
    if is_close(rate, total ** (1 / rounds)):
        hint = (f"that is p^(1/n) with p read as the share pruned (the paper's and the slides' formula works when p "
                f"is the share kept). Try it: {rounds} rounds at {100 * rate:.1f} % leave "
                f"(1 - {rate:.3f})^{rounds} = {100 * (1 - rate) ** rounds:.3g} % of the weights, "
                f"not the {100 * (1 - total):.3g} % we want. Start from what must remain.")
    elif is_close(rate, total / rounds):
        hint = ("each round prunes a share of the weights that are still there, not of the original network, so "
                "the rounds compound: after n rounds at rate r, (1 - r)^n of the weights remain.")
    elif is_close(rate, (1 - total) ** (1 / rounds)):
        hint = "that is the share each round keeps; the question asks for the share each round prunes."
    else:
        overall = 1 - (1 - rate) ** rounds
        direction = "too much" if overall > total else "too little"
        hint = (f"{rounds} rounds at {100 * rate:.3g} % prune 1 - (1 - {rate:.3g})^{rounds} = "
                f"{100 * overall:.3g} % overall: {direction}. Which rate r gives (1 - r)^{rounds} = {1 - total:g}?")
    return not_yet(f"({how}.) {hint}")


def check_mask(answer, weights: torch.Tensor, amount: float) -> Verdict:
    """Which mask (1 = kept, 0 = pruned) does magnitude pruning of `amount` of these weights give?"""
    amount = validate_amount(amount)
    weights = torch.as_tensor(weights, dtype=torch.float32).detach().cpu()
    expected = prune.L1Unstructured(amount).compute_mask(weights, torch.ones_like(weights))
    to_prune = int((expected == 0).sum())
    try:
        mask = answer_tensor(answer, weights.shape)
    except Unreadable as problem:
        return not_yet(str(problem))
    if not torch.all((mask == 0) | (mask == 1)):
        return not_yet("a mask holds only 0 (pruned) and 1 (kept).")
    if torch.equal(mask, expected):
        return correct(f"the {to_prune} weights of smallest magnitude are pruned, {weights.numel() - to_prune} "
                        f"are kept.")
    if torch.equal(mask, 1 - expected):
        return not_yet("the mask is inverted: 1 marks a weight that is kept, 0 one that is pruned.")
    pruned = int((mask == 0).sum())
    if pruned != to_prune:
        return not_yet(f"your mask prunes {pruned} weights; pruning {amount:g} of {weights.numel()} prunes "
                        f"round({amount:g} × {weights.numel()}) = {to_prune}.")
    smallest_signed = torch.ones_like(weights).view(-1)
    smallest_signed[torch.topk(weights.view(-1), k=to_prune, largest=False).indices] = 0
    if torch.equal(mask.view(-1), smallest_signed):
        return not_yet("magnitude pruning ranks weights by |w|: a large negative weight is important too.")
    return not_yet(f"the right number of zeros, but not in the right places: prune the {to_prune} weights with the "
                    f"smallest |w|.")


def check_ticket(answer, initial: torch.Tensor, trained: torch.Tensor, amount: float) -> Verdict:
    """What are the winning ticket's weights m ⊙ θ0, when m prunes `amount` of the trained weights θj by magnitude?"""
    amount = validate_amount(amount)
    initial = torch.as_tensor(initial, dtype=torch.float32).detach().cpu()
    trained = torch.as_tensor(trained, dtype=torch.float32).detach().cpu()
    mask = prune.L1Unstructured(amount).compute_mask(trained, torch.ones_like(trained))
    try:
        ticket = answer_tensor(answer, initial.shape)
    except Unreadable as problem:
        return not_yet(str(problem))
    if torch.allclose(ticket, mask * initial, atol=TOLERANCE):
        return correct("the survivors keep their initial values θ0, the pruned weights are 0.")
    if torch.allclose(ticket, mask * trained, atol=TOLERANCE):
        return not_yet("that is the pruned trained network m ⊙ θj; the ticket resets the survivors to their "
                        "values before training.")
    if torch.allclose(ticket, initial, atol=TOLERANCE):
        return not_yet("those are all the initial weights; the mask still has to switch some of them off.")
    if torch.equal(ticket != 0, (mask * initial) != 0):
        return not_yet("the right weights are zero, but the surviving values are not θ0's.")
    by_initial = prune.L1Unstructured(amount).compute_mask(initial, torch.ones_like(initial))
    if torch.allclose(ticket, by_initial * initial, atol=TOLERANCE):
        return not_yet("the mask comes from the trained weights θj (which weights grew large in training), "
                        "not from θ0.")
    return not_yet("first find the mask from |θj| (check_mask helps), then multiply element by element: where "
                    "the mask is 0 the ticket is 0, where it is 1 the ticket holds the initial weight.")
