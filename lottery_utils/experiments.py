"""The paper's experiments: one-shot and iterative pruning with their controls, every network cached on disk."""
from __future__ import annotations

import multiprocessing
import os
import statistics
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils import prune
from tqdm.auto import tqdm

from .cache import Cache
from .data import load_cifar10, load_mnist
from .models import PRESETS, build_model
from .pruning import check_amount, prunable_layers, random_prune, random_reinit, remaining_weights, winning_ticket
from .training import train

ALGORITHM_VERSION = 1  # bump when a change to the algorithm makes cached results stale
KINDS = ("dense", "ticket", "reinit", "random_prune")
CONTROLS = ("reinit", "random_prune")
FAST_ITERATIONS = 300  # LeNet passes 90 % test accuracy by then: enough for a demo in seconds
FAST_EVAL_EVERY = 50
# The notebooks' sliders: one-shot amounts whose fc layers keep 0.8^k, the sparsities of k iterative 20 % rounds.
SLIDER_AMOUNTS = tuple(round(1 - 0.8 ** k, 4) for k in range(1, 15))


def fast_mode() -> bool:
    """LOTTERY_FAST=1 shrinks training for tests and quick demos; unset, experiments are the real thing."""
    return os.environ.get("LOTTERY_FAST", "0") not in ("", "0", "false", "False")


@dataclass(frozen=True)
class Setup:
    """What every network of one experiment shares: the model and how it is trained."""

    model: str = "lenet"
    iterations: int = 0
    batch_size: int = 0
    lr: float = 0.0
    eval_every: int | None = None
    fast: bool = False

    @classmethod
    def for_model(cls, model: str = "lenet", iterations: int | None = None, batch_size: int | None = None,
                  lr: float | None = None, eval_every: int | None = None, fast: bool | None = None) -> "Setup":
        """The preset's values (the paper's), shrunk in fast mode, overridden by any argument given."""
        if model not in PRESETS:
            raise ValueError(f"Unknown model {model!r}: choose one of {', '.join(PRESETS)}.")
        preset, fast = PRESETS[model], fast_mode() if fast is None else fast
        if iterations is None:
            iterations = min(FAST_ITERATIONS, preset.iterations) if fast else preset.iterations
        if iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {iterations}.")
        if eval_every is None and fast:
            eval_every = FAST_EVAL_EVERY
        return cls(model, iterations, batch_size or preset.batch_size, lr or preset.lr, eval_every, fast)


def pruning_schedule(model: str, rounds: int, rate: float | None = None) -> list[dict[str, float]]:
    """The per-kind rates of each of `rounds` rounds: the preset's, or scaled to `rate` (see round_rates)."""
    return [round_rates(model, rate)] * rounds


def round_rates(model: str, amount: float | None = None) -> dict[str, float]:
    """Per-kind pruning rates for one round: the preset's, or scaled so the largest rate is `amount`."""
    rates = PRESETS[model].prune_rates
    if amount is None:
        return dict(rates)
    check_amount(amount)
    scale = amount / max(rates.values())
    return {kind: rate * scale for kind, rate in rates.items()}


def dataset(model: str):
    return load_mnist() if PRESETS[model].dataset == "mnist" else load_cifar10()


