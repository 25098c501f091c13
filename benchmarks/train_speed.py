"""Training speed of `train` on LeNet-300-100 against a PyTorch-examples-style loop, measured in the same run.

    python benchmarks/train_speed.py [--iterations 5000] [--repeats 5]

Prints seconds per 1,000 iterations for each loop and the ratios. Absolute times on a shared machine are noisy, so
the loops take turns (one of each per repeat, so a change of load hits them alike), each loop's best repeat is
reported, and so is the median of the ratios measured within one repeat.
`train` evaluates as in the paper's 50K-iteration LeNet run: validation loss every 100 iterations (early stopping),
validation loss and test accuracy every 1,000 (the curves).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader
from torchvision import transforms

from lottery_utils import build_model, load_mnist, prune_smallest, train
from lottery_utils.data import MNIST_MEAN, MNIST_STD
from lottery_utils.settings import Settings

SETTINGS = Settings.from_environment()  # LOTTERY_DATA, as the notebooks read it


def dataloader_loop(iterations: int) -> float:
    """The PyTorch examples' MNIST loop: DataLoader over a transformed dataset, Adam 1.2e-3, batch 60."""
    dataset = torchvision.datasets.MNIST(SETTINGS.data, train=True, download=True, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))]))
    loader = DataLoader(dataset, batch_size=60, shuffle=True)
    model = build_model("lenet", seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1.2e-3)
    start, done = time.perf_counter(), 0
    while done < iterations:
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            done += 1
            if done == iterations:
                break
    return time.perf_counter() - start


def forward_backward(iterations: int, data) -> float:
    """The floor for one network: forward and backward on a fixed batch, no optimizer, no data handling."""
    model = build_model("lenet", seed=0)
    x, y = data.train_x[:60], data.train_y[:60]
    start = time.perf_counter()
    for _ in range(iterations):
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
    return time.perf_counter() - start


def lottery_train(iterations: int, data) -> float:
    """`train` on a LeNet ticket (masks applied, 80 % pruned), evaluating as often as a 50K-iteration run does."""
    ticket = build_model("lenet", seed=0)
    prune_smallest(ticket, {"fc": 0.8, "output": 0.4})  # an 80 % mask: its speed, not where it came from, matters
    history = train(ticket, data, "lenet", iterations, 60, curve_every=1_000, progress=False)
    return history.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = load_mnist(SETTINGS.data, device="cpu")
    baseline, floor, ours = ("DataLoader loop (PyTorch examples)", "forward+backward only",
                             "train (masks folded, fused Adam)")
    loops = {baseline: dataloader_loop,
             floor: lambda n: forward_backward(n, data),
             ours: lambda n: lottery_train(n, data)}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.iterations} LeNet iterations, "
          f"batch 60, {args.repeats} repeats taking turns")
    runs = {name: [] for name in loops}
    for repeat in range(args.repeats):
        for name, loop in loops.items():
            runs[name].append(loop(args.iterations) * 1_000 / args.iterations)  # seconds per 1,000
        print(f"repeat {repeat + 1}: " + ", ".join(f"{name} {s[-1]:.3f} s" for name, s in runs.items()), flush=True)
    best = {name: min(s) for name, s in runs.items()}
    print("\nseconds per 1,000 iterations, best repeat:")
    for name, s in best.items():
        print(f"{name:40s} {s:7.3f} s   {best[baseline] / s:5.2f}x the DataLoader loop   "
              f"{s / best[floor]:5.2f}x fwd+bwd")
    spread = max(runs[floor]) / min(runs[floor])
    if spread > 1.2:
        print(f"\nnote: forward+backward alone varied {spread:.2f}x between repeats: other work shared the CPU "
              "(with 2 threads even a short background job slows every step); the best repeats are the quiet ones.")
    paired = sorted(b / t for b, t in zip(runs[baseline], runs[ours]))
    print(f"\n{ours} vs the DataLoader loop within each repeat: " + ", ".join(f"{r:.2f}x" for r in paired)
          + f" (median {statistics.median(paired):.2f}x)")


if __name__ == "__main__":
    main()
