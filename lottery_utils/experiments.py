"""The paper's experiments. They run one-shot and iterative pruning with their controls and keep every network in a
`Store`.

The algorithm itself is `pruning.iterative_pruning`. An `Experiment` calls it with a `train_round` that answers from
the store where it can. The experiment also trains the controls beside each round's ticket and keeps every result.
The `settings` (fast mode, the folders) and the store are passed in, and nothing here reads the environment.

How a notebook's call reaches `training.train`:

    iterative(model, rounds, rate, seeds)        one Experiment per seed
      Experiment.run                             every network the store holds is read, not trained
        Experiment._train_missing                for the others: pruning.iterative_pruning, then the controls
          train_round -> train_or_load           each round's network, unless the store has its weights
            train_job -> training.train          in this process (or a worker, with workers > 1); then stored

Rewinding (`rewind_iteration=k`) resets tickets to θk instead of θ0 and trains them from iteration k to the end. θk
is the dense network's weights after k of its iterations. Frankle et al. 2019 call this "late resetting" ("Stabilizing
the Lottery Ticket Hypothesis", arXiv 1903.01611). Frankle et al. 2020 call it "IMP with rewinding to step k"
(Algorithm 2 of "Linear Mode Connectivity and the Lottery Ticket Hypothesis", arXiv 1912.05671). Under rewinding the
controls follow the authors' own code (open_lth, facebookresearch/open_lth, in `randomly_reinitialize` and
`randomly_prune`). "reinit" puts the ticket's mask on a fresh initialization. "random_prune" puts a random mask of the
same per-layer size on θk. Both train from iteration k. "reinit_signs" under rewinding keeps the signs of θk with
fresh magnitudes. It is this library's own extension, since Zhou et al. 2019 do not rewind.
"""
from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from torch import nn

from .checks import validate_rounds
from .config import NetworkConfig, TrainingSetup, validate_controls, validate_rewind, validate_seeds
from .data import Data, load_cifar10, load_mnist
from .lessons import NOTEBOOKS, Run, find_result, notebook_runs
from .amounts import Amounts
from .models import build_model, get_preset
from .layers import remaining_weights
from .masking import clone, load_state
from .pruning import iterative_pruning, random_prune, random_reinit, sign_preserving_reinit
from .history import History
from .results import ALL_CONTROLS, KINDS, Kind, Result
from .summaries import unique_networks
from .settings import Settings
from .store import Cache, Store, StoredResult, first_layer_kept, network_from_state, record_of, result_of
from .training import Progress, progress_bars, train

__all__ = ["Experiment", "announce", "count_to_train", "iterative", "one_shot", "precompute", "sweep",
           "trained_networks", "training_note"]

TRAINING_ANNOUNCED = "Not cached yet:"  # how real mode starts saying what it is about to train
SEED_LIMIT = 1_000  # an experiment's seeds are 0-999; the controls' fresh draws use the seeds above


def sort_results(results: Iterable[Result]) -> list[Result]:
    """Sort results by seed, round, then kind. Kinds go in KINDS order (dense, ticket, then the controls)."""
    return sorted(results, key=lambda r: (r.seed, r.round, KINDS.index(r.kind)))


def dataset(model: str, root: Path) -> Data:
    """The data the preset `model` trains on (MNIST or CIFAR-10), from the folder `root`. It is loaded once per process
    and folder. Every network of the experiments trains on the same tensors, and nothing here changes them."""
    return _loaded(get_preset(model).dataset, Path(root).resolve())


@functools.lru_cache(maxsize=4)
def _loaded(name: str, root: Path) -> Data:
    return load_mnist(root) if name == "mnist" else load_cifar10(root)


@dataclass(frozen=True)
class Job:
    """One network to train, with everything a worker process needs. That is where it is stored, the data, its
    configuration and its untrained weights (θ0 or θk, masked)."""

    cache: Cache
    data: Path
    config: NetworkConfig
    state: dict
    progress: Progress = False


