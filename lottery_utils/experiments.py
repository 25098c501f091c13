"""The paper's experiments: one-shot and iterative pruning with their controls, every network cached on disk.

The algorithm itself is `pruning.iterative_pruning`; an `Experiment` runs it with a `train` that answers from the
cache where it can, trains the controls beside each round's ticket, and keeps every result on disk.

Rewinding (`rewind_iteration=k`, Frankle et al. 2019 "Stabilizing the Lottery Ticket Hypothesis", arXiv 1903.01611:
"late resetting"; Frankle et al. 2020 "Linear Mode Connectivity and the Lottery Ticket Hypothesis", arXiv 1912.05671,
Algorithm 2 "IMP with rewinding to step k") resets tickets to theta_k, the dense network's weights after k of its
iterations, instead of theta_0, and trains them from iteration k to the end. The controls are then defined as the
authors' own code defines them (open_lth, facebookresearch/open_lth: `randomly_reinitialize`, `randomly_prune`; the
papers' wording was not checked): "reinit" is the ticket's mask on a fresh initialization, "random_prune" a random
mask of the same per-layer size on theta_k, both trained from iteration k. "reinit_signs" under rewinding (fresh
magnitudes, the signs of theta_k) is this library's extension: Zhou et al. 2019 do not rewind.
"""
from __future__ import annotations

import multiprocessing
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from .cache import Cache, cache_key
from .data import load_cifar10, load_mnist
from .models import build_model, preset
from .pruning import (check_amount, check_rounds, clone, iterative_pruning, load_state, random_prune, random_reinit,
                      sign_preserving_reinit)
from .results import KINDS, Result, pick, sort_results, summarize, unique_networks
from .training import Progress, progress_bars, train

__all__ = ["ALGORITHM_VERSION", "ALL_CONTROLS", "CONTROLS", "KINDS", "SLIDER_AMOUNTS", "Experiment", "Setup",
           "announce", "check_controls", "check_rewind", "fast_mode", "iterative", "one_shot", "round_rates",
           "summarize", "sweep", "to_train", "training_note", "unique_networks"]

# Bump when a change makes cached results stale. 2: early stopping measured every `Preset.eval_every` iterations
# (LeNet: 100) instead of on the curves' grid (every 1,000 of 50,000); entries of version 1 are not read.
ALGORITHM_VERSION = 2
CONTROLS = ("reinit", "random_prune")  # the paper's two: the default controls (and those bundled)
# Every control: the paper's two and Zhou et al. 2019's sign-preserving reinit (pruning.sign_preserving_reinit)
ALL_CONTROLS = ("reinit", "reinit_signs", "random_prune")
FAST_ITERATIONS = 300  # LeNet passes 90 % test accuracy by then: enough for a demo in seconds
FAST_EVAL_EVERY = 50


def slider_amounts(model: str = "lenet", positions: int = 14) -> tuple[float, ...]:
    """One-shot amounts whose largest-rate layers keep what k iterative rounds at the paper's rate keep, k = 1..14."""
    keep = 1 - preset(model).paper_rate
    return tuple(round(1 - keep ** k, 4) for k in range(1, positions + 1))


# The notebooks' sliders: LeNet's fc layers keep 0.8^k, the sparsities of k iterative rounds at the paper's 20 %.
SLIDER_AMOUNTS = slider_amounts("lenet")


def fast_mode() -> bool:
    """LOTTERY_FAST=1 shrinks training for tests and quick demos; unset, experiments are the real thing."""
    return os.environ.get("LOTTERY_FAST", "0") not in ("", "0", "false", "False")


@dataclass(frozen=True)
class Setup:
    """What every network of one experiment shares: the model and how it is trained."""

    model: str
    iterations: int
    batch_size: int
    lr: float
    eval_every: int | None = None
    fast: bool = False

    def __post_init__(self):
        preset(self.model)  # an unknown model says which exist
        for name in ("iterations", "batch_size") + (("eval_every",) if self.eval_every is not None else ()):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
        if not self.lr > 0:
            raise ValueError(f"the learning rate must be > 0, got {self.lr!r}.")

    @classmethod
    def for_model(cls, model: str = "lenet", iterations: int | None = None, batch_size: int | None = None,
                  lr: float | None = None, eval_every: int | None = None, fast: bool | None = None) -> "Setup":
        """The preset's values (the paper's), shrunk in fast mode, overridden by any argument given."""
        paper, fast = preset(model), fast_mode() if fast is None else fast
        if iterations is None:
            iterations = min(FAST_ITERATIONS, paper.iterations) if fast else paper.iterations
        if eval_every is None and fast:
            eval_every = FAST_EVAL_EVERY
        return cls(model, iterations, batch_size or paper.batch_size, lr or paper.lr, eval_every, fast)


