"""Why tickets win (issue 14): supermask accuracy, the sign-preserving control, weight statistics and rewinding,
on tiny LeNet runs (60 iterations) on real MNIST, on the CPU."""
import csv
import dataclasses

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.nn.utils import prune

from lottery_utils.models import get_preset
from lottery_utils import (PRESETS, build_model, clone, experiments, plots, sign_preserving_reinit, supermask_accuracy,
                           train, weight_statistics, winning_ticket)
from lottery_utils.__main__ import main
from lottery_utils.config import NetworkConfig, TrainingSetup
from lottery_utils.results import ALL_CONTROLS, CONTROLS
from lottery_utils.experiments import Experiment, one_shot
from lottery_utils.lessons import bundle_runs
from lottery_utils.settings import Settings
from lottery_utils.store import Cache, Store
from lottery_utils.layers import masks, prunable_layers
from lottery_utils.pruning import random_prune, random_reinit
from lottery_utils.masking import load_state
from lottery_utils.lessons import find_result, initial_accuracies
from lottery_utils.results import KINDS

SETTINGS = Settings.from_environment()  # ../conftest.py: fast mode, the shared MNIST
SETUP = TrainingSetup.for_model("lenet", iterations=60, eval_every=30)
TINY = dict(setup=SETUP, settings=SETTINGS, progress=False)
K = 20  # the rewind iteration of the tiny runs: not on their evaluation grid (0, 30, 60)
AMOUNTS = get_preset("lenet").amounts(0.8)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return Store(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def results(cache):
    """One-shot 80 % with every control, reset to theta_0."""
    return one_shot("lenet", 0.8, controls=ALL_CONTROLS, store=cache, **TINY)


@pytest.fixture(scope="module")
def rewound(cache, results):
    """The same, reset to theta_K (same cache: the dense network is shared)."""
    return one_shot("lenet", 0.8, controls=ALL_CONTROLS, store=cache, rewind_iteration=K, **TINY)


@pytest.fixture
def trainings(monkeypatch):
    """Every network trained ends in Cache.save: record which."""
    calls, original = [], Cache.save

    def counting_save(cache, config, *args):
        calls.append(f"{config.kind} round {config.rounds}")
        return original(cache, config, *args)

    monkeypatch.setattr(Cache, "save", counting_save)
    return calls


def dense_run(data, iterations=60, **options):
    """The experiments' dense network trained by hand: theta_0 of seed 0, the setup's batch size and evaluation."""
    network = build_model("lenet", seed=0)
    history = train(network, data, SETUP.preset, iterations, seed=0, progress=False, **options)
    return network, history


def theta_k(data, k=K):
    """theta_k by hand: theta_0 trained for the dense run's first k iterations (its seed, batches and schedule)."""
    return dense_run(data, k)[0]


def equal_states(a: nn.Module | dict, b: nn.Module | dict) -> bool:
    a, b = (x.state_dict() if isinstance(x, nn.Module) else x for x in (a, b))
    return a.keys() == b.keys() and all(torch.equal(a[k].cpu(), b[k].cpu()) for k in a)


# --- supermask accuracy ------------------------------------------------------------------------------------------

def test_supermask_accuracy_read_from_the_results_equals_the_direct_computation(results, cache, training_mnist):
    dense, ticket = find_result(results, "dense"), find_result(results, "ticket")
    theta_0 = build_model("lenet", seed=0)
    rebuilt = winning_ticket(cache.network(dense), clone(theta_0), AMOUNTS)  # m * theta_0, as the experiment made it
    assert supermask_accuracy(rebuilt, training_mnist) == ticket.initial_test_accuracy
    assert supermask_accuracy(theta_0, training_mnist) == dense.initial_test_accuracy
    control = Experiment(SETUP, 0, cache, SETTINGS.data).control("random_prune", rebuilt, 1)
    assert supermask_accuracy(control, training_mnist) == find_result(results, "random_prune").initial_test_accuracy
    assert ticket.initial_test_accuracy != find_result(results, "random_prune").initial_test_accuracy
    # the curve's first point is the untrained network: what `evaluate` gives on the test set
    assert all(r.history.curve_iterations[0] == 0 for r in results)
    assert [(kind, spread.mean) for kind, _, spread in initial_accuracies(results)] == \
        [(r.kind, r.initial_test_accuracy) for r in results]
    assert [r.kind for r in results] == list(KINDS)
    assert equal_states(rebuilt, clone(rebuilt)) and rebuilt[1].weight.device.type == "cpu"  # left as it was


def test_the_tickets_mask_alone_beats_chance_and_a_random_mask_does_not(results):
    """Zhou et al. 2019: the ticket's mask on untrained theta_0 is far above chance (10 %); a random mask of the same
    per-layer size and the dense theta_0 are not."""
    initial = {r.kind: r.initial_test_accuracy for r in results}
    assert initial["ticket"] > 0.3
    assert initial["random_prune"] < 0.2 and initial["dense"] < 0.2
    assert initial["ticket"] > 2 * max(initial["random_prune"], initial["reinit"])


def test_initial_accuracy_of_a_result_without_a_curve_is_a_clear_error(results):
    empty = dataclasses.replace(find_result(results, "ticket"), history=type(results[0].history)())
    with pytest.raises(ValueError, match="no curve point at the start of its training"):
        empty.initial_test_accuracy


# --- the sign-preserving control ---------------------------------------------------------------------------------

def ticket_and_trained(seed=0, amount=0.7):  # every layer alike
    """theta_0, a 'trained' network (theta_0 plus noise), and the ticket winning_ticket cuts from it."""
    theta_0 = build_model("lenet", seed=seed)
    trained = clone(theta_0)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    ticket = winning_ticket(trained, clone(theta_0), {"fc": amount, "output": amount})
    return theta_0, trained, ticket


def test_sign_preserving_reinit_keeps_mask_and_signs_with_fresh_magnitudes():
    theta_0, _, ticket = ticket_and_trained()
    fresh = build_model("lenet", seed=99)
    fresh_weights = {name: layer.weight.detach().clone() for name, layer in prunable_layers(fresh).items()}
    control = sign_preserving_reinit(ticket, fresh)
    for (name, mask), control_mask in zip(masks(ticket).items(), masks(control).values()):
        assert torch.equal(mask, control_mask), name
        kept = mask.bool()
        start = prunable_layers(theta_0)[name].weight[kept]
        weight = prunable_layers(control)[name].weight
        assert torch.equal(torch.sign(weight[kept]), torch.sign(start))  # the signs of theta_0
        assert torch.equal(weight[kept].abs(), fresh_weights[name][kept].abs())  # the magnitudes of a fresh draw
        assert not torch.allclose(weight[kept].abs(), start.abs())
        assert torch.all(weight[~kept] == 0)
    plain = random_reinit(ticket, build_model("lenet", seed=99))  # same draw, its own signs
    agree = (torch.sign(plain[1].weight) == torch.sign(control[1].weight))[ticket[1].weight_mask.bool()]
    assert 0.3 < agree.float().mean() < 0.7


def test_sign_preserving_reinit_rejects_another_architecture():
    _, _, ticket = ticket_and_trained()
    with pytest.raises(ValueError, match="The networks have different layers: ticket alone has fc1.bias, fc1.weight"):
        sign_preserving_reinit(ticket, nn.Sequential(nn.Flatten(), nn.Linear(784, 10)))


def test_the_experiments_reinit_and_reinit_signs_share_magnitudes_and_differ_in_signs(results, cache):
    rebuilt = winning_ticket(cache.network(find_result(results, "dense")), build_model("lenet", seed=0), AMOUNTS)
    experiment = Experiment(SETUP, 0, cache, SETTINGS.data)
    reinit, signs = (experiment.control(kind, rebuilt, 1) for kind in ("reinit", "reinit_signs"))
    kept = rebuilt[1].weight_mask.bool()
    assert torch.equal(reinit[1].weight[kept].abs(), signs[1].weight[kept].abs())
    assert torch.equal(torch.sign(signs[1].weight[kept]), torch.sign(rebuilt[1].weight[kept]))
    assert find_result(results, "reinit_signs").history.val_loss != find_result(results, "reinit").history.val_loss
    with pytest.raises(ValueError, match="Unknown control 'shuffle'"):
        experiment.control("shuffle", rebuilt, 1)


# --- controls everywhere, the defaults unchanged -------------------------------------------------------------------

def test_reinit_signs_is_a_control_everywhere_and_the_defaults_stay_the_papers_two():
    assert CONTROLS == ("reinit", "random_prune") and ALL_CONTROLS == ("reinit", "reinit_signs", "random_prune")
    assert set(KINDS) == {"dense", "ticket", *ALL_CONTROLS}
    assert all(kind in plots.LABELS and kind in plots.COLORS and kind in plots.COLORMAPS for kind in KINDS)
    assert len({plots.COLORS[kind] for kind in KINDS}) == len(KINDS)
    assert all(run.controls in (CONTROLS, ()) for run in bundle_runs("lessons"))  # what the bundle holds
    assert experiments.validate_controls("reinit_signs, reinit") == ("reinit_signs", "reinit")
    with pytest.raises(ValueError, match=r"Unknown control\(s\) \['shuffle'\]: choose from reinit, reinit_signs, "
                                         r"random_prune"):
        experiments.validate_controls(("reinit", "shuffle"))


def test_the_controls_explorer_takes_the_sign_preserving_control(results, cache, trainings):
    from lottery_utils import widgets
    default = widgets.controls_explorer(rates=(0.8,), seeds=(0,), store=cache, settings=SETTINGS, setup=SETUP)
    assert {r.kind for r in default.results} == {"dense", "ticket", *CONTROLS}
    assert "signs kept" not in default.status.value
    explorer = widgets.controls_explorer(rates=(0.8,), seeds=(0,), store=cache, controls=ALL_CONTROLS,
                                         settings=SETTINGS, setup=SETUP)
    assert trainings == []  # all cached by the module's run
    signs = find_result(explorer.results, "reinit_signs")
    assert f"random reinit, signs kept {100 * signs.early_stop_test_accuracy:.2f} %" in explorer.status.value
    assert len(explorer.out.outputs) == 1 and plt.get_fignums() == []
    with pytest.raises(ValueError, match="Unknown control"):
        widgets.controls_explorer(rates=(0.8,), store=cache, controls=("signs",), settings=SETTINGS, setup=SETUP)


# --- rewinding ---------------------------------------------------------------------------------------------------

def test_rewind_zero_keeps_todays_keys_and_results(results, cache, trainings):
    for kind, rounds, amounts in (("dense", 0, {}), ("ticket", 2, AMOUNTS), ("reinit", 1, AMOUNTS),
                                ("random_prune", 3, AMOUNTS)):
        today = NetworkConfig.of(SETUP, kind, rounds, amounts, 2).as_dict()
        assert NetworkConfig.of(SETUP, kind, rounds, amounts, 2, rewind_iteration=0).as_dict() == today
        assert set(today) == {*dataclasses.asdict(SETUP), "kind", "schedule", "seed", "version"}  # no new setting
        rewound = NetworkConfig.of(SETUP, kind, rounds, amounts, 2, rewind_iteration=K).as_dict()
        assert rewound == (today if kind == "dense" else {**today, "rewind_iteration": K})
    again = one_shot("lenet", 0.8, controls=ALL_CONTROLS, store=cache, rewind_iteration=0, **TINY)
    assert trainings == [] and again == results  # the same networks, from the same cache entries


def test_rewind_zero_trains_what_the_plain_library_loop_trains(results, cache, training_mnist):
    """The k = 0 ticket and controls as the paper's plain algorithm and the original control formulas make them."""
    trained, _ = dense_run(training_mnist)
    ticket = winning_ticket(trained, build_model("lenet", seed=0), AMOUNTS)
    fresh_seed = 1_000 * (0 + 1) + 1
    for kind, network in (("ticket", ticket),
                          ("reinit", random_reinit(ticket, build_model("lenet", seed=fresh_seed))),
                          ("random_prune", random_prune(ticket, build_model("lenet", seed=0), fresh_seed))):
        history = train(network, training_mnist, SETUP.preset, seed=0, progress=False)
        assert history.val_loss == find_result(results, kind).history.val_loss, kind


def test_theta_k_is_the_dense_runs_weights_at_iteration_k(cache, training_mnist):
    theta_0, dense = build_model("lenet", seed=0), dense_run(training_mnist)[0]
    start = Experiment(SETUP, 0, cache, SETTINGS.data, progress=False, rewind_iteration=K).start()
    assert equal_states(start, theta_k(training_mnist))
    assert not equal_states(start, theta_0) and not equal_states(start, dense)
    assert not equal_states(start, Experiment(SETUP, 1, cache, SETTINGS.data, progress=False,
                                              rewind_iteration=K).start())  # seeded


def test_rewound_tickets_hold_theta_k_on_their_survivors_and_train_from_iteration_k(rewound, results, cache,
                                                                                     training_mnist):
    dense, start = dense_run(training_mnist)[0], theta_k(training_mnist)
    ticket = winning_ticket(dense, clone(start), AMOUNTS)
    for name, layer in prunable_layers(ticket).items():  # the survivors hold the dense network's weights at K
        assert torch.equal(layer.weight, prunable_layers(start)[name].weight * layer.weight_mask)
    result = find_result(rewound, "ticket")
    assert result.rewind_iteration == K and result.history.curve_iterations == [K, 30, 60]
    assert supermask_accuracy(ticket, training_mnist) == result.initial_test_accuracy  # its curve starts at m * theta_K
    train(ticket, training_mnist, SETUP.preset, seed=0, progress=False, start_iteration=K)
    assert equal_states(ticket, cache.network(result))  # the experiment trained exactly this network
    assert find_result(rewound, "dense") == find_result(results, "dense")  # one dense network for every k
    assert result.key != find_result(results, "ticket").key


def test_controls_under_rewinding_follow_open_lth(rewound, results, cache, training_mnist):
    """reinit: the mask on fresh weights; random_prune: a random mask on theta_K; both (and reinit_signs, whose signs
    are theta_K's) trained from iteration K."""
    dense, start = dense_run(training_mnist)[0], theta_k(training_mnist)
    ticket = winning_ticket(dense, clone(start), AMOUNTS)
    experiment = Experiment(SETUP, 0, cache, SETTINGS.data, progress=False, rewind_iteration=K)
    prune_control = experiment.control("random_prune", ticket, 1)
    start_cpu, ticket_cpu = clone(start).cpu(), clone(ticket).cpu()  # the controls' fresh networks are built on the CPU
    for name, layer in prunable_layers(prune_control).items():
        assert torch.equal(layer.weight, prunable_layers(start_cpu)[name].weight * layer.weight_mask)
    assert not torch.equal(prune_control[1].weight_mask, ticket_cpu[1].weight_mask)
    signs = experiment.control("reinit_signs", ticket, 1)
    kept = ticket_cpu[1].weight_mask.bool()
    assert torch.equal(torch.sign(signs[1].weight[kept]), torch.sign(start_cpu[1].weight[kept]))
    for kind in ALL_CONTROLS:  # the experiment trained exactly these networks, from iteration K
        result = find_result(rewound, kind)
        history = train(experiment.control(kind, ticket, 1), training_mnist, SETUP.preset, seed=0, progress=False,
                        start_iteration=K)
        assert history.curve_iterations == result.history.curve_iterations == [K, 30, 60] and result.rewind_iteration == K
        assert history.val_loss == result.history.val_loss, kind
        assert result.history.val_loss != find_result(results, kind).history.val_loss


def test_training_from_iteration_k_continues_the_dense_runs_batches_and_schedule(training_mnist):
    """With plain SGD (no optimizer state) and a warmup, theta_0 trained 30 iterations equals theta_k trained from k to
    30: the same mini-batches (k crosses an epoch of 11 batches) and the same learning rates."""
    preset = dataclasses.replace(PRESETS["lenet"], optimizer="sgd", lr=0.05, warmup_iterations=25)
    options = dict(batch_size=5_000, preset=preset, seed=3, progress=False)
    whole = build_model("lenet", seed=0)
    history = train(whole, training_mnist, iterations=30, **options)
    resumed = build_model("lenet", seed=0)
    # theta_14, as experiments make it: the first 14 iterations again
    train(resumed, training_mnist, iterations=14, **options)
    from_14 = clone(resumed)
    again = train(resumed, training_mnist, iterations=30, start_iteration=14, **options)
    assert equal_states(whole, resumed)
    assert again.curve_iterations[0] == 14 and again.curve_iterations[-1] == 30
    assert again.test_accuracy[-1] == history.test_accuracy[-1]
    # the same 16 steps with the schedule and batches of iterations 1-16
    train(from_14, training_mnist, iterations=16, **options)
    assert not equal_states(whole, from_14)


def test_rewinding_is_cached_resumable_and_reruns_train_nothing(results, tmp_path, trainings):
    cache = Store(tmp_path)
    first = experiments.iterative("lenet", 2, controls=("reinit_signs",), store=cache, rewind_iteration=K, **TINY)
    assert trainings == ["dense round 0", "ticket round 1", "ticket round 2", "reinit_signs round 1",
                         "reinit_signs round 2"]
    assert first[0].history.val_loss == find_result(results, "dense").history.val_loss  # the dense network from theta_0
    trainings.clear()
    assert experiments.iterative("lenet", 2, controls=("reinit_signs",), store=cache, rewind_iteration=K,
                                 **TINY) == first
    assert trainings == []
    Cache(tmp_path).path(NetworkConfig.of(SETUP, "reinit_signs", 2, get_preset("lenet").amounts(), 0, K)).unlink()  # interrupted
    again = experiments.iterative("lenet", 2, controls=("reinit_signs",), store=cache, rewind_iteration=K, **TINY)
    assert trainings == ["reinit_signs round 2"]
    assert [r.history.val_loss for r in again] == [r.history.val_loss for r in first]  # seeded: the same network


@pytest.mark.parametrize("rewind, message", [
    (-1, "rewind_iteration must be a whole number of iterations >= 0"),
    (2.5, "rewind_iteration must be a whole number of iterations >= 0"),
    (True, "rewind_iteration must be a whole number of iterations >= 0"),
    (60, r"rewind_iteration \(60\) must be less than the training length \(60 iterations\)"),
    (1_000, r"rewind_iteration \(1,000\) must be less than the training length"),
])
def test_bad_rewind_iterations_are_clear_errors_before_any_training(rewind, message, tmp_path, trainings):
    for call in (lambda: one_shot("lenet", 0.8, store=Store(tmp_path), rewind_iteration=rewind, **TINY),
                 lambda: experiments.sweep("lenet", (0.5,), store=Store(tmp_path), rewind_iteration=rewind, **TINY),
                 lambda: experiments.count_to_train("lenet", [(1, 0.5)], store=Store(tmp_path), rewind_iteration=rewind,
                                              settings=SETTINGS, setup=SETUP)):
        with pytest.raises(ValueError, match=message):
            call()
    assert trainings == [] and not any(tmp_path.iterdir())


# --- the command line --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--rewind", "-1"], "argument --rewind: rewind_iteration must be a whole number of iterations >= 0"),
    (["--rewind", "1.5"], "argument --rewind: rewind_iteration must be a whole number of iterations >= 0 (0: reset "
                             "to θ0), got '1.5'"),
    (["--rewind", "ten"], "argument --rewind: rewind_iteration must be a whole number of iterations >= 0"),
    (["--rewind", "60"], "argument --rewind: rewind_iteration (60) must be less than the training length (60 "),
    (["--rewind", "300", "--fast", "--iterations", "300"], "must be less than the training length (300 iterations)"),
    (["--controls", "reinit,signs"], "Unknown control(s) ['signs']: choose from reinit, reinit_signs, random_prune"),
])
def test_cli_rejects_bad_rewind_and_controls_before_training(args, message, tmp_path, capsys, trainings):
    with pytest.raises(SystemExit) as exit:
        main(["one-shot", "--iterations", "60", *args, "--cache", str(tmp_path / "cache"), "--out",
              str(tmp_path / "out")])
    assert exit.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith("python -m lottery_utils") and message in lines[-1]
    assert trainings == [] and not (tmp_path / "cache").exists() and not (tmp_path / "out").exists()


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_cli_rewind_zero_is_the_default_and_rewind_k_trains_rewound_tickets(tmp_path, capsys, trainings):
    common = ["--iterations", "60", "--controls", "reinit,reinit_signs,random_prune", "--cache", str(tmp_path / "c")]
    assert main(["one-shot", "--out", str(tmp_path / "plain"), *common]) == 0
    trained = len(trainings)
    assert trained == 5
    assert main(["one-shot", "--rewind", "0", "--out", str(tmp_path / "zero"), *common]) == 0
    assert len(trainings) == trained  # the same keys: nothing new
    assert (tmp_path / "zero" / "results.csv").read_text() == (tmp_path / "plain" / "results.csv").read_text()
    assert main(["one-shot", "--rewind", str(K), "--out", str(tmp_path / "k"), *common]) == 0
    assert trainings[trained:] == ["ticket round 1", "reinit round 1", "reinit_signs round 1", "random_prune round 1"]
    rows = read_csv(tmp_path / "k" / "results.csv")
    assert [(r["kind"], r["rewind_iteration"]) for r in rows] == [("dense", "0"), ("ticket", str(K)),
                                                                   ("reinit", str(K)), ("reinit_signs", str(K)),
                                                                   ("random_prune", str(K))]
    assert f"one-shot, tickets reset to iteration {K}" in capsys.readouterr().out


