"""Write the answer key: one notebook per lesson with every exercise filled in (notebooks/instructor/solutions/).

Each solution works the answer out as a student would (the formula, the count, the reading of a table), never by
calling the library function the exercise is about, and ends in the lesson's own check. The tests execute every
solution notebook and require each check to print Correct!, and check that the committed notebooks are what this
script writes. A course that hides the solutions deletes notebooks/instructor/solutions/.

    python notebooks/instructor/make_solutions.py
"""
from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
OUT = HERE / "solutions"

SETUP = """from lottery_utils.settings import Settings

settings = Settings.from_environment()   # fast mode and the folders, as in the lessons"""

SOLUTIONS = {
    "00_the_theorem": ("Notebook 00: a mask and a ticket by hand, the per-round rate", [
        ("Exercise 1: |θj| is 0.9, 0.2, 0.05 / 1.1, 0.3, 0.7. Half of 6 weights is 3: the three smallest (0.05, 0.2, "
         "0.3) are pruned. The ticket keeps θ0 where the mask is 1.", """
from lottery_utils.exercises import check_mask, check_per_round_amount, check_ticket
import torch

theta_0_layer = torch.tensor([[0.3, -0.5, 0.2], [-0.1, 0.4, 0.6]])
theta_j_layer = torch.tensor([[0.9, -0.2, 0.05], [-1.1, 0.3, -0.7]])

my_mask = [[1, 0, 0], [1, 0, 1]]
check_mask(my_mask, theta_j_layer, amount=0.5)
my_ticket = [[0.3, 0, 0], [-0.1, 0, 0.6]]
check_ticket(my_ticket, theta_0_layer, theta_j_layer, amount=0.5)"""),
        ("Exercise 2 (a): prune 80 % in 4 rounds. Each round keeps $(1 - 0.8)^{1/4}$ of the survivors, so it prunes "
         "one minus that.", """
answer = 1 - (1 - 0.8) ** (1 / 4)
check_per_round_amount(answer, total=0.8, rounds=4)"""),
        ("Exercise 2 (b): keep 5 % after 6 rounds. Each round keeps $0.05^{1/6}$ of the survivors, so it prunes "
         "one minus that (the paper's $p^{1/n}$ with p the share kept).", """
answer_b = 1 - 0.05 ** (1 / 6)
check_per_round_amount(answer_b, kept=0.05, rounds=6)"""),
    ]),
    "01_one_shot_mnist": ("Notebook 01: counting weights, the share remaining, winning_ticket", [
        ("Exercise 1: one weight per connection, layer by layer: 784 × 500 + 500 × 150 + 150 × 10.", """
from torch import nn
from torch.nn.utils import prune

from lottery_utils import build_model
from lottery_utils.exercises import check_remaining_weights, check_weight_count, check_winning_ticket
from lottery_utils import layer_amounts, prunable_layers

wider = nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 150), nn.ReLU(), nn.Linear(150, 10))
answer = 784 * 500 + 500 * 150 + 150 * 10
check_weight_count(answer, wider)"""),
        ("Exercise 2: the hidden layers (784 × 300 + 300 × 100 weights) keep 40 %, the output layer (100 × 10) "
         "keeps 70 %; divide by all of LeNet's weights.", """
initial = build_model("lenet", seed=0)
hidden, output = 784 * 300 + 300 * 100, 100 * 10
answer = (0.4 * hidden + 0.7 * output) / (hidden + output)
check_remaining_weights(answer, initial, amount={"fc": 0.6, "output": 0.3})"""),
        ("Exercise 3: prune each trained layer by magnitude, then put the same mask on the copy's layer "
         "(`custom_from_mask` combines it with any earlier mask, so a second call prunes what is left).", """
def my_winning_ticket(trained_network, copy_network, amount):
    amounts = layer_amounts(trained_network, amount)
    copy_layers = prunable_layers(copy_network)
    for name, layer in prunable_layers(trained_network).items():
        prune.l1_unstructured(layer, "weight", amount=amounts[name])
        prune.custom_from_mask(copy_layers[name], "weight", layer.weight_mask.detach().clone())
    return copy_network

check_winning_ticket(my_winning_ticket)"""),
    ]),
    "02_iterative_pruning": ("Notebook 02: the per-round rate, the sparsest winning ticket, the iterative loop", [
        ("Exercise 1: each of 7 rounds keeps $(1 - 0.9)^{1/7}$ of the survivors.", """
from lottery_utils import clone, experiments, lessons, winning_ticket
from lottery_utils.exercises import check_iterative_pruning, check_per_round_amount, check_sparsest_winning_ticket
from lottery_utils.tables import paired

answer = 1 - (1 - 0.9) ** (1 / 7)
check_per_round_amount(answer, total=0.9, rounds=7)"""),
        ("Exercise 2: section 2's 18 rounds, as a student reads the table's last column: the sparsest row whose "
         "'both' count is every seed.", """
results = experiments.iterative("lenet", rounds=lessons.paper_rounds(settings.fast),
                                seeds=settings.seeds(), settings=settings, progress=False)
winners = [p for p in paired(results) if p is not None and p.kind == "ticket" and p.both == p.n_seeds]
answer = round(100 * min(p.remaining for p in winners), 1)   # as the table prints it
print(f"the sparsest ticket that wins in every seed: {answer} % of the weights remaining")
check_sparsest_winning_ticket(answer, results)"""),
        ("Exercise 3: train a copy of the current ticket, prune it, and give a copy of the current ticket (which "
         "holds θ0 on its survivors) the new mask.", """
def my_iterative_pruning(network, train_round, rounds, amount):
    tickets, ticket = [], network
    for r in range(rounds):
        trained = clone(ticket)
        train_round(trained, r)
        ticket = winning_ticket(trained, clone(ticket), amount)
        tickets.append(ticket)
    return tickets

check_iterative_pruning(my_iterative_pruning)"""),
    ]),
    "03_random_reinit_controls": ("Notebook 03: which control tests what, and the gaps read off the results", [
        ("Exercise 1: the sign-preserving control and random reinit share the ticket's mask and fresh magnitudes; "
         "they differ only in the signs, so subtracting random reinit measures what θ0's signs add.", """
from lottery_utils import experiments, lessons
from lottery_utils.exercises import check_control, check_gap
from lottery_utils.summaries import summarize

answer = "reinit"
check_control(answer)"""),
        ("Exercise 2: the lesson's one-shot sweep, then, as a student reads section 4's table at 20.2 % of the "
         "weights: the ticket's mean minus random reinit's.", """
seeds = settings.seeds()
rates = lessons.sweep_rates(settings.fast)
results = experiments.sweep("lenet", rates, seeds=seeds, controls=lessons.CONTROLS, settings=settings,
                            progress=False)
means = {(row.kind, round(100 * row.remaining, 1)): round(100 * row.early_stop_test_accuracy.mean, 2)
         for row in summarize(results)}
near = min({share for _, share in means}, key=lambda share: abs(share - 20.2))   # fast mode: the nearest position
answer = round(means[("ticket", near)] - means[("reinit", near)], 2)
print(f"after one step, at {near} % of the weights: {answer:+.2f} points")
check_gap(answer, results, ahead="ticket", behind="reinit", at=0.202)"""),
        ("Exercise 3: section 2's 18 rounds, as a student reads its table: at the sparsest round, random reinit's mean "
         "minus random pruning's (the mask's share of the ticket's lead), beside the ticket's lead over random "
         "reinit (θ0's share).", """
paper = experiments.iterative("lenet", rounds=lessons.paper_rounds(settings.fast), seeds=seeds,
                              controls=lessons.CONTROLS, settings=settings, progress=False)
sparsest = {row.kind: round(100 * row.early_stop_test_accuracy.mean, 2) for row in summarize(paper)
            if row.round == max(r.round for r in paper)}
answer = round(sparsest["reinit"] - sparsest["random_prune"], 2)
print(f"the mask's share: {answer:.2f} points; θ0's share: {sparsest['ticket'] - sparsest['reinit']:.2f} points")
check_gap(answer, paper, ahead="reinit", behind="random_prune")"""),
    ]),
    "04_architectures": ("Notebook 04: counting conv weights, what remains, the learning rate", [
        ("Exercise 1: a 3×3 kernel for each of 64 × 128 pairs of input and output channels.", """
from torch import nn

from lottery_utils import PRESETS
from lottery_utils.exercises import check_layer_weights, check_learning_rate, check_remaining_after, check_weight_count
from lottery_utils.models import conv_net

answer = 64 * 128 * 3 * 3
check_layer_weights(answer, nn.Conv2d(64, 128, kernel_size=3, padding=1))"""),
        ("Exercise 2: the convs keep 32 × 32, the pool halves it: 64 channels of 16 × 16 enter the first fc layer.",
         """
flattened = 64 * 16 * 16
answer = flattened * 512 + 512 * 512 + 512 * 10
check_weight_count(answer, conv_net(2, fc_width=512), layer_type="linear")"""),
        ("Exercise 3: each round keeps 85 % of the conv weights left.", """
answer = 0.85 ** 10
check_remaining_after(answer, amount=PRESETS["conv6"].prune_amounts.by_role["conv"], rounds=10)"""),
        ("Exercise 4: iteration 10,000 is halfway through ResNet-18's 20,000-iteration warmup to 0.03, before any "
         "drop.", """
answer = 0.03 * 10_000 / 20_000
check_learning_rate(answer, PRESETS["resnet18"], iteration=10_000)"""),
    ]),
    "05_why_tickets_win": ("Notebook 05: a supermask built by hand, the sign-preserving control", [
        ("Exercise 1: the ticket's mask on a clone of θ0 (apply_masks copies the masks; θ0's values stay).", """
import torch
from torch.nn.utils import prune

from lottery_utils import (apply_masks, build_model, clone, experiments, load_mnist, prunable_layers,
                           supermask_accuracy)
from lottery_utils.exercises import check_sign_preserving_reinit, check_supermask

data = load_mnist(settings.data)

def my_supermask(trained_ticket, theta_0):
    return apply_masks(trained_ticket, clone(theta_0))

if check_supermask(my_supermask):   # then seed 0's own ticket (one-shot, 20.2 % of the weights)
    _, trained_ticket = experiments.trained_networks("lenet", rate=0.8, seed=0, settings=settings)
    supermask = my_supermask(trained_ticket, build_model("lenet", seed=0))
    print(f"seed 0's m ⊙ θ0: {supermask_accuracy(supermask, data):.2%} of the test digits, untrained")"""),
        ("Exercise 2: fresh magnitudes with the ticket's initial signs, then the ticket's mask.", """
def my_reinit_signs(ticket, fresh_network):
    fresh_layers = prunable_layers(fresh_network)
    for name, layer in prunable_layers(ticket).items():
        start = getattr(layer, "weight_orig", layer.weight)   # the ticket's initial values, pruned ones included
        with torch.no_grad():
            fresh_layers[name].weight.copy_(fresh_layers[name].weight.abs() * torch.sign(start))
        if prune.is_pruned(layer):
            prune.custom_from_mask(fresh_layers[name], "weight", layer.weight_mask.detach().clone())
    return fresh_network

check_sign_preserving_reinit(my_reinit_signs)"""),
    ]),
}


def notebook(title: str, exercises: list[tuple[str, str]]) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_markdown_cell(f"# Solutions · {title}\n\nFor the teacher: every exercise of the lesson "
                                           "filled in; each check should print **Correct!**."),
             nbformat.v4.new_code_cell(SETUP)]
    for text, source in exercises:
        cells += [nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell(source.strip("\n"))]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"  # stable, so the committed file is what this script writes
    return nb


def checks(name: str) -> int:
    """How many checks a lesson's solutions call (each must print Correct!), on its own line or as an `if`'s test."""
    return sum(line.startswith(("check_", "if check_")) for _, source in SOLUTIONS[name][1]
               for line in source.splitlines())


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, (title, exercises) in SOLUTIONS.items():
        nbformat.write(notebook(title, exercises), OUT / f"{name}.ipynb")
        print(f"wrote {OUT / name}.ipynb")


if __name__ == "__main__":
    main()