class Experiment:
    """Trains (or loads from the cache) the networks of one setup and seed.

    A network is named by its kind and its pruning schedule: the rates of each round so far.
    Round r's ticket: the round r-1 network, trained, pruned by the last rates, reset to theta_0, trained.
    """

    def __init__(self, setup: Setup, seed: int = 0, cache: Cache | None = None, progress: bool = True):
        self.setup, self.seed, self.cache, self.progress = setup, seed, cache or Cache(), progress

    def network(self, kind: str, schedule: Sequence[dict[str, float]] = ()) -> dict[str, Any]:
        """The record of one trained network, trained now only if the cache does not have it."""
        return self._entry(kind, schedule)["record"]

    def trained_state(self, kind: str, schedule: Sequence[dict[str, float]]) -> dict:
        """The trained weights and masks of a dense network or ticket (training it first if need be)."""
        return self._entry(kind, schedule)["state"]

    def cached(self, kind: str, schedule: Sequence[dict[str, float]] = ()) -> bool:
        """Whether this network is in the cache already (looking it up trains nothing)."""
        return self.cache.path(self.config(kind, schedule)).exists()

    def _entry(self, kind: str, schedule: Sequence[dict[str, float]]) -> dict[str, Any]:
        config = self.config(kind, schedule)
        entry = self.cache.load(config)
        if entry is None:
            record, state = self._train(kind, list(schedule))
            self.cache.save(config, record, state)
            entry = {"config": config, "record": record, "state": state}
        return entry

    def config(self, kind: str, schedule: Sequence[dict[str, float]]) -> dict[str, Any]:
        if kind not in KINDS:
            raise ValueError(f"Unknown kind {kind!r}: choose one of {KINDS}.")
        if (kind == "dense") != (len(schedule) == 0):
            raise ValueError("The dense network has no pruning schedule; every other kind needs one.")
        return {**asdict(self.setup), "kind": kind, "schedule": [dict(r) for r in schedule], "seed": self.seed,
                "version": ALGORITHM_VERSION}

    def _train(self, kind: str, schedule: list[dict[str, float]]):
        model, rounds = self.setup.model, len(schedule)
        if kind == "dense":
            network = build_model(model, self.seed)
        else:
            ticket = self._ticket(schedule)
            fresh_seed = 1_000 * (self.seed + 1) + rounds  # a different draw from theta_0 for every control
            network = {"ticket": lambda: ticket,
                       "reinit": lambda: random_reinit(ticket, build_model(model, fresh_seed)),
                       "random_prune": lambda: random_prune(build_model(model, self.seed), ticket, fresh_seed)}[kind]()
        history = train(network, dataset(model), self.setup.iterations, self.setup.batch_size, preset=model,
                        lr=self.setup.lr, eval_every=self.setup.eval_every, seed=self.seed, progress=self.progress,
                        description=f"{kind} round {rounds}")
        record = {"kind": kind, "round": rounds, "remaining": remaining_weights(network),
                  "test_accuracy": history.final_test_accuracy,
                  "early_stop_iteration": history.early_stop_iteration,
                  "early_stop_test_accuracy": history.early_stop_test_accuracy, "seed": self.seed,
                  "model": model, "iterations": self.setup.iterations, "seconds": history.seconds,
                  "curve": {"iteration": history.iterations, "test_accuracy": history.test_accuracy,
                            "val_loss": history.val_loss}}
        keep_state = kind in ("dense", "ticket")  # later rounds prune these
        return record, {k: v.cpu() for k, v in network.state_dict().items()} if keep_state else None

    def _ticket(self, schedule: list[dict[str, float]]) -> nn.Module:
        """theta_0 with the mask from pruning the previous round's trained network by the last rates."""
        parent_kind = "dense" if len(schedule) == 1 else "ticket"
        trained = load_network(self.setup.model, self.trained_state(parent_kind, schedule[:-1]))
        initial = build_model(self.setup.model, self.seed)
        copy_network = load_network(self.setup.model, {**initial.state_dict(), **_masks_only(trained)})
        return winning_ticket(trained, copy_network, schedule[-1], strategy=PRESETS[self.setup.model].strategy)


def _masks_only(model: nn.Module) -> dict:
    return {k: v for k, v in model.state_dict().items() if k.endswith("_mask")}


def load_network(model: str, state: dict) -> nn.Module:
    """Rebuild a (possibly pruned) network from a state dict holding weight_orig / weight_mask entries."""
    network = build_model(model)
    state = dict(state)
    for name, module in prunable_layers(network).items():
        mask = state.get(f"{name}.weight_mask")
        if mask is not None:
            prune.custom_from_mask(module, "weight", mask)
            state.setdefault(f"{name}.weight_orig", state.pop(f"{name}.weight", None))
    network.load_state_dict(state)
    for module in prunable_layers(network).values():
        if hasattr(module, "weight_mask"):
            module.weight = module.weight_orig * module.weight_mask
    return network


