"""Notebook 00's library pieces: the θ0 -> θj -> m -> m ⊙ θ0 picture, and its exercises' checks refusing wrong
answers (with the notebook's own settings) without printing the answer."""
import matplotlib

matplotlib.use("Agg")  # in the test module only: an MPLBACKEND in the environment would leak into nbval kernels

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from lottery_utils import clone, per_round_amount, winning_ticket
from lottery_utils.exercises import check_mask, check_per_round_amount, check_ticket
from lottery_utils.plots import TICKET_STAGES, plot_ticket_stages


def said(capsys) -> str:
    return capsys.readouterr().out


# --- plot_ticket_stages ---------------------------------------------------------------------------------------------
@pytest.fixture
def stages():
    """A 2-3-2 network: θ0, its 'trained' copy (known values) pruned by half, and the ticket."""
    torch.manual_seed(0)
    theta_0 = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    trained = clone(theta_0)
    with torch.no_grad():
        trained[0].weight.copy_(torch.tensor([[0.9, -0.1], [0.05, -1.2], [0.3, 0.2]]))
        trained[2].weight.copy_(torch.tensor([[-0.8, 0.01, 0.4], [0.02, 0.7, -0.03]]))
    ticket = winning_ticket(trained, clone(theta_0), amount={"fc": 0.5, "output": 0.5})
    return theta_0, trained, ticket


def image(ax) -> np.ndarray:
    """What an Axes shows, with blank (masked or NaN) cells as NaN."""
    return np.ma.filled(np.ma.masked_invalid(ax.images[0].get_array()).astype(float), np.nan)


def test_ticket_stages_draw_theta_0_theta_j_mask_and_ticket_layer_by_layer(stages):
    theta_0, trained, ticket = stages
    fig = plot_ticket_stages(theta_0, trained, ticket)
    axes = np.array(fig.axes).reshape(4, 2).T  # rows: layers; columns: stages (drawn one below the other)
    assert [ax.get_title(loc="left") for ax in axes[0]] == list(TICKET_STAGES)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["layer 1\n(2 in)", "layer 2\n(2 out)"]
    for row, index in enumerate((0, 2)):
        transpose = (lambda t: t.T) if row == 0 else (lambda t: t)  # layer 1 as inputs x hidden units
        mask = transpose(ticket[index].weight_mask).numpy()
        initial = transpose(theta_0[index].weight.detach()).numpy()
        np.testing.assert_array_equal(image(axes[row, 0]), initial)
        np.testing.assert_array_equal(image(axes[row, 1]), transpose(trained[index].weight.detach()).numpy())
        np.testing.assert_array_equal(image(axes[row, 2]), mask)
        np.testing.assert_array_equal(image(axes[row, 3]), np.where(mask == 1, initial, np.nan))  # pruned: blank
    assert mask.sum() == 3 and ticket[0].weight_mask.sum() == 3  # half of each layer survives
    # every value written in its cell, pruned ticket weights not at all
    assert [len(ax.texts) for ax in axes[1]] == [6, 6, 6, 3]
    assert {t.get_text() for t in axes[1, 1].texts} == {"-0.80", "0.01", "0.40", "0.02", "0.70", "-0.03"}
    assert {t.get_text() for t in axes[1, 2].texts} == {"0", "1"}
    # the hidden units numbered under each stage's last layer
    assert [[t.get_text() for t in ax.get_xticklabels()] for ax in axes[:, 0]] == [["", "", ""], ["0", "1", "2"]]
    assert plt.get_fignums() == []  # not registered with pyplot: a notebook cell shows it once


def test_ticket_stages_grey_the_units_training_left_unchanged(stages):
    theta_0, trained, ticket = stages
    with torch.no_grad():
        trained[0].weight[1] = theta_0[0].weight[1]  # unit 1: its incoming weights as they started (dead)
    fig = plot_ticket_stages(theta_0, trained, ticket)
    labels = fig.axes[1].get_xticklabels()  # θ0's layer 2: the numbered row
    assert [label.get_color() for label in labels] == ["black", "tab:gray", "black"]
    assert "grey" in fig.axes[-1].get_xlabel()