def train_job(job: Job) -> Result:
    """Train one network, here or in a worker process, and store it. The dense network trains from iteration 0, the
    others from the rewind iteration (0 unless rewinding). The dense network and tickets keep their weights."""
    config, setup = job.config, job.config.setup
    data = dataset(setup.model, job.data)
    network = network_from_state(setup.model, job.state, data.train_x.device)
    bars = progress_bars(job.progress)
    history = train(network, data, setup.preset, seed=config.seed, start_iteration=config.rewind_iteration,
                    progress=bars and partial(bars, desc=f"{config.kind} round {config.rounds}"))
    result = StoredResult(kind=config.kind, round=config.rounds, remaining=remaining_weights(network),
                          seed=config.seed, model=setup.model, iterations=setup.iterations, history=history,
                          rewind_iteration=config.rewind_iteration,
                          schedule=tuple(dict(step) for step in config.schedule), key=config.key,
                          training_key=config.seedless_key, first_layer_kept=first_layer_kept(network))
    keep_weights = config.kind in (Kind.DENSE, Kind.TICKET)  # later rounds prune these
    job.cache.save(config, record_of(result), state_of(network) if keep_weights else None)
    return result


def rewound_state(setup: TrainingSetup, seed: int, data: Path, k: int, state: dict) -> dict[str, torch.Tensor]:
    """Compute θk by training θ0 (`state`) for the dense network's first k iterations. The training uses the dense
    network's seed, mini-batches and schedule. So on the same device and number of threads, θk is exactly the dense
    network's weights at iteration k."""
    tensors = dataset(setup.model, data)
    network = network_from_state(setup.model, state, tensors.train_x.device)
    train(network, tensors, setup.preset, k, seed=seed, progress=False)
    return state_of(network)


def state_of(network: nn.Module) -> dict[str, torch.Tensor]:
    """The network's weights and masks, on the CPU. The cache stores them, and worker processes receive them."""
    return {name: value.detach().cpu() for name, value in network.state_dict().items()}


class InProcess:
    """The pool of `workers=1`. It runs each task at once, in this process."""

    def submit(self, function, *args) -> Future:
        future = Future()
        future.set_result(function(*args))
        return future


Pool = ProcessPoolExecutor | InProcess


