import dataclasses

import pytest
import torch
from torch import nn

from made_results import result_from_numbers
from lottery_utils import build_model, clone, per_round_amount, weight_counts, winning_ticket
from lottery_utils.exercises import (check_layer_weights, check_mask, check_per_round_amount, check_remaining_after,
                                     check_remaining_weights, check_ticket, check_weight_count)
from lottery_utils.exercises import check_learning_rate  # notebook 04
from lottery_utils.models import PRESETS
from lottery_utils.training import lr_factor


def said(capsys) -> str:
    return capsys.readouterr().out


# --- check_per_round_amount -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer, reading", [(0.3690, "as a fraction"), (36.9, "as a percent"),
                                             ("36.9 %", "as a percent"), ("0.369", "as a fraction")])
def test_per_round_rate_accepts_fraction_or_percent_and_says_which(capsys, answer, reading):
    assert check_per_round_amount(answer, total=0.9, rounds=5).correct is True
    out = said(capsys)
    assert out.startswith("Correct!") and reading in out


def test_per_round_rate_tolerates_rounding_to_a_tenth_of_a_percent(capsys):
    exact = per_round_amount(0.9, 2)  # 0.68377
    assert check_per_round_amount(68.4, total=0.9, rounds=2)
    assert check_per_round_amount(0.684, total=0.9, rounds=2)
    assert not check_per_round_amount(exact + 0.02, total=0.9, rounds=2)


def test_per_round_rate_recognizes_the_slides_formula_without_giving_the_answer(capsys):
    slip = 0.9 ** (1 / 2)
    assert check_per_round_amount(slip, total=0.9, rounds=2).correct is False
    out = said(capsys)
    assert out.startswith("Not yet:") and "p^(1/n)" in out
    assert "68.4" not in out and "0.684" not in out  # the answer itself is never printed


@pytest.mark.parametrize("answer, clue", [(0.18, "compound"), (0.631, "keeps"), (0.1, "too little"),
                                          (0.8, "too much")])
def test_per_round_rate_hints(capsys, answer, clue):
    assert check_per_round_amount(answer, total=0.9, rounds=5).correct is False
    out = said(capsys)
    assert out.startswith("Not yet:") and clue in out and "36.9" not in out


@pytest.mark.parametrize("answer", [None, ..., "lots", True, 250, -3, [0.3]])
def test_unreadable_answers_get_a_hint_not_an_exception(capsys, answer):
    assert check_per_round_amount(answer).correct is False
    assert said(capsys).startswith("Not yet:")


def test_a_one_element_tensor_is_a_number(capsys):
    assert check_per_round_amount(torch.tensor(per_round_amount(0.9, 5)))


# --- check_remaining_after ------------------------------------------------------------------------------------------
def test_remaining_after(capsys):
    assert check_remaining_after(0.8 ** 10, amount=0.2, rounds=10)
    assert check_remaining_after("10.7%", amount=0.2, rounds=10)
    assert "Correct!" in said(capsys)


@pytest.mark.parametrize("answer, clue", [(1 - 0.8 ** 5, "pruned"), (0.0, "compound"), (0.8 ** 4, "off by one"),
                                          (0.5, "keeps")])
def test_remaining_after_hints(capsys, answer, clue):
    assert check_remaining_after(answer, amount=0.2, rounds=5).correct is False
    out = said(capsys)
    assert out.startswith("Not yet:") and clue in out and "32.8" not in out


def test_tiny_remaining_fractions_are_not_accepted_as_zero(capsys):
    assert check_remaining_after("0.12 %", amount=0.2, rounds=30)  # 0.8^30 = 0.00124
    assert not check_remaining_after(0, amount=0.2, rounds=30)


# --- weight counts --------------------------------------------------------------------------------------------------
def test_weight_count_of_lenet(capsys):
    assert check_weight_count(266_200, "lenet")
    assert check_weight_count("266,200", "lenet")
    assert said(capsys).startswith("Correct!")