def one_shot(model: str = "lenet", amount: float = 0.8, seeds: Iterable[int] = (0,),
             controls: Iterable[str] = (), progress: bool = True, cache: Cache | None = None,
             **setup) -> list[dict[str, Any]]:
    """Train theta_0 -> theta_j, prune `amount` (largest layer rate), reset to theta_0, retrain; plus controls."""
    return iterative(model, rounds=1, rate=amount, seeds=seeds, controls=controls, progress=progress, cache=cache,
                     **setup)


def iterative(model: str = "lenet", rounds: int = 5, rate: float | None = None, seeds: Iterable[int] = (0,),
              controls: Iterable[str] = (), progress: bool = True, cache: Cache | None = None, workers: int = 1,
              **setup) -> list[dict[str, Any]]:
    """Rounds of train -> prune -> reset to theta_0, each pruning `rate` (default: the paper's) of the survivors.

    workers > 1 trains the networks of a round (ticket, controls, other seeds) side by side in that many
    processes of one thread each: on a 2-core CPU that beats one process with two threads.
    """
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be a whole number >= 1, got {rounds!r}.")
    controls = _check_controls(controls)
    setup = Setup.for_model(model, **setup)
    schedule = pruning_schedule(model, rounds, rate)
    experiments = [Experiment(setup, seed, cache, progress and workers == 1) for seed in seeds]
    steps = networks_by_round(schedule, controls)
    records = []
    with _runner(workers) as run:  # each round needs the one before it; within a round, all run side by side
        for step in tqdm(steps, desc=f"{model}: rounds", disable=not progress or rounds == 1):
            records += run([(e, kind, part) for e in experiments for kind, part in step])
    return sorted(records, key=lambda rec: (rec["seed"], rec["round"], KINDS.index(rec["kind"])))


def networks_by_round(schedule: list[dict[str, float]], controls: Sequence[str] = ()) -> list[list[tuple]]:
    """The (kind, schedule so far) of every network of an iterative run, round by round, the dense one first."""
    return [[("dense", [])]] + [[(kind, schedule[:r]) for kind in ("ticket", *controls)]
                                for r in range(1, len(schedule) + 1)]


@contextmanager
def _runner(workers: int):
    """A function that trains (or loads) a list of (experiment, kind, schedule) networks, here or in a pool."""
    if workers <= 1:
        yield lambda tasks: [_network(task) for task in tasks]
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        yield lambda tasks: list(pool.map(_network, tasks))


def _network(task: tuple[Experiment, str, list]) -> dict[str, Any]:
    experiment, kind, schedule = task
    return experiment.network(kind, schedule)


def sweep(model: str = "lenet", amounts: Iterable[float] = (0.2, 0.5, 0.8, 0.9, 0.95), seeds: Iterable[int] = (0,),
          controls: Iterable[str] = CONTROLS, progress: bool = True, cache: Cache | None = None,
          **setup) -> list[dict[str, Any]]:
    """One-shot pruning at several amounts (the slider's grid): the dense network is trained once per seed."""
    records = []
    for amount in tqdm(list(amounts), desc="one-shot sweep", disable=not progress):
        records += one_shot(model, amount, seeds, controls, progress, cache, **setup)
    return unique_networks(records)


def unique_networks(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each network once: every one-shot amount's records repeat the same dense network, which is not another seed."""
    seen, unique = set(), []
    for r in records:
        key = (r["kind"], r["round"], r["remaining"], r["seed"])
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique


def _check_controls(controls: Iterable[str]) -> tuple[str, ...]:
    controls = tuple(controls)
    unknown = [c for c in controls if c not in CONTROLS]
    if unknown:
        raise ValueError(f"Unknown control(s) {unknown}: choose from {CONTROLS}.")
    return controls


def summarize(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and spread over seeds for each kind and sparsity (the paper's error bars: min and max over trials)."""
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["kind"], round(r["remaining"], 4)), []).append(r)
    rows = []
    for (kind, remaining), group in sorted(groups.items(), key=lambda kv: (KINDS.index(kv[0][0]), -kv[0][1])):
        row = {"kind": kind, "remaining": remaining, "seeds": len(group)}
        for metric in ("test_accuracy", "early_stop_iteration", "early_stop_test_accuracy"):
            values = [r[metric] for r in group]
            row[metric] = statistics.fmean(values)
            row[metric + "_min"], row[metric + "_max"] = min(values), max(values)
        rows.append(row)
    return rows
