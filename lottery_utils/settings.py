"""Where results and data live, and how long networks train. A Settings is one small value. It is read from the
environment only at the edges (the command line, each notebook's first cell, the tests' conftest) and passed down.

    LOTTERY_FAST=1     every network trains for 300 iterations (tests, quick demos); when unset, the paper's settings
    LOTTERY_CACHE      the folder of trained networks (default runs/ in the project folder)
    LOTTERY_DATA       the folder that holds MNIST/raw/ and CIFAR-10 (default data/ in the project folder)
"""
from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .config import FAST_ITERATIONS
from .models import PRESETS
from .store import Bundle, Cache, Store


def project_root() -> Path:
    """The folder whose data/ and runs/ the notebooks and the CLI share.

    It is the checkout this package lives in. For an installed package it is the working directory instead, since
    site-packages is no place for downloads. It is looked up when a Settings is made, not at import.
    """
    checkout = Path(__file__).resolve().parents[1]
    return checkout if (checkout / "pyproject.toml").exists() else Path.cwd()


@functools.cache
def project_bundle() -> Bundle:
    """The results shipped with the project. There is one read-only Bundle per process, shared by every Settings, and
    its files are read once, when first needed."""
    return Bundle()


FALSE = ("", "0", "false", "no", "off", "n")  # the LOTTERY_FAST values that mean real mode (in any case)


@dataclass(frozen=True)
class Settings:
    """Where results and data live, and how long networks train.

    Attributes:
        fast: whether every network trains for 300 iterations instead of the paper's (default False, real mode).
        cache: the folder of trained networks (default the project's runs/).
        data: the folder of the datasets (default the project's data/).
    """

    fast: bool = False
    cache: Path = field(default_factory=lambda: project_root() / "runs")
    data: Path = field(default_factory=lambda: project_root() / "data")
    bundle: Bundle = field(default_factory=project_bundle, compare=False, repr=False)  # read-only, shared

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Settings read from LOTTERY_FAST, LOTTERY_CACHE and LOTTERY_DATA. Relative folders are made absolute here."""
        return cls(fast=environ.get("LOTTERY_FAST", "0").strip().lower() not in FALSE,
                   cache=Path(environ.get("LOTTERY_CACHE") or project_root() / "runs").resolve(),
                   data=Path(environ.get("LOTTERY_DATA") or project_root() / "data").resolve())

    def store(self, bundle: bool = True) -> Store:
        """The store the lessons use, which is the cache with the bundled results under it.

        With `bundle=False` it is the cache alone, so that what the bundle holds is trained here, weights included.
        In fast mode the bundle is left out, since none of its real-mode results would match.
        """
        return Store(Cache(self.cache), self.bundle if bundle and not self.fast else None)

    def describe(self) -> str:
        """The text a lesson's first cell prints. It names the mode the lessons run in and says how to change it."""
        if self.fast:
            return (f"Fast mode (LOTTERY_FAST=1): every network trains for {FAST_ITERATIONS} iterations, seconds "
                    f"each.\nFor the paper's {PRESETS['lenet'].iterations:,} iterations, restart Jupyter without "
                    f"LOTTERY_FAST.")
        return (f"The paper's settings: {PRESETS['lenet'].iterations:,} iterations per network. The experiments' "
                f"networks were trained in advance,\nfor several seeds, so their cells answer at once.")

    def seeds(self, model: str = "lenet", part: str = "lessons") -> tuple[int, ...]:
        """The seeds a lesson shows. In real mode these are all complete seeds of the bundle's `part`, which answer at
        once. In fast mode it is seed 0."""
        return (self.bundle.seeds(model, part) if not self.fast else ()) or (0,)
