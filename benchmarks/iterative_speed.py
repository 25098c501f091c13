"""How long the paper's LeNet figure takes: ticket and random reinit, 18 rounds, through the CLI on an empty cache.

    python benchmarks/iterative_speed.py [--iterations 10000] [--rounds 18] [--workers 2]

Runs `python -m lottery_utils iterative --model lenet --controls reinit ...` with a fresh temporary cache and
prints its wall time. As a baseline from the same run it first measures forward+backward alone on one thread and
prints the floor for the same work: every iteration of every network (the dense one, then a ticket and a control
per round), shared by the workers.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

import torch
from train_speed import forward_backward  # beside this script

from lottery_utils import load_mnist
from lottery_utils.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=18)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(1)  # as each worker trains
    floor_per_iteration = min(forward_backward(1_000, load_mnist(Settings.from_environment().data, device="cpu")) for _ in range(3)) / 1_000
    networks = 1 + 2 * args.rounds
    floor = networks * args.iterations * floor_per_iteration / args.workers

    with tempfile.TemporaryDirectory(prefix="iterative-speed-") as scratch:
        command = [sys.executable, "-m", "lottery_utils", "iterative", "--model", "lenet", "--controls", "reinit",
                   "--rounds", str(args.rounds), "--iterations", str(args.iterations),
                   "--workers", str(args.workers), "--cache", f"{scratch}/cache", "--out", f"{scratch}/out"]
        print(" ".join(command[1:]), flush=True)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start

    print(f"{networks} networks x {args.iterations} iterations, {args.workers} workers")
    print(f"wall time                                  {wall / 60:6.2f} min ({wall:.2f} s)")
    print(f"forward+backward floor for the same work   {floor / 60:6.2f} min ({floor:.2f} s): "
          f"the wall time is {wall / floor:.2f}x the floor")


if __name__ == "__main__":
    main()