@pytest.mark.parametrize("answer, clue", [(266_610, "biases"), ("266K", "exact"), (266_300, "close"),
                                          (100, "too few"), (266_200.5, "whole")])
def test_weight_count_hints(capsys, answer, clue):
    assert check_weight_count(answer, "lenet").correct is False
    out = said(capsys)
    assert out.startswith("Not yet:") and clue in out and "266" not in out.replace(str(answer), "")  # no answer


def test_weight_count_by_layer_type_and_for_a_module(capsys):
    resnet = build_model("resnet18", seed=0)
    counts = weight_counts(resnet)
    assert check_weight_count(counts["conv"], resnet, layer_type="conv")
    assert not check_weight_count(counts["all"], resnet, layer_type="conv")
    assert "another row" in said(capsys)
    assert not check_weight_count(sum(p.numel() for p in resnet.parameters()), resnet)
    assert "every parameter" in said(capsys)
    with pytest.raises(ValueError, match="layer_type must be one of"):
        check_weight_count(1, resnet, layer_type="bias")


def test_layer_weights(capsys):
    conv = nn.Conv2d(64, 128, 3)
    assert check_layer_weights(64 * 128 * 9, conv)
    assert not check_layer_weights(64 * 128 * 9 + 128, conv)
    assert "biases" in said(capsys)
    assert not check_layer_weights(64 * 128, conv)
    assert "kernel" in said(capsys)
    assert check_layer_weights(784 * 300, nn.Linear(784, 300))
    with pytest.raises(TypeError):
        check_layer_weights(1, nn.ReLU())


def test_remaining_weights_of_a_pruned_model(capsys):
    model = build_model("lenet", seed=0)
    winning_ticket(build_model("lenet", seed=1), model, {"fc": 0.5, "output": 0.5})  # seed 1 stands in for the trained weights
    assert check_remaining_weights(50, model)
    assert not check_remaining_weights(0.25, model)
    assert said(capsys).count("Not yet:") == 1


def wider_lenet() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 150), nn.ReLU(),
                         nn.Linear(150, 10))


def test_weight_count_of_a_network_not_printed_in_the_lesson(capsys):
    assert check_weight_count(784 * 500 + 500 * 150 + 150 * 10, wider_lenet())
    assert said(capsys).startswith("Correct!")
    for wrong in (266_200, 784 * 500 + 500 * 150 + 150 * 10 + 660, 784 * 500 + 500 * 150):
        assert not check_weight_count(wrong, wider_lenet())
    out = said(capsys)
    assert out.count("Not yet:") == 3 and "468" not in out and "biases" in out


def test_remaining_weights_for_an_amount_not_yet_applied(capsys):
    """Notebook 01's exercise: the share left by the paper's half-rate output layer at an amount the lesson never
    prunes. The check prunes a copy itself; the network passed stays unpruned."""
    model = build_model("lenet", seed=0)
    rates = {"fc": 0.6, "output": 0.3}
    kept = (0.4 * (784 * 300 + 300 * 100) + 0.7 * 1_000) / 266_200
    assert check_remaining_weights(100 * kept, model, rates) and check_remaining_weights(round(kept, 4), model, rates)
    assert not any(name.endswith("_mask") for name, _ in model.named_buffers())
    assert said(capsys).count("Correct!") == 2
    for wrong, clue in ((0.4, "one layer"), (1 - kept, "share pruned"), (0.7, "one layer"), (0.45, "add them up"),
                        (0.4025, "add them up")):  # a near miss of the total is not called a layer's share
        assert not check_remaining_weights(wrong, model, rates)
        out = said(capsys)
        assert out.startswith("Not yet:") and clue in out and f"{100 * kept:.3g}" not in out


# --- masks and tickets ----------------------------------------------------------------------------------------------
WEIGHTS = torch.tensor([[0.5, -0.9, 0.1], [-0.05, 0.3, -0.2]])
MASK_HALF = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])  # the 3 smallest |w|: 0.1, -0.05, -0.2