def round_rates(model: str, amount: float | None = None) -> dict[str, float]:
    """Per-kind pruning rates for one round: the preset's, or scaled so the largest rate is `amount`."""
    rates = preset(model).prune_rates
    if amount is None:
        return dict(rates)
    check_amount(amount)
    scale = amount / max(rates.values())
    return {kind: rate * scale for kind, rate in rates.items()}


def dataset(model: str):
    return load_mnist() if preset(model).dataset == "mnist" else load_cifar10()


class Experiment:
    """The networks of one setup and seed, each trained once and from then on answered by the cache.

    A network is named by its kind, its number of pruning rounds and the per-kind rates of each round. With
    `rewind_iteration=k` > 0 its tickets and controls are reset to theta_k instead of theta_0 (the dense network is
    the same for every k).
    """

    def __init__(self, setup: Setup, seed: int = 0, cache: Cache | None = None, progress: Progress = True,
                 rewind_iteration: int = 0):
        self.setup, self.seed, self.cache, self.progress = setup, seed, cache or Cache(), progress
        self.rewind_iteration = check_rewind(rewind_iteration, setup.iterations)

    def config(self, kind: str, rounds: int = 0, rates: Mapping[str, float] | None = None) -> dict[str, Any]:
        """What the cache key is made of: the setup, the preset's non-default training settings (warmup, milestones,
        init: none for LeNet and Conv-2/4/6, whose keys are those of every cache and bundle written so far), the
        network, its seed and ALGORITHM_VERSION; for a pruned network reset to theta_k, k > 0, also the rewind
        iteration (k = 0 leaves the keys as they were)."""
        if kind not in KINDS:
            raise ValueError(f"Unknown kind {kind!r}: choose one of {KINDS}.")
        if (kind == "dense") != (rounds == 0):
            raise ValueError("The dense network has no pruning rounds; every other kind needs at least one.")
        schedule = [dict(rates) for _ in range(rounds)]
        rewind = {"rewind_iteration": self.rewind_iteration} if self.rewind_iteration and kind != "dense" else {}
        return {**asdict(self.setup), **preset(self.setup.model).key_settings(), "kind": kind, "schedule": schedule,
                "seed": self.seed, "version": ALGORITHM_VERSION, **rewind}

    def cached(self, kind: str, rounds: int = 0, rates: Mapping[str, float] | None = None) -> bool:
        """Whether this network is in the cache already (looking it up trains nothing)."""
        return self.cache.has(self.config(kind, rounds, rates))

    def result(self, kind: str, rounds: int = 0, rates: Mapping[str, float] | None = None) -> Result:
        """One network's result: from the cache, else trained now (with the rounds before it)."""
        entry = self.cache.load(self.config(kind, rounds, rates))
        if entry is not None:
            return Result.from_entry(entry)
        if kind == "dense":
            return self.train(self.initial(), kind, 0, {}, Here())
        return pick(self.run(rounds, rates, (kind,) if kind in ALL_CONTROLS else ()), kind, rounds)

    def to_train(self, rounds: int, rates: Mapping[str, float], controls: Sequence[str] = ()) -> list[dict]:
        """The configurations `run` would train: none when the cache (or the bundle) holds every network; else the
        rounds whose trained weights the cache lacks (bundled results have none), and every missing network."""
        networks = self.networks(rounds, controls)
        if all(self.cached(kind, r, rates) for kind, r in networks):
            return []
        chain = [("dense", 0)] + [("ticket", r) for r in range(1, rounds)]  # pruned again: their weights are needed
        configs = {(kind, r): self.config(kind, r, rates) for kind, r in networks}
        return [config for network, config in configs.items()
                if not (self.cache.has_trained(config) if network in chain else self.cache.has(config))]

    def networks(self, rounds: int, controls: Sequence[str] = ()) -> list[tuple[str, int]]:
        """(kind, round) of every network of a run: the dense one, then each round's ticket and controls."""
        return [("dense", 0)] + [(kind, r) for r in range(1, rounds + 1) for kind in ("ticket", *controls)]

    def run(self, rounds: int, rates: Mapping[str, float], controls: Sequence[str] = (),
            pool: Pool | None = None) -> list[Result]:
        """Iterative pruning with its controls: every network's result, trained only where the cache has none."""
        configs = [self.config(kind, r, rates) for kind, r in self.networks(rounds, controls)]
        entries = [self.cache.load(config) for config in configs]
        if not all(entries):
            self._train_missing(rounds, rates, controls, pool or Here())
            entries = [self.cache.load(config) for config in configs]
        return [Result.from_entry(entry) for entry in entries]

    def _train_missing(self, rounds: int, rates: Mapping[str, float], controls: Sequence[str], pool: Pool) -> None:
        def train_round(network: nn.Module) -> None:  # iterative_pruning trains the dense network, then round 1's...
            kind, r = ("dense", 0) if not trained else ("ticket", len(trained))
            if kind == "dense":  # from theta_0, also when the tickets are reset to theta_k
                load_state(network, state_of(self.initial()))
            trained.append(self.train(network, kind, r, rates, pool))

        trained: list[Result] = []
        start = self.start(pool)
        tickets = iterative_pruning(start, train_round, rounds, rates, preset(self.setup.model).strategy)
        rest = [("ticket", rounds, tickets[-1])]  # the last round's ticket (iterative_pruning trains the ones before)
        rest += [(kind, r, self.control(kind, ticket, r, start)) for r, ticket in enumerate(tickets, 1)
                 for kind in controls]
        pending = [pool.submit(_train, self, kind, r, rates, state_of(network))
                   for kind, r, network in rest if not self.cached(kind, r, rates)]
        for future in pending:  # side by side in the pool's processes; wait for all
            future.result()

    def train(self, network: nn.Module, kind: str, rounds: int, rates: Mapping[str, float], pool: Pool) -> Result:
        """Train `network` in place as this network (in `pool`), or give it the trained weights the cache holds
        (bundled results have none: those networks train here, to prune them further)."""
        entry = self.cache.load_trained(self.config(kind, rounds, rates))
        if entry is None:
            pool.submit(_train, self, kind, rounds, rates, state_of(network)).result()
            entry = self.cache.load_trained(self.config(kind, rounds, rates))
        load_state(network, entry["state"])
        return Result.from_entry(entry)

    def initial(self) -> nn.Module:
        """theta_0: this seed's untrained network."""
        return build_model(self.setup.model, self.seed)

    def start(self, pool: Pool | None = None) -> nn.Module:
        """What the tickets are reset to: theta_0, or theta_k when rewinding: the dense network's first k iterations,
        trained again (in `pool`) with its seed, mini-batches and schedule, so exactly its weights at iteration k
        (on the same device and number of threads; a few seconds for LeNet's k <= 2,000)."""
        network = self.initial()
        if self.rewind_iteration:
            load_state(network, (pool or Here()).submit(_rewound_state, self, state_of(network)).result())
        return network

    def control(self, kind: str, ticket: nn.Module, rounds: int, start: nn.Module | None = None) -> nn.Module:
        """A control for a ticket: its mask on fresh weights ("reinit"); the same fresh magnitudes with the ticket's
        signs ("reinit_signs", the same draw as "reinit": the two differ only in signs); a random mask on `start`
        (theta_0, or theta_k when rewinding; default `self.start()`) keeping as many weights per layer
        ("random_prune")."""
        fresh_seed = 1_000 * (self.seed + 1) + rounds  # a different draw from theta_0 for every round
        if kind == "reinit":
            return random_reinit(ticket, build_model(self.setup.model, fresh_seed))
        if kind == "reinit_signs":
            return sign_preserving_reinit(ticket, build_model(self.setup.model, fresh_seed))
        if kind == "random_prune":
            return random_prune(clone(self.start() if start is None else start), ticket, fresh_seed)
        raise ValueError(f"Unknown control {kind!r}: choose one of {', '.join(ALL_CONTROLS)}.")


