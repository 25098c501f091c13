import copy
import math

import pytest
import torch
from torch import nn

from lottery_utils import (build_model, clone, masks, per_round_amount, random_prune, random_reinit,
                           remaining_weights, winning_ticket)
from lottery_utils.pruning import layer_kinds


def trained_pair(seed=0):
    """A LeNet copy made before 'training', and the trained network (weights perturbed as training would)."""
    initial = build_model("lenet", seed=seed)
    trained = copy.deepcopy(initial)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return trained, initial


def test_prunes_the_smallest_trained_weights_and_keeps_initial_values():
    trained, copy_network = trained_pair()
    initial = copy.deepcopy(copy_network)
    trained_weights = {n: m.weight.detach().clone() for n, m in trained.named_modules() if isinstance(m, nn.Linear)}
    winning_ticket(trained, copy_network, 0.3)
    for name, module in copy_network.named_modules():
        if not isinstance(module, nn.Linear):
            continue
        mask, w = module.weight_mask, trained_weights[name]
        # torch's rounding: round(amount * n) weights pruned in each layer
        assert int((mask == 0).sum()) == round(0.3 * w.numel())
        # every pruned |w| of the trained net is <= every kept one
        assert w[mask == 0].abs().max() <= w[mask == 1].abs().min()
        # the copy keeps its initial values on the survivors and zeros elsewhere
        init = dict(initial.named_modules())[name].weight
        assert torch.equal(module.weight[mask == 1], init[mask == 1])
        assert torch.all(module.weight[mask == 0] == 0)
        assert torch.equal(module.bias, dict(initial.named_modules())[name].bias)  # biases are not pruned
        assert torch.equal(dict(trained.named_modules())[name].weight_mask, mask)  # same mask on both


def test_repeated_calls_compound_on_the_remaining_weights():
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, 0.2)
    winning_ticket(trained, copy_network, 0.2)
    winning_ticket(trained, copy_network, 0.2)
    first = copy_network[1].weight_mask
    n = first.numel()
    expected_kept = n
    for _ in range(3):
        expected_kept -= round(0.2 * expected_kept)
    assert int(first.sum()) == expected_kept
    assert remaining_weights(copy_network) == pytest.approx(0.8 ** 3, abs=1e-3)


def test_per_layer_rates_by_kind():
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, {"fc": 0.2, "output": 0.1})
    kinds = layer_kinds(copy_network)
    assert kinds == {"1": "fc", "3": "fc", "5": "output"}
    for name, mask in masks(copy_network).items():
        rate = 0.1 if kinds[name] == "output" else 0.2
        assert int((mask == 0).sum()) == round(rate * mask.numel())


def test_global_strategy_ranks_layers_together():
    trained, copy_network = build_model("resnet18", seed=0), build_model("resnet18", seed=0)
    winning_ticket(trained, copy_network, {"conv": 0.2, "output": 0.0}, strategy="global")
    layer_masks = masks(copy_network)
    conv = [m for name, m in layer_masks.items() if layer_kinds(copy_network)[name] == "conv"]
    pruned = sum(int((m == 0).sum()) for m in conv)
    assert pruned == round(0.2 * sum(m.numel() for m in conv))
    assert len({round(float(1 - m.mean()), 2) for m in conv}) > 1  # layers end up with different sparsities
    output = [name for name, kind in layer_kinds(copy_network).items() if kind == "output"]
    assert len(output) == 1 and torch.all(layer_masks[output[0]] == 1)  # the output layer is not pruned


def test_masked_weights_stay_zero_and_survivors_move_under_an_optimizer(mnist):
    from lottery_utils import train
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, 0.5)
    ticket = clone(copy_network)
    before = ticket[1].weight.detach().clone()
    train(ticket, mnist, iterations=3, batch_size=60, progress=False, eval_every=3)
    mask = ticket[1].weight_mask.bool()
    assert torch.all(ticket[1].weight[~mask] == 0)
    # every surviving weight moved (negative ones too: a sign-based gradient freeze would stop those)
    moved = ticket[1].weight[mask] != before[mask]
    assert moved.float().mean() > 0.99
    assert (before[mask] < 0).any() and moved[before[mask] < 0].float().mean() > 0.99


