"""Bugs found reading the library afresh (issue 20), each pinned by a test that failed before its fix."""
import gzip
import threading
import warnings
from dataclasses import replace

import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from made_results import result_from_numbers
from lottery_utils.models import get_preset
from lottery_utils import PRESETS, build_model, clone, experiments, train
from lottery_utils.__main__ import main
from lottery_utils.amounts import layer_amounts
from lottery_utils.config import NetworkConfig, TrainingSetup
from lottery_utils.results import ALL_CONTROLS
from lottery_utils.lessons import ONE_SHOT_GRID
from lottery_utils.layers import masks
from lottery_utils.pruning import winning_ticket
from lottery_utils.summaries import summarize
from lottery_utils.settings import Settings
from lottery_utils.store import Bundle, Store, write_bundle

SETTINGS = Settings.from_environment()  # ../conftest.py: fast mode, the shared MNIST
SETUP = TrainingSetup.for_model("lenet", iterations=30, eval_every=15, fast=True)
TINY = dict(settings=SETTINGS, setup=SETUP, progress=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two rounds with every control: a network of each kind in one cache."""
    cache = Store(tmp_path_factory.mktemp("cache"))
    return cache, experiments.iterative("lenet", 2, controls=ALL_CONTROLS, store=cache, **TINY)


@pytest.mark.parametrize("kind, rounds", [("dense", 0), ("ticket", 1), ("ticket", 2), ("reinit", 1),
                                          ("reinit_signs", 2), ("random_prune", 2)])
def test_a_damaged_entry_of_any_kind_is_trained_again_with_a_warning(trained, kind, rounds, tmp_path):
    """Bug 1: `has` said yes to a truncated file that `load` refused, and the run ended in a TypeError."""
    cache, results = trained
    damaged = Store(tmp_path)
    for path in cache.root.rglob("*.pt"):  # a copy of the whole cache, so each case damages its own
        target = tmp_path / path.relative_to(cache.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    config = NetworkConfig.of(SETUP, kind, rounds, get_preset("lenet").amounts() if rounds else None)
    path = damaged.disk.path(config)
    path.write_bytes(path.read_bytes()[:300])  # cut short, as by a full disk or a killed writer
    assert not damaged.has(config)
    with pytest.warns(UserWarning, match="unreadable cache entry .* recomputing"):
        again = experiments.iterative("lenet", 2, controls=ALL_CONTROLS, store=damaged, **TINY)
    assert [(r.kind, r.round) for r in again] == [(r.kind, r.round) for r in results]
    assert damaged.has(config)  # repaired
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert experiments.iterative("lenet", 2, controls=ALL_CONTROLS, store=damaged, **TINY) == again


def test_the_command_line_survives_a_damaged_control_entry(tmp_path, capsys):
    arguments = ["one-shot", "--fast", "--iterations", "30", "--cache", str(tmp_path / "c"), "--out",
                 str(tmp_path / "out")]
    assert main(arguments) == 0
    [reinit] = (tmp_path / "c").rglob("reinit-*.pt")
    reinit.write_bytes(reinit.read_bytes()[:100])
    with pytest.warns(UserWarning, match="recomputing"):
        assert main(arguments) == 0
    assert "reinit" in capsys.readouterr().out


def test_summaries_group_the_seeds_of_one_network_not_networks_that_share_a_sparsity(trained, tmp_path):
    """Bug 2: tickets rewound to different k (or trained another way) at one sparsity were counted as seeds."""
    cache, _ = trained
    rows = summarize(r for k in (0, 10, 20)
                     for r in experiments.one_shot("lenet", 0.2, store=cache, rewind_iteration=k, **TINY))
    tickets = [row for row in rows if row.kind == "ticket"]
    assert [(row.rewind_iteration, row.n_seeds) for row in tickets] == [(0, 1), (10, 1), (20, 1)]
    longer = experiments.one_shot("lenet", 0.2, store=cache, settings=SETTINGS, progress=False,
                                  setup=TrainingSetup.for_model("lenet", iterations=45, eval_every=15, fast=True))
    two_seeds = experiments.one_shot("lenet", 0.2, seeds=(0, 1), store=cache, **TINY)
    rows = summarize(two_seeds + longer)
    assert sorted(row.n_seeds for row in rows if row.kind == "ticket") == [1, 2]  # 30 iterations x 2 seeds; 45 x 1


def test_the_status_line_names_only_the_layers_pruned_at_another_rate():
    """Bug 3: 83.2, 89.3 and 93.1 % were printed "(fc 83.2 %, output 41.6 %)": a float compared with !=."""
    from lottery_utils.widgets import _one_shot_status

    for amount in ONE_SHOT_GRID:
        ticket = result_from_numbers("ticket", 1, 1 - amount, 0.98, 3_000, 0.98, 0, "lenet", 50_000, 60.0)
        status = _one_shot_status(amount, [ticket], "from the bundled results")
        assert "(output " in status and "fc " not in status, status


def test_a_damaged_bundle_file_gives_the_same_clear_error_every_time(tmp_path):
    """Bug 4: the entries were set to {} before reading, so the second call quietly answered from a partial bundle."""
    write_bundle(tmp_path / "lenet-seed0.json.gz", [], {"model": "lenet", "seed": 0, "complete": True})
    (tmp_path / "lenet-seed1.json.gz").write_bytes(gzip.compress(b'{"metadata": {"format": 1}, "entr'))
    bundle = Bundle(tmp_path)
    for _ in range(3):
        with pytest.raises(ValueError, match="lenet-seed1.json.gz cannot be read .*git checkout"):
            bundle.seeds("lenet")
    with pytest.raises(ValueError, match="cannot be read"):
        Store(tmp_path / "cache", bundle).load(NetworkConfig.of(SETUP, "dense"))


class WithLock(nn.Module):
    """A network holding something copy.deepcopy cannot copy."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(4, 3)
        self.lock = threading.Lock()

    def forward(self, x):
        return self.layer(x)


def test_a_failed_clone_leaves_the_students_network_as_it_was():
    """Bug 5: clone deleted the pruned layers' weight before deepcopy, with no try/finally."""
    network = WithLock()
    prune.l1_unstructured(network.layer, "weight", 0.5)  # a pruned network whose deepcopy fails
    before = network.layer.weight.clone()
    with pytest.raises(TypeError):
        clone(network)
    assert torch.equal(network.layer.weight, before) and network(torch.ones(2, 4)).shape == (2, 3)


def test_a_pruning_mapping_keyed_by_anything_but_the_networks_roles_is_a_clear_error():
    """Bug 6: {"fc": 0.2} on a network whose Linear is named fc (torchvision's ResNet) was read as the layer's name
    and pruned nothing. Amounts are keyed by role only: that Linear is the output layer, and there is no fc layer."""
    network = nn.Sequential()
    network.add_module("conv", nn.Conv2d(1, 2, 3))
    network.add_module("flat", nn.Flatten())
    network.add_module("fc", nn.Linear(2 * 26 * 26, 10))
    with pytest.raises(ValueError, match=r"This network has no fc layer to prune \(its layers: \{'conv': 'conv', "
                                         r"'fc': 'output'\}\)"):
        layer_amounts(network, {"fc": 0.2})
    with pytest.raises(ValueError, match=r"Unknown key\(s\) in amount: \['fc2'\].*The keys are layer roles"):
        layer_amounts(build_model("lenet", seed=0), {"fc": 0.2, "fc2": 0.1})  # a layer's name
    with pytest.raises(ValueError, match=r"Unknown key\(s\) in amount: \['fc1', 'fc2'\]"):
        layer_amounts(build_model("lenet", seed=0), {"fc1": 0.2, "fc2": 0.1})
    typo = r"Unknown key\(s\) in amount: \['outptu'\] \('outptu': did you mean 'output'\?\)"
    with pytest.raises(ValueError, match=typo):
        layer_amounts(build_model("lenet", seed=0), {"fc": 0.2, "outptu": 0.1})  # the valid role is not "unknown"
    # a role left out is refused, not read as 0: the output layer would stay whole without a word
    with pytest.raises(ValueError, match=r"amount gives no amount for this network's output layer role: give every "
                                         r"role it has an amount, 0.0 to leave a role unpruned, as in "
                                         r"\{'fc': 0.2, 'output': 0.0\}"):
        layer_amounts(build_model("lenet", seed=0), {"fc": 0.2})
    assert layer_amounts(build_model("lenet", seed=0), {"fc": 0.2, "output": 0.0}) == {"fc1": 0.2, "fc2": 0.2,
                                                                                       "fc3": 0.0}


def test_train_is_told_how_to_train(mnist):
    """Bug 7: preset="lenet" was the default, so a conv net trained with LeNet's settings unless told otherwise. The
    preset is now an argument (no default, nothing hidden in the network), by name or as a Preset."""
    tiny = type(mnist)("tiny", *(t[:120] for t in (mnist.train_x, mnist.train_y, mnist.val_x, mnist.val_y,
                                                   mnist.test_x, mnist.test_y)))
    runs = {}
    for preset in ("conv2", PRESETS["conv2"], "lenet"):  # LeNet's shape, Conv-2's training (Adam 2e-4, not 1.2e-3)
        network = build_model("lenet", seed=0)
        train(network, tiny, preset, 3, 40, progress=False)
        runs[str(preset)[:20]] = network[1].weight.detach().clone()
    by_name, by_value, lenet = runs.values()
    assert torch.equal(by_name, by_value) and not torch.equal(by_name, lenet)
    with pytest.raises(TypeError, match="preset"):
        train(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), tiny, iterations=3, progress=False)
    with pytest.raises(TypeError, match="A preset is a name .* or a Preset"):
        train(build_model("lenet", seed=0), tiny, 3, progress=False)  # the iterations where the preset goes
    with pytest.raises(ValueError, match="Unknown model 'lenet5'"):
        train(build_model("lenet", seed=0), tiny, "lenet5", 3, progress=False)