def test_mask_right(capsys):
    assert check_mask(MASK_HALF.tolist(), WEIGHTS, 0.5)
    assert check_mask(MASK_HALF.bool(), WEIGHTS, 0.5)
    assert said(capsys).count("Correct!") == 2


@pytest.mark.parametrize("answer, clue", [(1 - MASK_HALF, "inverted"), ([[1, 1, 1], [0, 1, 0]], "prunes 2"),
                                          ([[1, 0, 1], [0, 1, 0]], "|w|"), ([[2, 1, 0], [0, 1, 0]], "only 0"),
                                          ([[0, 1, 1], [0, 1, 0]], "right number"), ([1, 0], "shape"),
                                          (None, "placeholder")])
def test_mask_hints(capsys, answer, clue):
    assert check_mask(answer, WEIGHTS, 0.5).correct is False
    out = said(capsys)
    assert out.startswith("Not yet:") and clue in out


def test_ticket(capsys):
    initial = torch.tensor([[0.2, -0.4, 0.7], [0.1, -0.3, 0.6]])
    trained = WEIGHTS  # pruning half of it by |w| gives MASK_HALF
    assert check_ticket((MASK_HALF * initial).tolist(), initial, trained, 0.5)
    assert check_ticket([[0.2, -0.4, 0.0], [0.0, -0.3, 0.0]], initial, trained, 0.5)  # copied with 2 decimals
    assert not check_ticket(MASK_HALF * trained, initial, trained, 0.5)
    assert "θj" in said(capsys)
    assert not check_ticket(initial, initial, trained, 0.5)
    assert "switch" in said(capsys)
    assert not check_ticket(MASK_HALF * 9, initial, trained, 0.5)
    assert "right weights are zero" in said(capsys)
    assert not check_ticket([[0.0, -0.4, 0.7], [0.0, 0.0, 0.6]], initial, trained, 0.5)  # mask from |θ0|
    assert "from the trained weights" in said(capsys)
    assert not check_ticket(None, initial, trained, 0.5)
    assert "placeholder" in said(capsys)


def test_control(capsys):
    from lottery_utils.exercises import check_control
    assert check_control("reinit") and check_control("Random reinitialization")
    assert said(capsys).count("Correct!") == 2
    for answer, clue in (("ticket", "what the magnitudes add"), ("random_prune", "another mask"),
                         ("random pruning", "another mask"), ("dense", "mixes the mask"), (None, "placeholder"),
                         ("shuffle", "could not read")):
        assert check_control(answer).correct is False
        out = said(capsys)
        assert out.startswith("Not yet:") and clue in out


def test_gap_between_two_networks(capsys):
    from lottery_utils.exercises import check_gap
    results = [result_from_numbers("dense", 0, 1.0, 0.98, 4_000, 0.98, 0, "lenet", 50_000, 60.0),
               result_from_numbers("ticket", 1, 0.2, 0.98, 3_000, 0.9812, 0, "lenet", 50_000, 60.0),
               result_from_numbers("reinit", 1, 0.2, 0.97, 5_000, 0.9687, 0, "lenet", 50_000, 60.0),
               result_from_numbers("random_prune", 1, 0.2, 0.97, 5_000, 0.9650, 0, "lenet", 50_000, 60.0)]
    assert check_gap(1.25, results) and check_gap("1.25", results)
    assert "+1.25 percentage points" in said(capsys)
    for answer, clue in ((-1.25, "sign"), (0.0125, "percentage points"), (3, "subtract"), (None, "placeholder")):
        assert check_gap(answer, results).correct is False
        out = said(capsys)
        assert out.startswith("Not yet:") and clue in out
    assert check_gap(0.37, results, ahead="reinit", behind="random_prune")  # any two networks
    assert not check_gap(1.25, results, ahead="reinit", behind="random_prune")
    deeper = results + [result_from_numbers("ticket", 2, 0.1, 0.98, 3_000, 0.98, 0, "lenet", 50_000, 60.0),
                        result_from_numbers("reinit", 2, 0.1, 0.97, 5_000, 0.97, 0, "lenet", 50_000, 60.0)]
    assert check_gap(1.0, deeper)  # several sparsities: the sparsest that has both
    said(capsys)
    assert not check_gap(1.25, deeper) and "another sparsity" in said(capsys)
    with pytest.raises(ValueError, match="reinit_signs"):
        check_gap(1, results, behind="reinit_signs")


