"""Self-checks for the notebooks' exercises.

Every `check_*` function prints "Correct! ..." or "Not yet: <a hint>" (never the answer itself) and returns True or
False. Fractions may be given as 0.2, as a percent (20) or as a string ("20 %"); the message says how it was read.
Add new checks as more small, flat functions at the end of this file.
"""
from __future__ import annotations

import math
import re

import torch
from torch import nn
from torch.nn.utils import prune

from .models import Preset, build_model, preset as preset_named, weight_counts
from .pruning import (check_amount, clone, iterative_pruning, layer_kinds, masks, per_round_amount, prunable_layers,
                      remaining_weights, winning_ticket)
from .results import summarize
from .training import lr_factor


TOLERANCE = 0.006  # for matrices copied from a print-out with two decimals


class _Unreadable(ValueError):
    """The answer is not something a check can read; the message says what to write instead."""


def _correct(message: str) -> bool:
    print(f"Correct! {message}")
    return True


def _not_yet(message: str) -> bool:
    print(f"Not yet: {message}")
    return False


def _read_number(answer) -> float:
    if answer is None or answer is Ellipsis:
        raise _Unreadable("replace the placeholder with your answer.")
    if isinstance(answer, bool):
        raise _Unreadable(f"{answer!r} is a yes/no value; the answer is a number.")
    if isinstance(answer, str):
        text = answer.strip().replace(",", "").replace("_", "")
        try:
            return float(text)
        except ValueError:
            raise _Unreadable(f"could not read {answer!r} as a number.") from None
    try:
        return float(answer)  # ints, floats, numpy and one-element torch values
    except (TypeError, ValueError):
        raise _Unreadable(f"could not read {answer!r} (a {type(answer).__name__}) as a number.") from None


def _read_fraction(answer) -> tuple[float, str]:
    """The answer as a fraction in [0, 1], and a note on how it was read: 0.2 and 1 are fractions, 20 and "20 %" are
    percents."""
    if isinstance(answer, str) and answer.strip().endswith("%"):
        value = _read_number(answer.strip()[:-1]) / 100
        how = f"read {answer.strip()!r} as a percent"
    else:
        number = _read_number(answer)
        if 0 <= number <= 1:
            value, how = number, f"read {number:g} as a fraction, {100 * number:.4g} %"
        elif 1 < number <= 100:
            value, how = number / 100, f"read {number:g} as a percent, the fraction {number / 100:.4g}"
        else:
            raise _Unreadable(f"{number:g} is neither a fraction (0 to 1) nor a percent (0 to 100).")
    if not 0 <= value <= 1:
        raise _Unreadable(f"{answer!r} is not between 0 % and 100 %.")
    return value, how


def _read_count(answer) -> int:
    if isinstance(answer, str) and re.search(r"\d\s*[kKmM]\b", answer):
        raise _Unreadable(f"{answer!r} is rounded; give the exact count, e.g. 12345 or '12,345'.")
    number = _read_number(answer)
    if not math.isfinite(number) or number != int(number):
        raise _Unreadable(f"{answer!r} is not a whole number; a count of weights is.")
    return int(number)


def _close(value: float, expected: float) -> bool:
    """Within half a percentage point, and within 5 % of small targets (0.1 % for 0.0012 is not 0)."""
    return abs(value - expected) <= min(0.005, max(0.0005, 0.05 * expected))


def _as_tensor(answer, shape: torch.Size) -> torch.Tensor:
    if answer is None or answer is Ellipsis:
        raise _Unreadable("replace the placeholder with your answer.")
    try:
        tensor = torch.as_tensor(answer, dtype=torch.float32).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        raise _Unreadable(f"could not read the answer as a matrix; write it as a nested list like "
                          f"{[[0.0] * shape[-1]] * min(2, shape[0])} or a tensor.") from None
    if tensor.shape != shape:
        raise _Unreadable(f"the answer has shape {tuple(tensor.shape)}, but the weights have shape {tuple(shape)}.")
    return tensor


def _model(model: nn.Module | str) -> tuple[nn.Module, str]:
    if isinstance(model, str):
        return build_model(model), model
    return model, type(model).__name__