def test_the_controls_refuse_a_network_that_is_already_pruned():
    """Found on the same read: random_prune pruned `amount` of what was left (keeping 20 % where the ticket keeps
    50 %) and sign_preserving_reinit wrote the signs under an old mask; a control starts from an unpruned network."""
    from lottery_utils import random_prune, random_reinit, sign_preserving_reinit

    ticket = winning_ticket(build_model("lenet", seed=1), build_model("lenet", seed=0), {"fc": 0.5, "output": 0.5})  # seed 1: "trained"
    pruned = winning_ticket(build_model("lenet", seed=2), build_model("lenet", seed=1), {"fc": 0.5, "output": 0.5})
    with pytest.raises(ValueError, match=r"already pruned: pass the ticket's unpruned starting weights \(a clone of"):
        random_prune(ticket, pruned, seed=0)
    for control in (lambda: random_reinit(ticket, pruned), lambda: sign_preserving_reinit(ticket, pruned)):
        with pytest.raises(ValueError, match=r"already pruned: pass an unpruned network \(build_model with a new seed"):
            control()
    kept = random_prune(ticket, build_model("lenet", seed=1), seed=0)
    assert [int(m.sum()) for m in masks(kept).values()] == [int(m.sum()) for m in masks(ticket).values()]


# The second newcomer's read: two mistakes that passed silently.