# --- students write the algorithm --------------------------------------------------------------------------------

from torch.nn.utils import prune  # noqa: E402

from lottery_utils.exercises import check_iterative_pruning, check_winning_ticket  # noqa: E402
from lottery_utils.amounts import layer_amounts  # noqa: E402
from lottery_utils.layers import prunable_layers  # noqa: E402


def slides_ticket(trained_network, copy_network, amount):
    """What a student should write: the slides' l1_unstructured, then custom_from_mask on the copy."""
    amounts = layer_amounts(trained_network, amount)
    copies = prunable_layers(copy_network)
    for name, layer in prunable_layers(trained_network).items():
        prune.l1_unstructured(layer, "weight", amount=amounts[name])
        prune.custom_from_mask(copies[name], "weight", layer.weight_mask)
    return copy_network


def prunes_largest(trained_network, copy_network, amount):
    amounts = layer_amounts(trained_network, amount)
    copies = prunable_layers(copy_network)
    for name, layer in prunable_layers(trained_network).items():
        importance = 1 / (layer.weight.detach().abs() + 1e-12)  # the largest weights look the least important
        prune.l1_unstructured(layer, "weight", amount=amounts[name], importance_scores=importance)
        prune.custom_from_mask(copies[name], "weight", layer.weight_mask)


def prunes_globally(trained_network, copy_network, amount):
    layers = list(prunable_layers(trained_network).values())
    rate = amount if isinstance(amount, float) else amount["fc"]
    prune.global_unstructured([(layer, "weight") for layer in layers], prune.L1Unstructured, amount=rate)
    for layer, copy_layer in zip(layers, prunable_layers(copy_network).values()):
        prune.custom_from_mask(copy_layer, "weight", layer.weight_mask)


def keeps_theta_j(trained_network, copy_network, amount):
    slides_ticket(trained_network, copy_network, amount)
    for layer, copy_layer in zip(prunable_layers(trained_network).values(), prunable_layers(copy_network).values()):
        with torch.no_grad():
            copy_layer.weight_orig.copy_(layer.weight_orig)
        copy_layer.weight = copy_layer.weight_orig * copy_layer.weight_mask


def ranks_a_clone(trained_network, copy_network, amount):  # as the library does: the trained network stays as it is
    slides_ticket(clone(trained_network), copy_network, amount)


def counts_the_pruned_weights(trained_network, copy_network, amount):  # `amount` of all the weights, not of those left
    amounts = layer_amounts(trained_network, amount)
    copies = prunable_layers(copy_network)
    for name, layer in prunable_layers(trained_network).items():
        prune.l1_unstructured(layer, "weight", amount=round(amounts[name] * layer.weight.numel()))
        prune.custom_from_mask(copies[name], "weight", layer.weight_mask)


def forgets_output_rate(trained_network, copy_network, amount):
    slides_ticket(trained_network, copy_network, {"fc": amount["fc"], "output": amount["fc"]})


def ranks_theta_0(trained_network, copy_network, amount):
    amounts = layer_amounts(trained_network, amount)
    for (name, layer), copy_layer in zip(prunable_layers(trained_network).items(),
                                         prunable_layers(copy_network).values()):
        prune.l1_unstructured(copy_layer, "weight", amount=amounts[name])
        prune.custom_from_mask(layer, "weight", copy_layer.weight_mask)


@pytest.mark.parametrize("solution", [slides_ticket, ranks_a_clone])
def test_check_winning_ticket_accepts_the_slides_algorithm_on_the_trained_network_or_a_clone(solution, capsys):
    assert check_winning_ticket(solution).correct is True
    assert said(capsys).startswith("Correct!")