@contextmanager
def pool_of(workers: int):
    """A pool of `workers` processes of one thread each, or InProcess for a single worker. On 2 cores, two such
    processes beat one process with two threads."""
    if workers <= 1:
        yield InProcess()
        return
    context = multiprocessing.get_context("spawn")  # forking a process with OpenMP threads can deadlock
    with ProcessPoolExecutor(workers, mp_context=context, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        yield pool


class Experiment:
    """Trains the networks of one setup and seed. Each is trained once; after that, the store answers for it.

    A network is named by its kind, its number of pruning rounds and the per-role amounts of each round. With
    `rewind_iteration=k` > 0 its tickets and controls are reset to θk instead of θ0 (the dense network is
    the same for every k).
    """

    def __init__(self, setup: TrainingSetup, seed: int, store: Store, data: Path, progress: Progress = True,
                 rewind_iteration: int = 0):
        self.setup, self.seed, self.store, self.data, self.progress = setup, seed, store, Path(data), progress
        self.rewind_iteration = validate_rewind(rewind_iteration, setup.iterations)

    def config(self, kind: str, rounds: int = 0, amounts: Amounts | None = None) -> NetworkConfig:
        return NetworkConfig.of(self.setup, kind, rounds, amounts, self.seed, self.rewind_iteration)

    def result(self, kind: str, rounds: int = 0, amounts: Amounts | None = None) -> Result:
        """One network's result. It comes from the store, or else it is trained now with the rounds before it."""
        entry = self.store.load(self.config(kind, rounds, amounts))
        if entry is not None:
            return result_of(entry)
        if kind == Kind.DENSE:
            return self.train_or_load(self.initial(), self.config(Kind.DENSE), InProcess())
        return find_result(self.run(rounds, amounts, (kind,) if kind in ALL_CONTROLS else ()), kind, rounds)

    def networks(self, rounds: int, controls: Sequence[str] = ()) -> list[tuple[str, int]]:
        """The (kind, round) of every network of a run. The dense one comes first, then each round's ticket and
        controls."""
        return [(Kind.DENSE, 0)] + [(kind, r) for r in range(1, rounds + 1) for kind in (Kind.TICKET, *controls)]

    def to_train(self, rounds: int, amounts: Amounts, controls: Sequence[str] = ()) -> list[NetworkConfig]:
        """The configurations that `run` would train. There are none when the store holds every network. Otherwise
        they are the networks the store lacks, and the dense network and tickets whose trained weights it lacks
        (bundled results have none). `iterative_pruning` trains each of those again to prune it."""
        configs = {network: self.config(*network, amounts) for network in self.networks(rounds, controls)}
        if all(self.store.has(config) for config in configs.values()):
            return []
        chain = [(Kind.DENSE, 0)] + [(Kind.TICKET, r) for r in range(1, rounds + 1)]  # iterative_pruning trains these
        return [config for network, config in configs.items()
                if not (self.store.has_trained(config) if network in chain else self.store.has(config))]

    def run(self, rounds: int, amounts: Amounts, controls: Sequence[str] = (),
            pool: Pool | None = None) -> list[Result]:
        """Iterative pruning with its controls. It returns every network's result and trains only what the store
        lacks."""
        configs = [self.config(kind, r, amounts) for kind, r in self.networks(rounds, controls)]
        entries = [self.store.load(config) for config in configs]
        if not all(entries):
            self._train_missing(rounds, amounts, controls, pool or InProcess())
            entries = [self.store.load(config) for config in configs]
        return [result_of(entry) for entry in entries]

    def _train_missing(self, rounds: int, amounts: Amounts, controls: Sequence[str], pool: Pool) -> None:
        """Run pruning.iterative_pruning, naming each round's training for the store. Then train the controls side by
        side."""
        def train_round(network: nn.Module, r: int) -> History:  # round 0 trains the dense network, round r its ticket
            config = self.config(Kind.DENSE) if r == 0 else self.config(Kind.TICKET, r, amounts)
            return self.train_or_load(network, config, pool).history

        start = self.start(pool)  # θ0, or θk when rewinding
        tickets = [step.ticket for step in iterative_pruning(
            self.initial(), train_round, rounds, amounts,
            reset_to=(start, self.rewind_iteration) if self.rewind_iteration else None)]
        pending = []
        for r, ticket in enumerate(tickets[1:], 1):
            for kind in controls:
                config = self.config(kind, r, amounts)
                if not self.store.has(config):
                    pending.append(pool.submit(train_job, self.job(config, self.control(kind, ticket, r, start))))
        for future in pending:  # they train side by side in the pool's processes; wait for all
            future.result()

    def job(self, config: NetworkConfig, network: nn.Module) -> Job:
        return Job(self.store.disk, self.data, config, state_of(network), self.progress)

    def train_or_load(self, network: nn.Module, config: NetworkConfig, pool: Pool) -> Result:
        """Train `network` in place as `config` (in `pool`), or give it the trained weights the store holds. Bundled
        results have no weights, so those networks train here, to be pruned further."""
        entry = self.store.load_trained(config)
        if entry is None:
            pool.submit(train_job, self.job(config, network)).result()
            entry = self.store.load_trained(config)
        load_state(network, entry.state)
        return result_of(entry)

    def initial(self) -> nn.Module:
        """This seed's untrained network, θ0."""
        return build_model(self.setup.model, self.seed)

    def start(self, pool: Pool | None = None) -> nn.Module:
        """The network the tickets are reset to, which is θ0, or θk when rewinding. For θk the dense network's first
        k iterations are trained again in `pool`, which takes a few seconds for LeNet's k <= 2,000."""
        network = self.initial()
        if self.rewind_iteration:
            state = (pool or InProcess()).submit(rewound_state, self.setup, self.seed, self.data, self.rewind_iteration,
                                            state_of(network)).result()
            load_state(network, state)
        return network

    def control(self, kind: str, ticket: nn.Module, ticket_round: int, start: nn.Module | None = None) -> nn.Module:
        """A control for a ticket. "reinit" puts the ticket's mask on fresh weights. "reinit_signs" takes the same
        fresh draw with the ticket's signs, so the two differ only in signs. "random_prune" puts a random mask that
        keeps as many weights per layer on `start` (θ0, or θk when rewinding; default `self.start()`)."""
        # A fresh draw for every seed and round, never a seed's θ0 (seeds are below SEED_LIMIT). The bundled
        # controls were drawn with this formula.
        fresh_seed = SEED_LIMIT * (self.seed + 1) + ticket_round
        if kind == Kind.REINIT:
            return random_reinit(ticket, build_model(self.setup.model, fresh_seed))
        if kind == Kind.REINIT_SIGNS:
            return sign_preserving_reinit(ticket, build_model(self.setup.model, fresh_seed))
        if kind == Kind.RANDOM_PRUNE:
            return random_prune(ticket, clone(self.start() if start is None else start), fresh_seed)
        raise ValueError(f"Unknown control {kind!r}: choose one of {', '.join(ALL_CONTROLS)}.")


def with_defaults(model: str, settings: Settings, store: Store | None, setup: TrainingSetup | None
                  ) -> tuple[Settings, Store, TrainingSetup]:
    """What every experiment runs with. The `settings` (fast mode and the folders) must be given and are never
    guessed. The store is theirs and the setup is the preset's (shrunk in fast mode), unless one is given."""
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a Settings, got {type(settings).__name__}: pass "
                        f"settings=Settings.from_environment() (what each notebook's first cell does), or "
                        f"Settings(fast=True) for 300 iterations per network.")
    setup = setup or TrainingSetup.for_model(model, fast=settings.fast)
    if setup.model != model:
        raise ValueError(f"The setup is for {setup.model!r}, the experiment for {model!r}.")
    return settings, store or settings.store(), setup