def state_of(network: nn.Module) -> dict[str, torch.Tensor]:
    """The network's weights and masks, on the CPU: what the cache stores and worker processes receive."""
    return {name: value.detach().cpu() for name, value in network.state_dict().items()}


def _train(experiment: Experiment, kind: str, rounds: int, rates: Mapping[str, float], state: dict) -> Result:
    """Train one network given by its untrained state (here or in a worker process) and store it in the cache: the
    dense network from iteration 0, the others from the rewind iteration (0 unless rewinding)."""
    setup = experiment.setup
    data = dataset(setup.model)
    network = load_state(build_model(setup.model).to(data.train_x.device), state)
    config = experiment.config(kind, rounds, rates)
    start = 0 if kind == "dense" else experiment.rewind_iteration
    history = _fit(experiment, network, data, setup.iterations, f"{kind} round {rounds}", start)
    result = Result.from_training(config, history, network)
    keep_state = kind in ("dense", "ticket")  # later rounds prune these
    experiment.cache.save(config, result.record(), state_of(network) if keep_state else None)
    return result


def _fit(experiment: Experiment, network: nn.Module, data, iterations: int, description: str, start: int = 0):
    """`train` with the experiment's setup, seed and progress bars."""
    setup = experiment.setup
    return train(network, data, iterations, setup.batch_size, preset=setup.model, lr=setup.lr,
                 eval_every=setup.eval_every, seed=experiment.seed, progress=experiment.progress,
                 description=description, start_iteration=start)