def check_per_round_rate(answer, total: float = 0.9, rounds: int = 5) -> bool:
    """Which fraction of the survivors must each of `rounds` rounds prune, to prune `total` overall?"""
    expected = per_round_amount(total, rounds)
    try:
        rate, how = _read_fraction(answer)
    except _Unreadable as problem:
        return _not_yet(f"{problem} Give the per-round rate as a fraction (0.2) or a percent (20).")
    if _close(rate, expected):
        return _correct(f"({how}.) Each of the {rounds} rounds prunes {100 * expected:.2f} % of the weights that "
                        f"are left: 1 - (1 - {total:g})^(1/{rounds}) = {expected:.4f}.")
    if _close(rate, total ** (1 / rounds)):
        hint = (f"that is p^(1/n) with p read as the share pruned (the paper's and the slides' formula works when p "
                f"is the share kept). Try it: {rounds} rounds at {100 * rate:.1f} % leave "
                f"(1 - {rate:.3f})^{rounds} = {100 * (1 - rate) ** rounds:.3g} % of the weights, "
                f"not the {100 * (1 - total):.3g} % we want. Start from what must remain.")
    elif _close(rate, total / rounds):
        hint = ("each round prunes a share of the weights that are still there, not of the original network, so "
                "the rounds compound: after n rounds at rate r, (1 - r)^n of the weights remain.")
    elif _close(rate, (1 - total) ** (1 / rounds)):
        hint = "that is the share each round keeps; the question asks for the share each round prunes."
    else:
        overall = 1 - (1 - rate) ** rounds
        direction = "too much" if overall > total else "too little"
        hint = (f"{rounds} rounds at {100 * rate:.3g} % prune 1 - (1 - {rate:.3g})^{rounds} = "
                f"{100 * overall:.3g} % overall: {direction}. Which rate r gives (1 - r)^{rounds} = {1 - total:g}?")
    return _not_yet(f"({how}.) {hint}")


def check_remaining_after(answer, rate: float = 0.2, rounds: int = 5) -> bool:
    """Which fraction of the weights is left after `rounds` rounds, each pruning `rate` of the survivors?"""
    expected = (1 - rate) ** rounds
    try:
        value, how = _read_fraction(answer)
    except _Unreadable as problem:
        return _not_yet(f"{problem} Give the remaining share as a fraction (0.5) or a percent (50).")
    if _close(value, expected):
        return _correct(f"({how}.) (1 - {rate:g})^{rounds} = {expected:.4f}: {100 * expected:.3g} % of the weights "
                        f"remain, {100 * (1 - expected):.3g} % are pruned.")
    if _close(value, 1 - expected):
        hint = "that is the share pruned; the question asks for the share that remains."
    elif _close(value, max(0.0, 1 - rate * rounds)):
        hint = ("rounds compound: each round prunes a share of what is left after the previous one, not of the "
                "original network.")
    elif _close(value, rate ** rounds):
        hint = f"each round keeps 1 - {rate:g} of the survivors, not {rate:g}."
    elif rounds > 1 and (_close(value, (1 - rate) ** (rounds - 1)) or _close(value, (1 - rate) ** (rounds + 1))):
        hint = "off by one round: count the rounds again."
    else:
        hint = (f"after one round 1 - {rate:g} = {1 - rate:g} of the weights remain; the next round keeps "
                f"{1 - rate:g} of those, and so on for {rounds} rounds.")
    return _not_yet(f"({how}.) {hint}")


