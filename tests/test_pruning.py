import copy
import dataclasses
import math

import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from lottery_utils import (PRESETS, Data, build_model, clone, evaluate, iterative_pruning, masks, per_round_amount,
                           random_prune, random_reinit, remaining_weights, train, winning_ticket)
from lottery_utils.layers import layer_roles, prunable_layers
from lottery_utils.amounts import Amounts
from lottery_utils.masking import apply_masks, load_state
from lottery_utils.amounts import layer_amounts
from lottery_utils.pruning import prune_smallest
from lottery_utils.history import History

EVERY_10 = dataclasses.replace(PRESETS["lenet"], eval_every=10)  # LeNet, the validation loss every 10 iterations


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
    winning_ticket(trained, copy_network, {"fc": 0.3, "output": 0.3})
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
    assert not prune.is_pruned(trained)  # the trained network is not changed
    assert all(torch.equal(dict(trained.named_modules())[name].weight, w) for name, w in trained_weights.items())


def test_a_rerun_gives_the_same_ticket_and_later_rounds_prune_what_is_left():
    trained, copy_network = trained_pair()
    amount = {"fc": 0.2, "output": 0.2}
    ticket = winning_ticket(trained, copy_network, amount)
    first = ticket[1].weight_mask.clone()
    assert winning_ticket(trained, copy_network, amount) is copy_network  # a notebook cell run twice
    assert torch.equal(copy_network[1].weight_mask, first)
    with pytest.raises(ValueError, match="copy\\) is already pruned in layer 'fc1' where the new mask keeps weights"):
        winning_ticket(trained, copy_network, {"fc": 0.1, "output": 0.1})  # rerun with a smaller amount
    for _ in range(2):  # later rounds: the ticket trained (here: given trained values), and a clone of the ticket
        ticket = winning_ticket(apply_masks(ticket, clone(trained)), clone(ticket), amount)
    expected_kept = first.numel()
    for _ in range(3):
        expected_kept -= round(0.2 * expected_kept)
    assert int(ticket[1].weight_mask.sum()) == expected_kept
    assert remaining_weights(ticket) == pytest.approx(0.8 ** 3, abs=1e-3)


def test_per_layer_rates_by_kind():
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, {"fc": 0.2, "output": 0.1})
    kinds = layer_roles(copy_network)
    assert kinds == {"fc1": "fc", "fc2": "fc", "fc3": "output"}
    for name, mask in masks(copy_network).items():
        rate = 0.1 if kinds[name] == "output" else 0.2
        assert int((mask == 0).sum()) == round(rate * mask.numel())


def test_global_strategy_ranks_layers_together():
    trained, copy_network = build_model("resnet18", seed=1), build_model("resnet18", seed=0)  # seed 1: "trained"
    winning_ticket(trained, copy_network, Amounts({"conv": 0.2, "output": 0.0}, "global"))
    layer_masks = masks(copy_network)
    conv = [m for name, m in layer_masks.items() if layer_roles(copy_network)[name] == "conv"]
    pruned = sum(int((m == 0).sum()) for m in conv)
    assert pruned == round(0.2 * sum(m.numel() for m in conv))
    assert len({round(float(1 - m.mean()), 2) for m in conv}) > 1  # layers end up with different sparsities
    output = [name for name, kind in layer_roles(copy_network).items() if kind == "output"]
    assert len(output) == 1 and torch.all(layer_masks[output[0]] == 1)  # the output layer is not pruned


def test_masked_weights_stay_zero_and_survivors_move_under_an_optimizer(mnist):
    from lottery_utils import train
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, {"fc": 0.5, "output": 0.5})
    ticket = clone(copy_network)
    before = ticket[1].weight.detach().clone()
    train(ticket, mnist, "lenet", 3, 60, progress=False)
    mask = ticket[1].weight_mask.bool()
    assert torch.all(ticket[1].weight[~mask] == 0)
    # every surviving weight moved (negative ones too: a sign-based gradient freeze would stop those)
    moved = ticket[1].weight[mask] != before[mask]
    assert moved.float().mean() > 0.99
    assert (before[mask] < 0).any() and moved[before[mask] < 0].float().mean() > 0.99