def _rewound_state(experiment: Experiment, state: dict) -> dict[str, torch.Tensor]:
    """theta_k: theta_0 (`state`) trained for the dense network's first k iterations."""
    data = dataset(experiment.setup.model)
    network = load_state(build_model(experiment.setup.model).to(data.train_x.device), state)
    k = experiment.rewind_iteration
    _fit(experiment, network, data, k, f"dense to iteration {k}")
    return state_of(network)


class Here:
    """Runs each task at once, in this process: the pool of `workers=1`."""

    def submit(self, function, *args) -> Future:
        future = Future()
        future.set_result(function(*args))
        return future


Pool = ProcessPoolExecutor | Here


@contextmanager
def pool_of(workers: int):
    """`workers` processes of one thread each (on a 2-core CPU that beats one process with two threads), or Here."""
    if workers <= 1:
        yield Here()
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        yield pool


def _run(experiment: Experiment, rounds: int, rates: Mapping[str, float], controls: Sequence[str]) -> list[Result]:
    return experiment.run(rounds, rates, controls)


def one_shot(model: str = "lenet", amount: float = 0.8, seeds: Iterable[int] = (0,),
             controls: Iterable[str] = (), progress: Progress = True, cache: Cache | None = None,
             rewind_iteration: int = 0, **setup) -> list[Result]:
    """Train theta_0 -> theta_j, prune `amount` (largest layer rate), reset to theta_0 (theta_k with
    `rewind_iteration=k`), retrain; plus controls (any of ALL_CONTROLS)."""
    return iterative(model, rounds=1, rate=amount, seeds=seeds, controls=controls, progress=progress, cache=cache,
                     rewind_iteration=rewind_iteration, **setup)


def iterative(model: str = "lenet", rounds: int = 5, rate: float | None = None, seeds: Iterable[int] = (0,),
              controls: Iterable[str] = (), progress: Progress = True, cache: Cache | None = None, workers: int = 1,
              rewind_iteration: int = 0, **setup) -> list[Result]:
    """Rounds of train -> prune -> reset to theta_0, each pruning `rate` (default: the paper's) of the survivors.

    `controls`: any of ALL_CONTROLS, trained beside each round's ticket. `rewind_iteration=k` > 0 resets the tickets
    to theta_k, the dense network's weights after k iterations, and trains them and their controls from iteration k
    (see the module's docstring). workers > 1 trains in that many processes of one thread each: several seeds side
    by side, or one seed's controls beside its tickets. In real mode with progress=True (the default; widgets pass
    their own bars and say it in their status line), what is not cached yet is announced first: how many networks,
    about how long.
    """
    if progress is True:
        announce(model, [(rounds, rate)], seeds, controls, cache, rewind_iteration, **setup)
    return _iterative(model, rounds, rate, seeds, controls, progress, cache, workers, rewind_iteration, **setup)


def _iterative(model, rounds, rate, seeds, controls, progress, cache, workers=1, rewind_iteration=0,
               **setup) -> list[Result]:
    check_rounds(rounds)
    controls = check_controls(controls)
    setup = Setup.for_model(model, **setup)
    rates, seeds = round_rates(model, rate), list(seeds)
    experiments = [Experiment(setup, seed, cache, progress if workers == 1 else False, rewind_iteration)
                   for seed in seeds]
    with pool_of(workers) as pool:
        if workers > 1 and len(experiments) > 1:  # whole seeds side by side
            runs = [pool.submit(_run, e, rounds, rates, controls) for e in experiments]
            results = [r for run in runs for r in run.result()]
        else:
            bars = progress_bars(progress) if len(experiments) > 1 else None
            results = [r for e in (bars(experiments, desc=f"{model}: seeds") if bars else experiments)
                       for r in e.run(rounds, rates, controls, pool)]
    return sort_results(results)