def test_check_winning_ticket_refuses_the_librarys_own_function(capsys):
    from lottery_utils import winning_ticket
    assert check_winning_ticket(winning_ticket).correct is False
    assert "library's own winning_ticket: write yours" in said(capsys)


@pytest.mark.parametrize("wrong, clue", [
    (prunes_largest, "keeps the smallest |θj|"),
    (prunes_globally, "rank each layer's weights separately"),
    (keeps_theta_j, "holds the trained values θj"),
    (counts_the_pruned_weights, "in the second round (a trained ticket, and an untrained clone of it), layer fc1 keeps "
                                "0 of its 117,600 surviving weights, not 58,800: prune `amount` of the weights that "
                                "are still there"),
    (forgets_output_rate, "the output layer (fc3) keeps"),
    (ranks_theta_0, "keeps the largest |θ0|"),
    (lambda trained, copy_, amount: None, "has no mask"),
    (lambda trained, copy_, amount: 1 / 0, "raised ZeroDivisionError"),
])
def test_check_winning_ticket_refuses_wrong_solutions_with_a_hint(wrong, clue, capsys):
    assert check_winning_ticket(wrong).correct is False
    out = said(capsys)
    assert out.startswith("Not yet:") and clue in out
    assert "tensor(" not in out  # a hint names what differs, never the mask itself


def good_loop(network, train, rounds, amount):
    tickets, ticket = [], network
    for _ in range(rounds):
        trained = clone(ticket)
        train(trained)
        ticket = slides_ticket(trained, clone(ticket), amount)
        tickets.append(ticket)
    return tickets


def prunes_dense_each_round(network, train, rounds, amount):
    trained = clone(network)
    train(trained)
    tickets, copy_ = [], clone(network)
    for r in range(rounds):
        if r:
            train(clone(copy_))  # trains the ticket, but then prunes the dense network's weights again
        copy_ = slides_ticket(trained, clone(copy_), amount)
        tickets.append(copy_)
    return tickets


def no_reset(network, train, rounds, amount):
    tickets, ticket = [], network
    for _ in range(rounds):
        trained = clone(ticket)
        train(trained)
        ticket = slides_ticket(trained, clone(trained), amount)  # the copy made after training: θj, not θ0
        tickets.append(ticket)
    return tickets


def same_object(network, train, rounds, amount):
    ticket, tickets = clone(network), []
    for _ in range(rounds):
        trained = clone(ticket)
        train(trained)
        slides_ticket(trained, ticket, amount)
        tickets.append(ticket)
    return tickets


def modifies_network(network, train, rounds, amount):
    tickets = good_loop(network, train, rounds, amount)
    slides_ticket(clone(network), network, amount)
    return tickets


def test_check_iterative_pruning_accepts_the_loop(capsys):
    assert check_iterative_pruning(good_loop).correct is True
    assert said(capsys).startswith("Correct!")


@pytest.mark.parametrize("wrong, clue", [
    (prunes_dense_each_round, "round 2's mask differs"),
    (no_reset, "does not hold θ0"),
    (same_object, "the same network object"),
    (modifies_network, "`network` changed"),
    (lambda network, train, rounds, amount: good_loop(network, train, rounds - 1, amount), "train_round was called 2"),
    (lambda network, train, rounds, amount: [], "placeholder"),  # the notebook's stub, untouched
])
def test_check_iterative_pruning_refuses_wrong_loops(wrong, clue, capsys):
    assert check_iterative_pruning(wrong).correct is False
    out = said(capsys)
    assert out.startswith("Not yet:") and clue in out


# --- check_learning_rate (notebook 04) -------------------------------------------------------------------------------
@pytest.mark.parametrize("name, iteration, rate", [("resnet18", 10_000, 0.015), ("resnet18", 22_000, 0.003),
                                                   ("vgg19", 5_000, 0.05), ("vgg19", 90_000, 0.001)])
def test_learning_rate_check_accepts_the_schedule_train_uses(capsys, name, iteration, rate):
    assert check_learning_rate(rate, name, iteration).correct is True
    assert check_learning_rate(str(rate), PRESETS[name], iteration).correct is True
    assert said(capsys).startswith("Correct!")