def through_prune_hooks(network, data, preset, iterations, batch_size):
    """The loop `train` stands for, without its measurements and its folded masks: the same batches and optimizer,
    each forward through prune's hooks (weight = weight_orig * weight_mask)."""
    from lottery_utils.training import batches, make_optimizer
    optimizer, schedule = make_optimizer(network, preset)
    network.train()
    for _, x, y in batches(data, batch_size, 0, 0, iterations):
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(network(x), y).backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()


def test_fast_training_path_matches_torch_prune_hooks(mnist):
    """`train` (masks folded, and measuring) trains as the plain loop through prune's hooks does: the same weights;
    the pruned weights stay zero, and `weight_orig` keeps its values under the mask, as under the hooks (Adam moves
    no weight whose gradient was always zero). After `train`, `weight` is weight_orig * weight_mask."""
    from lottery_utils import train
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, {"fc": 0.6, "output": 0.6})
    a, b = clone(copy_network), clone(copy_network).to(mnist.train_x.device)
    train(a, mnist, EVERY_10, 20, 60, progress=False)
    through_prune_hooks(b, mnist, EVERY_10, 20, 60)
    for (name, ma), mb in zip(masks(a).items(), masks(b).values()):
        assert torch.equal(ma, mb), name
    for la, lb, start in zip(a.modules(), b.modules(), copy_network.modules()):
        if hasattr(la, "weight_mask"):
            assert torch.equal(la.weight_orig, lb.weight_orig) and torch.equal(la.bias, lb.bias)
            assert torch.equal(la.weight, la.weight_orig * la.weight_mask)
            hidden = la.weight_mask == 0
            assert torch.equal(la.weight_orig[hidden], start.weight_orig[hidden]) and la.weight_orig[hidden].any()
    assert not torch.equal(a[1].weight, copy_network[1].weight)  # it did train


def test_clone_copies_masks_and_values_independently():
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, {"fc": 0.5, "output": 0.5})
    twin = clone(copy_network)
    assert torch.equal(twin[1].weight, copy_network[1].weight)
    with torch.no_grad():
        twin[1].weight_orig.add_(1.0)
    assert not torch.equal(twin[1].weight_orig, copy_network[1].weight_orig)


def test_clone_leaves_the_original_untouched():
    """Copying reads the network only: the pruned layer keeps the very weight tensor (and its autograd link to
    weight_orig) it had, so a clone between a forward pass and its backward pass changes nothing."""
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, {"fc": 0.5, "output": 0.5})
    loss = copy_network(torch.randn(2, 1, 28, 28)).sum()  # prune's hook sets weight = weight_orig * weight_mask
    weight = copy_network[1].weight
    clone(copy_network)
    assert copy_network[1].weight is weight
    loss.backward()
    assert copy_network[1].weight_orig.grad is not None


def test_random_reinit_keeps_mask_with_fresh_values():
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, {"fc": 0.7, "output": 0.7})
    control = random_reinit(copy_network, build_model("lenet", seed=99))
    for (name, m), mc in zip(masks(copy_network).items(), masks(control).values()):
        assert torch.equal(m, mc), name
    kept = copy_network[1].weight_mask.bool()
    assert not torch.allclose(control[1].weight[kept], copy_network[1].weight[kept])


def test_random_prune_keeps_per_layer_sparsity_with_a_random_mask():
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, {"fc": 0.8, "output": 0.4})
    control = random_prune(copy_network, build_model("lenet", seed=0), seed=3)
    for (name, m), mc in zip(masks(copy_network).items(), masks(control).values()):
        assert int(m.sum()) == int(mc.sum()), name
        assert not torch.equal(m, mc)
    again = random_prune(copy_network, build_model("lenet", seed=0), seed=3)
    assert torch.equal(masks(again)["fc1"], masks(control)["fc1"])  # seeded


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
    with pytest.raises(ValueError, match=r"different layers: copy alone has conv1.weight, conv1.bias, conv2.weight, "
                                         r"conv2.bias\. The copy must be made from the same architecture"):
        winning_ticket(build_model("lenet", seed=0), build_model("conv2", seed=0), {"fc": 0.2, "output": 0.2})
    with pytest.raises(ValueError, match=r"differ at parameter 'fc1.weight': trained \(256, 16384\), copy \(300, 784\)"):  # the same layers, other shapes
        winning_ticket(build_model("conv2", seed=0)[-6:], build_model("lenet", seed=0)[1:], {"fc": 0.2, "output": 0.2})
    trained, copy_network = trained_pair()
    with pytest.raises(ValueError, match="same object"):
        winning_ticket(trained, trained, {"fc": 0.2, "output": 0.2})


