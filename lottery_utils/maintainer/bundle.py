"""Build the results bundled with the project: the paper's LeNet experiments at full length for several seeds.

One gzip JSON file per model, part and seed in lottery_utils/bundled/ (`store.Bundle` reads them): each trained
network's configuration and record (its numbers, curves and first-layer mask counts), no weights. What a part holds
is `lessons.bundle_runs(part)`. `python -m lottery_utils bundle --seeds 0-4` builds it.
"""
from __future__ import annotations

import base64
import multiprocessing
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import NetworkConfig, TrainingSetup
from ..models import get_preset
from ..experiments import Experiment, iterative
from ..lessons import PARTS, Run, bundle_runs
from ..layers import masks, prunable_layers
from ..results import Result
from ..settings import Settings
from ..store import BUNDLE_DIR, Store, read_bundle, write_atomically, write_bundle


def file_name(model: str, part: str, seed: int) -> str:
    return f"{model}{'' if part == 'lessons' else '-' + part}-seed{seed}.json.gz"


@contextmanager
def _one_thread():
    """Train with one thread, as the workers do: the provenance test retrains with one thread, bit for bit."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _run_job(run: Run, model: str, seed: int, store: Store, settings: Settings, setup: TrainingSetup) -> list[Result]:
    torch.set_num_threads(1)
    return iterative(model, run.rounds, run.rate, (seed,), controls=run.controls, progress=False, store=store,
                     rewind_iteration=run.rewind_iteration, settings=settings, setup=setup)


def chains(runs: list[Run], model: str) -> list[Run]:
    """The runs with one chain of tickets (the same per-round amounts and rewind iteration) merged into one, with the
    most rounds and every control of any of them, the longest first: so no two workers train the same ticket at once,
    and the longest chain starts first."""
    merged: dict[tuple, Run] = {}
    for run in runs:
        chain = (tuple(get_preset(model).amounts(run.rate).by_role.items()), run.rewind_iteration)
        if chain in merged:
            other = merged[chain]
            run = Run(max(run.rounds, other.rounds), other.rate, tuple(dict.fromkeys(other.controls + run.controls)),
                      run.rewind_iteration)
        merged[chain] = run
    return sorted(merged.values(), key=lambda run: -run.rounds * (1 + len(run.controls)))


def planned(experiment: Experiment, part: str = "lessons") -> list[NetworkConfig]:
    """The configuration of every network of `bundle_runs(part)` for one experiment (setup and seed), each once,
    leaving out the networks an earlier part of PARTS holds: "why" those of "lessons" (the dense network, tickets),
    "signs" also those of "why" (its first round's control is the one-shot control at the paper's rate)."""
    runs = bundle_runs(part)
    configs = _configs(experiment, runs)
    rewinds = {run.rewind_iteration for run in runs}  # only a network reset to the same θk can be the same
    for earlier in PARTS[:PARTS.index(part)]:
        for key in _configs(experiment, [run for run in bundle_runs(earlier) if run.rewind_iteration in rewinds]):
            configs.pop(key, None)
    return list(configs.values())


def _configs(experiment: Experiment, runs: list[Run]) -> dict[str, NetworkConfig]:
    """The configuration of every network of `runs`, by key."""
    configs = {}
    for run in runs:
        rewound = Experiment(experiment.setup, experiment.seed, experiment.store, experiment.data, False,
                             run.rewind_iteration)
        amounts = get_preset(experiment.setup.model).amounts(run.rate)
        for kind, r in rewound.networks(run.rounds, run.controls):
            config = rewound.config(kind, r, amounts)
            configs[config.key] = config
    return configs


def build(seed: int, settings: Settings, model: str = "lenet", out: str | os.PathLike | None = None,
          workers: int = 1, progress_every: float = 1800.0, part: str = "lessons", setup: TrainingSetup | None = None
          ) -> Path:
    """Train (or find in the settings' cache, never in the bundle) every network of `bundle_runs(part)` for one seed
    and write them into the bundle folder: lenet-seed0.json.gz for the lessons' part, lenet-why-seed0.json.gz for
    another part.

    Resumable: what is in the cache is not trained again. While training, the file is rewritten every
    `progress_every` seconds (default 30 min) with the networks done so far (metadata "complete": false), so a build
    that is cut short still leaves what it finished; resuming it adds the time it had spent to the recorded time."""
    runs = bundle_runs(part)  # an unknown part is refused before anything trains
    store, setup = settings.store(bundle=False), setup or TrainingSetup.for_model(model, fast=settings.fast)
    experiment = Experiment(setup, seed, store, settings.data, progress=False)
    path = Path(out or BUNDLE_DIR) / file_name(model, part, seed)
    start = time.perf_counter() - _interrupted_seconds(path, setup)
    with _one_thread():
        experiment.result("dense")  # every run needs it: train it once
    context = multiprocessing.get_context("spawn")  # forking a process with OpenMP threads can deadlock
    with ProcessPoolExecutor(max(1, workers), mp_context=context) as pool:
        jobs = [pool.submit(_run_job, run, model, seed, store, settings, setup) for run in chains(runs, model)]
        while wait(jobs, timeout=progress_every).not_done:
            _write(path, experiment, part, start, complete=False)
        results = [r for job in jobs for r in job.result()]
    _write(path, experiment, part, start, complete=True, provenance=_provenance(experiment, results),
           tickets=_tickets_used(experiment, part, results))
    return path


def build_weights(seed: int, settings: Settings, model: str = "lenet", out: str | os.PathLike | None = None,
                  setup: TrainingSetup | None = None) -> Path:
    """The trained weights a lesson reads (`bundle_runs("weights")`: notebook 05's section 2, seed 0), trained here
    (or found in the settings' cache) and written to lenet-weights-seed0.pt: {key: state dict}, masks as booleans."""
    store, setup = settings.store(bundle=False), setup or TrainingSetup.for_model(model, fast=settings.fast)
    with _one_thread():
        results = [r for run in bundle_runs("weights") for r in iterative(
            model, run.rounds, run.rate, (seed,), controls=run.controls, progress=False, store=store,
            rewind_iteration=run.rewind_iteration, settings=settings, setup=setup)]
    weights = {r.key: {name: value.bool() if name.endswith("_mask") else value
                       for name, value in store.network(r).state_dict().items()} for r in results}
    path = Path(out or BUNDLE_DIR) / f"{model}-weights-seed{seed}.pt"
    write_atomically(path, lambda f: torch.save(weights, f))
    return path


def _interrupted_seconds(path: Path, setup) -> float:
    """The time an interrupted build of the same file and setup already spent: a resumed build's time adds it."""
    try:
        metadata = read_bundle(path)["metadata"]
    except (OSError, EOFError, ValueError, KeyError):  # no file yet, or a damaged one: start from zero
        return 0.0
    return 0.0 if metadata.get("complete") or metadata.get("setup") != asdict(setup) else metadata["seconds"]


def _tickets_used(experiment: Experiment, part: str, results: list[Result]) -> list[dict[str, Any]] | None:
    """The tickets whose masks a part's controls were trained on, where the lessons' part holds their configurations
    (the signs part's 18 rounds): written into the part, so that it compares its controls with the tickets of its
    own chain. A chain retrained on another kind of CPU ends with other masks than the bundled one (float results are
    bit-identical only on the same kind), under the same configurations."""
    if part == "lessons":
        return None
    own = {config.key for config in planned(experiment, part)}
    entries = [experiment.store.disk.load_key(r.model, r.kind, r.key) for r in results
               if r.kind == "ticket" and r.key not in own]
    return [{"config": entry.config, "record": entry.record} for entry in entries if entry is not None]


def _write(path: Path, experiment: Experiment, part: str, start: float, complete: bool,
           provenance: dict | None = None, tickets: list[dict[str, Any]] | None = None) -> None:
    """The bundle file with every planned network of `part` the cache holds so far."""
    entries = [{"config": entry.config, "record": entry.record} for config in planned(experiment, part)
               if (entry := experiment.store.load(config)) is not None]
    write_bundle(path, entries, {"model": experiment.setup.model, "part": part, "seed": experiment.seed,
                                 "networks": len(entries),
                                 "complete": complete, "setup": asdict(experiment.setup), "provenance": provenance,
                                 "tickets_used": tickets,
                                 "seconds": round(time.perf_counter() - start, 1), "torch": torch.__version__,
                                 "python": platform.python_version(), "cpu": cpu_model(),
                                 "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {cpu_model()}",
                                 "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})


def cpu_model() -> str:
    """The processor's name, family and model (float results are bit-identical only on the same kind of CPU: a
    name such as "AMD EPYC" covers generations whose vector units round differently)."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/cpuinfo").read_text().splitlines() if ":" in line)
        fields = {name.strip(): value.strip() for name, value in fields.items()}
        return f"{fields['model name']} (family {fields['cpu family']}, model {fields['model']})"
    except (OSError, KeyError, ValueError):
        return platform.processor() or platform.system()


PROVENANCE_ROUND = 5  # the ticket whose mask is kept, so a test can retrain it from θ0 and compare its curve


def _provenance(experiment: Experiment, results: list[Result]) -> dict[str, Any] | None:
    """The mask of one later-round ticket (packed bits): with θ0, which its seed rebuilds, a test retrains its
    first iterations and compares them with the bundled curve."""
    tickets = [r for r in results if r.kind == "ticket" and r.round == PROVENANCE_ROUND]
    if not tickets:
        return None
    network = experiment.store.network(tickets[0])
    packed = {name: base64.b64encode(np.packbits(mask.flatten().bool().numpy()).tobytes()).decode()
              for name, mask in masks(network).items() if mask is not None}
    return {"key": tickets[0].key, "masks": packed}


def unpack_masks(provenance: dict[str, Any], like) -> dict[str, torch.Tensor]:
    """The masks of a bundle's provenance ticket, shaped like the layers of `like` (a network of the same model)."""
    layers = prunable_layers(like)
    out = {}
    for name, text in provenance["masks"].items():
        shape = layers[name].weight.shape
        bits = np.unpackbits(np.frombuffer(base64.b64decode(text), dtype=np.uint8))[:layers[name].weight.numel()]
        out[name] = torch.from_numpy(bits.astype(np.float32)).reshape(shape)
    return out
