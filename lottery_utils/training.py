"""A fast training loop over in-memory tensors that reports the paper's early-stopping numbers (student-facing core)."""
from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import prune
from tqdm.auto import tqdm

from .checks import validate_curves, validate_fits, validate_training
from .data import Data
from .layers import prunable_layers
from .models import PRESETS, Preset, get_preset
from .pruning import clone
from .results import History

CURVE_POINTS = 50  # the curves: test accuracy about 50 times a training (LeNet: every 1,000 of 50,000 iterations)
Progress = Callable[..., Iterable] | bool | None  # a tqdm class (or anything called like one); True: tqdm.auto's


def train(network: nn.Module, data: Data, preset: str | Preset, iterations: int | None = None,
          batch_size: int | None = None, *, lr: float | None = None, seed: int = 0, start_iteration: int = 0,
          curve_every: int | None = None, progress: Progress = True) -> History:
    """Train `network` in place on `data` with shuffled mini-batches, and return its History.

    The History holds the early-stopping iteration (the minimum validation loss), the test accuracy there, and the
    curves. The network moves to the data's device and keeps its masks.

    Args:
        preset: how to train: a name ("lenet": Adam at 1.2e-3, 50,000 iterations of 60) or a Preset.
        iterations, batch_size, lr: the preset's unless given.
        seed: orders the mini-batches (`build_model` draws the weights).
        start_iteration: k, for a network reset to θk (rewinding): it trains on from iteration k, with the batches
            and learning rate the dense network had there.
        curve_every: how often the curves are measured (default: about CURVE_POINTS times a training).
        progress: True for tqdm's bar, False for none, or a tqdm class.
    """
    if not isinstance(data, Data):
        raise TypeError(f"data must be a Data, e.g. load_mnist(folder) or load_cifar10(folder); got "
                        f"{type(data).__name__}.")
    preset = get_preset(preset) if isinstance(preset, str) else preset
    if not isinstance(preset, Preset):
        raise TypeError(f"preset must be a preset's name ({', '.join(PRESETS)}) or a Preset, got {preset!r}.")
    iterations = preset.iterations if iterations is None else iterations
    batch_size = preset.batch_size if batch_size is None else batch_size
    validate_training(len(data.train_y), iterations, batch_size, start_iteration, curve_every)
    eval_every = min(preset.eval_every or max(100, iterations // CURVE_POINTS), iterations)  # the validation loss
    curve_every = curve_every or eval_every * max(1, iterations // CURVE_POINTS // eval_every)  # the curves
    validate_curves(curve_every, eval_every, iterations)
    network.to(data.train_x.device)
    validate_fits(network, data)
    start = time.perf_counter()
    with masks_folded(network) as masked:  # a pruned network trains at dense speed, computing what prune's hooks would
        optimizer, lr_schedule = make_optimizer(network, preset, lr, start_iteration)
        log = _Log(network, data, curve_every, first=start_iteration, last=iterations)
        log.measure(start_iteration)
        network.train()
        for iteration, x, y in _with_bar(batches(data, batch_size, seed, start_iteration, iterations), progress,
                                         iterations - start_iteration, log):
            loss = F.cross_entropy(network(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if lr_schedule is not None:
                lr_schedule.step()
            with torch.no_grad():
                for weight, mask in masked:
                    weight.mul_(mask)  # pruned weights stay exactly zero
            if iteration % eval_every == 0 or iteration == iterations:
                log.measure(iteration)
        history = log.history()
    history.seconds = time.perf_counter() - start
    return history


def batches(data: Data, batch_size: int, seed: int, start_iteration: int, iterations: int
            ) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
    """(iteration, inputs, labels) for iterations start_iteration + 1 ... iterations: each epoch a new order of the
    training set drawn without replacement from a generator seeded with `seed`, cut into batches (the remainder of
    an epoch is left out). Starting at iteration k gives the batches a training from 0 would have had from k on."""
    order = torch.Generator().manual_seed(seed)
    per_epoch = len(data.train_y) // batch_size
    perm = None  # the order of the current epoch: drawn at its first iteration
    for _ in range(math.ceil(start_iteration / per_epoch)):  # the epoch orders drawn before iteration k
        perm = torch.randperm(len(data.train_y), generator=order).to(data.train_x.device)
    for iteration in range(start_iteration + 1, iterations + 1):
        step = (iteration - 1) % per_epoch
        if step == 0:  # a new epoch: a new order
            perm = torch.randperm(len(data.train_y), generator=order).to(data.train_x.device)
        batch = perm[step * batch_size:(step + 1) * batch_size]
        # gathering one batch beats copying a shuffled epoch; index_select beats x[batch]
        yield iteration, data.train_x.index_select(0, batch), data.train_y.index_select(0, batch)


class Evaluation(NamedTuple):
    """What `evaluate` measures: mean cross-entropy loss and accuracy (a fraction)."""

    loss: float
    accuracy: float


def evaluate(network: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1_000) -> Evaluation:
    """Mean cross-entropy loss and accuracy over every example of (x, y)."""
    was_training = network.training
    network.eval()
    loss = correct = 0.0
    with torch.inference_mode():
        for i in range(0, len(y), batch_size):
            logits = network(x[i:i + batch_size])
            loss += F.cross_entropy(logits, y[i:i + batch_size], reduction="sum").item()
            correct += (logits.argmax(1) == y[i:i + batch_size]).sum().item()
    network.train(was_training)
    return Evaluation(loss / len(y), correct / len(y))


def supermask_accuracy(network: nn.Module, data: Data) -> float:
    """Test accuracy of a network as it is, before any training: for a ticket, its mask on theta_0 (m * theta_0),
    which Zhou et al. 2019 ("Deconstructing Lottery Tickets") call a supermask when it beats chance (10 % on MNIST)
    untrained. The network is left as it is (a copy is evaluated on the data's device)."""
    return evaluate(clone(network).to(data.test_x.device), data.test_x, data.test_y).accuracy


# --- what `train` uses: the optimizer and its schedule, progress bars, the measurements, mask folding ----------

def make_optimizer(network: nn.Module, preset: Preset, lr: float | None = None, start_iteration: int = 0):
    """The preset's optimizer (fused: one kernel for all parameters) and its learning-rate schedule, if any (from
    `start_iteration` on: a network rewound to iteration k resumes the schedule there)."""
    params = [p for p in network.parameters() if p.requires_grad]
    lr = preset.lr if lr is None else lr
    if preset.optimizer == "adam":
        optimizer = torch.optim.Adam(params, lr=lr, weight_decay=preset.weight_decay, fused=True)
    else:  # "sgd", the only other optimizer a Preset accepts (checks.OPTIMIZERS, checked when the Preset is made)
        optimizer = torch.optim.SGD(params, lr=lr, momentum=preset.momentum, weight_decay=preset.weight_decay,
                                    fused=True)
    if not preset.lr_milestones and not preset.warmup_iterations:
        return optimizer, None
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, partial(lr_factor, preset, offset=start_iteration))


def lr_factor(preset: Preset, steps: int, offset: int = 0) -> float:
    """The learning-rate multiplier of iteration `steps + 1` (after `steps` optimizer steps).

    A linear warmup over the first `preset.warmup_iterations` iterations (iteration i at i / warmup), then 1/10 for
    each milestone passed, as torch's MultiStepLR. A training that starts at iteration `offset` (rewinding) counts its
    steps from there."""
    steps += offset
    warmup = min(1.0, (steps + 1) / preset.warmup_iterations) if preset.warmup_iterations else 1.0
    return warmup * 0.1 ** bisect_right(preset.lr_milestones, steps)


def progress_bars(progress: Progress) -> Callable[..., Iterable] | None:
    """The bar maker `progress` stands for: True is tqdm.auto's tqdm, False or None no bars, else `progress` itself."""
    if progress is True:
        return tqdm
    if progress is False or progress is None:
        return None
    if not callable(progress):
        raise TypeError(f"progress must be True, False, None or a tqdm class (e.g. tqdm.notebook.tqdm), "
                        f"got {progress!r}.")
    return progress


def _with_bar(steps: Iterable, progress: Progress, total: int, log: "_Log") -> Iterable:
    """`steps` under a progress bar (see `progress_bars`), which shows the latest test accuracy the log measured."""
    bars = progress_bars(progress)
    if bars is None:
        return steps
    bar = bars(steps, total=total, leave=False, mininterval=0.5)
    if hasattr(bar, "set_postfix"):
        log.bar = bar
    return bar


def _copy_state(network: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in network.state_dict().items()}


class _Log:
    """What a training measures: validation loss at every `measure` (the paper's early stopping: the first iteration of
    minimum validation loss, and the test accuracy there), and the curves every `curve_every` iterations and at the
    `first` and `last` iterations. Where the test set was not evaluated at the early-stop iteration, a copy of the
    weights is kept and evaluated once at the end."""

    def __init__(self, network: nn.Module, data: Data, curve_every: int, first: int, last: int):
        self.network, self.data, self.curve_every, self.first, self.last = network, data, curve_every, first, last
        self.curves = History()
        self.best_loss, self.best_iteration, self.best_accuracy, self.best_state = math.inf, 0, None, None
        self.bar = None  # a progress bar to show the test accuracy on

    def measure(self, iteration: int) -> None:
        val_loss, test_accuracy = evaluate(self.network, self.data.val_x, self.data.val_y).loss, None
        if iteration % self.curve_every == 0 or iteration in (self.first, self.last):
            test_accuracy = evaluate(self.network, self.data.test_x, self.data.test_y).accuracy
            self.curves.iterations.append(iteration)
            self.curves.val_loss.append(val_loss)
            self.curves.test_accuracy.append(test_accuracy)
            if self.bar is not None:
                self.bar.set_postfix(test_accuracy=f"{test_accuracy:.4f}", refresh=False)
        if val_loss < self.best_loss:
            self.best_loss, self.best_iteration, self.best_accuracy = val_loss, iteration, test_accuracy
            self.best_state = None if test_accuracy is not None else _copy_state(self.network)

    def history(self) -> History:
        """The curves and the early-stopping point (the network is left with its last weights)."""
        if self.best_accuracy is None:
            now = _copy_state(self.network)
            self.network.load_state_dict(self.best_state)
            self.best_accuracy = evaluate(self.network, self.data.test_x, self.data.test_y).accuracy
            self.network.load_state_dict(now)
        self.curves.early_stop_iteration = self.best_iteration
        self.curves.early_stop_test_accuracy = self.best_accuracy
        return self.curves


@contextmanager
def masks_folded(network: nn.Module):
    """Let pruned layers train at dense speed, through torch.nn.utils.prune's public API.

    `prune.remove` makes each pruned weight a plain parameter while it trains; the caller re-zeroes the pruned entries
    after every step (yielded as (weight, mask) pairs); `prune.custom_from_mask` puts the masks back, and the pruned
    entries of `weight_orig` get back the values they had. The same forward pass and the same updates of the kept
    weights as under prune's hooks (a test trains both ways), for optimizers that update each weight on its own, as
    Adam and SGD do. (Under the hooks, weight decay would also shrink the hidden entries, which no forward pass uses.)
    """
    pruned = {module: (module.weight_mask.detach().clone(), module.weight_orig.detach().clone())
              for module in prunable_layers(network).values() if prune.is_pruned(module)}
    for module in pruned:
        prune.remove(module, "weight")
    try:
        yield [(module.weight, mask) for module, (mask, _) in pruned.items()]
    finally:
        for module, (mask, before) in pruned.items():
            prune.custom_from_mask(module, "weight", mask)
            with torch.no_grad():  # what the mask hides keeps the value it had before training
                module.weight_orig.copy_(torch.where(mask.bool(), module.weight_orig, before))