def test_a_copy_pruned_by_another_mask_is_refused():
    trained, _ = trained_pair()
    other_trained, other_copy = trained_pair(seed=5)
    winning_ticket(other_trained, other_copy, {"fc": 0.2, "output": 0.2})
    with pytest.raises(ValueError, match="already pruned in layer 'fc1' where the new mask keeps weights.*"
                                         "clone\\(theta_0\\)"):
        winning_ticket(trained, other_copy, {"fc": 0.2, "output": 0.2})


# --- iterative_pruning: the paper's loop ----------------------------------------------------------------------------

def kept(model):
    """Each prunable layer's mask as booleans (all True where a layer was never pruned)."""
    return {name: (torch.ones_like(layer.weight) if mask is None else mask).bool().cpu()
            for (name, mask), layer in zip(masks(model).items(), prunable_layers(model).values())}


def test_iterative_pruning_prunes_each_retrained_ticket_and_resets_to_theta_0(mnist):
    network = build_model("lenet", seed=3)
    theta_0 = {name: p.detach().clone() for name, p in network.named_parameters()}
    expected = []  # the mask each round must get: the smallest |w| among the survivors, after this round's training

    rounds = []

    def spy_train(net, r):
        rounds.append(r)
        train(net, mnist, "lenet", 20, 60, progress=False)
        masks_before = kept(net)
        expected.append({})
        for name, layer in prunable_layers(net).items():
            rate = {"fc1": 0.2, "fc2": 0.2, "fc3": 0.1}[name]
            alive = layer.weight.detach().abs()[masks_before[name]]
            cut = round(rate * alive.numel())
            keep = masks_before[name].clone()
            keep[masks_before[name]] = alive >= alive.sort().values[cut]  # no ties in trained float weights
            expected[-1][name] = keep
        return History(early_stop_iteration=r)  # iterative_pruning keeps it as the round's result

    steps = iterative_pruning(network, spy_train, 3, {"fc": 0.2, "output": 0.1})
    tickets = [step.ticket for step in steps[1:]]
    assert [step.history.early_stop_iteration for step in steps] == [0, 1, 2, 3]  # what train_round returned
    assert rounds == [0, 1, 2, 3] and len(expected) == 4  # the dense network, then each ticket, the last one too
    # round 0 is the dense network; each round trains its own ticket under its mask; the next mask lies inside it
    assert not hasattr(steps[0].ticket.fc1, "weight_mask") and not hasattr(steps[0].trained.fc1, "weight_mask")
    assert all(torch.equal(s.trained.fc1.weight_mask, s.ticket.fc1.weight_mask) for s in steps[1:])
    assert all(bool((after.ticket.fc1.weight_mask <= kept(before.trained)["fc1"]).all())
               for before, after in zip(steps, steps[1:]))
    assert all(torch.equal(p, theta_0[name]) for name, p in network.named_parameters())  # network left as it was
    assert not any(hasattr(m, "weight_mask") for m in prunable_layers(network).values())
    previous = kept(network)
    for ticket, want in zip(tickets, expected):
        got = kept(ticket)
        for name, layer in prunable_layers(ticket).items():
            assert torch.equal(got[name], want[name]), f"layer {name}: not the smallest |w| of the retrained ticket"
            assert not (got[name] & ~previous[name]).any()  # nested in the previous round's mask
            weight = layer.weight.detach()
            assert torch.equal(weight[got[name]], theta_0[f"{name}.weight"][got[name]])  # survivors hold theta_0
            assert (weight[~got[name]] == 0).all()  # pruned weights are 0
        previous = got
    # round 2 prunes the retrained round-1 ticket, which one-shot pruning of the dense network would not reproduce
    dense_trained = clone(network)
    train(dense_trained, mnist, "lenet", 20, 60, progress=False)
    one_shot = winning_ticket(dense_trained, clone(network), {"fc": 1 - 0.8 ** 2, "output": 1 - 0.9 ** 2})
    assert not torch.equal(kept(one_shot)["fc1"], kept(tickets[1])["fc1"])


