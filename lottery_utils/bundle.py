"""Results bundled with the project: the paper's LeNet experiments at full length for several seeds, read-only.

One gzip JSON file per model and seed in lottery_utils/bundled/: each trained network's configuration and record
(its numbers, curves and first-layer mask counts), no weights. The cache answers from it where it has no entry of
its own (`Cache.load`), so a bundled network is there at once, as if it had been trained here; `Cache(use_bundle=
False)` or the CLI's `--no-bundle` trains instead. `python -m lottery_utils bundle --seeds 0-4` builds it.
"""
from __future__ import annotations

import base64
import gzip
import json
import multiprocessing
import os
import platform
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from .cache import cache_key

FORMAT = 1  # bump when the file layout changes; the loader refuses other formats
PAPER_ROUNDS = 18  # the paper's LeNet figure: iterative pruning down to 1.8 % of the weights
PARTS = ("lessons", "why")  # notebooks 01-03 and the paper's figure; notebook 05's sign and rewinding networks
BUNDLE_DIR = Path(__file__).resolve().parent / "bundled"


class Bundle:
    """The bundled entries of every file in `folder`, by cache key; read on first use."""

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder is not None else BUNDLE_DIR
        self._entries: dict[str, dict[str, Any]] | None = None
        self.metadata: list[dict[str, Any]] = []

    def entries(self) -> dict[str, dict[str, Any]]:
        if self._entries is None:
            self._entries = {}
            for path in sorted(self.folder.glob("*.json.gz")):
                content = read(path)
                self.metadata.append(content["metadata"])
                for entry in content["entries"]:
                    self._entries[cache_key(entry["config"])] = entry
        return self._entries

    def load(self, config: dict[str, Any]) -> dict[str, Any] | None:
        """A cache entry for `config` from the bundle ({"config", "record", "state": None, "bundled": True})."""
        entry = self.entries().get(cache_key(config))
        if entry is None or entry["config"] != config:
            return None
        return {"config": entry["config"], "record": entry["record"], "state": None, "bundled": True}

    def __contains__(self, config: dict[str, Any]) -> bool:
        return self.load(config) is not None

    def results(self, model: str) -> list:
        """Every bundled network of `model` as a Result."""
        from .results import Result
        return [Result.from_entry({**entry, "bundled": True}) for entry in self.entries().values()
                if entry["config"]["model"] == model]

    def seeds(self, model: str, part: str = "lessons") -> tuple[int, ...]:
        """The seeds whose bundle for `model` is complete (every network of `part` the notebooks show)."""
        return tuple(sorted(m["seed"] for m in self.parts(model, part) if m.get("complete")))

    def parts(self, model: str, part: str = "lessons") -> list[dict[str, Any]]:
        """The metadata of each file of `model` and `part`, one per seed."""
        self.entries()
        return [m for m in self.metadata if m.get("model") == model and m.get("part", "lessons") == part]


