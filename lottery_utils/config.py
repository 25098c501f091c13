"""Network configurations as values. A configuration says what one trained network is (its setup, kind, pruning
schedule and seed) and gives the key it is stored under.

Every cache entry and every bundled network is found by `NetworkConfig.key`, a hash of `NetworkConfig.as_dict()`. Every
cache and bundle stores its networks in the form of that dictionary. So its fields and the arithmetic of
`Preset.amounts` must not change, or the stored networks would no longer be found. A test loads every bundled entry
through this module. The optimizer and the preset's amounts are not hashed, so the model's name stands for its preset.
A change to a preset must therefore bump ALGORITHM_VERSION.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .checks import did_you_mean, is_whole
from .amounts import Amounts
from .models import Preset, get_preset
from .results import ALL_CONTROLS, Kind

# Bump this when a change makes cached results stale; entries of another version are not read. Version 2 measures
# early stopping every `Preset.eval_every` iterations (100 for LeNet), not on the curves' grid (every 1,000 of 50,000).
ALGORITHM_VERSION = 2
FAST_ITERATIONS = 300  # fast mode's length; LeNet passes 90 % test accuracy by then, enough for a demo in seconds
FAST_EVAL_EVERY = 50


# --- Checks of what a run may ask for, shared by the experiments, the widgets and the command line ------------

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
    """Return the named controls, each once, in the order given. An unknown name is refused.

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
    """How the networks of one model train. It sets iterations, batch size, learning rate and evaluation interval."""

    model: str
    iterations: int
    batch_size: int
    lr: float
    eval_every: int | None = None
    fast: bool = False

    def __post_init__(self):
        self._checked_preset()  # checks every value now and names each mistake, listing the models for an unknown one

    @property
    def preset(self) -> Preset:
        """The model's preset with this setup's training length, batch size, learning rate and evaluation interval.
        This is what `training.train` takes."""
        return self._checked_preset()

    def _checked_preset(self) -> Preset:
        """Make the preset, which checks it. `get_preset` names an unknown model, and a Preset checks its values when
        `dataclasses.replace` makes it."""
        paper = get_preset(self.model)
        return replace(paper, iterations=self.iterations, batch_size=self.batch_size, lr=self.lr,
                       eval_every=paper.eval_every if self.eval_every is None else self.eval_every)

    @classmethod
    def for_model(cls, model: str = "lenet", iterations: int | None = None, batch_size: int | None = None,
                  lr: float | None = None, eval_every: int | None = None, fast: bool = False) -> "TrainingSetup":
        """A setup with the preset's values, which are the paper's. They shrink when `fast`, and any argument given
        overrides them."""
        paper = get_preset(model)
        if iterations is None:
            iterations = min(FAST_ITERATIONS, paper.iterations) if fast else paper.iterations
        if eval_every is None and fast:
            eval_every = FAST_EVAL_EVERY
        return cls(model, iterations, paper.batch_size if batch_size is None else batch_size,
                   paper.lr if lr is None else lr, eval_every, fast)


@dataclass(frozen=True)
class NetworkConfig:
    """One network, given by its setup, kind, per-role amounts of each pruning round, seed and rewind iteration."""

    setup: TrainingSetup
    kind: Kind
    schedule: tuple[tuple[tuple[str, float], ...], ...] = ()  # for each round, its (layer role, amount) pairs
    seed: int = 0
    rewind_iteration: int = 0  # k > 0 resets a ticket or control to θk (never the dense network)

    def __post_init__(self):
        object.__setattr__(self, "kind", Kind.named(self.kind))
        if (self.kind == Kind.DENSE) != (not self.schedule):
            raise ValueError("The dense network has no pruning rounds; every other kind needs at least one.")
        validate_rewind(self.rewind_iteration, self.setup.iterations)

    @classmethod
    def of(cls, setup: TrainingSetup, kind: str, rounds: int = 0,
           amounts: Amounts | Mapping[str, float] | None = None, seed: int = 0, rewind_iteration: int = 0
           ) -> "NetworkConfig":
        """A network pruned for `rounds` rounds at the same per-role `amounts` (the preset's, `Preset.amounts`). The
        dense network has no rounds. It is never rewound, because it is the same for every k."""
        by_role = amounts.by_role if isinstance(amounts, Amounts) else amounts or {}
        step = tuple(by_role.items())
        return cls(setup, kind, (step,) * rounds, seed, 0 if kind == Kind.DENSE else rewind_iteration)

    @property
    def rounds(self) -> int:
        return len(self.schedule)

    def as_dict(self) -> dict[str, Any]:
        """The stored form of the configuration. It holds the setup, the preset's non-default training settings
        (warmup, milestones and init, none of which LeNet and Conv-2/4/6 have), the network, its seed and
        ALGORITHM_VERSION. It holds the rewind iteration only when k > 0, so networks that are not rewound keep the
        keys they are stored under."""
        rewind = {"rewind_iteration": self.rewind_iteration} if self.rewind_iteration else {}
        return {**asdict(self.setup), **_training_settings(self.setup.model), "kind": str(self.kind),
                "schedule": [dict(step) for step in self.schedule], "seed": self.seed, "version": ALGORITHM_VERSION,
                **rewind}

    @property
    def key(self) -> str:
        return config_key(self.as_dict())

    @property
    def seedless_key(self) -> str:
        """The key of this network with its seed left out. It is a stored result's `training_key`, which keeps
        networks trained in different ways apart in `summaries.summarize`."""
        return key_without_seed(self.as_dict())


def _training_settings(model: str) -> dict[str, Any]:
    """The preset's training settings that a key needs beyond `TrainingSetup`. These are its warmup, milestones and
    initialization, each only where it is not the default. LeNet and Conv-2/4/6 use the defaults, so their keys, and
    the bundled results stored under them, stay the same. ResNet-18 and VGG-19 do not, so their keys include these
    settings and results trained without them are not reused."""
    paper, defaults = get_preset(model), {f.name: f.default for f in fields(Preset)}
    return {name: list(value) if isinstance(value, tuple) else value
            for name in ("warmup_iterations", "lr_milestones", "init")
            if (value := getattr(paper, name)) != defaults[name]}


def config_key(config: Mapping[str, Any]) -> str:
    """The key of a stored configuration, a short stable hash of its JSON. Every store uses this one key function."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:20]


def key_without_seed(config: Mapping[str, Any]) -> str:
    """The key of a stored configuration without its seed."""
    return config_key({name: value for name, value in config.items() if name != "seed"})