def _run_seed(experiment: Experiment, rounds: int, rate: float | None, controls: Sequence[str]):
    return experiment.run(rounds, get_preset(experiment.setup.model).amounts(rate), controls)


def _experiments(model: str, seeds: Iterable[int], *, progress: Progress, store: Store | None, workers: int,
                 rewind_iteration: int, settings: Settings, setup: TrainingSetup | None) -> list[Experiment]:
    """One Experiment per seed, with the defaults filled in (`with_defaults`)."""
    seeds = validate_seeds(seeds, SEED_LIMIT)
    settings, store, setup = with_defaults(model, settings, store, setup)
    return [Experiment(setup, seed, store, settings.data, progress if workers == 1 else False, rewind_iteration)
            for seed in seeds]


def _run(experiments: list[Experiment], rounds: int, rate: float | None, controls: tuple[str, ...],
         progress: Progress, workers: int) -> list[Result]:
    """Every network of `rounds` rounds at `rate` for each experiment (seed), in `workers` processes."""
    with pool_of(workers) as pool:
        if workers > 1 and len(experiments) > 1:  # whole seeds side by side
            runs = [pool.submit(_run_seed, e, rounds, rate, controls) for e in experiments]
            results = [r for run in runs for r in run.result()]
        else:
            bars = progress_bars(progress) if len(experiments) > 1 else None
            results = [r for e in (bars(experiments, desc="seeds") if bars else experiments)
                       for r in e.run(rounds, get_preset(e.setup.model).amounts(rate), controls, pool)]
    return sort_results(results)