# --- weight statistics and the figures ---------------------------------------------------------------------------

def test_weight_statistics_split_kept_and_pruned_weights_layer_by_layer():
    theta_0, trained, ticket = ticket_and_trained(amount=0.5)
    assert not prune.is_pruned(trained)  # winning_ticket leaves the trained network as it was
    statistics = weight_statistics(theta_0, trained, ticket)
    assert list(statistics) == list(prunable_layers(ticket))
    for name, layer in statistics.items():
        mask = prunable_layers(ticket)[name].weight_mask.bool()
        start, end = prunable_layers(theta_0)[name].weight, prunable_layers(trained)[name].weight
        assert torch.equal(layer.initial_kept, start[mask].abs()) and torch.equal(layer.initial_pruned,
                                                                                  start[~mask].abs())
        assert torch.equal(layer.moved_kept, (end - start)[mask].abs())
        assert torch.equal(layer.moved_pruned, (end - start)[~mask].abs())
        same = torch.sign(end) == torch.sign(start)
        assert layer.same_sign_kept == pytest.approx(same[mask].float().mean().item())
        assert layer.same_sign_pruned == pytest.approx(same[~mask].float().mean().item())
    # the ticket's θ0 under its mask counts as θ0: the same numbers from the ticket as theta_0
    again = weight_statistics(ticket, trained, ticket)
    assert all(torch.equal(getattr(again[n], field), getattr(statistics[n], field)) for n in statistics
               for field in ("initial_kept", "initial_pruned", "moved_kept", "moved_pruned"))
    # a second round, trained through prune's hooks (so the weights pruned in the first round keep their values in
    # weight_orig): the trained ticket's own mask says which weights trained, and the others are in neither group
    second = clone(ticket)
    optimizer = torch.optim.SGD(second.parameters(), lr=0.1)
    images = torch.randn(8, 1, 28, 28)
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(second(images), torch.arange(8) % 10).backward()
        optimizer.step()
    assert (second[1].weight_orig[ticket[1].weight_mask == 0] != 0).any()  # nothing zeroed them
    next_ticket = winning_ticket(second, clone(ticket), {"fc": 0.5, "output": 0.5})
    later = weight_statistics(ticket, second, next_ticket)
    first_kept = int(ticket[1].weight_mask.sum())
    assert len(later["fc1"].initial_kept) + len(later["fc1"].initial_pruned) == first_kept
    assert len(later["fc1"].initial_kept) == int(next_ticket[1].weight_mask.sum())


