"""What a class waits for in fast mode: a new slider setting trained from scratch, and a cached slider move.

    LOTTERY_FAST=1 python benchmarks/classroom_speed.py

(LOTTERY_DATA as usual.) Uses a fresh temporary cache. The notebook set's time under nbval is measured with
`python -m pytest notebooks/ --durations=0`.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from lottery_utils import lessons, load_mnist, widgets
from lottery_utils.config import Setup
from lottery_utils.settings import Settings


def main() -> None:
    settings = replace(Settings.from_environment({"LOTTERY_FAST": "1", **os.environ}),
                       cache=Path(tempfile.mkdtemp(prefix="classroom-speed-")))
    load_mnist(settings.data)  # once per kernel; not part of a slider move
    start = time.perf_counter()
    explorer = widgets.one_shot_explorer(amount=0.8, settings=settings)
    fresh = time.perf_counter() - start
    print(f"fast mode: {settings.fast}, {Setup.for_model(fast=settings.fast).iterations} iterations per network")
    print(f"first slider setting, empty cache (dense + ticket trained): {fresh:6.2f} s")

    first, new_amount = explorer.slider.value, lessons.SLIDER_AMOUNTS[3]
    start = time.perf_counter()
    explorer.slider.value = new_amount
    print(f"slider to a new amount (ticket trained, dense cached):       {time.perf_counter() - start:6.2f} s")
    print(f"  of which drawing its picture (once per setting):            {explorer.last_draw_seconds:6.2f} s")

    explorer.slider.value = first
    moves = []
    for amount in (new_amount, first) * 3:
        start = time.perf_counter()
        explorer.slider.value = amount
        moves.append((time.perf_counter() - start, explorer.last_seconds, explorer.last_from_cache))
    assert all(cached for _, _, cached in moves)
    print(f"cached slider move, results from the cache (median of 6):    {sorted(m[1] for m in moves)[3]:6.3f} s")
    print(f"cached slider move, whole callback incl. drawing the PNG:     {sorted(m[0] for m in moves)[3]:6.3f} s")


if __name__ == "__main__":
    main()