def check_weight_count(answer, model: nn.Module | str, kind: str = "all") -> bool:
    """How many weights (kind "conv", "fc" or "all"; biases and batch norm excluded) does the model have?"""
    network, name = _model(model)
    counts = weight_counts(network)
    if kind not in counts:
        raise ValueError(f"kind must be one of {sorted(counts)}, got {kind!r}.")
    what = {"all": "weights", "conv": "convolutional weights", "fc": "fully connected weights"}[kind]
    try:
        count = _read_count(answer)
    except _Unreadable as problem:
        return _not_yet(f"{problem} Give a whole number.")
    expected = counts[kind]
    if count == expected:
        return _correct(f"{name} has {expected:,} {what}, the way the paper's table counts them.")
    layers = [m for m in network.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    in_kind = [m for m in layers if kind == "all" or isinstance(m, nn.Conv2d) == (kind == "conv")]
    with_biases = expected + sum(m.bias.numel() for m in in_kind if m.bias is not None)
    everything = sum(p.numel() for p in network.parameters())
    if count == with_biases and with_biases != expected:
        hint = "you counted the biases too; the paper's table counts only the weight matrices and kernels."
    elif count == everything:
        hint = "you counted every parameter (biases, batch norm); the paper's table counts only weights."
    elif kind != "all" and count in (counts["all"], counts["fc" if kind == "conv" else "conv"]):
        hint = f"that is another row of the table; count only the {what}."
    else:
        nearly = abs(count - expected) <= 0.02 * expected
        hint = (("close, but a count is exact: check each layer once more. " if nearly else
                 f"{'too many' if count > expected else 'too few'}. ")
                + "A Linear(n_in, n_out) holds n_in × n_out weights, a Conv2d(c_in, c_out, k) holds "
                  "c_in × c_out × k × k; print(model) lists the layers.")
    return _not_yet(hint)


def check_layer_weights(answer, layer: nn.Module) -> bool:
    """How many weights (not biases) does one Linear or Conv2d layer hold?"""
    if not isinstance(layer, (nn.Linear, nn.Conv2d)):
        raise TypeError(f"layer must be an nn.Linear or nn.Conv2d, got {type(layer).__name__}.")
    try:
        count = _read_count(answer)
    except _Unreadable as problem:
        return _not_yet(f"{problem} Give a whole number.")
    expected = layer.weight.numel()
    if count == expected:
        return _correct(f"{layer} holds {expected:,} weights (shape {tuple(layer.weight.shape)}).")
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
    return _not_yet(hint)


def check_remaining_weights(answer, model: nn.Module, amount=None) -> bool:
    """Which fraction of the model's prunable weights survives its masks, or, with `amount` (one rate, or rates by
    kind as winning_ticket takes them), would survive pruning that much of each layer's remaining weights?"""
    if amount is not None:
        model = winning_ticket(clone(model), clone(model), amount)
    expected = remaining_weights(model)
    try:
        value, how = _read_fraction(answer)
    except _Unreadable as problem:
        return _not_yet(f"{problem} Give the share of weights that remain as a fraction (0.5) or a percent (50).")
    if abs(value - expected) <= 0.0005:  # to a twentieth of a point: the small output layer must count
        return _correct(f"({how}.) {100 * expected:.4g} % of the prunable weights remain.")
    if _close(value, 1 - expected):
        return _not_yet(f"({how}.) that is the share pruned; the question asks for the share that remains.")
    layer_shares = {1 - mask.mean().item() for mask in masks(model).values() if mask is not None}
    if any(_close(value, share) or _close(value, 1 - share) for share in layer_shares):
        return _not_yet(f"({how}.) that is one layer's share; the layers are pruned at different rates and hold "
                        f"different numbers of weights, so add up the weights each layer keeps.")
    return _not_yet(f"({how}.) count the weights each layer keeps (its weights times the share it keeps), add them "
                    f"up, and divide by all the prunable weights.")


def check_mask(answer, weights: torch.Tensor, amount: float) -> bool:
    """Which mask (1 = kept, 0 = pruned) does magnitude pruning of `amount` of these weights give?"""
    amount = check_amount(amount)
    weights = torch.as_tensor(weights, dtype=torch.float32).detach().cpu()
    expected = prune.L1Unstructured(amount).compute_mask(weights, torch.ones_like(weights))
    to_prune = int((expected == 0).sum())
    try:
        mask = _as_tensor(answer, weights.shape)
    except _Unreadable as problem:
        return _not_yet(str(problem))
    if not torch.all((mask == 0) | (mask == 1)):
        return _not_yet("a mask holds only 0 (pruned) and 1 (kept).")
    if torch.equal(mask, expected):
        return _correct(f"the {to_prune} weights of smallest magnitude are pruned, {weights.numel() - to_prune} "
                        f"are kept.")
    if torch.equal(mask, 1 - expected):
        return _not_yet("the mask is inverted: 1 marks a weight that is kept, 0 one that is pruned.")
    pruned = int((mask == 0).sum())
    if pruned != to_prune:
        return _not_yet(f"your mask prunes {pruned} weights; pruning {amount:g} of {weights.numel()} prunes "
                        f"round({amount:g} × {weights.numel()}) = {to_prune}.")
    smallest_signed = torch.ones_like(weights).view(-1)
    smallest_signed[torch.topk(weights.view(-1), k=to_prune, largest=False).indices] = 0
    if torch.equal(mask.view(-1), smallest_signed):
        return _not_yet("magnitude pruning ranks weights by |w|: a large negative weight is important too.")
    return _not_yet(f"the right number of zeros, but not in the right places: prune the {to_prune} weights with the "
                    f"smallest |w|.")


def check_ticket(answer, initial: torch.Tensor, trained: torch.Tensor, amount: float) -> bool:
    """What are the winning ticket's weights m ⊙ θ0, when m prunes `amount` of the trained weights θj by magnitude?"""
    amount = check_amount(amount)
    initial = torch.as_tensor(initial, dtype=torch.float32).detach().cpu()
    trained = torch.as_tensor(trained, dtype=torch.float32).detach().cpu()
    mask = prune.L1Unstructured(amount).compute_mask(trained, torch.ones_like(trained))
    try:
        ticket = _as_tensor(answer, initial.shape)
    except _Unreadable as problem:
        return _not_yet(str(problem))
    if torch.allclose(ticket, mask * initial, atol=TOLERANCE):
        return _correct("the survivors keep their initial values θ0, the pruned weights are 0.")
    if torch.allclose(ticket, mask * trained, atol=TOLERANCE):
        return _not_yet("that is the pruned trained network m ⊙ θj; the ticket resets the survivors to their "
                        "values before training.")
    if torch.allclose(ticket, initial, atol=TOLERANCE):
        return _not_yet("those are all the initial weights; the mask still has to switch some of them off.")
    if torch.equal(ticket != 0, (mask * initial) != 0):
        return _not_yet("the right weights are zero, but the surviving values are not θ0's.")
    by_initial = prune.L1Unstructured(amount).compute_mask(initial, torch.ones_like(initial))
    if torch.allclose(ticket, by_initial * initial, atol=TOLERANCE):
        return _not_yet("the mask comes from the trained weights θj (which weights grew large in training), "
                        "not from θ0.")
    return _not_yet("first find the mask from |θj| (check_mask helps), then multiply element by element: where "
                    "the mask is 0 the ticket is 0, where it is 1 the ticket holds the initial weight.")


CONTROL_NAMES = {"reinit": ("reinit", "random reinit", "random reinitialization", "random_reinit", "reinitialization",
                            "random reinitialisation"),
                 "random_prune": ("random_prune", "random pruning", "random prune", "random mask")}


def check_control(answer, keeps: str = "mask") -> bool:
    """Which control keeps the winning ticket's mask but not θ0 (keeps="mask"), or θ0 but not the mask ("init")?"""
    if keeps not in ("mask", "init"):
        raise ValueError(f"keeps must be 'mask' or 'init', got {keeps!r}.")
    expected = "reinit" if keeps == "mask" else "random_prune"
    if answer is None or answer is Ellipsis:
        return _not_yet("replace the placeholder with 'reinit' or 'random_prune'.")
    text = str(answer).strip().lower().replace("-", " ")
    given = next((kind for kind, names in CONTROL_NAMES.items() if text in names), None)
    if given == expected:
        return _correct({"reinit": "random reinitialization keeps the mask m and draws new initial weights: "
                                   "m ⊙ θ0', with θ0' a fresh sample.",
                         "random_prune": "random pruning keeps θ0 and draws a random mask that keeps as many "
                                         "weights per layer as the ticket: m' ⊙ θ0."}[expected])
    if given is not None:
        kept, replaced = (("θ0 (the initial values)", "the mask") if given == "random_prune" else
                          ("the mask m", "the initial values"))
        return _not_yet(f"{given!r} keeps {kept} and replaces {replaced}, so its gap to the ticket tests whether "
                        f"{replaced} matter{'s' if replaced == 'the mask' else ''}; the question asks about "
                        f"{'the initial values' if keeps == 'mask' else 'the mask'}.")
    if text in ("ticket", "winning ticket", "dense"):
        return _not_yet(f"{text!r} is not a control: a control changes one ingredient of the ticket, the mask or θ0.")
    return _not_yet(f"could not read {answer!r}: answer 'reinit' or 'random_prune', the names the records use.")


def check_ticket_advantage(answer, records, control: str = "reinit") -> bool:
    """By how many percentage points does the winning ticket beat `control` (test accuracy at early stop) in
    `records`, the records of one sparsity (e.g. a widget's `explorer.records`)?"""
    def accuracy(kind: str) -> float:
        found = [r for r in records if r.kind == kind]
        if not found:
            raise ValueError(f"The records hold no {kind!r} network: pass the records of one sparsity with controls "
                             f"(experiments.one_shot(..., controls=('reinit', 'random_prune')) or explorer.records).")
        return 100 * max(found, key=lambda r: r.round).early_stop_test_accuracy

    ticket, other = accuracy("ticket"), accuracy(control)
    expected = ticket - other
    try:
        points = _read_number(answer)
    except _Unreadable as problem:
        return _not_yet(f"{problem} Give a number of percentage points, e.g. 1.25.")
    where = next(100 * r.remaining for r in records if r.kind == "ticket")
    if abs(points - expected) <= 0.015:
        better = "beats" if expected >= 0 else "loses to"
        return _correct(f"at {where:.1f} % of the weights remaining the winning ticket ({ticket:.2f} %) {better} "
                        f"{control} ({other:.2f} %) by {abs(expected):.2f} percentage points.")
    if abs(points + expected) <= 0.015 and expected != 0:
        hint = "the sign is reversed: take the ticket's accuracy minus the control's."
    elif abs(100 * points - expected) <= 1.5:
        hint = "that looks like a difference of fractions; give it in percentage points (0.012 is 1.2 points)."
    else:
        hint = (f"read both accuracies at early stop for {where:.1f} % of the weights remaining (the status line "
                f"under the slider, or the bar chart) and subtract: ticket minus {control}.")
    return _not_yet(hint)


def check_largest_gap(answer, records, control: str = "reinit") -> bool:
    """At which share of weights remaining does the winning ticket beat `control` by the most (test accuracy at early
    stop, the mean over the seeds in `records`), among the sparsities that `records` hold (e.g. a sweep's)?"""
    rows = {(row.kind, round(row.remaining, 4)): row.early_stop_test_accuracy.mean for row in summarize(records)}
    gaps = {r: 100 * (rows[("ticket", r)] - rows[(control, r)]) for kind, r in rows
            if kind == "ticket" and (control, r) in rows}
    if not gaps:
        raise ValueError(f"The records hold no sparsity with both a ticket and {control!r}: pass a sweep's records "
                         f"(experiments.sweep(..., controls=('reinit', 'random_prune'))).")
    try:
        value, how = _read_fraction(answer)
    except _Unreadable as problem:
        return _not_yet(f"{problem} Give the share of weights remaining, as the status line prints it (e.g. 51.3).")
    nearest = min(gaps, key=lambda r: abs(r - value))
    if abs(nearest - value) > max(0.002, 0.05 * nearest):
        if any(abs((1 - r) - value) <= 0.01 for r in gaps):
            return _not_yet(f"({how}.) that looks like a share pruned; give the share of weights remaining.")
        return _not_yet(f"({how}.) no sparsity of the records is there; the records hold "
                        f"{', '.join(f'{100 * r:.3g} %' for r in sorted(gaps, reverse=True))} of the weights remaining.")
    best = max(gaps.values())
    if gaps[nearest] >= best - 0.05:  # ties within a twentieth of a point are all right
        return _correct(f"({how}.) at {100 * nearest:.3g} % of the weights remaining the ticket beats {control} by "
                        f"{best:.2f} percentage points, more than anywhere else in these records.")
    return _not_yet(f"({how}.) at {100 * nearest:.3g} % remaining the ticket is {gaps[nearest]:+.2f} points from "
                    f"{control}, but another sparsity has a larger gap: compare ticket and {control} at every "
                    f"slider position (or in the figure), not only where they are far from the dense network.")


# --- writing the algorithm: winning_ticket and iterative_pruning, checked against the library's -------------------

CHECK_SEED = 2019  # the checks build their own networks: a student's code meets weights it has never printed


def _theta_0_and_trained(seed: int = CHECK_SEED) -> tuple[nn.Module, nn.Module]:
    """A LeNet theta_0 and a 'trained' copy: every weight moved by noise as large as the weights, so the smallest
    |theta_j| are not the smallest |theta_0|."""
    theta_0 = build_model("lenet", seed=seed)
    trained = clone(theta_0)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(torch.randn(p.shape, generator=generator) * 0.06)
    return theta_0, trained


def _kept(model: nn.Module) -> dict[str, torch.Tensor | None]:
    return {name: None if mask is None else mask.detach().bool().cpu() for name, mask in masks(model).items()}


def _keep_largest(scores: torch.Tensor, alive: torch.Tensor, count: int) -> torch.Tensor:
    """The mask keeping the `count` largest scores among the alive entries."""
    keep = torch.zeros_like(alive)
    order = scores.flatten().masked_fill(~alive.flatten(), -math.inf).argsort(descending=True)
    keep.view(-1)[order[:count]] = True
    return keep


def _mask_hint(name: str, got: torch.Tensor, want: torch.Tensor, alive: torch.Tensor, theta_0: torch.Tensor,
               trained: torch.Tensor, kind: str, all_counts: tuple[int, int]) -> str:
    """Why a layer's mask differs from the expected one, without giving the mask."""
    kept, expected = int(got.sum()), int(want.sum())
    if kept != expected:
        if all_counts[0] == all_counts[1]:
            return (f"layer {name} keeps {kept:,} weights where it should keep {expected:,}, although all layers "
                    f"together keep the right number: rank each layer's weights separately "
                    f"(prune.l1_unstructured per layer), not all layers together.")
        if kind == "output":
            return (f"the output layer ({name}) keeps {kept:,} weights, not {expected:,}: it has its own rate "
                    f"(the 'output' entry of amount; layer_amounts(trained_network, amount) gives each layer's).")
        return (f"layer {name} keeps {kept:,} of its {int(alive.sum()):,} surviving weights, not {expected:,}: prune "
                f"`amount` of the weights that are still there (prune.l1_unstructured does, round after round).")
    if torch.equal(got, _keep_largest(theta_0.abs(), alive, kept)):
        return f"layer {name} keeps the largest |θ0|; the mask must come from the trained weights, the largest |θj|."
    if torch.equal(got, _keep_largest(-trained.abs(), alive, kept)):
        return f"layer {name} keeps the smallest |θj|: pruning removes the smallest magnitudes and keeps the largest."
    return f"layer {name} keeps as many weights as it should, but not the ones with the largest |θj|."


def check_winning_ticket(fn) -> bool:
    """Your `fn(trained_network, copy_network, amount)`: prune `amount` of the trained network's weights with the
    smallest |w| in each layer (prune.l1_unstructured), and give the copy, made before training, the same mask
    (prune.custom_from_mask), so its survivors keep their initial values. Checked on the check's own LeNet, with
    one rate for all layers and with the paper's per-kind rates, twice in a row (the second call prunes again)."""
    if not callable(fn):
        return _not_yet("pass your function itself, e.g. check_winning_ticket(my_winning_ticket).")
    theta_0, trained = _theta_0_and_trained()
    for amount in (0.5, {"fc": 0.2, "output": 0.1}):
        mine, ours = (clone(trained), clone(theta_0)), (clone(trained), clone(theta_0))
        for call in (1, 2):
            initial = {name: layer.weight.detach().clone() for name, layer in prunable_layers(mine[1]).items()}
            trained_now = {name: layer.weight.detach().clone() for name, layer in prunable_layers(mine[0]).items()}
            before = _kept(mine[0])
            try:
                returned = fn(*mine, amount)
            except Exception as error:  # the student's code: say what broke, in their terms
                return _not_yet(f"your function raised {type(error).__name__}: {error} (amount={amount!r}).")
            if returned is not None and returned is not mine[1]:
                return _not_yet("return the copy network (or nothing): it becomes the winning ticket, in place.")
            winning_ticket(*ours, amount)
            hint = _compare_ticket(mine[0], mine[1], ours[1], before, initial, trained_now, call)
            if hint:
                return _not_yet(hint)
            for network in (mine[0], ours[0]):  # train the pruned pair some more before the second call
                _StandIn([None])(network)
    return _correct("your winning_ticket keeps the largest |θj| of each layer at its own rate, gives the copy the "
                    "same mask on θ0, and prunes again what is left when called again.")


def _compare_ticket(trained: nn.Module, copy_: nn.Module, expected: nn.Module, before: dict, initial: dict,
                    trained_now: dict, call: int) -> str | None:
    """What differs between the student's pair and the library's ticket, as a hint; None if nothing does."""
    got, want, trained_masks = _kept(copy_), _kept(expected), _kept(trained)
    when = "" if call == 1 else " on the second call (the pair was already pruned once)"
    for name in got:
        if got[name] is None:
            return (f"the copy's layer {name} has no mask{when}: give it the trained network's with "
                    f"prune.custom_from_mask.")
        if trained_masks[name] is None or not torch.equal(trained_masks[name], got[name]):
            return (f"the trained network's layer {name} does not carry the copy's mask{when}: prune the trained "
                    f"network (prune.l1_unstructured) and give that same mask to the copy.")
    counts = (sum(int(m.sum()) for m in got.values()), sum(int(m.sum()) for m in want.values()))
    kinds = layer_kinds(expected)
    for name, layer in prunable_layers(copy_).items():
        if not torch.equal(got[name], want[name]):
            alive = before[name] if before[name] is not None else torch.ones_like(want[name])
            return _mask_hint(name, got[name], want[name], alive, initial[name], trained_now[name], kinds[name],
                              counts) + when
        weight = layer.weight.detach().cpu()
        if (weight[~got[name]] != 0).any():
            return f"the copy's pruned weights in layer {name} are not all 0{when}."
        if not torch.equal(weight[got[name]], initial[name][got[name]]):
            if torch.equal(weight[got[name]], trained_now[name][got[name]]):
                return f"the copy's layer {name} holds the trained values θj; its survivors must keep θ0{when}."
            return f"the copy's surviving weights in layer {name} changed{when}: they must keep their values, θ0."
    return None


def check_iterative_pruning(fn, rounds: int = 3, amount=None) -> bool:
    """Your `fn(network, train, rounds, amount)`: `rounds` times, train a copy of the current ticket with `train`,
    prune `amount` of its surviving weights with winning_ticket, reset to θ0; return the list of tickets, one per
    round, untrained, and leave `network` as it was. Checked with the check's own LeNet and a quick stand-in for
    training, against pruning.iterative_pruning."""
    amount = {"fc": 0.2, "output": 0.1} if amount is None else amount
    if not callable(fn):
        return _not_yet("pass your function itself, e.g. check_iterative_pruning(my_iterative_pruning).")
    theta_0 = build_model("lenet", seed=CHECK_SEED)
    untouched = {n: v.clone() for n, v in theta_0.state_dict().items()}
    calls = []
    try:
        tickets = fn(theta_0, _StandIn(calls), rounds, amount)
    except Exception as error:
        return _not_yet(f"your function raised {type(error).__name__}: {error}.")
    expected = iterative_pruning(build_model("lenet", seed=CHECK_SEED), _StandIn([]), rounds, amount)
    if len(calls) != rounds:
        return _not_yet(f"train was called {len(calls)} time(s) for {rounds} rounds: train once per round, the "
                        f"current ticket's copy.")
    if not isinstance(tickets, (list, tuple)) or len(tickets) != rounds or \
            not all(isinstance(t, nn.Module) for t in tickets):
        return _not_yet(f"return a list of {rounds} networks, the ticket of each round.")
    if any(not torch.equal(v, theta_0.state_dict().get(n, v * 0 + 1)) for n, v in untouched.items()) or \
            any(m is not None for m in masks(theta_0).values()):
        return _not_yet("`network` changed: train and prune clones (lottery_utils.clone), never θ0 itself.")
    if len({id(t) for t in tickets}) < rounds:
        return _not_yet("some rounds return the same network object: keep a separate ticket for each round.")
    previous = {name: None for name in masks(theta_0)}
    for r, (ticket, want) in enumerate(zip(tickets, expected), 1):
        got_masks, want_masks = _kept(ticket), _kept(want)
        if any(m is None for m in got_masks.values()):
            return _not_yet(f"round {r}'s ticket has an unpruned layer: each round's ticket carries the round's mask.")
        for name in got_masks:
            if previous[name] is not None and (got_masks[name] & ~previous[name]).any():
                return _not_yet(f"round {r}'s mask keeps weights that round {r - 1} had pruned (layer {name}): each "
                                f"round prunes the survivors of the round before.")
        if not math.isclose(remaining_weights(ticket), remaining_weights(want), abs_tol=1e-9):
            return _not_yet(f"after round {r}, {remaining_weights(ticket):.2%} of the weights remain, not "
                            f"{remaining_weights(want):.2%}: each round prunes `amount` of what is left.")
        for name, layer in prunable_layers(ticket).items():
            if not torch.equal(got_masks[name], want_masks[name]):
                return _not_yet(f"round {r}'s mask differs in layer {name}: prune the copy trained in that round, by "
                                f"its trained magnitudes (winning_ticket(trained, copy, amount)).")
            weight = layer.weight.detach()
            if not torch.equal(weight, prunable_layers(want)[name].weight.detach()):
                return _not_yet(f"round {r}'s ticket does not hold θ0 under its mask (layer {name}): prune a trained "
                                f"clone, and give the mask to an untrained copy of the ticket; later rounds must not "
                                f"train or change earlier tickets.")
        previous = got_masks
    return _correct(f"your loop trains, prunes and resets {rounds} times: nested masks, θ0 under every mask, "
                    f"{remaining_weights(tickets[-1]):.1%} of the weights left after round {rounds}.")


class _StandIn:
    """The checks' quick 'training': moves every weight by seeded noise (the n-th call always the same noise), then
    runs a forward pass so pruned layers recompute their masked weight, as real training leaves them."""

    def __init__(self, calls: list):
        self.calls = calls

    def __call__(self, network: nn.Module) -> None:
        generator = torch.Generator().manual_seed(CHECK_SEED + 10 * len(self.calls))
        self.calls.append(network)
        with torch.no_grad():
            for p in network.parameters():
                p.add_(torch.randn(p.shape, generator=generator) * 0.06)
            network(torch.zeros(1, 1, 28, 28))


def check_learning_rate(answer, preset: Preset | str, iteration: int) -> bool:
    """Which learning rate does `train` use at `iteration` (1 is the first step) under the preset's warmup and
    drops? Computed from the preset given, through the schedule `train` itself uses (training.lr_factor)."""
    paper = preset_named(preset) if isinstance(preset, str) else preset
    if isinstance(iteration, bool) or not isinstance(iteration, int) or iteration < 1:
        raise ValueError(f"iteration must be a whole number >= 1, got {iteration!r}.")
    expected = paper.lr * lr_factor(paper, iteration - 1)
    try:
        value = _read_number(answer)
    except _Unreadable as problem:
        return _not_yet(f"{problem} Give the learning rate as a number.")
    same = lambda a, b: math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)
    if same(value, expected):
        return _correct(f"{paper.name} trains at {expected:g} in iteration {iteration:,}.")
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
    return _not_yet(hint)