def test_an_amount_for_a_role_the_network_lacks_is_a_clear_error_not_a_network_left_unpruned():
    trained, copy = build_model("lenet", seed=1), build_model("lenet", seed=0)
    with pytest.raises(ValueError, match="no conv layer to prune"):
        winning_ticket(trained, copy, {"conv": 0.2})  # LeNet has no conv layer: this pruned nothing before
    assert all(mask is None for mask in masks(trained).values())
    assert layer_amounts(trained, {"conv": 0.0, "fc": 0.2, "output": 0.1}) == {"fc1": 0.2, "fc2": 0.2, "fc3": 0.1}  # 0: fine


def test_curves_that_would_be_thinned_silently_are_refused(mnist):
    with pytest.raises(ValueError, match="curve_every .150. must be a multiple of the preset's eval_every .100."):
        train(build_model("lenet", seed=0), mnist, "lenet", 300, curve_every=150, progress=False)
    history = train(build_model("lenet", seed=0), mnist, replace(PRESETS["lenet"], eval_every=50), 300,
                    curve_every=150, progress=False)
    assert history.curve_iterations == [0, 150, 300]
    history = train(build_model("lenet", seed=0), mnist, "lenet", 300, progress=False)  # by default about 50 a run
    assert history.curve_iterations == [0, 100, 200, 300]


def test_seeds_that_would_share_a_draw_with_the_controls_are_refused(tmp_path):
    """The controls draw fresh weights from seed 1,000 x (seed + 1) + round: an experiment's seed of 1,000 or more
    could be another seed's control."""
    for seeds in ((1_000,), (0, -1), (0.5,)):
        with pytest.raises(ValueError, match="seeds must be whole numbers from 0 to 999"):
            experiments.one_shot("lenet", seeds=seeds, store=Store(tmp_path), setup=SETUP, settings=SETTINGS,
                                 progress=False)
    assert not any(tmp_path.iterdir())  # refused before anything trained


# The third read of the code.