@pytest.mark.parametrize("arguments, error, message", [
    (dict(rounds=0), ValueError, "rounds must be a whole number >= 1"),
    (dict(rounds=2.5), ValueError, "rounds must be a whole number >= 1"),
    (dict(rounds=True), ValueError, "rounds must be a whole number >= 1"),
    (dict(train_round="train"), TypeError, "train_round must be a function that trains a network in place"),
    (dict(train_round=lambda net: None), TypeError, r"called as train_round\(network, round\): it must take two"),
    (dict(network=[1, 2]), TypeError, "network must be a torch.nn.Module"),
    (dict(amount=1.2), ValueError, r"must be in \[0, 1\)"),
    (dict(amount={}), ValueError, "empty mapping, which would prune nothing"),
    (dict(amount={"conv": 0.2}), ValueError, "This network has no conv layer to prune"),
])
def test_iterative_pruning_rejects_bad_input_before_training(arguments, error, message):
    calls = []
    call = dict(network=build_model("lenet", seed=0), train_round=lambda net, r: calls.append(r), rounds=2,
                amount={"fc": 0.2, "output": 0.1}) | arguments
    with pytest.raises(error, match=message):
        iterative_pruning(**call)
    assert calls == []


def test_a_train_round_that_forgets_to_return_trains_a_copy_or_returns_a_number_is_named(mnist):
    with pytest.raises(TypeError, match=r"train_round returned None in round 0: return what training returns"):
        iterative_pruning(build_model("lenet", seed=0), lambda net, r: None, 2, {"fc": 0.2, "output": 0.2})
    with pytest.raises(ValueError, match=r"train_round left round 0's network unchanged. Train the network it is "
                                         r"given, in place \(not a copy of it\)"):  # it would prune θ0, not θj
        iterative_pruning(build_model("lenet", seed=0), lambda net, r: train(clone(net), mnist, EVERY_10, 20,
                                                                                    progress=False), 2, {"fc": 0.2, "output": 0.2})
    with pytest.raises(TypeError, match=r"train_round returned a float in round 0, not a History"):
        iterative_pruning(build_model("lenet", seed=0), lambda net, r: train(net, mnist, EVERY_10, 20, progress=False)
                          .final_test_accuracy, 2, {"fc": 0.2, "output": 0.2})


# --- every device ---------------------------------------------------------------------------------------------------

def _devices():
    yield pytest.param("cpu")
    for name, available in (("cuda", torch.cuda.is_available()), ("mps", torch.backends.mps.is_available())):
        yield pytest.param(name, marks=pytest.mark.skipif(not available, reason=f"no {name.upper()} device here"))


DEVICES = list(_devices())


@pytest.mark.parametrize("device", DEVICES)
def test_ticket_and_controls_with_the_trained_network_on_the_device_and_the_copy_on_the_cpu(device, mnist):
    data = Data(mnist.name, *(t[:2_000].to(device) for t in (mnist.train_x, mnist.train_y)),
                *(t[:500].to(device) for t in (mnist.val_x, mnist.val_y, mnist.test_x, mnist.test_y)))
    network = build_model("lenet", seed=0)
    copy_network = clone(network)
    train(network, data, "lenet", 20, 60, progress=False)  # moves it to the data's device
    assert network[1].weight.device.type == device
    ticket = winning_ticket(network, copy_network, {"fc": 0.5, "output": 0.5})
    assert all(mask.device.type == "cpu" for mask in masks(ticket).values())  # the copy keeps its device
    assert not prune.is_pruned(network)
    pruned = apply_masks(ticket, clone(network))  # the ticket's mask on the device, on θj
    assert torch.equal(kept(pruned)["fc1"].cpu(), kept(ticket)["fc1"])
    twin = clone(pruned)
    assert twin[1].weight_mask.device.type == device and torch.equal(twin[1].weight, pruned[1].weight)
    reinit = random_reinit(pruned, build_model("lenet", seed=5).to(device))
    shuffled = random_prune(pruned, build_model("lenet", seed=0).to(device), seed=1)
    for control in (reinit, shuffled):
        assert control[1].weight_mask.device.type == device
        assert remaining_weights(control) == remaining_weights(ticket)
    history = train(ticket, data, "lenet", 20, 60, progress=False)  # the ticket follows the data
    assert ticket[1].weight_mask.device.type == device and history.final_test_accuracy > 0.5
    loss, accuracy = evaluate(ticket, data.test_x, data.test_y)
    assert accuracy == history.final_test_accuracy
    on_cpu = clone(ticket).cpu()  # a network on the CPU measures the data where it is: evaluate moves the batches
    assert evaluate(on_cpu, data.test_x, data.test_y).accuracy == pytest.approx(accuracy, abs=0.002)
    assert on_cpu[1].weight.device.type == "cpu"
    restored = load_state(build_model("lenet", seed=0).to(device), {k: v.cpu() for k, v in ticket.state_dict().items()})
    assert restored[1].weight_mask.device.type == device and torch.equal(restored[1].weight, ticket[1].weight)