def iterative(model: str = "lenet", rounds: int = 5, rate: float | None = None, seeds: Iterable[int] = (0,), *,
              controls: Iterable[str] = (), progress: Progress = True, store: Store | None = None, workers: int = 1,
              rewind_iteration: int = 0, settings: Settings, setup: TrainingSetup | None = None
              ) -> list[Result]:
    """The paper's iterative pruning for each seed, with `rounds` rounds of train, prune at `rate` and reset to θ0.

    Every network is read from the store where it is there, and trained and kept otherwise. In real mode, what must
    train is announced first.

    Args:
        model: a preset's name.
        rate: the pruning rate per round (see `Preset.rate`; default the paper's).
        seeds: one experiment per seed.
        controls: any of ALL_CONTROLS, trained beside each round's ticket.
        progress: True for progress bars, False for none, or a tqdm class.
        store: where networks are found and kept (default the settings' store, bundle included).
        workers: with more than 1, the networks train in that many one-thread processes.
        rewind_iteration: k > 0 resets the tickets to θk and trains them from iteration k.
        settings: fast mode and the folders.
        setup: how every network trains (default the preset's, shrunk in fast mode).
    """
    validate_rounds(rounds)
    controls = validate_controls(controls)
    experiments = _experiments(model, seeds, progress=progress, store=store, workers=workers,
                               rewind_iteration=rewind_iteration, settings=settings, setup=setup)
    if progress is True:
        announce(experiments, [(rounds, rate)], controls)
    return _run(experiments, rounds, rate, controls, progress, workers)


def one_shot(model: str = "lenet", rate: float = 0.8, seeds: Iterable[int] = (0,), *, controls: Iterable[str] = (),
             progress: Progress = True, store: Store | None = None, workers: int = 1, rewind_iteration: int = 0,
             settings: Settings, setup: TrainingSetup | None = None) -> list[Result]:
    """One-shot pruning. Train θ0 to θj, prune by `rate` (the paper's pruning rate p, see `Preset.rate`), reset to θ0
    (θk with `rewind_iteration=k`) and retrain. Any of ALL_CONTROLS train beside the ticket. The arguments are as in
    `iterative`."""
    return iterative(model, 1, rate, seeds, controls=controls, progress=progress, store=store, workers=workers,
                     rewind_iteration=rewind_iteration, settings=settings, setup=setup)


def trained_networks(model: str = "lenet", rate: float = 0.8, seed: int = 0, *, progress: Progress = True,
                     store: Store | None = None, settings: Settings, setup: TrainingSetup | None = None
                     ) -> tuple[nn.Module, nn.Module]:
    """One seed's trained dense network (θj) and its trained one-shot ticket at `rate`, rebuilt from the store.

    The weights come from your cache, else from those bundled for the lessons; where neither has them, the two
    networks are trained first. The dense network comes back unpruned, and the ticket with its mask.
    """
    settings, store, setup = with_defaults(model, settings, store, setup)
    dense, ticket = one_shot(model, rate, (seed,), progress=progress, store=store, settings=settings, setup=setup)
    return store.network(dense), store.network(ticket)


def sweep(model: str = "lenet", rates: Iterable[float] = (0.2, 0.5, 0.8, 0.9, 0.95), seeds: Iterable[int] = (0,), *,
          controls: Iterable[str] = (), progress: Progress = True, store: Store | None = None, workers: int = 1,
          rewind_iteration: int = 0, settings: Settings, setup: TrainingSetup | None = None
          ) -> list[Result]:
    """One-shot pruning at several rates, such as the slider's grid. The dense network is trained once per seed."""
    rates, controls = list(rates), validate_controls(controls)
    experiments = _experiments(model, seeds, progress=progress, store=store, workers=workers,
                               rewind_iteration=rewind_iteration, settings=settings, setup=setup)
    if progress is True:
        announce(experiments, [(1, rate) for rate in rates], controls)
    bars = progress_bars(progress)
    results = []
    for rate in bars(rates, desc="one-shot sweep") if bars else rates:
        results += _run(experiments, 1, rate, controls, progress, workers)
    return unique_networks(results)


def count_to_train(model: str, runs: Iterable[tuple[int, float | None]], seeds: Iterable[int] = (0,), *,
                   controls: Iterable[str] = (), store: Store | None = None, rewind_iteration: int = 0,
                   settings: Settings, setup: TrainingSetup | None = None) -> int:
    """How many networks `iterative(model, rounds, rate, ...)` would train for each (rounds, rate) of `runs`. Networks
    that several runs share count once, and the count is 0 when the store holds them all."""
    experiments = _experiments(model, seeds, progress=False, store=store, workers=1,
                               rewind_iteration=rewind_iteration, settings=settings, setup=setup)
    return _count(experiments, runs, validate_controls(controls))


