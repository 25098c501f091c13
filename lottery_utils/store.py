"""Where trained networks are kept. `Cache` is the cache on disk, and `Bundle` holds the results bundled with the
project (read-only, without weights). `Store` looks in the cache first, then in the bundle.

Every network is stored under `NetworkConfig.key`, so a rerun trains nothing and an interrupted run resumes. A damaged
entry, such as a truncated or foreign file, counts as missing. A warning says so, and the network is trained again and
replaced.
"""
from __future__ import annotations

import functools
import gzip
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .checks import validate_state
from .config import NetworkConfig, config_key, key_without_seed
from .models import build_model
from .layers import masks, prunable_layers
from .masking import load_state
from .history import History
from .results import Result

# The format of the bundle files. Bump it when their layout changes, because the reader refuses every other format.
# Format 2 names LeNet's layers fc1, fc2 and fc3 in the provenance masks and weights. Format 1 named them by their
# nn.Sequential indices 1, 3 and 5.
FORMAT = 2
BUNDLE_DIR = Path(__file__).resolve().parent / "bundled"


def write_atomically(path: Path, write: Callable[[Any], None]) -> None:
    """Call `write(file)` on a temporary file beside `path`, then rename it to `path`. Readers see either the old file
    or the whole new one, and two processes that write the same file each leave a complete one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            write(f)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# The fields of a Result that a store keeps beside its configuration
RECORD_FIELDS = ("kind", "round", "remaining", "final_test_accuracy", "early_stop_iteration",
                 "early_stop_test_accuracy", "seed", "model", "iterations", "seconds")
CSV_COLUMNS = (*RECORD_FIELDS, "key", "rewind_iteration")  # the columns of a line of results.csv


def csv_row(result: StoredResult) -> dict[str, Any]:
    """One line of results.csv, with the CSV_COLUMNS."""
    return {name: getattr(result, name) for name in CSV_COLUMNS}


STORED_AS = {"final_test_accuracy": "test_accuracy"}  # a field stored under another name; the stored format keeps it


def record_of(result: Result) -> dict[str, Any]:
    """A result's record, which is what a store keeps of a trained network beside its configuration.

    The record holds the RECORD_FIELDS of the result's results.csv line and its curves. For a StoredResult that has
    one, it also holds the count of kept first-layer weights per input. The key and the rewind iteration come from
    the configuration, so the record leaves them out.
    """
    stored = {STORED_AS.get(name, name): getattr(result, name) for name in RECORD_FIELDS}
    stored["kind"] = str(result.kind)  # a plain string, because torch.load(weights_only=True) refuses the enum
    stored["curve"] = {"iteration": result.history.curve_iterations, "test_accuracy": result.history.test_accuracy,
                       "val_loss": result.history.val_loss}
    if isinstance(result, StoredResult) and result.first_layer_kept is not None:
        stored["first_layer_kept"] = list(result.first_layer_kept)
    return stored


@dataclass
class StoredResult(Result):
    """A Result as a store holds it. It adds how the network was pruned and trained (its pruning schedule and the key
    of its configuration without the seed), the key of its entry, whether it came from the bundle, and how many
    weights each input pixel keeps in the first layer (for LeNet, enough to draw its mask without the weights). The
    training key keeps results trained differently apart when they are averaged (`summaries.configuration`)."""

    schedule: tuple[dict[str, float], ...] = ()  # for each round, the amount pruned per layer role
    training_key: str = ""  # NetworkConfig.seedless_key, the key of the whole configuration but the seed
    key: str = ""
    bundled: bool = False
    first_layer_kept: tuple[int, ...] | None = field(default=None, repr=False)
    # The ticket a control was trained beside, when its bundle file names one other than its own run's ticket. The
    # sign controls of seeds 0-2 over the 18 rounds are such controls. They were trained beside a re-run of the ticket
    # chain (see why.beside_ticket).
    trained_beside: Result | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Entry:
    """One stored network in memory. It holds the configuration and record as stored, the trained weights (None where
    they are not kept), whether the bundle holds it, and the entry of the ticket it was trained beside, where its
    bundle file names one."""

    config: dict[str, Any]
    record: dict[str, Any]
    state: dict | None = None
    bundled: bool = False
    beside: Entry | None = None

    @property
    def key(self) -> str:
        return config_key(self.config)


def result_of(entry: Entry) -> StoredResult:
    """The Result of a stored entry, made from its configuration, its record (see `record_of`) and its keys."""
    config, stored = entry.config, entry.record
    curve = stored["curve"]
    iterations = list(curve["iteration"])
    history = History(curve_iterations=iterations, val_loss=list(curve["val_loss"]),
                      test_accuracy=list(curve["test_accuracy"]), early_stop_iteration=stored["early_stop_iteration"],
                      early_stop_test_accuracy=stored["early_stop_test_accuracy"], seconds=stored["seconds"],
                      start_iteration=iterations[0] if iterations else None)  # the curves start where training did
    kept = stored.get("first_layer_kept")
    network = {name: stored[name] for name in ("kind", "round", "remaining", "seed", "model", "iterations")}
    return StoredResult(**network, history=history, rewind_iteration=config.get("rewind_iteration", 0),
                        schedule=tuple(config["schedule"]), key=entry.key, training_key=key_without_seed(config),
                        first_layer_kept=None if kept is None else tuple(kept), bundled=entry.bundled,
                        trained_beside=entry.beside and result_of(entry.beside))


def first_layer_kept(network: nn.Module) -> tuple[int, ...] | None:
    """How many weights each input of a fully connected first layer keeps, which is enough to draw its mask. LeNet's
    first layer has 784 inputs (pixels) of 300 weights each. A first layer that is a convolution gives None."""
    name, layer = next(iter(prunable_layers(network).items()))
    if not isinstance(layer, nn.Linear):
        return None
    mask = masks(network)[name]
    kept = torch.full((layer.in_features,), layer.out_features) if mask is None else mask.sum(0)
    return tuple(int(k) for k in kept.tolist())


@functools.cache
def _skeleton(model: str) -> nn.Module:
    """An untrained network of `model` that is only ever read. A cache entry's weights must fit it."""
    return build_model(model, seed=0)