def test_rewinding_refuses_tickets_trained_from_iteration_0_and_a_dense_network_trained_from_k(mnist):
    """With reset_to=(θk, k), the tickets must train on from k exactly and the dense network from 0: each slip is
    named. Without rewinding, every round trains from 0."""
    from lottery_utils import train

    theta_0 = build_model("lenet", seed=0)
    theta_k = clone(theta_0)
    train(theta_k, mnist, "lenet", 20, progress=False)
    from_zero = lambda net, r: train(net, mnist, EVERY_10, 40, progress=False)  # noqa: E731
    with pytest.raises(ValueError, match=r"Round 1's ticket holds θk, with k = 20, but trained from iteration 0"):
        iterative_pruning(theta_0, from_zero, 1, {"fc": 0.2, "output": 0.2}, reset_to=(theta_k, 20))
    always_k = lambda net, r: train(net, mnist, EVERY_10, 40, start_iteration=20, progress=False)  # noqa: E731
    with pytest.raises(ValueError, match=r"The dense network \(round 0\) trained from iteration 20, not 0"):
        iterative_pruning(theta_0, always_k, 1, {"fc": 0.2, "output": 0.2}, reset_to=(theta_k, 20))
    with pytest.raises(ValueError, match=r"Round 1's ticket holds θk, with k = 30, but trained from iteration 20"):
        iterative_pruning(theta_0, lambda net, r: always_k(net, r) if r else from_zero(net, r), 1, {"fc": 0.2, "output": 0.2},
                          reset_to=(theta_k, 30))  # another k than the tickets train from
    with pytest.raises(ValueError, match=r"Round 1's ticket holds θ0 but trained from iteration 20, not 0"):
        iterative_pruning(theta_0, lambda net, r: always_k(net, r) if r else from_zero(net, r), 1,
                          {"fc": 0.2, "output": 0.2})
    for wrong in (theta_k, (theta_k,), (theta_k, 0), (theta_k, 2.5)):
        with pytest.raises(TypeError, match=r"reset_to is the pair \(theta_k, k\)"):
            iterative_pruning(theta_0, from_zero, 1, {"fc": 0.2, "output": 0.2}, reset_to=wrong)
    right = lambda net, r: train(net, mnist, EVERY_10, 40, start_iteration=20 if r > 0 else 0,  # noqa: E731
                                 progress=False)
    steps = iterative_pruning(theta_0, right, 1, {"fc": 0.2, "output": 0.2}, reset_to=(theta_k, 20))
    assert [s.history.curve_iterations[0] for s in steps] == [0, 20] == [s.history.start_iteration for s in steps]
    assert len(iterative_pruning(theta_0, from_zero, 1, {"fc": 0.2, "output": 0.2})) == 2  # without rewinding: from 0