@pytest.mark.parametrize("name, iteration, wrong, clue", [
    ("resnet18", 10_000, 0.03, "still in the warmup"),  # the warmup forgotten
    ("vgg19", 5_000, 0.1, "still in the warmup"),
    ("vgg19", 90_000, 0.1, "after 2 of the milestones"),  # the drops forgotten
    ("resnet18", 22_000, 0.03, "after 1 of the milestones"),
    ("vgg19", 90_000, 0.01, "divided by 10 after each"),  # one drop short
    ("resnet18", 10_000, 0.0015, "warmup"),  # a factor of 10 off
    ("vgg19", 5_000, None, "placeholder"),
])
def test_learning_rate_check_refuses_wrong_rates_without_giving_the_answer(capsys, name, iteration, wrong, clue):
    assert check_learning_rate(wrong, name, iteration).correct is False
    out = said(capsys)
    right = PRESETS[name].lr * lr_factor(PRESETS[name], iteration - 1)
    assert out.startswith("Not yet:") and clue in out and f"{right:g}" not in out


def test_learning_rate_check_computes_from_the_preset_it_is_given(capsys):
    shorter = dataclasses.replace(PRESETS["resnet18"], warmup_iterations=5_000)
    assert check_learning_rate(0.03, shorter, 10_000) and not check_learning_rate(0.015, shorter, 10_000)
    with pytest.raises(ValueError, match="iteration must be a whole number >= 1"):
        check_learning_rate(0.1, "vgg19", 0)


def test_weight_count_of_a_wider_conv2_is_computed_from_the_network_given(capsys):
    """Notebook 04 asks for the fc weights of a Conv-2 with 512-unit fc layers: not the count its table shows."""
    from lottery_utils.models import conv_net
    wide = conv_net(2, fc_width=512)
    right = 16 * 16 * 64 * 512 + 512 * 512 + 512 * 10
    assert weight_counts(wide)["linear"] == right
    for wrong in (weight_counts(build_model("conv2", seed=0))["linear"], right + 512 + 512 + 10, 16 * 16 * 64 * 512, 32 * 32 * 64
                  * 512 + 512 * 512 + 512 * 10):
        assert check_weight_count(wrong, wide, layer_type="linear").correct is False
        out = said(capsys)
        assert out.startswith("Not yet:") and f"{right:,}" not in out and str(right) not in out
    assert check_weight_count(f"{right:,}", wide, layer_type="linear").correct is True


# --- why tickets win (notebook 05) --------------------------------------------------------------------------------

def test_supermask_check_refuses_wrong_networks(capsys):
    from torch.nn.utils import prune
    from lottery_utils.exercises import check_supermask
    from lottery_utils import apply_masks, prune_smallest

    def right(ticket, theta_0):
        return apply_masks(ticket, theta_0)

    def by_hand(ticket, theta_0):
        layers = prunable_layers(theta_0)
        for name, layer in prunable_layers(ticket).items():
            prune.custom_from_mask(layers[name], "weight", layer.weight_mask)
        return theta_0

    assert check_supermask(right) and check_supermask(by_hand)
    assert said(capsys).count("Correct!") == 2
    wrong = {"the trained ticket": (lambda t, z: t, "trained values θj"),
             "no mask": (lambda t, z: z, "has no mask"),
             "θ0 pruned by its own magnitudes": (lambda t, z: (prune_smallest(z, {"fc": 0.8, "output": 0.4}), z)[1],
                                                 "not the ticket's"),
             "other values": (lambda t, z: apply_masks(t, build_model("lenet", seed=5)), "not θ0's"),
             "changes the ticket": (lambda t, z: (prune.remove(t[1], "weight"), right(t, z))[1],
                                    "trained ticket changed"),
             "returns a number": (lambda t, z: 0.3, "return the network"),
             "not a function": (None, "pass your function")}
    for name, (fn, clue) in wrong.items():
        assert check_supermask(fn).correct is False, name
        out = said(capsys)
        assert out.startswith("Not yet:") and clue in out, (name, out)


