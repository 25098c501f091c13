"""Training. `train` is a plain loop over in-memory tensors, and it records the paper's early stop.

`train` trains a network, pruned or not, and returns its History. `evaluate` measures a network's loss and accuracy.
Below them is what `train` uses: the mini-batches, the optimizer and its schedule, and the measurements.
"""
from __future__ import annotations

import math
import time
import warnings
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .checks import validate_curves, validate_fits, validate_training
from .data import Data
from .masking import masks_folded
from .models import Preset, get_preset
from .history import History

Progress = Callable[..., Iterable] | bool | None  # what `progress` takes: True, False, None or a tqdm class
CURVE_POINTS = 50  # The curves get a test accuracy about 50 times a training (LeNet: every 1,000 of 50,000 iterations).


def train(network: nn.Module, data: Data, preset: str | Preset, iterations: int | None = None,
          batch_size: int | None = None, *, lr: float | None = None, seed: int = 0, start_iteration: int = 0,
          curve_every: int | None = None, progress: Progress = True) -> History:
    """Train `network` in place, and return its History.

        history = train(network, data, "lenet", 5_000)   # LeNet's recipe, for 5,000 iterations


    The History holds the early stop (the iteration of lowest validation loss), the test accuracy there, and the
    curves. A pruned network keeps its mask. To keep a ticket's θ0, train `clone(ticket)`.

    Args:
        network: any network that takes the data's inputs, pruned or not. It moves to the data's device.
        data: from `load_mnist` or `load_cifar10`.
        preset: the training recipe, a name or a Preset. "lenet" is Adam at 1.2e-3, 50,000 iterations of 60 images.
        iterations, batch_size, lr: the preset's, unless you give others.
        seed: orders the mini-batches. (`build_model` has its own seed, for the weights.)
        start_iteration: k, for a network reset to θk (rewinding): training goes on from iteration k.
        curve_every: how often the curves get a point. The default is about CURVE_POINTS times a training.
        progress: True for a progress bar, False or None for none, or a tqdm class to draw it with.

    Details: only the preset's training recipe is used, never its network, so any network trains with any preset.
    From iteration k, a rewound network gets the batches and learning rate the dense network had there.
    """
    preset = get_preset(preset)
    iterations = preset.iterations if iterations is None else iterations
    batch_size = preset.batch_size if batch_size is None else batch_size
    validate_training(data, iterations=iterations, batch_size=batch_size, lr=lr, seed=seed,
                      start_iteration=start_iteration, curve_every=curve_every, progress=progress)
    eval_every, curve_every = measurement_intervals(preset, iterations, curve_every)
    network.to(data.train_x.device)
    validate_fits(network, data)
    start = time.perf_counter()
    steps = batches(data, batch_size, seed, start_iteration, iterations)
    bars = progress_bars(progress)
    if bars is not None:
        steps = bars(steps, total=iterations - start_iteration, leave=False, mininterval=0.5)
    with masks_folded(network) as reapply_masks:  # for speed only: the numbers are those of prune's hooks
        optimizer, lr_schedule = make_optimizer(network, preset, lr, start_iteration)
        measurements = Measurements(network, data, curve_every, first=start_iteration, last=iterations)
        measurements.measure(start_iteration)
        network.train()
        for iteration, x, y in steps:
            loss = F.cross_entropy(network(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if lr_schedule is not None:
                lr_schedule.step()
            reapply_masks()  # the pruned weights back to exactly zero
            if iteration % eval_every == 0 or iteration == iterations:
                measurements.measure(iteration)
        history = measurements.history(seconds=time.perf_counter() - start)
    return history


def batches(data: Data, batch_size: int, seed: int, start_iteration: int, iterations: int
            ) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
    """Yield (iteration, inputs, labels) for iterations start_iteration + 1 ... iterations.

    Each epoch shuffles the training set (seeded by `seed`) and cuts it into batches; the last, partial batch is
    skipped. Starting at iteration k gives the batches a training from 0 would have had from k on.
    """
    order = torch.Generator().manual_seed(seed)
    per_epoch = len(data.train_y) // batch_size
    perm = None  # the order of the current epoch, drawn at its first iteration
    for _ in range(math.ceil(start_iteration / per_epoch)):  # replays the epoch orders drawn before iteration k
        perm = torch.randperm(len(data.train_y), generator=order).to(data.train_x.device)
    for iteration in range(start_iteration + 1, iterations + 1):
        step = (iteration - 1) % per_epoch
        if step == 0:  # a new epoch gets a new order
            perm = torch.randperm(len(data.train_y), generator=order).to(data.train_x.device)
        batch = perm[step * batch_size:(step + 1) * batch_size]
        # Gathering one batch is faster than copying a shuffled epoch. index_select is faster than x[batch].
        yield iteration, data.train_x.index_select(0, batch), data.train_y.index_select(0, batch)


class Evaluation(NamedTuple):
    """What `evaluate` measures. The loss is the mean cross-entropy, and the accuracy a fraction."""

    loss: float
    accuracy: float


def evaluate(network: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1_000) -> Evaluation:
    """Measure the mean cross-entropy loss and the accuracy on (x, y): `evaluate(net, data.test_x, data.test_y)`.

    The network is not changed. The data goes to the network's device, batch by batch, wherever it is stored.
    """
    device = next(network.parameters(), x).device
    was_training = network.training
    network.eval()
    loss = correct = 0.0
    try:
        with torch.inference_mode():
            for i in range(0, len(y), batch_size):
                inputs, labels = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
                logits = network(inputs)
                loss += F.cross_entropy(logits, labels, reduction="sum").item()
                correct += (logits.argmax(1) == labels).sum().item()
    finally:
        network.train(was_training)
    return Evaluation(loss / len(y), correct / len(y))


# --- what `train` uses: the progress bar, the optimizer and its schedule, the measurements ------------------------

def progress_bars(progress: Progress) -> Callable[..., Iterable] | None:
    """Return the progress bar class `progress` asks for: tqdm for True, None for False or None, else `progress`."""
    return tqdm if progress is True else progress or None


def measurement_intervals(preset: Preset, iterations: int, curve_every: int | None = None) -> tuple[int, int]:
    """Return how often `train` measures, as (eval_every, curve_every).

    The validation loss, for the early stop, is measured every `eval_every` iterations: the preset's (LeNet: 100), or
    about CURVE_POINTS times a training. The curves take the test accuracy every `curve_every` iterations, a multiple
    of `eval_every`: by default about CURVE_POINTS times a training (LeNet: every 1,000).
    """
    eval_every = min(preset.eval_every or max(100, iterations // CURVE_POINTS), iterations)
    if curve_every is None:
        curve_every = eval_every * max(1, iterations // CURVE_POINTS // eval_every)
    validate_curves(curve_every, eval_every, iterations)
    return eval_every, curve_every


def make_optimizer(network: nn.Module, preset: Preset, lr: float | None = None, start_iteration: int = 0
                   ) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """Return the preset's optimizer and its learning-rate schedule (None for a constant rate).

    The schedule starts at `start_iteration`, where a network rewound to iteration k resumes it.
    """
    params = [p for p in network.parameters() if p.requires_grad]
    lr = preset.lr if lr is None else lr
    # fused=True only for speed: one kernel updates all the parameters, where a loop would launch one per tensor.
    if preset.optimizer == "adam":
        optimizer = torch.optim.Adam(params, lr=lr, weight_decay=preset.weight_decay, fused=True)
    else:  # "sgd", the only other one of models.OPTIMIZERS (a Preset checks its optimizer when it is made)
        optimizer = torch.optim.SGD(params, lr=lr, momentum=preset.momentum, weight_decay=preset.weight_decay,
                                    fused=True)
    if not preset.lr_milestones and not preset.warmup_iterations:
        return optimizer, None
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, partial(lr_factor, preset, offset=start_iteration))


def lr_factor(preset: Preset, steps: int, offset: int = 0) -> float:
    """Return the learning-rate multiplier of iteration `steps + 1`, after `steps` optimizer steps.

    The warmup is linear: iteration i trains at i / warmup_iterations of the rate. Then the rate is divided by 10 at
    each milestone passed, as torch's MultiStepLR does. A training rewound to iteration `offset` counts from there.
    """
    steps += offset
    warmup = min(1.0, (steps + 1) / preset.warmup_iterations) if preset.warmup_iterations else 1.0
    return warmup * 0.1 ** bisect_right(preset.lr_milestones, steps)


class Measurements:
    """Find the paper's early stop while a network trains, and record its curves.

    Each `measure` computes the validation loss and keeps a copy of the weights at each new minimum. The curves also
    get the test accuracy, every `curve_every` iterations and at the `first` and `last`. `history` tests the weights
    of the minimum once, at the end: testing 10,000 images at every validation would slow training down.
    """

    def __init__(self, network: nn.Module, data: Data, curve_every: int, first: int, last: int):
        self.network = network
        self.data = data
        self.curve_every = curve_every
        self.first, self.last = first, last
        self.curve_iterations, self.val_loss, self.test_accuracy = [], [], []  # the curves
        self.every_val_loss = {}  # each validation loss measured, by iteration
        self.best_loss = math.inf  # the lowest validation loss so far,
        self.best_iteration = 0  # the iteration it was measured at,
        self.best_state = None  # and the weights there
        self.diverged = False  # whether the validation loss stopped being a number

    def measure(self, iteration: int) -> None:
        """Measure the validation loss at `iteration`, and the test accuracy if the curves take a point there."""
        val_loss = evaluate(self.network, self.data.val_x, self.data.val_y).loss
        self.every_val_loss[iteration] = val_loss
        if not math.isfinite(val_loss) and not self.diverged:
            self.diverged = True
            warnings.warn(f"The validation loss is {val_loss} at iteration {iteration:,}: the training diverged. The "
                          f"early stop is the last finite minimum; try a smaller learning rate.", stacklevel=3)
        if iteration % self.curve_every == 0 or iteration in (self.first, self.last):
            test_accuracy = evaluate(self.network, self.data.test_x, self.data.test_y).accuracy
            self.curve_iterations.append(iteration)
            self.val_loss.append(val_loss)
            self.test_accuracy.append(test_accuracy)
        ranked = val_loss if math.isfinite(val_loss) else math.inf  # a diverged loss is never a minimum
        if iteration == self.first or ranked < self.best_loss:
            self.best_loss, self.best_iteration = ranked, iteration
            self.best_state = copy_state(self.network)

    def history(self, seconds: float) -> History:
        """Return the curves and the early stop of a training that took `seconds`. The network keeps its weights."""
        last = copy_state(self.network)
        self.network.load_state_dict(self.best_state)  # the weights at the early stop
        early_stop_accuracy = evaluate(self.network, self.data.test_x, self.data.test_y).accuracy
        self.network.load_state_dict(last)
        return History(self.curve_iterations, self.val_loss, self.test_accuracy, self.best_iteration,
                       early_stop_accuracy, seconds, start_iteration=self.first, every_val_loss=self.every_val_loss)


def copy_state(network: nn.Module) -> dict[str, torch.Tensor]:
    """Return a copy of the network's state dict, masks included."""
    return {name: value.detach().clone() for name, value in network.state_dict().items()}