def test_ticket_stages_refuse_an_unpruned_ticket_or_another_architecture(stages):
    theta_0, trained, ticket = stages
    with pytest.raises(ValueError, match="unpruned layer"):
        plot_ticket_stages(theta_0, trained, clone(theta_0))
    with pytest.raises(ValueError, match="same architecture"):
        plot_ticket_stages(nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2)), trained, ticket)


# --- the exercises' checks, with notebook 00's settings -------------------------------------------------------------
@pytest.mark.parametrize("total, rounds", [(0.8, 4), (0.95, 6)])
def test_per_round_rate_exercises_accept_the_rate_to_prune(total, rounds, capsys):
    assert check_per_round_amount(per_round_amount(total, rounds), total=total, rounds=rounds)
    assert check_per_round_amount(f"{100 * per_round_amount(total, rounds):.1f} %", total=total, rounds=rounds)
    assert said(capsys).count("Correct!") == 2


@pytest.mark.parametrize("total, rounds", [(0.8, 4), (0.95, 6)])
@pytest.mark.parametrize("wrong, clue", [(lambda p, n: p ** (1 / n), "p^(1/n)"),  # p read as the share pruned
                                         (lambda p, n: (1 - p) ** (1 / n), "keeps"),  # the share each round keeps
                                         (lambda p, n: p / n, "compound"),
                                         (lambda p, n: per_round_amount(p, n) + 0.05, "too much"),
                                         (lambda p, n: per_round_amount(p, n) / 2, "too little"),
                                         (lambda p, n: None, "placeholder")])
def test_per_round_rate_exercises_refuse_wrong_rates_without_the_answer(total, rounds, wrong, clue, capsys):
    assert check_per_round_amount(wrong(total, rounds), total=total, rounds=rounds).correct is False
    out = said(capsys)
    right = per_round_amount(total, rounds)
    assert out.startswith("Not yet:") and clue in out
    assert f"{100 * right:.1f}" not in out and f"{right:.3f}" not in out and f"{right:.2f}" not in out


THETA_0 = torch.tensor([[0.3, -0.5, 0.2], [-0.1, 0.4, 0.6]])  # the layer of notebook 00's exercise 2
THETA_J = torch.tensor([[0.9, -0.2, 0.05], [-1.1, 0.3, -0.7]])
MASK = torch.tensor([[1, 0, 0], [1, 0, 1]])  # the three largest |θj| kept


def test_mask_and_ticket_exercises_accept_the_right_answers(capsys):
    assert check_mask(MASK.tolist(), THETA_J, amount=0.5)
    assert check_ticket((MASK * THETA_0).tolist(), THETA_0, THETA_J, amount=0.5)
    assert said(capsys).count("Correct!") == 2


@pytest.mark.parametrize("wrong, clue", [(1 - MASK, "inverted"),
                                         (torch.tensor([[1, 1, 0], [1, 0, 1]]), "prunes 2"),
                                         (torch.tensor([[1, 0, 1], [0, 1, 0]]), "large negative"),  # signed
                                         (torch.tensor([[0, 1, 0], [0, 1, 1]]), "not in the right places"),  # |θ0|
                                         (torch.tensor([[2, 0, 0], [1, 0, 1]]), "only 0"),
                                         (None, "placeholder")])
def test_mask_exercise_refuses_wrong_masks(wrong, clue, capsys):
    assert check_mask(wrong if wrong is None else wrong.tolist(), THETA_J, amount=0.5).correct is False
    out = said(capsys)
    assert out.startswith("Not yet:") and clue in out and "[[" not in out


@pytest.mark.parametrize("wrong, clue", [(MASK * THETA_J, "m ⊙ θj"),
                                         (THETA_0, "all the initial weights"),
                                         (torch.tensor([[0, -0.5, 0], [0, 0.4, 0.6]]), "not from θ0"),
                                         (MASK * 0.5, "not θ0's"),
                                         (torch.zeros(2, 3), "first find the mask"),
                                         (torch.zeros(3, 2), "shape")])
def test_ticket_exercise_refuses_wrong_tickets(wrong, clue, capsys):
    assert check_ticket(wrong.tolist(), THETA_0, THETA_J, amount=0.5).correct is False
    out = said(capsys)
    assert out.startswith("Not yet:") and clue in out and "0.3" not in out and "0.6" not in out