def test_iterative_pruning_with_reset_to_rewinds_and_later_rounds_keep_theta_k():
    theta_0, theta_k = build_model("lenet", seed=0), build_model("lenet", seed=1)  # theta_k: any other weights
    calls = []

    def train(net, r):  # a stand-in for training: record the call, change the weights unevenly
        calls.append((r, remaining_weights(net)))
        with torch.no_grad():
            for layer in prunable_layers(net).values():
                weight = getattr(layer, "weight_orig", layer.weight)  # the parameter, under a mask too
                weight.mul_(torch.linspace(0.5, 1.5, weight.numel()).view_as(weight))
        return History()

    tickets = [step.ticket for step in iterative_pruning(theta_0, train, 3, {"fc": 0.2, "output": 0.2}, reset_to=(theta_k, 1))[1:]]
    assert [r for r, _ in calls] == [0, 1, 2, 3]
    assert calls[0][1] == 1.0 and calls[1][1] < 1.0  # the dense network first, then the pruned tickets
    assert [round(remaining_weights(t), 3) for t in tickets] == [0.8, 0.64, 0.512]
    for ticket in tickets:  # every ticket's survivors hold theta_k, not theta_0
        first, source = ticket[1], theta_k[1]
        kept = first.weight_mask.bool()
        assert torch.equal(first.weight[kept], source.weight[kept])
    assert all(m is None for m in masks(theta_0).values()) and all(m is None for m in masks(theta_k).values())
    with pytest.raises(ValueError, match="amount"):  # checked before training
        iterative_pruning(theta_0, train, 1, 1.5)
    # a pruned ticket and a dense theta_k: said before training
    with pytest.raises(ValueError, match="θk's mask of layer 'fc1' is not network's"):
        iterative_pruning(tickets[0], train, 1, {"fc": 0.2, "output": 0.2}, reset_to=(theta_k, 1))
    assert len(calls) == 4


@pytest.mark.parametrize("device", DEVICES)
def test_seeding_leaves_every_random_generator_as_it_was_and_random_masks_do_not_depend_on_the_device(device):
    torch.manual_seed(123)
    cpu_before = torch.random.get_rng_state()
    accelerator_before = torch.cuda.get_rng_state() if device == "cuda" else None
    theta_0 = build_model("lenet", seed=0).to(device)
    ticket = winning_ticket(build_model("lenet", seed=1).to(device), clone(theta_0), {"fc": 0.5, "output": 0.5})
    on_device = random_prune(ticket, clone(theta_0), seed=3)
    on_cpu = random_prune(ticket, clone(theta_0).cpu(), seed=3)
    assert torch.equal(torch.random.get_rng_state(), cpu_before)
    if accelerator_before is not None:
        assert torch.equal(torch.cuda.get_rng_state(), accelerator_before)
    for (name, a), b in zip(masks(on_device).items(), masks(on_cpu).values()):
        assert a.device.type == device and torch.equal(a.cpu(), b), name


def test_the_strategy_is_layer_by_layer_unless_the_amounts_say_global_whatever_built_the_network():
    """The network does not decide how it is pruned: a plain amount prunes layer by layer, an `Amounts` by its
    strategy (a preset's amounts carry their preset's, as the next test shows)."""
    resnet = build_model("resnet18", seed=0)
    def cut(amount):  # seed 1 stands in for the trained weights
        return winning_ticket(build_model("resnet18", seed=1), clone(resnet), amount)

    by_role = {"conv": 0.8, "output": 0.0}
    plain, told, layerwise = cut(by_role), cut(Amounts(by_role, "global")), cut(Amounts(by_role, "layerwise"))
    assert all(torch.equal(a, b) for a, b in zip(masks(plain).values(), masks(layerwise).values()) if a is not None)
    assert any(not torch.equal(a, b) for a, b in zip(masks(plain).values(), masks(told).values())
               if a is not None)
    plain = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))  # no preset: layer by layer
    trained = clone(plain)
    nn.init.normal_(trained[0].weight)
    ticket = winning_ticket(trained, clone(plain), {"fc": 0.5, "output": 0.5})
    assert [int(m.sum()) for m in masks(ticket).values()] == [6, 3]