# --- why tickets win (notebook 05) ---------------------------------------------------------------------------------

def _check_ticket(amount: float = 0.8) -> tuple[nn.Module, nn.Module]:
    """(theta_0, the ticket): a mask from 'trained' weights (theta_0 moved by seeded noise), on theta_0."""
    theta_0 = build_model("lenet", seed=CHECK_SEED)
    trained = clone(theta_0)
    _StandIn([])(trained)
    return theta_0, winning_ticket(trained, clone(theta_0), amount)


def check_supermask_accuracy(fn, data) -> bool:
    """Your `fn(network, data)`: the test accuracy (a fraction) of `network` as it is, untrained, on data.test_x /
    data.test_y, leaving the network unchanged. Checked on the check's own ticket against training.supermask_accuracy."""
    from .training import evaluate, supermask_accuracy

    if not callable(fn):
        return _not_yet("pass your function itself, e.g. check_supermask_accuracy(my_supermask_accuracy, data).")
    theta_0, ticket = _check_ticket()
    before = {n: v.clone() for n, v in ticket.state_dict().items()}
    try:
        got = fn(ticket, data)
    except Exception as error:
        return _not_yet(f"your function raised {type(error).__name__}: {error}.")
    if any(not torch.equal(v, ticket.state_dict()[n]) for n, v in before.items()):
        return _not_yet("the network changed: a supermask is evaluated as it is, before any training.")
    try:
        got = float(got)
    except (TypeError, ValueError):
        return _not_yet(f"return one number, the accuracy as a fraction; got {type(got).__name__}.")
    expected = supermask_accuracy(ticket, data)
    if abs(got - expected) <= 1e-6:
        return _correct(f"the check's network ({remaining_weights(ticket):.1%} of θ0's weights under a mask the check "
                        f"made up, not a trained ticket's) classifies {got:.2%} of the test digits correctly.")
    copy_ = clone(ticket).to(data.test_x.device)
    validation = evaluate(copy_, data.val_x, data.val_y)
    if abs(got - 100 * expected) <= 1e-4:
        return _not_yet("that looks like a percent: return the accuracy as a fraction between 0 and 1.")
    if abs(got - validation[1]) <= 1e-6:
        return _not_yet("that is the accuracy on the validation images: the supermask is measured on the test set.")
    if abs(got - evaluate(copy_, data.test_x, data.test_y)[0]) <= 1e-6:
        return _not_yet("that is the loss; the question asks for the share of test digits classified correctly.")
    if abs(got - supermask_accuracy(theta_0, data)) <= 1e-6:
        return _not_yet("that is the dense θ0, without the mask: evaluate the network as it is (its `weight`, which "
                        "is weight_orig times the mask).")
    return _not_yet("run the network on the test images (model.eval(), no gradients), take the most likely class "
                    "of each, and count the share that matches the labels.")


