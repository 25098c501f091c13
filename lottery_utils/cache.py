"""An on-disk result cache: every trained network stored under a hash of its full configuration."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch

from .data import PROJECT_ROOT


def cache_dir(root: str | os.PathLike | None = None) -> Path:
    """Where results live: the argument, else $LOTTERY_CACHE, else runs/ in the project folder."""
    return Path(root or os.environ.get("LOTTERY_CACHE") or PROJECT_ROOT / "runs").resolve()


def cache_key(config: dict[str, Any]) -> str:
    """A short stable hash of a JSON-able configuration."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:20]


class Cache:
    """Stores {"config", "record", "state"} per key; writes are atomic, unreadable entries count as missing.

    Under its own entries lie the results bundled with the project (read-only, no weights): `load` answers from
    them where the cache has no entry of its own, unless `use_bundle=False`.
    """

    def __init__(self, root: str | os.PathLike | None = None, use_bundle: bool = True,
                 bundle_folder: str | os.PathLike | None = None):
        from .bundle import Bundle

        self.root = cache_dir(root)
        self.bundle = Bundle(bundle_folder) if use_bundle else None

    def path(self, config: dict[str, Any]) -> Path:
        return self.key_path(config["model"], config["kind"], cache_key(config))

    def key_path(self, model: str, kind: str, key: str) -> Path:
        return self.root / model / f"{kind}-{key}.pt"

    def load(self, config: dict[str, Any]) -> dict[str, Any] | None:
        """The entry stored for `config` (the bundled one, without weights, if only the bundle has it), or None."""
        entry = self._read(self.path(config), config)
        if entry is None and self.bundle is not None:
            entry = self.bundle.load(config)
        return entry

    def has(self, config: dict[str, Any]) -> bool:
        """Whether `load` would find an entry (looking trains nothing)."""
        return self.path(config).exists() or (self.bundle is not None and config in self.bundle)

    def has_trained(self, config: dict[str, Any]) -> bool:
        """Whether the cache's own entry (with trained weights, for a dense network or ticket) exists."""
        return self.path(config).exists()

    def load_trained(self, config: dict[str, Any]) -> dict[str, Any] | None:
        """The cache's own entry, with the trained weights of a dense network or ticket, or None."""
        return self._read(self.path(config), config)

    def load_key(self, model: str, kind: str, key: str) -> dict[str, Any] | None:
        """The entry stored under a key (a Result's `key`), or None."""
        return self._read(self.key_path(model, kind, key))

    def _read(self, path: Path, config: dict[str, Any] | None = None) -> dict[str, Any] | None:
        if not path.exists():
            return None
        try:
            entry = torch.load(path, map_location="cpu", weights_only=True)
            if (config is not None and entry["config"] != config) or "record" not in entry:
                raise ValueError("the stored configuration differs")
            return entry
        except Exception as error:  # a truncated or foreign file: recompute rather than trust it
            warnings.warn(f"Ignoring unreadable cache entry {path} ({type(error).__name__}: {error}); recomputing.",
                          stacklevel=3)
            return None

    def save(self, config: dict[str, Any], record: dict[str, Any], state: dict | None = None) -> None:
        path = self.path(config)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file in the same folder, then rename: readers see the old entry or the whole new one,
        # and two processes writing the same entry each replace it with a complete file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as f:
                torch.save({"config": config, "record": record, "state": state}, f)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