def test_load_state_takes_a_pruned_state_into_a_dense_network_and_refuses_the_reverse_clearly():
    trained, copy_network = trained_pair()
    ticket = winning_ticket(trained, copy_network, {"fc": 0.5, "output": 0.5})
    restored = load_state(build_model("lenet", seed=0), ticket.state_dict())
    assert torch.equal(restored[1].weight_mask, ticket[1].weight_mask) and torch.equal(restored[1].weight, ticket[1].weight)
    with pytest.raises(ValueError, match="state is of an unpruned network .* load it into an unpruned network"):
        load_state(clone(ticket), build_model("lenet", seed=0).state_dict())
    with pytest.raises(ValueError, match=r"does not fit the network at 'fc1\..*same architecture"):
        load_state(build_model("conv2", seed=0), ticket.state_dict())  # another architecture: named, not torch's
    renamed = {name.replace("fc1.", "1."): value for name, value in ticket.state_dict().items()}
    with pytest.raises(ValueError, match=r"at '1.bias': the state \(300,\), the network missing"):
        load_state(build_model("lenet", seed=0), renamed)  # the layer names before bundle format 2


def test_apply_masks_refuses_a_target_pruned_where_the_source_keeps_weights():
    """torch combines a new mask with an existing one: a later round's mask (inside the earlier one) applies cleanly,
    two unrelated masks would silently leave fewer weights than either keeps."""
    trained, copy_network = trained_pair()
    winning_ticket(trained, copy_network, {"fc": 0.5, "output": 0.5})
    later = apply_masks(copy_network, clone(trained))
    prune_smallest(later, {"fc": 0.5, "output": 0.5})  # a second round: inside the first mask
    apply_masks(later, copy_network)
    assert torch.equal(copy_network[1].weight_mask, later[1].weight_mask)
    unrelated = random_prune(copy_network, build_model("lenet", seed=0), seed=1)
    with pytest.raises(ValueError, match="already pruned in layer 'fc1' where the new mask keeps weights"):
        apply_masks(later, unrelated)


def test_a_later_round_ranks_the_weights_as_they_are_after_the_last_optimizer_step():
    # prune's hook sets `weight` = weight_orig * weight_mask at a forward pass; a student's training loop may end with
    # optimizer.step(), after which `weight` is one step old. The second round must rank the weights as they are.
    trained = build_model("lenet", seed=0)
    prune_smallest(trained, {"fc": 0.5, "output": 0.5})
    first = masks(trained)
    with torch.no_grad():  # a large "step" that reorders the magnitudes, with no forward pass after it
        for module in prunable_layers(trained).values():
            module.weight_orig.copy_(torch.randn_like(module.weight_orig))
    prune_smallest(trained, {"fc": 0.5, "output": 0.5})
    for name, module in prunable_layers(trained).items():
        current = (module.weight_orig * first[name]).abs().flatten()
        kept = int(first[name].sum()) - round(0.5 * int(first[name].sum()))
        expected = torch.zeros_like(current)
        expected[current.topk(kept).indices] = 1
        assert torch.equal(masks(trained)[name].flatten(), expected), name


def test_round_keeps_the_trained_network_as_it_trained(mnist):
    """iterative_pruning prunes a copy: rounds[r].trained still computes what its History measured."""
    from lottery_utils import evaluate, train

    steps = iterative_pruning(build_model("lenet", seed=0), lambda net, r: train(net, mnist, "lenet", 60, 60,
                                                                                 progress=False), 2, {"fc": 0.9, "output": 0.9})
    for step in steps:
        assert evaluate(step.trained, mnist.test_x, mnist.test_y).accuracy == step.history.final_test_accuracy


def test_the_misuse_messages_say_what_was_meant():
    network = build_model("lenet", seed=0)
    with pytest.raises(TypeError, match=r"yours takes \(net\)"):
        iterative_pruning(network, lambda net: None, 1, {"fc": 0.2, "output": 0.2})
    with pytest.raises(ValueError, match=r"got 2 different ones \(0\.1, 0\.2\)"):
        Amounts({"fc": 0.2, "output": 0.1}, "global")
    from lottery_utils.config import validate_controls
    with pytest.raises(ValueError, match=r"\['reint'\] \('reint': did you mean 'reinit'\?\)"):
        validate_controls("reint")