def _count(experiments: list[Experiment], runs: Iterable[tuple[int, float | None]], controls) -> int:
    return len({config.key for e in experiments for rounds, rate in runs
                for config in e.to_train(rounds, get_preset(e.setup.model).amounts(rate), controls)})


def training_note(count: int, setup: TrainingSetup, store: Store) -> str:
    """A note such as "3 networks to train, 50,000 iterations each: about 4 min ...". The time is estimated from how
    long the bundled networks took."""
    networks = f"{count} network{'s' if count != 1 else ''} to train, {setup.iterations:,} iterations each"
    seconds = sorted(r.seconds for r in (store.bundle.results(setup.model) if store.bundle else [])
                     if r.iterations == setup.iterations and r.seconds)
    if not seconds:
        return f"{networks}."
    each = seconds[len(seconds) // 2]
    return (f"{networks}: about {duration(count * each)} ({duration(each)} a network, the median of the bundled "
            f"{setup.model} networks on one CPU thread; yours may differ).")


def announce(experiments: list[Experiment], runs, controls=()) -> None:
    """In real mode, print how many networks are about to train and how long it should take, before it starts."""
    if not experiments or experiments[0].setup.fast:
        return
    count = _count(experiments, runs, controls)
    if count:
        print(f"{TRAINING_ANNOUNCED} {training_note(count, experiments[0].setup, experiments[0].store)} Each network "
              f"is stored as soon as it is trained, so an interrupted run goes on where it stopped.")


def duration(seconds: float) -> str:
    """A duration as text, such as "45 s", "12 min" or "2 h 05 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def run_all(model: str, runs: Iterable[Run], seeds: Iterable[int], progress: Progress, store: Store,
            settings: Settings, setup: TrainingSetup, workers: int = 1) -> list[Result]:
    """Every run of `runs` (`lessons.Run`) for each of `seeds`.

    A run that `needs_weights` is one whose trained weights a lesson reads (seed 0's). Where neither the cache nor
    the bundle holds them, it is trained into the cache.
    """
    results = []
    for run in runs:
        options = dict(controls=run.controls, progress=progress, workers=workers,
                       rewind_iteration=run.rewind_iteration, settings=settings, setup=setup)
        found = iterative(model, run.rounds, run.rate, (0,) if run.needs_weights else seeds, store=store, **options)
        if run.needs_weights and not all(_has_weights(store, r) for r in found):
            found = iterative(model, run.rounds, run.rate, (0,), store=Store(store.disk), **options)
        results += found
    return unique_networks(results)


def _has_weights(store: Store, result: Result) -> bool:
    try:
        store.network(result)
    except LookupError:
        return False
    return True


def precompute(notebook: str | None = None, model: str = "lenet", seed: int = 0, *, progress: Progress = True,
               store: Store | None = None, settings: Settings, setup: TrainingSetup | None = None,
               workers: int = 1) -> int:
    """Train, or find in the store, every network a notebook's widgets and figures show; return how many.

    Then every slider move answers at once in class. `notebook` is "01", "02", "03" or "05" (default all of them).
    `lessons.notebook_runs` lists their runs. "05" also covers the trained weights its section 2 reads (seed 0) and
    the classroom app's signs panel.
    """
    chosen = NOTEBOOKS if notebook is None else (str(notebook)[:2],)
    unknown = [n for n in chosen if n not in NOTEBOOKS]
    if unknown:
        raise ValueError(f"Unknown notebook {notebook!r}: choose one of {', '.join(NOTEBOOKS)} (or None for all).")
    settings, store, setup = with_defaults(model, settings, store, setup)
    runs = [run for n in chosen for run in notebook_runs(n, settings.fast)]
    return len(run_all(model, runs, (seed,), progress, store, settings, setup, workers))