def test_building_a_network_names_its_seed_and_leaves_the_callers_random_stream_alone():
    """build_model(name) served as an empty container to load weights into; with seed=None it drew from the caller's
    generator, so loading a stored network moved the student's random stream. Every build names its seed now."""
    from lottery_utils.models import conv_net
    with pytest.raises(TypeError, match="seed"):
        build_model("lenet")
    state = torch.random.get_rng_state()
    first, second = build_model("lenet", seed=0), build_model("lenet", seed=0)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(first[1].weight, second[1].weight)
    with pytest.raises(ValueError, match="convs must be 2, 4 or 6"):
        conv_net(3)


def test_train_names_data_that_is_not_a_dataset(mnist):
    with pytest.raises(TypeError, match=r"data must be a Data, e.g. load_mnist\(folder\)"):
        train(build_model("lenet", seed=0), None, "lenet", 3, progress=False)


def test_a_control_built_from_the_tickets_own_seed_is_refused():
    """With theta_0 drawn from the ticket's own seed, random reinit and sign-preserving reinit would be the ticket."""
    from lottery_utils import random_reinit, sign_preserving_reinit
    ticket = winning_ticket(build_model("lenet", seed=1), build_model("lenet", seed=0), {"fc": 0.5, "output": 0.5})
    for control in (random_reinit, sign_preserving_reinit):
        with pytest.raises(ValueError, match="holds the ticket's own initial weights.*another seed"):
            control(ticket, build_model("lenet", seed=0))
        assert masks(control(ticket, build_model("lenet", seed=1)))["fc1"] is not None


def test_an_experiment_without_settings_is_refused_not_run_in_a_guessed_mode(tmp_path):
    """No hidden default: without settings an experiment would silently ignore LOTTERY_FAST and the data folder."""
    with pytest.raises(TypeError, match=r"Settings.from_environment\(\)"):
        experiments.one_shot("lenet", store=Store(tmp_path), setup=SETUP, settings=None, progress=False)
    with pytest.raises(TypeError, match="settings"):
        experiments.one_shot("lenet", store=Store(tmp_path), setup=SETUP, progress=False)  # a required keyword
    assert not any(tmp_path.iterdir())


def test_train_names_a_seed_that_is_not_a_whole_number(mnist):
    for seed in (None, "0", -1, 1.5):
        with pytest.raises(ValueError, match=r"seed, which orders the mini-batches, must be a whole number >= 0"):
            train(build_model("lenet", seed=0), mnist, "lenet", 3, seed=seed, progress=False)


def test_supermask_accuracy_names_a_network_built_for_other_data(mnist):
    from lottery_utils import supermask_accuracy
    with pytest.raises(ValueError, match=r"does not take MNIST's inputs.*Build the model for this data"):
        supermask_accuracy(build_model("conv2", seed=0), mnist)
    assert 0.0 <= supermask_accuracy(build_model("lenet", seed=0), mnist) <= 1.0


def test_conditions_take_two_histories_and_refuse_an_untrained_one():
    from lottery_utils.history import Conditions, History, conditions
    dense = History([0, 100], [2.3, 0.3], [0.1, 0.95], 100, 0.95)
    ticket = History([0, 100], [2.3, 0.2], [0.1, 0.96], 80, 0.96)
    assert conditions(ticket, dense) == Conditions(as_accurate=True, no_later=True)
    assert conditions(dense, ticket) == Conditions(as_accurate=False, no_later=False)
    with pytest.raises(ValueError, match="reference has no early stop: it was not trained"):
        conditions(ticket, History())
    from lottery_utils.pruning import Round
    network = build_model("lenet", seed=0)
    with pytest.raises(TypeError, match=r"\(a History\); reference is a Round. Pass its History: reference.history"):
        conditions(ticket, Round(network, network, dense))
    with pytest.raises(TypeError, match=r"conditions compares what `train` returned \(a History\); history is a "
                                        r"Sequential. Pass train's result"):
        conditions(network, dense)  # the trained network, not its History
    assert repr(History()) == "History(not trained)"
    assert repr(ticket) == "History(early stop at 80 with 96.00 % test accuracy, 2 curve points, 0.0 s)"


def test_a_preset_without_amounts_names_what_is_missing():
    with pytest.raises(ValueError, match="has no prune_amounts, so no pruning rate"):
        replace(PRESETS["lenet"], prune_amounts={}).amounts(0.5)


def test_an_uncalled_amounts_method_and_a_maskless_source_are_named():
    from lottery_utils import apply_masks
    network = build_model("lenet", seed=0)
    uncalled = r"amount is a function \(Preset.amounts\), not amounts: did you forget to call it"
    with pytest.raises(TypeError, match=uncalled):
        winning_ticket(build_model("lenet", seed=1), clone(network), PRESETS["lenet"].amounts)
    with pytest.raises(TypeError, match=uncalled):  # the amount is checked first: not "the same weights"
        winning_ticket(clone(network), clone(network), PRESETS["lenet"].amounts)
    with pytest.raises(ValueError, match="source has no mask to give: prune it first"):
        apply_masks(network, clone(network))