def test_a_presets_amounts_carry_its_strategy_and_are_a_checked_read_only_value():
    """PRESETS["resnet18"].amounts() is pruned globally, as the paper prunes ResNet-18; the same numbers as a plain
    mapping layer by layer. The value is not a dict, so no copy of it can drop the strategy unseen."""
    resnet = build_model("resnet18", seed=0)
    amounts = PRESETS["resnet18"].amounts(0.8)
    assert amounts == Amounts({"conv": 0.8, "output": 0.0}, "global") and amounts.by_role == {"conv": 0.8, "output": 0.0}
    assert amounts != {"conv": 0.8, "output": 0.0} and PRESETS["lenet"].amounts().strategy == "layerwise"
    as_preset, plain = prune_smallest(clone(resnet), amounts), prune_smallest(clone(resnet), dict(amounts.by_role))
    assert float(masks(plain)["conv1"].mean()) == pytest.approx(0.2, abs=0.01)  # each layer keeps 20 %
    assert float(masks(as_preset)["conv1"].mean()) > 0.5  # ranked with all layers: the small first layer keeps more
    with pytest.raises(TypeError):
        dict(amounts)  # not a mapping: a copy cannot drop the strategy unseen
    with pytest.raises(TypeError):
        amounts.by_role["conv"] = 0.5  # read-only
    for by_role, strategy, message in [({"fc": 0.2, "output": 0.1}, "global", "the layers it prunes need one amount"),
                                       ({"fc": 0.2}, "globl", "strategy must be one of 'layerwise', 'global'"),
                                       ({"fc": 20}, "layerwise", r"amount\['fc'\] must be in \[0, 1\)"),
                                       (0.2, "global", "Amounts takes a mapping by layer role"),
                                       ({"fcc": 0.5}, "layerwise", r"\('fcc': did you mean 'fc'\?\)")]:
        with pytest.raises((TypeError, ValueError), match=message):
            Amounts(by_role, strategy)


def test_every_amount_becomes_one_amounts_and_a_round_shows_what_each_layer_role_keeps(mnist):
    """A mapping by role and an Amounts take one path (`as_amounts`, then `layer_amounts`). One number, which would
    prune the output layer at the same amount, unlike the paper's amounts, is refused with both ways to say it; a
    Round's repr shows what each layer role keeps."""
    from lottery_utils import train
    from lottery_utils.amounts import as_amounts

    lenet = build_model("lenet", seed=0)
    with pytest.raises(TypeError, match=r"amount is one number, 0.2, but amounts are given by layer role: \{'fc': 0.2, "
                                        r"'output': 0.2\} prunes every layer alike, and PRESETS\[model\].amounts\(0.2\)"):
        prune_smallest(lenet, 0.2)
    with pytest.raises(TypeError, match=r"\{'conv': 0.2, 'fc': 0.2, 'output': 0.2\} prunes every layer alike"):
        winning_ticket(build_model("conv2", seed=1), build_model("conv2", seed=0), 0.2)
    with pytest.raises(ValueError, match=r"For a percentage such as 20 %, pass 0.2"):
        iterative_pruning(lenet, lambda net, r: None, 1, 20)
    assert masks(lenet)["fc1"] is None  # nothing was pruned
    assert as_amounts(lenet, {"fc": 0.2}) == Amounts({"fc": 0.2}) and as_amounts(lenet, PRESETS["lenet"].amounts()) \
        is PRESETS["lenet"].amounts()
    assert layer_amounts(lenet, PRESETS["lenet"].amounts()) == {"fc1": 0.2, "fc2": 0.2, "fc3": 0.1}

    def train_round(net, r):
        return train(net, mnist, "lenet", 20, 60, progress=False)
    plain, paper = (iterative_pruning(lenet, train_round, 1, amount)[1]
                    for amount in ({"fc": 0.5, "output": 0.5}, PRESETS["lenet"].amounts(0.5)))
    assert remaining_weights(plain.ticket, "output") == 0.5 and remaining_weights(paper.ticket, "output") == 0.75
    assert repr(plain).startswith("Round(50.0 % of the weights (fc 50.0 %, output 50.0 %), history: History(early stop")
    assert repr(paper).startswith("Round(50.1 % of the weights (fc 50.0 %, output 75.0 %)")
    with pytest.raises(ValueError, match=r"This network has no 'conv' layer \(its layers' roles: \{'fc1': 'fc'"):
        remaining_weights(paper.ticket, "conv")