def read(path: Path) -> dict[str, Any]:
    """One bundle file; a file of another format is refused with what to do."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        content = json.load(f)
    found = content.get("metadata", {}).get("format")
    if found != FORMAT:
        raise ValueError(f"The bundled results {path} are in format {found!r}, this version of lottery_utils reads "
                         f"format {FORMAT}. Rebuild them with `python -m lottery_utils bundle`, or delete the file "
                         f"to train instead.")
    return content


def write(path: Path, entries: list[dict[str, Any]], metadata: dict[str, Any]) -> None:
    """Write a bundle file atomically (a reader sees the old file or the whole new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as f:
            json.dump({"metadata": {**metadata, "format": FORMAT}, "entries": entries}, f, separators=(",", ":"))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def jobs(model: str = "lenet", part: str = "lessons") -> list[tuple[str, dict[str, Any]]]:
    """What the bundle holds for a seed. "lessons": every network the widgets of notebooks 01-03 and the classroom
    app show, and the paper's iterative figure (18 rounds with both controls), the long chain first, the sparsest
    one-shot first. "why": notebook 05's sign-preserving reinit and its tickets rewound to iteration k > 0."""
    from . import widgets  # the widgets' settings decide what is bundled
    from .experiments import CONTROLS, SLIDER_AMOUNTS

    if part not in PARTS:
        raise ValueError(f"Unknown bundle part {part!r}: choose from {', '.join(PARTS)}.")
    if part == "why":
        return [("sweep", dict(amounts=widgets.SIGN_AMOUNTS, controls=("reinit_signs",))),
                *(("sweep", dict(amounts=widgets.REWIND_AMOUNTS, controls=(), rewind_iteration=k))
                  for k in widgets.REWINDS if k)]
    big = max(widgets.ITERATIVE_RATES)
    rounds = widgets.max_rounds(big, len(SLIDER_AMOUNTS))
    return [("iterative", dict(rounds=PAPER_ROUNDS, rate=None, controls=CONTROLS)),
            ("sweep", dict(amounts=sorted(widgets.ONE_SHOT_GRID, reverse=True), controls=CONTROLS)),
            ("iterative", dict(rounds=rounds, rate=big, controls=())),
            ("sweep", dict(amounts=widgets.one_shot_amounts(big, rounds), controls=()))]


def _run_job(job: tuple[str, dict[str, Any]], model: str, seed: int, cache, setup: dict[str, Any]) -> list:
    from . import experiments

    torch.set_num_threads(1)
    name, arguments = job
    run = experiments.iterative if name == "iterative" else experiments.sweep
    return run(model, seeds=(seed,), progress=False, cache=cache, **arguments, **setup)


def planned(experiment, model: str = "lenet", part: str = "lessons") -> list[dict[str, Any]]:
    """The configuration of every network `jobs(model, part)` trains for one experiment (setup and seed), each once;
    a part other than "lessons" leaves out the networks that the lessons' part holds (the dense network, tickets)."""
    from .experiments import Experiment, round_rates

    configs = {}
    for name, arguments in jobs(model, part):
        runs = ([(arguments["rounds"], arguments["rate"])] if name == "iterative" else
                [(1, amount) for amount in arguments["amounts"]])
        rewound = Experiment(experiment.setup, experiment.seed, experiment.cache, False,
                             arguments.get("rewind_iteration", 0))
        for rounds, rate in runs:
            rates = round_rates(model, rate)
            for kind, r in rewound.networks(rounds, arguments["controls"]):
                config = rewound.config(kind, r, rates)
                configs[cache_key(config)] = config
    if part != "lessons":
        for config in planned(experiment, model):
            configs.pop(cache_key(config), None)
    return list(configs.values())


def build(seed: int, model: str = "lenet", out: str | os.PathLike | None = None, cache=None, workers: int = 1,
          progress_every: float = 300.0, part: str = "lessons", **setup) -> Path:
    """Train (or find in the cache) every network of `jobs(model, part)` for one seed and write them into the bundle
    folder: lenet-seed0.json.gz for the lessons' part, lenet-why-seed0.json.gz for another part.

    Resumable: what is in the cache is not trained again. While training, the file is rewritten every
    `progress_every` seconds with the networks done so far (metadata "complete": false), so a build that is cut
    short still leaves what it finished; resuming it adds the time it had spent to the recorded build time."""
    from .cache import Cache
    from .experiments import Experiment, Setup

    work = jobs(model, part)  # an unknown part is refused before anything trains
    cache = cache or Cache(use_bundle=False)
    experiment = Experiment(Setup.for_model(model, **setup), seed, cache, progress=False)
    path = Path(out or BUNDLE_DIR) / f"{model}{'' if part == 'lessons' else '-' + part}-seed{seed}.json.gz"
    start, threads = time.perf_counter() - _interrupted_seconds(path, experiment.setup), torch.get_num_threads()
    torch.set_num_threads(1)  # as in the workers: the provenance test retrains with one thread, bit for bit
    try:
        experiment.result("dense")  # every job needs it: train it once
    finally:
        torch.set_num_threads(threads)
    context = multiprocessing.get_context("spawn")  # forking a process with OpenMP threads can deadlock
    with ProcessPoolExecutor(max(1, workers), mp_context=context) as pool:
        runs = [pool.submit(_run_job, job, model, seed, cache, setup) for job in work]
        while wait(runs, timeout=progress_every).not_done:
            _write(path, experiment, part, start, complete=False)
        results = [r for run in runs for r in run.result()]
    _write(path, experiment, part, start, complete=True, provenance=_provenance(experiment, results))
    return path


def _interrupted_seconds(path: Path, setup) -> float:
    """The time an interrupted build of the same file and setup already spent: a resumed build's time adds it."""
    try:
        metadata = read(path)["metadata"]
    except (OSError, EOFError, ValueError, KeyError):  # no file yet, or a damaged one: start from zero
        return 0.0
    return 0.0 if metadata.get("complete") or metadata.get("setup") != asdict(setup) else metadata["seconds"]


def _write(path: Path, experiment, part: str, start: float, complete: bool, provenance: dict | None = None) -> None:
    """The bundle file with every planned network of `part` the cache holds so far."""
    entries = [{"config": config, "record": entry["record"]}
               for config in planned(experiment, experiment.setup.model, part)
               if (entry := experiment.cache.load(config)) is not None]
    write(path, entries, {"model": experiment.setup.model, "part": part, "seed": experiment.seed,
                          "networks": len(entries),
                          "complete": complete, "setup": asdict(experiment.setup), "provenance": provenance,
                          "seconds": round(time.perf_counter() - start, 1), "torch": torch.__version__,
                          "python": platform.python_version(), "cpu": cpu_model(),
                          "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {cpu_model()}",
                          "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})


def cpu_model() -> str:
    """The processor's name (float results are bit-identical only on the same kind of CPU)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.system()


PROVENANCE_ROUND = 5  # the ticket whose mask is kept, so a test can retrain it from theta_0 and compare its curve


def _provenance(experiment, results: list) -> dict[str, Any] | None:
    """The mask of one later-round ticket (packed bits): with theta_0, which its seed rebuilds, a test retrains its
    first iterations and compares them with the bundled curve."""
    tickets = [r for r in results if r.kind == "ticket" and r.round == PROVENANCE_ROUND]
    if not tickets:
        return None
    network = tickets[0].network(experiment.cache)
    packed = {name: base64.b64encode(bytes(_pack(mask))).decode() for name, mask in _masks(network).items()}
    return {"key": tickets[0].key, "masks": packed}


def _masks(network):
    from .pruning import masks
    return {name: mask for name, mask in masks(network).items() if mask is not None}


def _pack(mask: torch.Tensor):
    import numpy as np
    return np.packbits(mask.flatten().bool().numpy())


def unpack_masks(provenance: dict[str, Any], like) -> dict[str, torch.Tensor]:
    """The masks of a bundle's provenance ticket, shaped like the layers of `like` (a network of the same model)."""
    import numpy as np

    from .pruning import prunable_layers
    layers = prunable_layers(like)
    out = {}
    for name, text in provenance["masks"].items():
        shape = layers[name].weight.shape
        bits = np.unpackbits(np.frombuffer(base64.b64decode(text), dtype=np.uint8))[:layers[name].weight.numel()]
        out[name] = torch.from_numpy(bits.astype(np.float32)).reshape(shape)
    return out
