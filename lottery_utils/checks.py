"""Argument checks that name each mistake and what to do instead.

This module is reference, not reading: the core's modules call these checks, and each error message says what went
wrong. It imports only `data`, `layers` and `history`, so that `amounts`, `models`, `pruning` and `training` can all
use it. (An `Amounts` and a Preset check their own values where they are made, in amounts.py and models.py.)

First come the plain numbers and how amounts fit a network, then the networks the pruning functions are given, last
a preset's numbers and `train`'s arguments.
"""
from __future__ import annotations

import difflib
import inspect
import numbers
import warnings
from collections.abc import Mapping

import torch
from torch import fx, nn
from torch.nn.utils import prune

from .data import Data
from .layers import LAYER_ROLES, layer_roles, masks, prunable_layers, unmasked_weight
from .history import History


def did_you_mean(unknown, known) -> str:
    """Return " ('fcc': did you mean 'fc'?)" for each unknown name that is close to a known one, else ""."""
    known = [str(name) for name in known]
    close = {name: difflib.get_close_matches(str(name), known, n=1) for name in unknown}
    return "".join(f" ({name!r}: did you mean {match[0]!r}?)" for name, match in close.items() if match)


def is_whole(value, minimum: int = 1) -> bool:
    """Whether `value` is a whole number (not a bool, not a float) of at least `minimum`, as every count must be."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum


def validate_amount(amount: float, what: str = "amount", meaning: str = "the fraction of remaining weights to prune"
                    ) -> float:
    """Return `amount` as a float if it is a number in [0, 1), else name the mistake.

    By default `amount` is the share of the remaining weights to prune; `what` and `meaning` name it otherwise.
    """
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"{what} must be a number in [0, 1) ({meaning}), got {amount!r} of type "
                        f"{type(amount).__name__}.")
    if not 0.0 <= amount < 1.0:
        raise ValueError(f"{what} must be in [0, 1) ({meaning}), got {amount}. For a percentage such as 20 %, "
                         f"pass 0.2.")
    return float(amount)


def validate_rounds(rounds: int) -> int:
    """Return `rounds` if it is a whole number of pruning rounds, at least 1."""
    if not is_whole(rounds):
        raise ValueError(f"rounds must be a whole number >= 1, got {rounds!r}.")
    return int(rounds)


def validate_amounts_fit(network: nn.Module, by_role: Mapping[str, float]) -> None:
    """Check amounts by layer role against a network (`Amounts` has checked the keys and values).

    Each role the network has needs an amount, and no role it lacks may have one above 0. Where the output layer's
    amount differs from the hidden layers', the output layer must be the one that runs last.
    """
    roles = layer_roles(network)
    has = [role for role in LAYER_ROLES if role in roles.values()]
    if not by_role:
        raise ValueError("amount is an empty mapping, which would prune nothing: give amounts by layer role, e.g. "
                         "{\"fc\": 0.2, \"output\": 0.1}.")
    absent = sorted(role for role, amount in by_role.items() if amount > 0 and role not in has)
    if absent:  # e.g. {"conv": 0.2} on LeNet, which has no conv layer: it would prune nothing
        raise ValueError(f"This network has no {' or '.join(absent)} layer to prune (its layers: {dict(roles)}); "
                         f"give amounts for the roles it has.")
    missing = [role for role in has if role not in by_role]
    if missing:  # e.g. {"fc": 0.2} on LeNet: is the output layer left whole on purpose?
        example = {role: by_role.get(role, 0.0) for role in has}
        raise ValueError(f"amount gives no amount for this network's {' and '.join(missing)} layer role: give every "
                         f"role it has an amount, 0.0 to leave a role unpruned, as in {example}.")
    if "fc" in has and by_role["fc"] != by_role["output"]:
        validate_output_last(network)


def validate_output_last(network: nn.Module) -> None:
    """Check that the last Linear layer defined runs last, so that `layer_roles` names the output layer rightly.

    A Sequential runs its layers in the order they are defined, so where every module around the Linear layers is
    one (as in all the paper's networks), nothing needs checking. Otherwise torch.fx traces the forward pass. A
    network fx cannot trace (one whose forward branches on its input's values) is not checked, with a warning.
    """
    linear = [name for name, m in prunable_layers(network).items() if isinstance(m, nn.Linear)]
    if len(linear) < 2:  # a single Linear layer is the output layer, in any order
        return
    modules = dict(network.named_modules())
    if all(isinstance(modules[".".join(name.split(".")[:depth])], nn.Sequential)
           for name in linear for depth in range(name.count(".") + 1)):
        return
    output = linear[-1]  # `layer_roles`' rule
    try:
        graph = fx.symbolic_trace(network).graph
    except Exception:  # noqa: BLE001 - fx fails in many ways on code it cannot trace
        warnings.warn(f"torch.fx cannot trace {type(network).__name__}, so whether its last Linear layer defined, "
                      f"{output!r}, is its output layer is not checked. Define the layers in the order they run.",
                      stacklevel=3)
        return
    called = [node.target for node in graph.nodes if node.op == "call_module" and node.target in linear]
    if called and called[-1] != output:
        raise ValueError(f"{type(network).__name__} defines {output!r} as its last Linear layer, but its forward "
                         f"pass calls {called[-1]!r} last. The output layer is taken to be the last one defined, so "
                         f"the two would be pruned at each other's amounts: define the layers in the order they run.")


# --- the networks: each mistake named, with what to do instead -------------------------------------------------

def validate_trained(history, ticket: nn.Module, trained: nn.Module, r: int, start: int) -> None:
    """Check round `r` of `iterative_pruning` after `train_round` trained `trained`, a copy of `ticket`.

    `train_round` must return a History, and it must train the network it is given, in place, from iteration `start`:
    k for a ticket rewound to θk, else 0.
    """
    if history is None:
        raise TypeError(f"train_round returned None in round {r}: return what training returns, as "
                        f"lambda net, r: train(net, data, 'lenet', 5_000) returns train's History.")
    if not isinstance(history, History):
        raise TypeError(f"train_round returned a {type(history).__name__} in round {r}, not a History: return what "
                        f"train returns, as lambda net, r: train(net, data, 'lenet', 5_000) does.")
    if same_weights(ticket, trained):
        raise ValueError(f"train_round left round {r}'s network unchanged. Train the network it is given, in place "
                         f"(not a copy of it), so that the mask ranks its trained weights.")
    began = history.start_iteration
    if began is None or began == start:  # None: a History that does not say (a stand-in for training)
        return
    if start:
        raise ValueError(f"Round {r}'s ticket holds θk, with k = {start:,}, but trained from iteration {began:,}. "
                         f"Rewound tickets go on from k, as the dense network did: train(net, data, 'lenet', 5_000, "
                         f"start_iteration=k if r > 0 else 0).")
    if r == 0:
        raise ValueError(f"The dense network (round 0) trained from iteration {began:,}, not 0. Only rewound tickets "
                         f"start at k: train(net, data, 'lenet', 5_000, start_iteration=k if r > 0 else 0).")
    raise ValueError(f"Round {r}'s ticket holds θ0 but trained from iteration {began:,}, not 0. start_iteration is "
                     f"for tickets rewound to θk, with reset_to=(theta_k, k).")


def validate_iterative_arguments(network, train_round, rounds, by_role: Mapping[str, float], reset_to=None) -> None:
    """Check `iterative_pruning`'s arguments before any training.

    `network` must be a module, `train_round` a function of (network, round), `rounds` a whole number, the amounts
    must fit the network, and `reset_to` must be a pair (θk, k), where θk has `network`'s architecture and masks.
    """
    if not isinstance(network, nn.Module):
        raise TypeError(f"network must be a torch.nn.Module holding θ0 (e.g. build_model('lenet', seed=0)), "
                        f"got {type(network).__name__}.")
    if not callable(train_round):
        raise TypeError(f"train_round must be a function that trains a network in place, e.g. "
                        f"lambda net, r: train(net, data, 'lenet', 5_000); got {type(train_round).__name__}.")
    try:
        inspect.signature(train_round).bind(network, 0)
    except TypeError:
        raise TypeError(f"train_round is called as train_round(network, round): it must take two arguments, e.g. "
                        f"lambda net, r: train(net, data, 'lenet', 5_000); yours takes "
                        f"{inspect.signature(train_round)}.") from None
    except ValueError:  # a callable whose signature Python cannot read (some built-ins): it will be called as is
        pass
    validate_rounds(rounds)
    validate_amounts_fit(network, by_role)
    if reset_to is None:
        return
    if not (isinstance(reset_to, tuple) and len(reset_to) == 2 and isinstance(reset_to[0], nn.Module)
            and is_whole(reset_to[1])):
        raise TypeError(f"reset_to is the pair (theta_k, k): the dense network after k iterations, and k >= 1 "
                        f"(e.g. reset_to=(theta_k, 500)); got {reset_to!r:.80}.")
    theta_k = reset_to[0]
    validate_same_architecture(network, theta_k, ("network", "θk"))
    differs = first_different_mask(network, theta_k)
    if differs is not None:
        raise ValueError(f"θk's mask of layer {differs!r} is not network's: θk holds the weights network reaches "
                         f"after k iterations, with network's masks (none for a dense network).")


def first_different_mask(first: nn.Module, second: nn.Module) -> str | None:
    """Return the name of the first prunable layer whose masks differ between two networks, or None.

    The networks share one architecture. A layer that was never pruned differs from one that was.
    """
    theirs = masks(second)
    for name, mine in masks(first).items():
        other = theirs[name]
        if (mine is None) != (other is None) or (mine is not None and not torch.equal(mine.cpu(), other.cpu())):
            return name
    return None


def first_mask_outside(inner: nn.Module, outer: nn.Module) -> str | None:
    """Return the name of the first prunable layer where `inner`'s mask keeps a weight that `outer`'s prunes, or None.

    A later round's mask lies inside the one before. A layer never pruned keeps every weight.
    """
    outer_masks = masks(outer)
    for name, mask in masks(inner).items():
        around = outer_masks[name]
        if mask is not None and around is not None and bool((mask.cpu() > around.cpu()).any()):
            return name
    return None


def same_weights(first: nn.Module, second: nn.Module) -> bool:
    """Whether two networks of one architecture hold equal parameters (the values under a mask too), on any devices."""
    return all(torch.equal(a.detach().cpu(), b.detach().cpu()) for a, b in zip(first.parameters(), second.parameters()))


def _shapes(named) -> dict[str, tuple[int, ...]]:
    """Tensor shapes by name, as an unpruned network names them (prune's `weight_orig` as `weight`, no masks)."""
    return {n.removesuffix("_orig"): tuple(t.shape) for n, t in named if not n.endswith("_mask")}


def _first_mismatch(a: dict, b: dict) -> str | None:
    """The first name whose shape differs between `a` and `b`, or None. A name missing from one differs."""
    return next((name for name in dict.fromkeys([*a, *b]) if a.get(name) != b.get(name)), None)


def validate_same_architecture(first: nn.Module, second: nn.Module, names: tuple[str, str] = ("first", "second"),
                               advice: str = "Both must be the same architecture (e.g. build_model with the same "
                                             "name).") -> None:
    """Check that two networks have the same parameters, the same names with the same shapes.

    `names` says what the two networks are, in the caller's words, and `advice` what to do instead.
    """
    a, b = _shapes(first.named_parameters()), _shapes(second.named_parameters())
    only = [[n for n in a if n not in b], [n for n in b if n not in a]]
    if any(only):
        alone = "; ".join(f"{names[i]} alone has {', '.join(only[i][:4])}{' ...' * (len(only[i]) > 4)}"
                          for i in (0, 1) if only[i])
        raise ValueError(f"The networks have different layers: {alone}. {advice}")
    name = _first_mismatch(a, b)
    if name is not None:
        raise ValueError(f"The networks differ at parameter {name!r}: {names[0]} {a.get(name, 'missing')}, "
                         f"{names[1]} {b.get(name, 'missing')}. {advice}")


def validate_state(network: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """Check that a state dict fits `network`: the same tensor names and shapes, pruned or not."""
    have, want = _shapes(state.items()), _shapes(network.state_dict().items())
    name = _first_mismatch(have, want)
    if name is not None:
        raise ValueError(f"The state does not fit the network at {name!r}: the state {have.get(name, 'missing')}, "
                         f"the network {want.get(name, 'missing')}. Load it into a network of the same "
                         f"architecture (e.g. build_model with the model it was trained as).")


def validate_ticket_pair(trained_network: nn.Module, copy_network: nn.Module) -> None:
    """Check `winning_ticket`'s two networks: two objects, of one architecture, not the same weights.

    Equal weights mean that the "trained" network was not trained, or that the copy was made after training. (Whether
    the copy can take the new mask is `apply_masks`' check.)
    """
    if trained_network is copy_network:
        raise ValueError("trained_network and copy_network are the same object: pass the copy made before training.")
    validate_same_architecture(trained_network, copy_network, ("trained", "copy"),
                               "The copy must be made from the same architecture before training (e.g. clone(network), "
                               "or build_model with the same name and seed).")
    if same_weights(trained_network, copy_network):
        raise ValueError("trained_network and copy_network hold the same weights, so neither was trained (or the copy "
                         "was made after training). Train trained_network (θj) and keep copy_network as the copy "
                         "made before training (θ0). To prune untrained weights on purpose, use prune_smallest.")


def validate_mask_transfer(source: nn.Module, target: nn.Module) -> None:
    """Check `apply_masks`' networks: one architecture, a pruned source, and no target mask that would cut into the
    source's (torch combines two masks, so a later round's mask must lie inside the earlier one)."""
    validate_same_architecture(source, target, names=("source", "target"))
    if not prune.is_pruned(source):
        raise ValueError("source has no mask to give: prune it first (prune_smallest, or winning_ticket for a pair).")
    outside = first_mask_outside(source, target)
    if outside is not None:
        raise ValueError(f"target (winning_ticket's copy) is already pruned in layer {outside!r} where the new mask "
                         f"keeps weights: the masks would combine, not copy. Pass an unpruned target, such as "
                         f"clone(theta_0), or a ticket of an earlier round of the same pruning.")


def validate_statistics(theta_0: nn.Module, trained: nn.Module, ticket: nn.Module) -> None:
    """Check `weight_statistics`' networks: one architecture, and a ticket cut from the trained network.

    The ticket's mask must lie inside the trained network's own (the weights that trained), and prune some of them.
    """
    for other, name in ((trained, "trained"), (ticket, "ticket")):
        validate_same_architecture(theta_0, other, names=("theta_0", name))
    if not prune.is_pruned(ticket):
        raise ValueError("ticket has no mask, so no weights are pruned to compare with the kept ones: pass what "
                         "winning_ticket returned for the trained network.")
    outside = first_mask_outside(ticket, trained)
    if outside is not None:
        raise ValueError(f"ticket keeps weights in layer {outside!r} that the trained network's mask had pruned: pass "
                         f"the ticket cut from this trained network (for round r, steps[r + 1].ticket).")
    if first_different_mask(trained, ticket) is None:
        raise ValueError("ticket has the trained network's own mask, so every weight it prunes was pruned before "
                         "training, and none trained. Pass the ticket cut after training: for round r, "
                         "weight_statistics(steps[r].ticket, steps[r].trained, steps[r + 1].ticket).")


def validate_random_prune(ticket: nn.Module, network: nn.Module) -> None:
    """Check `random_prune`'s arguments: a pruned ticket, whose mask sizes are copied, and an unpruned network."""
    validate_same_architecture(ticket, network, names=("ticket", "network"))
    validate_unpruned(network, "random_prune's network", "the ticket's unpruned starting weights (a clone of θ0)")
    if not prune.is_pruned(ticket):
        raise ValueError("The ticket has no mask, so there is no size to copy: pass a winning ticket.")


def validate_unpruned(network: nn.Module, what: str, instead: str) -> None:
    """Check that a control starts from an unpruned network, so that its mask is exactly the control's.

    `instead` says which unpruned network the caller wants.
    """
    if prune.is_pruned(network):
        raise ValueError(f"{what} is already pruned: pass {instead}, so that the control's mask is exactly the one it "
                         f"is given.")


def validate_fresh(ticket: nn.Module, fresh_network: nn.Module) -> None:
    """Check a control's fresh network: the ticket's architecture, unpruned, and not the ticket's own θ0.

    A fresh network that starts where the ticket does (the same seed's θ0) would make the control the ticket itself.
    """
    validate_same_architecture(ticket, fresh_network, names=("ticket", "fresh_network"))
    validate_unpruned(fresh_network, "fresh_network", "an unpruned network (build_model with a new seed)")
    fresh = prunable_layers(fresh_network)
    for name, layer in prunable_layers(ticket).items():
        start = unmasked_weight(layer)
        if torch.equal(start.detach().cpu(), fresh[name].weight.detach().cpu()):
            raise ValueError(f"fresh_network's layer {name!r} holds the ticket's own initial weights, so the control "
                             f"would be the ticket itself: build it with another seed (for a ticket of seed 0, e.g. "
                             f"build_model(model, seed=1)).")


# --- the presets and `train`'s arguments (models.Preset, training.train) -------------------------------------------

def validate_preset_numbers(preset) -> None:
    """Check a preset's numbers when it is made: the training length, batch size, learning rate and schedule."""
    for what in ("iterations", "batch_size"):
        if not is_whole(getattr(preset, what)):
            raise ValueError(f"Preset {preset.name!r}: {what} must be a whole number >= 1, "
                             f"got {getattr(preset, what)!r}.")
    if not preset.lr > 0:
        raise ValueError(f"Preset {preset.name!r}: the learning rate must be > 0, got {preset.lr!r}.")
    if preset.eval_every is not None and not is_whole(preset.eval_every):
        raise ValueError(f"Preset {preset.name!r}: eval_every must be a whole number >= 1 or None, "
                         f"got {preset.eval_every!r}.")
    if not is_whole(preset.warmup_iterations, 0):
        raise ValueError(f"Preset {preset.name!r}: warmup_iterations must be a whole number >= 0 (0: no warmup), "
                         f"got {preset.warmup_iterations!r}.")
    milestones = tuple(preset.lr_milestones)
    if not all(is_whole(m) for m in milestones) or list(milestones) != sorted(set(milestones)):
        raise ValueError(f"Preset {preset.name!r}: lr_milestones must be increasing whole numbers >= 1, "
                         f"got {preset.lr_milestones!r}.")


def validate_training(data, *, iterations, batch_size, lr, seed, start_iteration, curve_every, progress) -> None:
    """Check `train`'s arguments, naming each mistake."""
    if not isinstance(data, Data):
        raise TypeError(f"data must be a Data, e.g. load_mnist(folder) or load_cifar10(folder); got "
                        f"{type(data).__name__}.")
    if not (isinstance(progress, bool) or progress is None or callable(progress)):
        raise TypeError(f"progress must be True, False or a tqdm class (e.g. tqdm.notebook.tqdm), got {progress!r}.")
    train_size = len(data.train_y)
    if not is_whole(iterations):
        raise ValueError(f"iterations must be a whole number >= 1, got {iterations!r}.")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0):
        raise ValueError(f"lr, the learning rate, must be a number > 0 (or None for the preset's), got {lr!r}.")
    if not (is_whole(batch_size) and batch_size <= train_size):
        raise ValueError(f"batch_size must be a whole number from 1 to {train_size:,} (the training set's size), got "
                         f"{batch_size!r}.")
    if not is_whole(seed, 0):
        raise ValueError(f"seed, which orders the mini-batches, must be a whole number >= 0, got {seed!r}.")
    if not (is_whole(start_iteration, 0) and start_iteration < iterations):
        raise ValueError(f"Need 0 <= start_iteration < iterations; got start_iteration={start_iteration!r}, "
                         f"iterations={iterations}.")
    if curve_every is not None and not is_whole(curve_every):
        raise ValueError(f"curve_every must be a whole number >= 1 (or None for the default), got {curve_every!r}.")


def validate_curves(curve_every: int, eval_every: int, iterations: int) -> None:
    """Check that every curve point falls on a validation measurement."""
    if curve_every % eval_every and curve_every < iterations:
        raise ValueError(f"curve_every ({curve_every}) must be a multiple of the preset's eval_every ({eval_every}): "
                         f"the curves are measured when the validation loss is.")


def validate_fits(network: nn.Module, data: Data) -> None:
    """Pass one training example through the network, to check that it takes the data's inputs.

    A network built for other data (LeNet on CIFAR-10 images) then fails here, with what to do, rather than inside the
    training loop with a matrix-shape error.
    """
    was_training = network.training
    network.eval()  # batch norm's running statistics left as they are
    try:
        with torch.no_grad():
            network(data.train_x[:1])
    except RuntimeError as error:
        raise ValueError(f"The network does not take {data.name}'s inputs (shape {tuple(data.train_x.shape[1:])}): "
                         f"{error}. Build the model for this data (e.g. build_model('conv2', seed) for CIFAR-10, "
                         f"'lenet' for MNIST).") from None
    finally:
        network.train(was_training)
