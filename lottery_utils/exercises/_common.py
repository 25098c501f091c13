"""What every lesson's checks share: reading a student's answer, the two messages (`correct`, `not_yet`, as the
package's docstring describes them), the networks the checks build."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch
from torch import nn

from ..models import build_model
from ..layers import layer_roles, masks, prunable_layers
from ..masking import clone
from ..history import History

TOLERANCE = 0.006  # for matrices copied from a print-out with two decimals


class Unreadable(ValueError):
    """The answer is not something a check can read; the message says what to write instead."""


@dataclass(frozen=True)
class Verdict:
    """What a check found, true when the answer is correct. The check has printed its message, so a notebook shows
    nothing more for it (IPython's display protocol: `_ipython_display_`), not a bare True or False."""

    correct: bool

    def __bool__(self) -> bool:
        return self.correct

    def _ipython_display_(self) -> None:
        pass


def correct(message: str) -> Verdict:
    print(f"Correct! {message}")
    return Verdict(True)


def not_yet(message: str) -> Verdict:
    print(f"Not yet: {message}")
    return Verdict(False)


def read_number(answer) -> float:
    if answer is None or answer is Ellipsis:
        raise Unreadable("replace the placeholder with your answer.")
    if isinstance(answer, bool):
        raise Unreadable(f"{answer!r} is a yes/no value; the answer is a number.")
    if isinstance(answer, str):
        text = answer.strip().replace(",", "").replace("_", "")
        try:
            return float(text)
        except ValueError:
            raise Unreadable(f"could not read {answer!r} as a number.") from None
    try:
        return float(answer)  # ints, floats, numpy and one-element torch values
    except (TypeError, ValueError):
        raise Unreadable(f"could not read {answer!r} (a {type(answer).__name__}) as a number.") from None


def read_fraction(answer) -> tuple[float, str]:
    """The answer as a fraction in [0, 1], and a note on how it was read: 0.2 and 1 are fractions, 20 and "20 %" are
    percents."""
    if isinstance(answer, str) and answer.strip().endswith("%"):
        value = read_number(answer.strip()[:-1]) / 100
        how = f"read {answer.strip()!r} as a percent"
    else:
        number = read_number(answer)
        if 0 <= number <= 1:
            value, how = number, f"read {number:g} as a fraction, {100 * number:.4g} %"
        elif 1 < number <= 100:
            value, how = number / 100, f"read {number:g} as a percent, the fraction {number / 100:.4g}"
        else:
            raise Unreadable(f"{number:g} is neither a fraction (0 to 1) nor a percent (0 to 100).")
    if not 0 <= value <= 1:
        raise Unreadable(f"{answer!r} is not between 0 % and 100 %.")
    return value, how


def read_count(answer) -> int:
    if isinstance(answer, str) and re.search(r"\d\s*[kKmM]\b", answer):
        raise Unreadable(f"{answer!r} is rounded; give the exact count, e.g. 12345 or '12,345'.")
    number = read_number(answer)
    if not math.isfinite(number) or number != int(number):
        raise Unreadable(f"{answer!r} is not a whole number; a count of weights is.")
    return int(number)


def is_close(value: float, expected: float) -> bool:
    """Within half a percentage point, and within 5 % of small targets (0.1 % for 0.0012 is not 0)."""
    return abs(value - expected) <= min(0.005, max(0.0005, 0.05 * expected))


def answer_tensor(answer, shape: torch.Size) -> torch.Tensor:
    if answer is None or answer is Ellipsis:
        raise Unreadable("replace the placeholder with your answer.")
    try:
        tensor = torch.as_tensor(answer, dtype=torch.float32).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        raise Unreadable(f"could not read the answer as a matrix; write it as a nested list like "
                          f"{[[0.0] * shape[-1]] * min(2, shape[0])} or a tensor.") from None
    if tensor.shape != shape:
        raise Unreadable(f"the answer has shape {tuple(tensor.shape)}, but the weights have shape {tuple(shape)}.")
    return tensor


def model_and_name(model: nn.Module | str) -> tuple[nn.Module, str]:
    if isinstance(model, str):
        return build_model(model, seed=0), model
    return model, "the network" if isinstance(model, nn.Sequential) else type(model).__name__  # VGG-19: a Sequential


# --- writing the algorithm: winning_ticket and iterative_pruning, checked against the library's -------------------

CHECK_SEED = 2019  # the checks build their own networks: a student's code meets weights it has never printed


def theta_0_and_trained(seed: int = CHECK_SEED) -> tuple[nn.Module, nn.Module]:
    """A LeNet theta_0 and a 'trained' copy: every weight moved by noise as large as the weights, so the smallest
    |theta_j| are not the smallest |theta_0|."""
    theta_0 = build_model("lenet", seed=seed)
    trained = clone(theta_0)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(torch.randn(p.shape, generator=generator) * 0.06)
    return theta_0, trained


def boolean_masks(model: nn.Module) -> dict[str, torch.Tensor | None]:
    """Each prunable layer's mask as booleans on the CPU (None: never pruned), to compare two networks' masks."""
    return {name: None if mask is None else mask.detach().bool().cpu() for name, mask in masks(model).items()}


def keep_largest(scores: torch.Tensor, alive: torch.Tensor, count: int) -> torch.Tensor:
    """The mask keeping the `count` largest scores among the alive entries."""
    keep = torch.zeros_like(alive)
    order = scores.flatten().masked_fill(~alive.flatten(), -math.inf).argsort(descending=True)
    keep.view(-1)[order[:count]] = True
    return keep


def mask_hint(name: str, got: torch.Tensor, want: torch.Tensor, alive: torch.Tensor, theta_0: torch.Tensor,
               trained: torch.Tensor, role: str, all_counts: tuple[int, int]) -> str:
    """Why a layer's mask differs from the expected one, without giving the mask."""
    kept, expected = int(got.sum()), int(want.sum())
    if kept != expected:
        if all_counts[0] == all_counts[1]:
            return (f"layer {name} keeps {kept:,} weights where it should keep {expected:,}, although all layers "
                    f"together keep the right number: rank each layer's weights separately "
                    f"(prune.l1_unstructured per layer), not all layers together.")
        if role == "output":
            return (f"the output layer ({name}) keeps {kept:,} weights, not {expected:,}: it has its own amount "
                    f"(the 'output' entry of amount; layer_amounts(trained_network, amount) gives each layer's).")
        return (f"layer {name} keeps {kept:,} of its {int(alive.sum()):,} surviving weights, not {expected:,}: prune "
                f"`amount` of the weights that are still there (prune.l1_unstructured does, round after round).")
    if torch.equal(got, keep_largest(theta_0.abs(), alive, kept)):
        return f"layer {name} keeps the largest |θ0|; the mask must come from the trained weights, the largest |θj|."
    if torch.equal(got, keep_largest(-trained.abs(), alive, kept)):
        return f"layer {name} keeps the smallest |θj|: pruning removes the smallest magnitudes and keeps the largest."
    return f"layer {name} keeps as many weights as it should, but not the ones with the largest |θj|."


def compare_ticket(ticket: nn.Module, expected: nn.Module, before: dict, initial: dict, trained_now: dict,
                   call: int) -> str | None:
    """What differs between the student's ticket and the library's, as a hint; None if nothing does."""
    hint = _ticket_difference(ticket, expected, before, initial, trained_now)
    if hint is None or call == 1:
        return hint
    return f"in the second round (a trained ticket, and an untrained clone of it), {hint}"


def _ticket_difference(ticket: nn.Module, expected: nn.Module, before: dict, initial: dict,
                       trained_now: dict) -> str | None:
    got, want = boolean_masks(ticket), boolean_masks(expected)
    for name in got:
        if got[name] is None:
            return (f"the copy's layer {name} has no mask: give it the mask of the trained network's largest weights "
                    f"with prune.custom_from_mask.")
    counts = (sum(int(m.sum()) for m in got.values()), sum(int(m.sum()) for m in want.values()))
    roles = layer_roles(expected)
    for name, layer in prunable_layers(ticket).items():
        if not torch.equal(got[name], want[name]):
            alive = before[name] if before[name] is not None else torch.ones_like(want[name])
            return mask_hint(name, got[name], want[name], alive, initial[name], trained_now[name], roles[name],
                             counts)
        weight = layer.weight.detach().cpu()
        if (weight[~got[name]] != 0).any():
            return f"the copy's pruned weights in layer {name} are not all 0."
        if not torch.equal(weight[got[name]], initial[name][got[name]]):
            if torch.equal(weight[got[name]], trained_now[name][got[name]]):
                return f"the copy's layer {name} holds the trained values θj; its survivors must keep θ0."
            return f"the copy's surviving weights in layer {name} changed: they must keep their values, θ0."
    return None


class StandIn:
    """The checks' quick 'training': moves every weight by seeded noise (the n-th call always the same noise), then
    runs a forward pass so pruned layers recompute their masked weight, as real training leaves them."""

    def __init__(self, calls: list):
        self.calls = calls

    def __call__(self, network: nn.Module, round_index: int | None = None) -> History:  # as iterative_pruning calls it
        generator = torch.Generator().manual_seed(CHECK_SEED + 10 * len(self.calls))
        self.calls.append(network)
        with torch.no_grad():
            for p in network.parameters():
                p.add_(torch.randn(p.shape, generator=generator) * 0.06)
            network(torch.zeros(1, 1, 28, 28))
        return History()  # no measurements: nothing was trained