def test_a_pair_with_the_same_weights_is_refused_untrained_or_copied_after_training(mnist):
    """Forgetting to train, or cloning after training, would cut the mask from the wrong weights without a word."""
    theta_0 = build_model("lenet", seed=0)
    same = "hold the same weights, so neither was trained \\(or the copy was made after training\\)"
    with pytest.raises(ValueError, match=same):  # never trained
        winning_ticket(clone(theta_0), clone(theta_0), {"fc": 0.5, "output": 0.5})
    trained = clone(theta_0)
    train(trained, mnist, "lenet", 20, progress=False)
    with pytest.raises(ValueError, match=same):  # the copy made after training
        winning_ticket(trained, clone(trained), {"fc": 0.5, "output": 0.5})
    assert masks(trained)["fc1"] is None  # refused before anything was pruned
    assert masks(winning_ticket(trained, clone(theta_0), {"fc": 0.5, "output": 0.5}))["fc1"] is not None


def test_build_model_refuses_a_seed_that_is_not_a_whole_number_and_random_prune_an_unpruned_ticket():
    from lottery_utils import random_prune
    for seed in (1.7, "0", -1):
        with pytest.raises(ValueError, match="seed, which draws the weights, must be a whole number >= 0 or None"):
            build_model("lenet", seed)
    with pytest.raises(ValueError, match="The ticket has no mask, so there is no size to copy"):
        random_prune(build_model("lenet", seed=0), build_model("lenet", seed=0), seed=1)
    assert repr(PRESETS["resnet18"].amounts(0.8)) == "Amounts({'conv': 0.8, 'output': 0.0}, strategy='global')"


def test_a_network_whose_last_linear_layer_defined_does_not_run_last_is_refused_before_pruning():
    """A network that defines its head first: its hidden layer would be taken for the output layer, and each layer
    would be pruned at the other's amount, silently. torch.fx reads the forward order and the pruning refuses it where
    the roles' amounts differ; a network fx cannot trace is pruned by the defined order, with a warning. One amount
    for every role prunes every layer alike, so the order cannot matter and nothing is traced."""
    from lottery_utils.layers import layer_roles
    from lottery_utils.pruning import prune_smallest

    class HeadFirst(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(8, 2)
            self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU())

        def forward(self, x):
            return self.head(self.body(x))

    class Untraceable(HeadFirst):
        def forward(self, x):
            return self.head(self.body(x)) if x.sum() > 0 else self.head(self.body(-x))  # depends on the values

    assert layer_roles(HeadFirst()) == {"head": "fc", "body.0": "output"}  # the rule: the last one defined
    message = r"HeadFirst defines 'body.0' as its last Linear layer, but its forward pass calls 'head' last"
    for attempt in (lambda net: layer_amounts(net, {"fc": 0.2, "output": 0.1}),
                    lambda net: prune_smallest(net, PRESETS["lenet"].amounts())):
        network = HeadFirst()
        with pytest.raises(ValueError, match=message):
            attempt(network)
        assert masks(network) == {"head": None, "body.0": None}  # refused before anything was pruned
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every layer alike: not traced, so no warning either
        assert layer_amounts(Untraceable(), {"fc": 0.2, "output": 0.2}) == {"head": 0.2, "body.0": 0.2}
        assert masks(prune_smallest(HeadFirst(), {"fc": 0.2, "output": 0.2}))["head"] is not None
    with pytest.warns(UserWarning, match=r"torch.fx cannot trace Untraceable, so whether its last Linear layer defined, "
                                         r"'body.0', is its output layer is not checked"):
        assert layer_amounts(Untraceable(), {"fc": 0.2, "output": 0.1}) == {"head": 0.2, "body.0": 0.1}
    assert layer_amounts(build_model("lenet", seed=0), {"fc": 0.2, "output": 0.1})["fc3"] == 0.1  # checked, fine

    class Gate(nn.Module):  # fx cannot trace it; it holds no Linear layer
        def forward(self, x):
            return x if x.sum() > 0 else -x

    in_order = nn.Sequential(nn.Linear(4, 8), Gate(), nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Sequential calls its layers in the order defined: nothing is traced
        assert layer_amounts(in_order, {"fc": 0.2, "output": 0.1}) == {"0": 0.2, "2.0": 0.2, "2.1": 0.1}
