"""Network configurations as values: what one trained network is (its setup, kind, pruning schedule, seed) and the
key it is stored under.

Every cache entry and every bundled network is found by `NetworkConfig.key`, a hash of `NetworkConfig.as_dict()`. That
dictionary is the stored format of every cache and bundle written so far, so its fields and the arithmetic of
`Preset.amounts` must not change: a test loads every bundled entry through this module. (The model's name stands for
its preset: the optimizer and the preset's amounts are not hashed, so a changed preset must bump ALGORITHM_VERSION.)
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .checks import did_you_mean, is_whole
from .models import Preset, get_preset
from .results import ALL_CONTROLS, Kind

# Bump when a change makes cached results stale. 2: early stopping measured every `Preset.eval_every` iterations
# (LeNet: 100) instead of on the curves' grid (every 1,000 of 50,000); entries of version 1 are not read.
ALGORITHM_VERSION = 2
FAST_ITERATIONS = 300  # fast mode: LeNet passes 90 % test accuracy by then, enough for a demo in seconds
FAST_EVAL_EVERY = 50


# --- what a run may ask for: the checks of the experiments, the widgets and the command line ------------------

def validate_seeds(seeds, limit: int) -> list[int]:
    """Return the seeds as a list if each is a whole number from 0 to `limit` - 1."""
    seeds = list(seeds)
    if not all(is_whole(seed, 0) and seed < limit for seed in seeds):
        raise ValueError(f"seeds must be whole numbers from 0 to {limit - 1} (the controls draw their fresh weights "
                         f"from seeds {limit:,} and above), got {seeds}.")
    return seeds


def validate_rewind(rewind_iteration: int, iterations: int | None = None) -> int:
    """Return the rewind iteration k if it is a whole number with 0 <= k < `iterations`.

    k counts the dense network's training iterations. k = 0 means no rewinding: tickets are reset to θ0, as in the
    original algorithm. `iterations` is the training length, when known.
    """
    if not is_whole(rewind_iteration, 0):
        raise ValueError(f"rewind_iteration must be a whole number of iterations >= 0 (0: reset to θ0), got "
                         f"{rewind_iteration!r}.")
    if iterations is not None and rewind_iteration >= iterations:
        raise ValueError(f"rewind_iteration ({rewind_iteration:,}) must be less than the training length "
                         f"({iterations:,} iterations): tickets are reset to the dense network's weights after k of "
                         f"its iterations and trained from there to the end.")
    return int(rewind_iteration)


def validate_controls(controls) -> tuple[str, ...]:
    """Return the controls named, each once, in the order given; an unknown name is refused.

    `controls` is a sequence of names from ALL_CONTROLS, or one comma-separated string of them.
    """
    if isinstance(controls, str):
        controls = [c.strip() for c in controls.split(",") if c.strip()]
    controls = tuple(dict.fromkeys(controls))
    unknown = [c for c in controls if c not in ALL_CONTROLS]
    if unknown:
        raise ValueError(f"Unknown control(s) {unknown}{did_you_mean(unknown, ALL_CONTROLS)}: choose from "
                         f"{', '.join(ALL_CONTROLS)}.")
    return controls


@dataclass(frozen=True)
class TrainingSetup:
    """How the networks of one model are trained: iterations, batch size, learning rate, evaluation interval."""

    model: str
    iterations: int
    batch_size: int
    lr: float
    eval_every: int | None = None
    fast: bool = False

    def __post_init__(self):
        self._checked_preset()  # every value checked now, each mistake named (an unknown model says which exist)

    @property
    def preset(self) -> Preset:
        """The model's preset with this setup's training length, batch size, learning rate and evaluation interval:
        what `training.train` takes."""
        return self._checked_preset()

    def _checked_preset(self) -> Preset:
        """The preset, made and so checked: `get_preset` names an unknown model, and a Preset checks its values when
        it is made (as `dataclasses.replace` makes it)."""
        paper = get_preset(self.model)
        return replace(paper, iterations=self.iterations, batch_size=self.batch_size, lr=self.lr,
                       eval_every=paper.eval_every if self.eval_every is None else self.eval_every)

    @classmethod
    def for_model(cls, model: str = "lenet", iterations: int | None = None, batch_size: int | None = None,
                  lr: float | None = None, eval_every: int | None = None, fast: bool = False) -> "TrainingSetup":
        """The preset's values (the paper's), shrunk when `fast`, overridden by any argument given."""
        paper = get_preset(model)
        if iterations is None:
            iterations = min(FAST_ITERATIONS, paper.iterations) if fast else paper.iterations
        if eval_every is None and fast:
            eval_every = FAST_EVAL_EVERY
        return cls(model, iterations, paper.batch_size if batch_size is None else batch_size,
                   paper.lr if lr is None else lr, eval_every, fast)


@dataclass(frozen=True)
class NetworkConfig:
    """One network: its setup, kind, the per-role amounts of each pruning round, its seed and rewind iteration."""

    setup: TrainingSetup
    kind: Kind
    schedule: tuple[tuple[tuple[str, float], ...], ...] = ()  # per round: (layer role, amount) pairs
    seed: int = 0
    rewind_iteration: int = 0  # k > 0: a ticket or control reset to θk (never the dense network)

    def __post_init__(self):
        object.__setattr__(self, "kind", Kind.named(self.kind))
        if (self.kind == Kind.DENSE) != (not self.schedule):
            raise ValueError("The dense network has no pruning rounds; every other kind needs at least one.")
        validate_rewind(self.rewind_iteration, self.setup.iterations)

    @classmethod
    def of(cls, setup: TrainingSetup, kind: str, rounds: int = 0, amounts: Mapping[str, float] | None = None,
           seed: int = 0, rewind_iteration: int = 0) -> "NetworkConfig":
        """`rounds` rounds at the same per-role `amounts` (the dense network: none); the dense network is never
        rewound (it is the same for every k)."""
        step = tuple((amounts or {}).items())
        return cls(setup, kind, (step,) * rounds, seed, 0 if kind == Kind.DENSE else rewind_iteration)

    @property
    def rounds(self) -> int:
        return len(self.schedule)

    def as_dict(self) -> dict[str, Any]:
        """The stored form: the setup, the preset's non-default training settings (warmup, milestones, init: none for
        LeNet and Conv-2/4/6), the network, its seed and ALGORITHM_VERSION, and the rewind iteration only when k > 0
        (k = 0 keeps the keys written before rewinding existed)."""
        rewind = {"rewind_iteration": self.rewind_iteration} if self.rewind_iteration else {}
        return {**asdict(self.setup), **_training_settings(self.setup.model), "kind": str(self.kind),
                "schedule": [dict(step) for step in self.schedule], "seed": self.seed, "version": ALGORITHM_VERSION,
                **rewind}

    @property
    def key(self) -> str:
        return config_key(self.as_dict())

    @property
    def seedless_key(self) -> str:
        """The key of this network whatever its seed: a stored result's `training_key`, which keeps results trained
        otherwise apart in `results.summarize`."""
        return key_without_seed(self.as_dict())


def _training_settings(model: str) -> dict[str, Any]:
    """What a key needs of a preset's training beyond `TrainingSetup`: its warmup, milestones and initialization, each
    only where it is not the default. So these settings changed the keys of ResNet-18 and VGG-19 (results trained the
    old way are not reused) and left those of LeNet and Conv-2/4/6, and the bundled results stored under them, as
    they were."""
    paper, defaults = get_preset(model), {f.name: f.default for f in fields(Preset)}
    return {name: list(value) if isinstance(value, tuple) else value
            for name in ("warmup_iterations", "lr_milestones", "init")
            if (value := getattr(paper, name)) != defaults[name]}


def config_key(config: Mapping[str, Any]) -> str:
    """The key of a stored configuration: a short stable hash of its JSON (the one key function of every store)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:20]


def key_without_seed(config: Mapping[str, Any]) -> str:
    """The key of a stored configuration without its seed."""
    return config_key({name: value for name, value in config.items() if name != "seed"})
