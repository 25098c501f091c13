"""Lesson 00's "To think about" question, measured for the teacher's guide: §4's ten seeds with 64 hidden units
instead of 16, at both of the lesson's pruning rates (final test accuracy after 300 iterations, as in the lesson).
The guide quotes this script's output; a test runs it and compares.

    python notebooks/instructor/wider_toy.py
"""
from __future__ import annotations

import torch
from torch import nn

from lottery_utils import Data, clone, random_reinit, remaining_weights, train, winning_ticket

TRAINING = dict(iterations=300, batch_size=40, lr=0.05, preset="lenet", progress=False)  # lesson 00's
RATES = {"the lesson's rate": {"fc": 0.5, "output": 0.25}, "the harder rate": {"fc": 0.75, "output": 0.375}}
LEARNED = 0.6  # lesson 00's: below this a network has learned next to nothing


def xor_points(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g) * 2 - 1
    return x, ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long()


def wide_network(seed: int, hidden: int = 64) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))


def fresh_weights(seed: int, ticket: nn.Module) -> nn.Module:
    """A new draw of the weights, with the ticket's biases (theta_0's), as lesson 00's control."""
    fresh = wide_network(seed)
    with torch.no_grad():
        for layer, kept in zip(fresh[::2], ticket[::2]):
            layer.bias.copy_(kept.bias)
    return fresh


def ten_seeds(data: Data, amount) -> str:
    runs = []
    for seed in range(10):
        net = wide_network(seed)
        copy = clone(net)
        dense = train(net, data, **TRAINING).final_test_accuracy
        ticket = winning_ticket(net, copy, amount)
        reinit = random_reinit(ticket, fresh_weights(seed + 100, ticket))
        runs.append([dense, *(train(n, data, **TRAINING).final_test_accuracy for n in (ticket, reinit))])
    decided = [r for r in runs if max(r[1:]) >= LEARNED]
    mean = [sum(column) / len(runs) for column in zip(*runs)]
    points = [[round(1_000 * a) for a in r] for r in runs]  # test points of 1,000, as the lesson counts them
    return (f"{remaining_weights(ticket):.1%} of the weights, 10 seeds, mean final test accuracy: dense {mean[0]:.1%}, "
            f"ticket {mean[1]:.1%}, reinitialized {mean[2]:.1%}; the tickets match their dense networks (within 1 "
            f"point) in {sum(p[1] >= p[0] - 10 for p in points)} of 10 seeds; the ticket beats its re-initialization "
            f"in {sum(p[1] > p[2] for p, r in zip(points, runs) if r in decided)} of the {len(decided)} seeds where "
            f"either learned")


def main() -> None:
    data = Data("xor", *xor_points(400, seed=0), *xor_points(200, seed=1), *xor_points(1_000, seed=2))
    for name, amount in RATES.items():
        print(f"64 hidden units, {name}: {ten_seeds(data, amount)}")


if __name__ == "__main__":
    main()