def test_fast_training_path_matches_torch_prune_hooks(mnist):
    from lottery_utils import train
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, 0.6)
    a, b = clone(copy_network), clone(copy_network)
    ha = train(a, mnist, iterations=20, batch_size=60, progress=False, eval_every=10, fold_masks=True)
    hb = train(b, mnist, iterations=20, batch_size=60, progress=False, eval_every=10, fold_masks=False)
    for (name, ma), mb in zip(masks(a).items(), masks(b).values()):
        assert torch.equal(ma, mb), name
    for la, lb in zip(a.modules(), b.modules()):
        if hasattr(la, "weight_mask"):  # the weights the network computes with, and its biases
            assert torch.allclose(la.weight, lb.weight, atol=1e-6)
            assert torch.allclose(la.bias, lb.bias, atol=1e-6)
    assert not torch.equal(a[1].weight, copy_network[1].weight)  # it did train
    assert ha.test_accuracy == pytest.approx(hb.test_accuracy, abs=1e-3)


def test_clone_copies_masks_and_values_independently():
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, 0.5)
    twin = clone(copy_network)
    assert torch.equal(twin[1].weight, copy_network[1].weight)
    with torch.no_grad():
        twin[1].weight_orig.add_(1.0)
    assert not torch.equal(twin[1].weight_orig, copy_network[1].weight_orig)


def test_random_reinit_keeps_mask_with_fresh_values():
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, 0.7)
    control = random_reinit(copy_network, build_model("lenet", seed=99))
    for (name, m), mc in zip(masks(copy_network).items(), masks(control).values()):
        assert torch.equal(m, mc), name
    kept = copy_network[1].weight_mask.bool()
    assert not torch.allclose(control[1].weight[kept], copy_network[1].weight[kept])


def test_random_prune_keeps_per_layer_sparsity_with_a_random_mask():
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, {"fc": 0.8, "output": 0.4})
    control = random_prune(build_model("lenet", seed=0), copy_network, seed=3)
    for (name, m), mc in zip(masks(copy_network).items(), masks(control).values()):
        assert int(m.sum()) == int(mc.sum()), name
        assert not torch.equal(m, mc)
    again = random_prune(build_model("lenet", seed=0), copy_network, seed=3)
    assert torch.equal(masks(again)["1"], masks(control)["1"])  # seeded


def test_per_round_amount_reaches_the_total():
    assert per_round_amount(0.9, 2) == pytest.approx(1 - math.sqrt(0.1))
    for total, rounds in [(0.9, 5), (0.8, 1), (0.99, 7)]:
        assert (1 - per_round_amount(total, rounds)) ** rounds == pytest.approx(1 - total)
    # the slides' p^(1/n) would prune 95 % per round for 90 % in 2 rounds, i.e. 99.75 % overall
    assert per_round_amount(0.9, 2) != pytest.approx(0.9 ** 0.5)
    with pytest.raises(ValueError, match="rounds"):
        per_round_amount(0.5, 0)


@pytest.mark.parametrize("amount, error, message", [
    (1.0, ValueError, r"\[0, 1\)"), (-0.1, ValueError, r"\[0, 1\)"), (20, ValueError, "0.2"),
    (float("nan"), ValueError, r"\[0, 1\)"), ("0.2", TypeError, "str"), (None, TypeError, "NoneType"),
    (True, TypeError, "bool"), ({"fc": 1.5}, ValueError, "fc"), ({"layer9": 0.2}, ValueError, "layer9"),
])
def test_bad_amounts_are_clear_errors(amount, error, message):
    trained, copy_network = trained_pair()
    with pytest.raises(error, match=message):
        winning_ticket(trained, copy_network, amount)
    assert not hasattr(copy_network[1], "weight_mask")  # nothing was half-done


def test_mismatched_networks_are_named():
    with pytest.raises(ValueError, match=r"parameter '1.weight'.*\(300, 784\).*\(256, 3072\)|differ at parameter"):
        winning_ticket(build_model("lenet"), build_model("conv2"), 0.2)
    trained, copy_network = trained_pair()
    with pytest.raises(ValueError, match="same object"):
        winning_ticket(trained, trained, 0.2)


def test_copy_with_disagreeing_masks_is_rejected():
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, 0.2)
    other_trained, other_copy = trained_pair(seed=5)
    winning_ticket(other_trained, other_copy, 0.2)
    with pytest.raises(ValueError, match="masks of layer '1' disagree"):
        winning_ticket(trained, other_copy, 0.2)