def test_weight_statistics_refuses_a_ticket_that_is_not_cut_from_the_trained_network():
    theta_0, trained, ticket = ticket_and_trained(amount=0.5)
    with pytest.raises(ValueError, match="ticket has no mask.*pass what winning_ticket returned"):
        weight_statistics(theta_0, trained, clone(theta_0))
    other_ticket = ticket_and_trained(seed=1, amount=0.5)[2]  # another seed's mask
    second = clone(ticket)  # a trained ticket: its mask marks the weights that trained
    with pytest.raises(ValueError, match="ticket keeps weights in layer 'fc1' that the trained network's mask had "
                                         r"pruned.*steps\[r \+ 1\]\.ticket"):
        weight_statistics(ticket, second, other_ticket)
    with pytest.raises(ValueError, match="different layers: ticket alone has conv1"):
        weight_statistics(theta_0, trained, build_model("conv2", seed=0))


def test_on_mnist_after_short_training_the_kept_weights_are_those_that_started_large(results, cache):
    """60 iterations move LeNet's weights by about 0.01, a fraction of their initial spread (Glorot: 0.04 to 0.14), so
    the largest |theta_j| are mostly the largest |theta_0|. (Whether they also moved further, Frankle & Carbin 2019,
    Appendix F.5, Figure 19, is a question for full-length training.)"""
    ticket = cache.network(find_result(results, "ticket"))  # its mask (its values are trained: only the mask is used)
    dense = cache.network(find_result(results, "dense"))
    statistics = weight_statistics(build_model("lenet", seed=0), dense, ticket)
    for name, layer in statistics.items():
        assert len(layer.initial_kept) == int(masks(ticket)[name].sum())
        assert len(layer.initial_kept) + len(layer.initial_pruned) == prunable_layers(dense)[name].weight.numel()
        assert layer.initial_kept.mean() > 2 * layer.initial_pruned.mean(), name
        assert 0 < layer.moved_kept.mean() < layer.initial_kept.mean(), name