def test_sign_preserving_reinit_check_refuses_the_neighbouring_controls(capsys):
    from lottery_utils import random_reinit
    from lottery_utils.exercises import check_sign_preserving_reinit

    def right(ticket, fresh):
        fresh_layers = prunable_layers(fresh)
        with torch.no_grad():
            for name, layer in prunable_layers(ticket).items():
                weight = fresh_layers[name].weight
                weight.copy_(weight.abs() * torch.sign(layer.weight_orig))
                prune.custom_from_mask(fresh_layers[name], "weight", layer.weight_mask)
        return fresh

    def swapped(ticket, fresh):
        fresh_layers = prunable_layers(fresh)
        with torch.no_grad():
            for name, layer in prunable_layers(ticket).items():
                weight = fresh_layers[name].weight
                weight.copy_(layer.weight_orig.abs() * torch.sign(weight))
                prune.custom_from_mask(fresh_layers[name], "weight", layer.weight_mask)
        return fresh

    def no_mask(ticket, fresh):
        with torch.no_grad():
            for name, layer in prunable_layers(ticket).items():
                prunable_layers(fresh)[name].weight.mul_(torch.sign(layer.weight_orig)).abs_()
        return fresh

    assert check_sign_preserving_reinit(right)
    assert said(capsys).startswith("Correct!")
    for fn, clue in ((lambda t, f: t, "that is the ticket"), (random_reinit, "plain random reinitialization"),
                     (swapped, "wrong way round"), (no_mask, "mask"), (lambda t, f: None, "return the network")):
        assert check_sign_preserving_reinit(fn).correct is False
        out = said(capsys)
        assert out.startswith("Not yet:") and clue in out, out


def test_per_round_rate_from_the_share_kept_the_student_does_the_translation():
    assert check_per_round_amount(1 - 0.05 ** (1 / 6), kept=0.05, rounds=6)
    assert check_per_round_amount(39.3, kept=0.05, rounds=6)
    assert check_per_round_amount(0.05 ** (1 / 6), kept=0.05, rounds=6).correct is False  # the share each round keeps
    assert check_per_round_amount(1 - 0.95 ** (1 / 6), kept=0.05, rounds=6).correct is False  # 5 % read as the share pruned


def test_the_sparsest_winning_ticket_is_computed_from_the_results_given(capsys):
    """Two seeds, three sparsities: the ticket wins in both seeds at 50 % and 25 %, at 12.5 % it stops later in one."""
    from lottery_utils.exercises import check_sparsest_winning_ticket

    def made(kind, remaining, seed, accuracy, stop):
        return result_from_numbers(kind, int(remaining < 1), remaining, accuracy, stop, accuracy, seed, "lenet", 50_000, 1.0)

    results = [made("dense", 1.0, s, 0.97, 3_000) for s in (0, 1)]
    results += [made("ticket", share, s, 0.98, 2_000) for share in (0.5, 0.25) for s in (0, 1)]
    results += [made("ticket", 0.125, 0, 0.98, 2_000), made("ticket", 0.125, 1, 0.98, 3_100)]
    assert check_sparsest_winning_ticket(25, results) and "Correct!" in capsys.readouterr().out
    assert check_sparsest_winning_ticket("25 %", results) and check_sparsest_winning_ticket(0.25, results)
    capsys.readouterr()
    for wrong, clue in ((12.5, "stops no later in 1 of 2"), (50, "a sparser one does too"),
                        (75, "share pruned"), (33, "no row of the table")):
        assert not check_sparsest_winning_ticket(wrong, results), wrong
        out = capsys.readouterr().out
        assert out.startswith("Not yet:") and clue in out, (wrong, out)
    results[-1] = made("ticket", 0.125, 1, 0.98, 3_000)  # now it stops no later in both: the answer moves
    assert check_sparsest_winning_ticket(12.5, results) and not check_sparsest_winning_ticket(25, results)