def check_sign_preserving_reinit(fn) -> bool:
    """Your `fn(ticket, fresh_network)`: the ticket's mask, on each weight the sign of the ticket's initial value
    and the magnitude of fresh_network's weight there. Checked against pruning.sign_preserving_reinit."""
    from .pruning import sign_preserving_reinit

    if not callable(fn):
        return _not_yet("pass your function itself, e.g. check_sign_preserving_reinit(my_reinit_signs).")
    theta_0, ticket = _check_ticket()
    fresh = build_model("lenet", seed=CHECK_SEED + 1)
    expected = sign_preserving_reinit(clone(ticket), clone(fresh))
    try:
        got = fn(clone(ticket), clone(fresh))
    except Exception as error:
        return _not_yet(f"your function raised {type(error).__name__}: {error}.")
    if not isinstance(got, nn.Module):
        return _not_yet("return the network, the fresh one with the ticket's mask and θ0's signs.")
    got_masks, want_masks = _kept(got), _kept(expected)
    for name, layer in prunable_layers(got).items():
        if got_masks[name] is None or not torch.equal(got_masks[name], want_masks[name]):
            return _not_yet(f"layer {name} does not carry the ticket's mask: the control keeps the mask (apply it with "
                            f"prune.custom_from_mask) and changes only the values.")
        kept = want_masks[name]
        value = layer.weight.detach().cpu()[kept]
        want = prunable_layers(expected)[name].weight.detach().cpu()[kept]
        if torch.allclose(value, want):
            continue
        start = prunable_layers(theta_0)[name].weight.detach()[kept]
        new = prunable_layers(fresh)[name].weight.detach()[kept]
        if torch.allclose(value, start):
            return _not_yet(f"layer {name} holds θ0 itself: that is the ticket. Draw new magnitudes from the fresh "
                            f"network and keep only θ0's signs.")
        if torch.allclose(value, new):
            return _not_yet(f"layer {name} holds the fresh weights with their own signs: that is plain random "
                            f"reinitialization. Keep the sign of θ0 on every weight.")
        if torch.allclose(value, start.abs() * torch.sign(new)):
            return _not_yet(f"layer {name} has it the wrong way round: the magnitude comes from the fresh network, the "
                            f"sign from θ0.")
        return _not_yet(f"layer {name}: each surviving weight is sign(θ0) times |fresh weight| (torch.sign, .abs()).")
    return _correct("the ticket's mask, θ0's signs, fresh magnitudes: Zhou et al.'s sign-preserving control.")