def test_weight_statistics_figure_has_a_row_per_layer_and_leaves_no_pyplot_state():
    theta_0, trained, ticket = ticket_and_trained(amount=0.8)
    statistics = weight_statistics(theta_0, trained, ticket)
    fig = plots.plot_weight_statistics(statistics, bins=20)
    assert isinstance(fig, Figure) and plt.get_fignums() == []
    assert len(fig.axes) == 2 * len(statistics)
    for ax, (name, layer) in zip(fig.axes[::2], statistics.items()):
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == [f"kept ({len(layer.initial_kept):,})", f"pruned ({len(layer.initial_pruned):,})"]
        assert len(ax.patches) == 2 * 20
    assert [ax.get_title() for ax in fig.axes[::2]] == ["layer fc1 (784 → 300)", "layer fc2 (300 → 100)", "layer fc3 (100 → 10)"]
    with pytest.raises(ValueError, match="No layers to draw"):
        plots.plot_weight_statistics({})


def test_rewinding_figure_draws_one_line_per_rewind_iteration(results, rewound):
    fig = plots.plot_rewinding(results + rewound[1:])
    ax = fig.axes[0]
    lines = {c.get_label(): c.lines[0] for c in ax.containers}
    assert list(lines) == ["k = 0 (θ0)", f"k = {K}"]
    for k, label in ((0, "k = 0 (θ0)"), (K, f"k = {K}")):
        ticket = next(r for r in results + rewound if r.kind == "ticket" and r.rewind_iteration == k)
        assert list(lines[label].get_ydata()) == [ticket.early_stop_test_accuracy]
    assert plt.get_fignums() == []
    with pytest.raises(ValueError, match="No 'ticket' results"):
        plots.plot_rewinding(results[:1])


def test_weight_statistics_refuses_weights_that_never_trained(mnist):
    """A round's ticket and its trained copy share one mask, on from the start: its pruned weights never trained, so
    'pruned weights moved 0 and kept their signs' would be an empty finding. It is refused with what to pass."""
    from lottery_utils import iterative_pruning, train
    steps = iterative_pruning(build_model("lenet", seed=0), lambda net, r: train(net, mnist, "lenet", 30, progress=False),
                              1, {"fc": 0.5, "output": 0.25})
    with pytest.raises(ValueError, match="ticket has the trained network's own mask.*none trained"):
        weight_statistics(steps[1].ticket, steps[1].trained, steps[1].ticket)
    moved = weight_statistics(steps[0].ticket, steps[0].trained, steps[1].ticket)
    assert all(s.moved_pruned.any() for s in moved.values())  # the dense network's pruned weights did train