def network_from_state(model: str, state: dict, device: torch.device | None = None) -> nn.Module:
    """A network of `model` holding a stored `state` (weights and masks), built untrained (any seed), then filled in."""
    return load_state(build_model(model, seed=0).to(device), state)


class Cache:
    """Trained networks on disk, one file per network with the keys "config", "record" and "state". The state holds
    the trained weights of a dense network or ticket, which later rounds prune. It is None for a control."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def path(self, config: NetworkConfig) -> Path:
        return self.key_path(config.setup.model, config.kind, config.key)

    def key_path(self, model: str, kind: str, key: str) -> Path:
        return self.root / model / f"{kind}-{key}.pt"

    def load(self, config: NetworkConfig) -> Entry | None:
        """The entry stored for `config`, or None if it is missing or unreadable. An unreadable entry gives a
        warning."""
        return self._read(self.path(config), config.setup.model, config.as_dict())

    def load_key(self, model: str, kind: str, key: str) -> Entry | None:
        """The entry stored under a key (a StoredResult's `key`), or None, as in `load`."""
        return self._read(self.key_path(model, kind, key), model)

    def _read(self, path: Path, model: str, config: dict[str, Any] | None = None) -> Entry | None:
        if not path.exists():
            return None
        try:
            stored = torch.load(path, map_location="cpu", weights_only=True)
            if (config is not None and stored["config"] != config) or "record" not in stored:
                raise ValueError("the stored configuration differs")
            if stored["state"] is not None:
                validate_state(_skeleton(model), stored["state"])  # e.g. refuses layer names an older version wrote
        except Exception as error:  # a truncated or foreign file is recomputed, not trusted
            warnings.warn(f"Ignoring unreadable cache entry {path} ({type(error).__name__}: {error}); recomputing.",
                          stacklevel=3)
            return None
        return Entry(stored["config"], stored["record"], stored["state"])

    def save(self, config: NetworkConfig, record: dict[str, Any], state: dict | None = None) -> None:
        content = {"config": config.as_dict(), "record": record, "state": state}
        write_atomically(self.path(config), lambda f: torch.save(content, f))


class Bundle:
    """The bundled entries of every file in `folder`, by key. They are read on first use. A damaged or foreign file
    is refused with the same error every time it is asked for. The few trained weights that a lesson reads (notebook
    05's section 2) lie beside them in `*-weights-seed*.pt`."""

    def __init__(self, folder: str | os.PathLike = BUNDLE_DIR):
        self.folder = Path(folder)
        self._entries: dict[str, Entry] | None = None
        self._metadata: list[dict[str, Any]] = []
        self._weights: dict[str, dict] | None = None

    def weights(self, key: str) -> dict | None:
        """The bundled trained weights (a state dict) of the network stored under `key`, or None."""
        if self._weights is None:
            weights = {}
            for path in sorted(self.folder.glob("*-weights-seed*.pt")):
                try:
                    weights.update(torch.load(path, map_location="cpu", weights_only=True))
                except Exception as error:
                    raise ValueError(f"The bundled weights {path} cannot be read ({type(error).__name__}: {error}). "
                                     f"Restore the file with git, or delete it to train instead.") from None
            self._weights = weights
        state = self._weights.get(key)
        return None if state is None else {name: value.float() if value.dtype == torch.bool else value
                                           for name, value in state.items()}

    def entries(self) -> dict[str, Entry]:
        if self._entries is None:
            entries, metadata = {}, []
            for path in sorted(self.folder.glob("*.json.gz")):
                content = read_bundle(path)
                metadata.append(content["metadata"])
                # a part whose controls were trained beside their own tickets names them (see maintainer/bundle.py)
                tickets = {_chain(t["config"]): t for t in content["metadata"].get("tickets_used") or ()}
                for stored in content["entries"]:
                    beside = tickets.get(_chain(stored["config"]))
                    entries[config_key(stored["config"])] = Entry(
                        stored["config"], stored["record"], bundled=True,
                        beside=beside and Entry(beside["config"], beside["record"], bundled=True))
            self._entries, self._metadata = entries, metadata  # set only once every file has been read
        return self._entries

    @property
    def metadata(self) -> list[dict[str, Any]]:
        self.entries()
        return self._metadata

    def load(self, config: NetworkConfig) -> Entry | None:
        """The bundled entry for `config` (no weights), or None."""
        entry = self.entries().get(config.key)
        return entry if entry is not None and entry.config == config.as_dict() else None

    def results(self, model: str) -> list[Result]:
        """Every bundled network of `model` as a Result."""
        return [result_of(entry) for entry in self.entries().values() if entry.config["model"] == model]

    def seeds(self, model: str, part: str = "lessons") -> tuple[int, ...]:
        """The seeds whose bundle for `model` is complete, with every network of `part` that the notebooks show."""
        return tuple(sorted(m["seed"] for m in self.parts(model, part) if m.get("complete")))

    def parts(self, model: str, part: str = "lessons") -> list[dict[str, Any]]:
        """The metadata of each file of `model` and `part`, one per seed."""
        return [m for m in self.metadata if m.get("model") == model and m.get("part", "lessons") == part]


def _chain(config: dict[str, Any]) -> str:
    """A network's place in its chain of tickets, given by its rounds' amounts and its rewind iteration. Its kind and
    seed play no part."""
    return json.dumps([config["schedule"], config.get("rewind_iteration", 0)])


def read_bundle(path: Path) -> dict[str, Any]:
    """Read one bundle file. A damaged file, or one in another format, is refused with a message that says what to
    do."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            content = json.load(f)
        found = content["metadata"].get("format")
        entries = content["entries"]
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as error:
        message = (f"The bundled results {path} cannot be read ({type(error).__name__}: {error}). Restore it with "
                   f"`git checkout -- {path.name}` in {path.parent}, or delete it to train instead.")
        raise ValueError(message) from None
    if found != FORMAT or not isinstance(entries, list):
        raise ValueError(f"The bundled results {path} are in format {found!r}, this version of lottery_utils reads "
                         f"format {FORMAT}. Rebuild them with `python -m lottery_utils bundle`, or delete the file "
                         f"to train instead.")
    return content


def write_bundle(path: Path, entries: list[dict[str, Any]], metadata: dict[str, Any]) -> None:
    """Write a bundle file atomically."""
    def dump(raw) -> None:
        with gzip.open(raw, "wt", encoding="utf-8") as f:
            json.dump({"metadata": {**metadata, "format": FORMAT}, "entries": entries}, f, separators=(",", ":"))
    write_atomically(path, dump)


class Store:
    """Where experiments find and keep trained networks. A store looks in the cache (`disk`) first, then in `bundle`,
    which it only reads. With `bundle=None` it trains even what the bundle holds, e.g. to reproduce it."""

    def __init__(self, disk: Cache | str | os.PathLike, bundle: Bundle | None = None):
        self.disk = disk if isinstance(disk, Cache) else Cache(disk)
        self.bundle = bundle

    @property
    def root(self) -> Path:
        return self.disk.root

    def load(self, config: NetworkConfig) -> Entry | None:
        """The entry for `config`. It is the cache's own, else the bundled one (without weights), else None."""
        entry = self.disk.load(config)
        if entry is None and self.bundle is not None:
            entry = self.bundle.load(config)
        return entry

    def has(self, config: NetworkConfig) -> bool:
        """Whether `load` finds a readable entry (looking trains nothing)."""
        return self.load(config) is not None

    def load_trained(self, config: NetworkConfig) -> Entry | None:
        """The cache's own entry with trained weights (a dense network or ticket), or None."""
        entry = self.disk.load(config)
        return entry if entry is not None and entry.state is not None else None

    def has_trained(self, config: NetworkConfig) -> bool:
        return self.load_trained(config) is not None

    def save(self, config: NetworkConfig, record: dict[str, Any], state: dict | None = None) -> None:
        self.disk.save(config, record, state)

    def network(self, result: StoredResult) -> nn.Module:
        """Rebuild a trained network from its cache entry, else from the few weights bundled for a lesson.

        A cache entry keeps the weights of the dense network and the tickets. The bundled weights are seed 0's, from
        a second training on another machine, so their masks differ a little from those of the bundled numbers.
        """
        entry = self.disk.load_key(result.model, result.kind, result.key)
        state = None if entry is None else entry.state
        if state is None and self.bundle is not None:
            state = self.bundle.weights(result.key)
        if state is None:
            raise LookupError(f"The cache at {self.root} keeps no weights for this {result.kind} network (key "
                              f"{result.key}): only dense networks and tickets trained here keep theirs (the bundled "
                              f"results hold a lesson's few). Run the experiment with this cache to train it.")
        return network_from_state(result.model, state)

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r}, bundle={'yes' if self.bundle is not None else 'none'})"