def sweep(model: str = "lenet", amounts: Iterable[float] = (0.2, 0.5, 0.8, 0.9, 0.95), seeds: Iterable[int] = (0,),
          controls: Iterable[str] = CONTROLS, progress: Progress = True, cache: Cache | None = None, workers: int = 1,
          rewind_iteration: int = 0, **setup) -> list[Result]:
    """One-shot pruning at several amounts (the slider's grid): the dense network is trained once per seed."""
    results = []
    bars = progress_bars(progress)
    amounts, seeds = list(amounts), list(seeds)
    if progress is True:
        announce(model, [(1, amount) for amount in amounts], seeds, controls, cache, rewind_iteration, **setup)
    for amount in bars(amounts, desc="one-shot sweep") if bars else amounts:
        results += _iterative(model, 1, amount, seeds, controls, progress, cache, workers, rewind_iteration, **setup)
    return unique_networks(results)


def to_train(model: str, runs: Iterable[tuple[int, float | None]], seeds: Iterable[int] = (0,),
             controls: Iterable[str] = (), cache: Cache | None = None, rewind_iteration: int = 0, **setup) -> int:
    """How many networks `iterative(model, rounds, rate, ...)` for each (rounds, rate) of `runs` would train (the
    ones they share counted once); 0 when the cache and the bundle hold them all."""
    setup, controls, cache = Setup.for_model(model, **setup), check_controls(controls), cache or Cache()
    keys = {cache_key(config) for seed in seeds for rounds, rate in runs
            for config in Experiment(setup, seed, cache, False, rewind_iteration).to_train(
                rounds, round_rates(model, rate), controls)}
    return len(keys)


def training_note(model: str, count: int, cache: Cache | None = None, rewind_iteration: int = 0, **setup) -> str:
    """"3 networks to train, 50,000 iterations each: about 4 min ..." from how long the bundled ones took (the rewind
    iteration is accepted, like every keyword of `iterative`, and changes no estimate)."""
    setup, cache = Setup.for_model(model, **setup), cache or Cache()
    networks = f"{count} network{'s' if count != 1 else ''} to train, {setup.iterations:,} iterations each"
    seconds = sorted(r.seconds for r in (cache.bundle.results(model) if cache.bundle else [])
                     if r.iterations == setup.iterations and r.seconds)
    if not seconds:
        return f"{networks}."
    each = seconds[len(seconds) // 2]
    return (f"{networks}: about {_duration(count * each)} ({_duration(each)} a network, the median of the bundled "
            f"{model} networks on one CPU thread; yours may differ).")


def announce(model: str, runs, seeds=(0,), controls=(), cache: Cache | None = None, rewind_iteration: int = 0,
             **setup) -> None:
    """In real mode, print how many networks are about to train and how long it should take, before it starts."""
    if Setup.for_model(model, **setup).fast:
        return
    count = to_train(model, runs, seeds, controls, cache, rewind_iteration, **setup)
    if count:
        print(f"Not cached yet: {training_note(model, count, cache, **setup)} Each network is cached as soon as it "
              f"is trained, so an interrupted run goes on where it stopped.")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min" if seconds < 5_400 else \
        f"{seconds / 3_600:.1f} h"


def check_controls(controls: Iterable[str]) -> tuple[str, ...]:
    """Known control names (ALL_CONTROLS), each once, in the order given."""
    if isinstance(controls, str):
        controls = [c.strip() for c in controls.split(",") if c.strip()]
    controls = tuple(dict.fromkeys(controls))
    unknown = [c for c in controls if c not in ALL_CONTROLS]
    if unknown:
        raise ValueError(f"Unknown control(s) {unknown}: choose from {', '.join(ALL_CONTROLS)}.")
    return controls


def check_rewind(rewind_iteration: int, iterations: int | None = None) -> int:
    """A rewind iteration k is a whole number of the dense network's iterations, 0 <= k < `iterations` (if given; 0:
    reset to theta_0, the original algorithm)."""
    if isinstance(rewind_iteration, bool) or not isinstance(rewind_iteration, numbers.Integral) \
            or rewind_iteration < 0:
        raise ValueError(f"rewind_iteration must be a whole number of iterations >= 0 (0: reset to theta_0), got "
                         f"{rewind_iteration!r}.")
    if iterations is not None and rewind_iteration >= iterations:
        raise ValueError(f"rewind_iteration ({rewind_iteration:,}) must be less than the training length "
                         f"({iterations:,} iterations): tickets are reset to the dense network's weights after k of "
                         f"its iterations and trained from there to the end.")
    return int(rewind_iteration)
