"""Experiments, their cache, the figures and the command line, on tiny runs (60 iterations) that take seconds."""
import csv
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
from matplotlib.figure import Figure

from made_results import result_from_numbers
from lottery_utils.models import get_preset
from lottery_utils import store as store_module
from lottery_utils import experiments, plots
from lottery_utils.__main__ import main
from lottery_utils.settings import Settings
from lottery_utils.store import CSV_COLUMNS, Cache, Store, csv_row, record_of
from lottery_utils.config import NetworkConfig, TrainingSetup
from lottery_utils.experiments import Experiment, iterative, one_shot
from lottery_utils.layers import masks, prunable_layers
from lottery_utils.lessons import find_result
from lottery_utils.results import KINDS

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = Settings.from_environment()  # tests/../conftest.py: fast mode, the shared MNIST, a fresh cache
SETUP = TrainingSetup.for_model("lenet", iterations=60, eval_every=30)
TINY = dict(setup=SETUP, settings=SETTINGS, progress=False)
LENET_WEIGHTS = {"fc1": 784 * 300, "fc2": 300 * 100, "fc3": 100 * 10}  # layer name -> weights
LENET_RATES = {"fc1": 0.2, "fc2": 0.2, "fc3": 0.1}  # the paper's: fc 20 %, output layer at half that
real_save = Cache.save


class Trainings:
    """Spies on Cache.save, where every trained network ends: notes each one ("ticket round 2") and can fail
    on the n-th, after its training and before it is stored."""

    def __init__(self):
        self.calls, self.fail_on = [], None

    def __call__(self, cache, config, record, state=None):
        self.calls.append(f"{config.kind} round {config.rounds}")
        if len(self.calls) == self.fail_on:
            raise RuntimeError("interrupted")  # like a student stopping the kernel mid-run
        return real_save(cache, config, record, state)


@pytest.fixture
def trainings(monkeypatch):
    counter = Trainings()
    monkeypatch.setattr(Cache, "save", lambda cache, *args: counter(cache, *args))  # a method: gets the cache
    return counter


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return Store(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def run(cache):
    """Three iterative rounds with both controls: 1 dense + 3 x (ticket, reinit, random_prune) networks."""
    return iterative("lenet", rounds=3, controls=("reinit", "random_prune"), store=cache, **TINY)


def test_trained_networks_rebuilds_one_seeds_dense_network_and_ticket_from_the_store(tmp_path, trainings):
    store = Store(tmp_path)
    dense, ticket = experiments.trained_networks("lenet", 0.5, store=store, **TINY)
    assert trainings.calls == ["dense round 0", "ticket round 1"]
    assert all(mask is None for mask in masks(dense).values())
    assert [round(float(m.float().mean()), 2) for m in masks(ticket).values()] == [0.5, 0.5, 0.75]  # output: half
    again_dense, again_ticket = experiments.trained_networks("lenet", 0.5, store=store, **TINY)
    assert len(trainings.calls) == 2  # read back, not trained again
    assert torch.equal(again_dense[1].weight, dense[1].weight) and torch.equal(again_ticket[1].weight, ticket[1].weight)


def without_seconds(results):
    return [{**record_of(r), "seconds": None} for r in results]


# --- the cache ---------------------------------------------------------------------------------------------------

def test_rerun_is_a_cache_hit(run, cache, trainings):
    again = iterative("lenet", rounds=3, controls=("reinit", "random_prune"), store=cache, **TINY)
    assert trainings.calls == []
    assert again == run


def test_interrupted_iterative_run_resumes_where_it_stopped(tmp_path, trainings):
    trainings.fail_on = 3
    with pytest.raises(RuntimeError, match="interrupted"):
        iterative("lenet", rounds=2, controls=("reinit",), store=Store(tmp_path), **TINY)
    assert trainings.calls == ["dense round 0", "ticket round 1", "ticket round 2"]  # the tickets, then controls
    trainings.calls.clear()
    trainings.fail_on = None
    results = iterative("lenet", rounds=2, controls=("reinit",), store=Store(tmp_path), **TINY)
    assert trainings.calls == ["ticket round 2", "reinit round 1", "reinit round 2"]  # only what was missing
    assert [(r.kind, r.round) for r in results] == [("dense", 0), ("ticket", 1), ("reinit", 1), ("ticket", 2),
                                                    ("reinit", 2)]


def test_corrupt_entry_is_recomputed_with_a_warning_and_temporary_files_are_ignored(tmp_path, trainings):
    experiment = Experiment(SETUP, 0, Store(tmp_path), SETTINGS.data, progress=False)
    path = experiment.store.disk.path(experiment.config("dense"))
    path.parent.mkdir(parents=True)
    (path.parent / f"{path.name}x1y2.tmp").write_bytes(b"half of a killed writer's entry")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a leftover temporary file is not an entry: no warning
        record = experiment.result("dense")
        assert experiment.result("dense") == record
    assert trainings.calls == ["dense round 0"]

    def older_layout():  # weights named as before format 2 (LeNet's layers by nn.Sequential index: 1, 3, 5)
        stored = torch.load(path, weights_only=True)
        index = {"fc1": "1", "fc2": "3", "fc3": "5"}
        stored["state"] = {index[name.split(".")[0]] + name[3:]: value for name, value in stored["state"].items()}
        torch.save(stored, path)

    damages = (lambda: path.write_bytes(path.read_bytes()[:200]), lambda: path.write_bytes(b"garbage"), older_layout)
    for damage in damages:
        damage()
        with pytest.warns(UserWarning, match="unreadable cache entry"):
            again = experiment.result("dense")
        assert without_seconds([again]) == without_seconds([record])  # same seed, same network
    assert trainings.calls == ["dense round 0"] * 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert experiment.result("dense") == again  # repaired
    assert len(trainings.calls) == 4


def test_interrupted_write_leaves_no_entry(tmp_path, monkeypatch):
    cache, config = Cache(tmp_path), NetworkConfig.of(SETUP, "dense")

    def dying_save(obj, f):
        f.write(b"the first bytes")
        raise KeyboardInterrupt

    monkeypatch.setattr(store_module.torch, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        cache.save(config, {"test_accuracy": 0.9})
    monkeypatch.undo()
    assert cache.load(config) is None
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


ENTRY = NetworkConfig.of(SETUP, "dense")


WRITER = """
import sys, torch
from lottery_utils import build_model
from lottery_utils.config import NetworkConfig, TrainingSetup
from lottery_utils.store import Cache
root, writer = sys.argv[1], int(sys.argv[2])
state = {name: torch.full_like(value, float(writer))  # a LeNet's 1 MB, so that writes take time and overlap
         for name, value in build_model("lenet", seed=0).state_dict().items()}
for _ in range(20):
    Cache(root).save(NetworkConfig.of(TrainingSetup.for_model("lenet", iterations=60, eval_every=30), "dense"), {"writer": writer},
                     state)
"""


def test_two_processes_writing_one_entry_leave_a_whole_entry(tmp_path):
    # separate processes (not fork: forking a process whose OpenMP threads are running can deadlock the child)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(w)],
                                env=dict(os.environ, OMP_NUM_THREADS="1")) for w in (1, 2)]
    cache = Cache(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a reader must never meet a half-written entry
        while any(w.poll() is None for w in writers):
            entry = cache.load(ENTRY)
            if entry is not None:  # record and weights come from the same writer
                assert all(torch.all(value == entry.record["writer"]) for value in entry.state.values())
            time.sleep(0.005)
        entry = cache.load(ENTRY)
    assert [w.wait() for w in writers] == [0, 0]
    assert entry.record["writer"] in (1, 2)
    assert all(torch.all(value == entry.record["writer"]) for value in entry.state.values())
    assert not list(tmp_path.rglob("*.tmp"))


# --- the results --------------------------------------------------------------------------------------------------

def test_results_follow_the_per_layer_amounts_round_by_round(run, cache):
    assert len(run) == 1 + 3 * 3
    assert (run[0].kind, run[0].round, run[0].remaining) == ("dense", 0, 1.0)
    kept = dict(LENET_WEIGHTS)
    for r in (1, 2, 3):
        # torch prunes round(rate * survivors) of each layer's survivors
        kept = {name: n - round(LENET_RATES[name] * n) for name, n in kept.items()}
        ticket, reinit, random_prune = [rec for rec in run if rec.round == r]
        assert (ticket.kind, reinit.kind, random_prune.kind) == ("ticket", "reinit", "random_prune")
        assert ticket.remaining == pytest.approx(sum(kept.values()) / sum(LENET_WEIGHTS.values()), abs=1e-12)
        assert reinit.remaining == random_prune.remaining == ticket.remaining
        assert reinit.history.val_loss != ticket.history.val_loss  # other weights, other training
        assert random_prune.history.val_loss != ticket.history.val_loss
        network = cache.network(ticket)
        assert {name: int(mask.sum()) for name, mask in masks(network).items()} == kept
    for rec in run:
        assert rec.history.curve_iterations == [0, 30, 60] and rec.iterations == 60
        assert rec.early_stop_iteration in rec.history.curve_iterations
        assert rec.final_test_accuracy > 0.6  # trained, not guessing (0.1)


def test_one_shot_and_first_iterative_round_share_cache_entries(run, cache, trainings):
    # one-shot 20 % is the paper's first round: fc 20 %, output 10 %
    results = one_shot("lenet", 0.2, controls=("reinit", "random_prune"), store=cache, **TINY)
    assert trainings.calls == []
    assert results == run[:4]
    one_shot("lenet", 0.5, store=cache, **TINY)
    assert trainings.calls == ["ticket round 1"]  # the dense network is shared too


@pytest.mark.parametrize("call, message", [
    (lambda c: one_shot("lenet5", store=c, settings=SETTINGS), "Unknown model 'lenet5'"),
    (lambda c: iterative("lenet", rounds=0, store=c, settings=SETTINGS), "rounds must be a whole number >= 1"),
    (lambda c: one_shot("lenet", rate=1.0, store=c, settings=SETTINGS), r"must be in \[0, 1\)"),
    (lambda c: iterative("lenet", rounds=2, controls=("shuffle",), store=c, settings=SETTINGS), "Unknown control"),
    (lambda c: one_shot("lenet", store=c, setup=TrainingSetup.for_model("lenet", iterations=0)),
     "iterations must be a whole number >= 1"),
    (lambda c: one_shot("lenet", store=c, setup=TrainingSetup.for_model("lenet", lr=-1.0)), "learning rate must be > 0"),
    (lambda c: one_shot("lenet", store=c, setup=TrainingSetup.for_model("conv2"), settings=SETTINGS),
     "The setup is for 'conv2'"),
])
def test_bad_arguments_are_clear_errors_before_any_training(call, message, tmp_path, trainings):
    with pytest.raises(ValueError, match=message):
        call(Store(tmp_path))
    assert trainings.calls == [] and not any(tmp_path.iterdir())


# --- the figures --------------------------------------------------------------------------------------------------

def line(ax, label):
    """The data line drawn with `label`: an errorbar's, or a plain line."""
    for container in ax.containers:
        if container.get_label() == label:
            return container.lines[0]
    return next(l for l in ax.lines if l.get_label() == label)


def test_accuracy_and_early_stop_plots_put_sparsity_on_an_inverted_log_axis(run):
    for plot, metric in ((plots.plot_accuracy_vs_remaining, "early_stop_test_accuracy"),
                         (plots.plot_early_stop_vs_remaining, "early_stop_iteration")):
        fig = plot(run)
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_xscale() == "log" and ax.xaxis_inverted()
        labels = [t.get_text() for t in ax.get_xticklabels()]
        # 100 % and the sparsest network are labelled; labels closer than MIN_TICK_RATIO are left out
        assert labels == ["100", "51.3"]
        ticks = ax.get_xticks()
        assert all(a / b >= plots.MIN_TICK_RATIO for a, b in zip(ticks, ticks[1:]))
        for kind in ("ticket", "reinit", "random_prune"):
            of_kind = [r for r in run if r.kind == kind]
            drawn = line(ax, plots.LABELS[kind])
            assert list(drawn.get_xdata()) == pytest.approx([100 * r.remaining for r in of_kind], abs=0.01)
            assert list(drawn.get_ydata()) == pytest.approx([getattr(r, metric) for r in of_kind])
        dense = line(ax, plots.LABELS["dense"])
        assert dense.get_linestyle() == "--" and list(dense.get_ydata()) == [getattr(run[0], metric)] * 2


def test_spread_over_seeds_is_drawn_from_min_to_max():
    def record(kind, remaining, accuracy, seed):
        return result_from_numbers(kind, int(remaining < 1), remaining, accuracy, 100, accuracy, seed, "lenet", 300, 1.0)

    results = [record("dense", 1.0, 0.97, 0), record("dense", 1.0, 0.98, 1),
               record("ticket", 0.5, 0.97, 0), record("ticket", 0.5, 0.99, 1)]
    ax = plots.plot_accuracy_vs_remaining(results).axes[0]
    assert list(line(ax, plots.LABELS["ticket"]).get_ydata()) == pytest.approx([0.98])
    bars = [c for c in ax.collections if len(c.get_segments()) == 1]
    (x0, low), (x1, high) = bars[0].get_segments()[0]
    assert (x0, low, high) == pytest.approx((50, 0.97, 0.99))


def test_panel_axes_can_be_fitted_to_every_round_so_they_stay_put_as_rounds_are_revealed(run):
    first_round = [r for r in run if r.round <= 1]
    early, late = (plots.pruning_panel(results, axes_for=run) for results in (first_round, run))
    for a, b in zip(early.axes[:2], late.axes[:2]):
        assert a.get_ylim() == b.get_ylim() and a.get_xlim() == b.get_xlim()
    assert plots.pruning_panel(first_round).axes[0].get_xlim() != early.axes[0].get_xlim()  # else: fitted to what is shown


def test_the_controls_panel_reveals_the_sparsities_down_to_the_selected_one_on_axes_that_stay_put(run):
    """As the one-shot panel: moving the slider right shows what lies beyond, so a prediction is not answered by the
    picture it is asked under; the axes fit the whole grid, and the titles name the experiment."""
    early, late = (plots.controls_panel([r for r in run if r.round in (0, k)], run, what="3 rounds") for k in (2, 3))
    for fig, shown in ((early, 2), (late, 3)):
        ticket = line(fig.axes[1], plots.LABELS["ticket"])
        assert len(ticket.get_xdata()) == shown  # rounds 1..k of 3
    for a, b in zip(early.axes[1:3], late.axes[1:3]):
        assert a.get_ylim() == b.get_ylim() and a.get_xlim() == b.get_xlim()
    assert early.axes[1].get_title().startswith("LeNet-300-100, 3 rounds:")
    assert early.axes[0].get_title().startswith("3 rounds: ")


def test_the_control_gaps_are_the_tickets_lead_over_each_control_by_sparsity(run):
    one_step = [r for r in run if r.round <= 1]
    fig = plots.plot_control_gaps(run, one_step)
    accuracy, speed = fig.axes[:2]
    by = {(r.kind, r.round): r for r in run}
    for kind in ("reinit", "random_prune"):
        rounds = line(accuracy, f"{plots.LABELS[kind]}, n rounds")
        assert list(rounds.get_xdata()) == pytest.approx([100 * by[("ticket", k)].remaining for k in (1, 2, 3)])
        assert list(rounds.get_ydata()) == pytest.approx(
            [100 * (by[("ticket", k)].early_stop_test_accuracy - by[(kind, k)].early_stop_test_accuracy)
             for k in (1, 2, 3)])
        slower = line(speed, f"{plots.LABELS[kind]}, one step")
        assert list(slower.get_ydata()) == pytest.approx(
            [by[(kind, 1)].early_stop_iteration / by[("ticket", 1)].early_stop_iteration])
        assert slower.get_linestyle() == "--" and rounds.get_linestyle() == "-"


def test_a_narrow_early_stop_axis_is_labelled_at_every_thousand():
    fig = plots.plot_early_stop_vs_remaining([result_from_numbers("dense", 0, 1.0, 0.97, 2_600, 0.97, 0, "lenet", 300, 1.0),
                                              result_from_numbers("ticket", 1, 0.5, 0.97, 9_000, 0.97, 0, "lenet", 300, 1.0)])
    ax = fig.axes[0]

    def ticks(low, high):
        ax.set_ylim(low, high)
        return [ax.yaxis.get_major_formatter()(t) for t in ax.get_yticks() if low <= t <= high]

    assert ticks(2_500, 11_000) == ["3,000", "4,000", "5,000", "6,000", "8,000", "10,000"]
    # over more than a factor of 10: 1, 2 and 5 times a power of ten
    assert ticks(1_000, 50_000) == ["1,000", "2,000", "5,000", "10,000", "20,000", "50,000"]


def test_accuracy_axis_can_follow_another_figure_and_initial_accuracy_is_drawn_against_chance(run):
    other = plots.plot_accuracy_vs_remaining(run[:4]).axes[0].get_ylim()
    assert plots.plot_accuracy_vs_remaining(run, ylim=other).axes[0].get_ylim() == other
    ax = plots.plot_initial_accuracy(run).axes[0]
    ticket = [r for r in run if r.kind == "ticket"]
    assert list(line(ax, "winning ticket's mask on θ0").get_ydata()) == pytest.approx(
        [r.history.test_accuracy[0] for r in ticket])
    assert list(line(ax, "chance (10 %)").get_ydata()) == [0.1, 0.1] and ax.get_ylim()[0] == 0
    with pytest.raises(ValueError, match="No pruned networks"):
        plots.plot_initial_accuracy(run[:1])


def test_training_curves_one_line_per_sparsity(run):
    ax = plots.plot_training_curves(run).axes[0]
    labels = [l.get_label() for l in ax.lines if not l.get_label().startswith("_")]
    assert labels == ["80.0 %", "64.1 %", "51.3 %", "100 % (dense)"]
    assert list(line(ax, "51.3 %").get_ydata()) == run[-3].history.test_accuracy
    few = plots.plot_training_curves(run, kind="reinit", max_lines=2).axes[0]
    assert [l.get_label() for l in few.lines if "%" in l.get_label()] == ["80.0 %", "51.3 %", "100 % (dense)"]
    with pytest.raises(ValueError, match="No 'ticket' results"):
        plots.plot_training_curves(run[:1])


def test_the_validation_loss_curves_mark_each_early_stop(run):
    ax = plots.plot_training_curves(run, metric="val_loss").axes[0]
    assert ax.get_ylabel() == "validation loss"
    assert list(line(ax, "51.3 %").get_ydata()) == run[-3].history.val_loss
    stops = sorted(line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == ":")
    assert stops == sorted(r.early_stop_iteration for r in run if r.kind in ("ticket", "dense"))  # one seed each
    with pytest.raises(ValueError, match="metric must be 'test_accuracy' or 'val_loss'"):
        plots.plot_training_curves(run, metric="loss")


def test_lottery_summary_has_three_filled_panels(run):
    fig = plots.plot_lottery_summary(run)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert all(len(ax.lines) >= 4 for ax in fig.axes)


def test_first_layer_mask_counts_surviving_weights_per_pixel():
    mask = torch.ones(300, 784)
    mask[:200, :28] = 0  # the top row of pixels loses 200 of its 300 weights
    fig = plots.plot_first_layer_mask(mask)
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (28, 28)
    assert (image[0] == 100).all() and (image[1:] == 300).all()
    assert len(fig.axes) == 2  # the image and its colorbar
    assert "97.6 %" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="square image"):
        plots.plot_first_layer_mask(torch.ones(300, 783))


def test_a_real_ticket_prunes_the_empty_border_of_mnist_harder(cache):
    """MNIST's border pixels are the same in every image, so their weights learn little and get pruned."""
    network = cache.network(find_result(one_shot("lenet", 0.9, store=cache, **TINY), "ticket"))
    image = torch.as_tensor(plots.plot_first_layer_mask(network).axes[0].images[0].get_array())
    assert torch.equal(image, masks(network)["fc1"].sum(0).reshape(28, 28))
    border = torch.ones(28, 28, dtype=torch.bool)
    border[3:25, 3:25] = False
    assert image[border].mean() < image[7:21, 7:21].mean()


# --- the command line ---------------------------------------------------------------------------------------------

def cli(*args, cache_dir):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "LOTTERY_CACHE": str(cache_dir)}
    env.pop("LOTTERY_FAST", None)  # --fast must be enough
    return subprocess.run([sys.executable, "-m", "lottery_utils", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_cli_one_shot_then_iterative_write_results_and_figures(tmp_path):
    common = ["--iterations", "60", "--seeds", "1", "--controls", "reinit,random_prune", "--fast"]
    done = cli("one-shot", "--rate", "0.2", "--out", str(tmp_path / "one"), *common, cache_dir=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    again = cli("one-shot", "--amount", "0.2", "--out", str(tmp_path / "again"), *common, cache_dir=tmp_path / "cache")
    assert again.returncode == 0, again.stderr  # --amount, the earlier spelling, is --rate, and says so
    assert "--amount 0.2 is read as --rate 0.2: the paper's pruning rate, the amount of the layers pruned fastest, " \
           "the others scaled with it (fc 20 %, output 10 %)." in again.stdout
    assert read_csv(tmp_path / "again" / "results.csv") == read_csv(tmp_path / "one" / "results.csv")
    done = cli("iterative", "--rounds", "2", "--out", str(tmp_path / "two"), *common, cache_dir=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    for folder, rows in (("one", 1 + 3), ("two", 1 + 2 * 3)):
        results = read_csv(tmp_path / folder / "results.csv")
        assert tuple(results[0]) == CSV_COLUMNS
        assert len(results) == rows
        for figure in ("accuracy_vs_remaining", "early_stop_vs_remaining", "training_curves", "first_layer_mask"):
            assert (tmp_path / folder / f"{figure}.png").stat().st_size > 1_000
    results = read_csv(tmp_path / "two" / "results.csv")
    assert [(r["kind"], r["round"]) for r in results][-3:] == [("ticket", "2"), ("reinit", "2"), ("random_prune", "2")]
    assert {r["iterations"] for r in results} == {"60"}
    # the summary, as the lessons print it: one line per kind and sparsity, accuracies in percent
    table = [l.split() for l in done.stdout.splitlines() if l.split() and l.split()[0] in KINDS]
    assert [(row[0], row[1]) for row in table] == [("dense", "100.0"), ("ticket", "80.0"), ("ticket", "64.1"),
                                                   ("reinit", "80.0"), ("reinit", "64.1"),
                                                   ("random_prune", "80.0"), ("random_prune", "64.1")]
    assert all(" % of the weights: test accuracy at early stop " in line for line in done.stdout.splitlines()
               if line.split() and line.split()[0] in KINDS)


@pytest.mark.parametrize("args, message", [
    (["one-shot", "--model", "lenet5"], "invalid choice: 'lenet5'"),
    (["one-shot", "--rate", "1.0"], "argument --rate: rate must be in [0, 1)"),
    (["one-shot", "--amount", "-0.1"], "argument --amount: rate must be in [0, 1)"),  # read as --rate
    (["one-shot", "--rate", "eighty"], "argument --rate: could not convert string to float"),
    (["iterative", "--rounds", "0"], "argument --rounds: rounds must be a whole number >= 1"),
    (["iterative", "--controls", "reinit,shuffle"], "argument --controls: Unknown control(s) ['shuffle']"),
    (["one-shot", "--seeds", "0"], "argument --seeds: seeds are a count (5: seeds 0-4)"),
    (["precompute", "--notebook", "04"], "invalid choice: '04'"),
    (["bundle", "--seeds", "zero"], "seeds are a count (5: seeds 0-4), a range (3-4) or a list"),
    (["bundle", "--seeds", "3-1"], "seeds are a count (5: seeds 0-4), a range (3-4) or a list"),
])
def test_cli_rejects_bad_arguments(args, message, capsys, trainings, tmp_path):
    with pytest.raises(SystemExit) as exit:  # what `python -m lottery_utils` exits with
        main([*args, "--cache", str(tmp_path / "cache")])
    assert exit.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith("python -m lottery_utils") and "error:" in lines[-1]  # argparse's usage, then one line
    assert message in lines[-1]
    assert trainings.calls == [] and not (tmp_path / "cache").exists()


def test_cli_without_the_dataset_names_the_folder_the_model_needs(tmp_path, capsys, monkeypatch, trainings):
    monkeypatch.setenv("LOTTERY_DATA", str(tmp_path / "empty"))  # offline: nothing there to load
    assert main(["one-shot", "--model", "conv2", "--fast", "--cache", str(tmp_path / "cache")]) == 1
    err = capsys.readouterr().err
    assert "LOTTERY_DATA" in err and "the folder that holds CIFAR-10" in err and trainings.calls == []


def test_cli_precompute_warms_the_widgets_settings(tmp_path, capsys, trainings):
    cache = tmp_path / "cache"
    assert main(["precompute", "--notebook", "01", "--iterations", "30", "--cache", str(cache)]) == 0
    expected = experiments.precompute("01", progress=False, store=Store(cache), settings=SETTINGS,  # cached by now
                                      setup=TrainingSetup.for_model("lenet", iterations=30, fast=True))
    assert len(trainings.calls) == expected and f"{expected} networks" in capsys.readouterr().out


def test_cli_rejects_an_output_folder_it_cannot_write(tmp_path, capsys, trainings):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(SystemExit) as exit:
        main(["one-shot", "--out", str(tmp_path / "a-file" / "results")])
    assert exit.value.code == 2
    assert "cannot write to the output folder" in capsys.readouterr().err
    assert trainings.calls == []


def test_workers_train_a_round_side_by_side_with_the_same_results(tmp_path):
    sequential = iterative("lenet", rounds=2, controls=("reinit",), store=Store(tmp_path / "one"), **TINY)
    parallel = iterative("lenet", rounds=2, controls=("reinit",), store=Store(tmp_path / "two"), workers=2, **TINY)
    assert [(r.kind, r.round, r.remaining) for r in parallel] == [(r.kind, r.round, r.remaining) for r in sequential]
    for a, b in zip(sequential, parallel):  # one thread per worker: the same training up to float rounding
        assert a.final_test_accuracy == pytest.approx(b.final_test_accuracy, abs=0.02)
    assert len(list((tmp_path / "two").rglob("*.pt"))) == len(parallel)  # every network stored once


# --- experiments are pruning.iterative_pruning, cached ------------------------------------------------------------

def test_cached_run_equals_the_plain_iterative_pruning_loop(run, cache, training_mnist):
    """The same three rounds with the library's plain loop: identical masks, identical trained weights."""
    from lottery_utils import build_model, iterative_pruning, train

    def plain_train(network, round):
        return train(network, training_mnist, SETUP.preset, seed=0, progress=False)

    theta_0 = build_model("lenet", seed=0)
    steps = iterative_pruning(theta_0, plain_train, 3, get_preset("lenet").amounts())
    for r, step in enumerate(steps[1:], 1):
        for name, layer in prunable_layers(step.ticket).items():  # tickets hold the dense network's theta_0 exactly
            assert torch.equal(layer.weight_orig * layer.weight_mask,
                               prunable_layers(theta_0)[name].weight * layer.weight_mask)
        cached = cache.network(find_result(run, "ticket", r))  # trained, from the cache
        assert {k: v.shape for k, v in step.trained.state_dict().items()} == \
            {k: v.shape for k, v in cached.state_dict().items()}
        assert all(torch.equal(v.cpu(), cached.state_dict()[k].cpu()) for k, v in step.trained.state_dict().items()), \
            f"round {r}"


def test_a_students_own_rounds_give_the_experiments_tables_through_from_rounds(run, training_mnist):
    """The plain loop's Rounds, named by from_rounds, go into the course's tables and plots with the numbers of the
    cached run. The Rounds themselves are refused with what to pass."""
    from lottery_utils import build_model, iterative_pruning, tables, train
    from lottery_utils.results import from_rounds
    from lottery_utils.summaries import summarize

    steps = iterative_pruning(build_model("lenet", seed=0), lambda network, r: train(
        network, training_mnist, SETUP.preset, seed=0, progress=False), 3, get_preset("lenet").amounts())
    mine = from_rounds(steps, model="lenet", seed=0, iterations=SETUP.iterations)
    theirs = [r for r in run if r.kind in ("dense", "ticket")]
    numbers = ("kind", "round", "remaining", "seed", "model", "iterations", "early_stop_iteration",
               "early_stop_test_accuracy", "final_test_accuracy")
    assert [[getattr(r, n) for n in numbers] for r in mine] == [[getattr(r, n) for n in numbers] for r in theirs]
    assert tables.describe(mine) == tables.describe(theirs)
    assert isinstance(plots.plot_lottery_summary(mine), Figure)
    for show in (plots.plot_lottery_summary, plots.plot_training_curves, tables.show, tables.describe, summarize):
        with pytest.raises(TypeError, match=r"iterative_pruning's Rounds.*pass from_rounds\(steps, model="):
            show(steps)
    with pytest.raises(TypeError, match="Expected Results .* got a History"):
        summarize([step.history for step in steps])
    with pytest.raises(TypeError, match=r"steps\[0\] is a History: pass the list iterative_pruning returned"):
        from_rounds([step.history for step in steps], model="lenet", seed=0, iterations=SETUP.iterations)


def test_an_old_cache_entry_is_read_as_a_result(tmp_path):
    """Entries keep the format every cache so far was written in: {"config", "record" with "curve", "state"}."""
    experiment = Experiment(SETUP, 0, Store(tmp_path), SETTINGS.data, progress=False)
    config = experiment.config("dense")
    stored = {"kind": "dense", "round": 0, "remaining": 1.0, "test_accuracy": 0.9, "early_stop_iteration": 30,
              "early_stop_test_accuracy": 0.91, "seed": 0, "model": "lenet", "iterations": 60, "seconds": 1.5,
              "curve": {"iteration": [0, 30, 60], "test_accuracy": [0.1, 0.91, 0.9], "val_loss": [2.3, 0.3, 0.4]}}
    Cache(tmp_path).save(config, stored, None)
    result = experiment.result("dense")
    assert (result.early_stop_iteration, result.early_stop_test_accuracy, result.final_test_accuracy) == (30, 0.91, 0.9)
    assert result.history.early_stop_iteration == 30 and record_of(result) == stored
    assert csv_row(result)["key"] == result.key and tuple(csv_row(result)) == CSV_COLUMNS


def test_the_control_gaps_show_each_seeds_own_gap_as_a_band():
    made = [result_from_numbers(kind, 1, 0.2, acc, stop, acc, seed, "lenet", 50_000, 60.0)
            for kind, seed, acc, stop in (("ticket", 0, 0.980, 3_000), ("reinit", 0, 0.970, 5_000),
                                          ("ticket", 1, 0.982, 3_000), ("reinit", 1, 0.980, 4_000))]
    made += [result_from_numbers("dense", 0, 1.0, 0.98, 4_000, 0.98, seed, "lenet", 50_000, 60.0) for seed in (0, 1)]
    accuracy = plots.plot_control_gaps(made, made, controls=("reinit",)).axes[0]
    assert line(accuracy, f"{plots.LABELS['reinit']}, n rounds").get_ydata()[0] == pytest.approx(0.6)  # the means
    bands = [c for c in accuracy.collections if len(c.get_paths()) and len(c.get_paths()[0].vertices)]
    lows, highs = zip(*((p.vertices[:, 1].min(), p.vertices[:, 1].max()) for c in bands for p in c.get_paths()))
    assert min(lows) == pytest.approx(0.2) and max(highs) == pytest.approx(1.0)  # seed 1's gap, seed 0's gap


def test_the_sparsity_axis_labels_the_sparsities_the_paper_cites():
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    shares = [100.0] + [100 * s for s in (0.8004, 0.6406, 0.5128, 0.4105, 0.3287, 0.2632, 0.2107, 0.1688, 0.1352,
                                          0.1083, 0.0868, 0.0695, 0.0557, 0.0447, 0.0358, 0.0287, 0.0231, 0.0186)]
    plots._sparsity_axis(ax, shares)  # the paper's 18 rounds: LeNet's share of weights after each
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["100", "51.3", "32.9", "21.1", "13.5", "7.0", "3.6", "1.9"]  # the paper's Figure 3 and 13.5 %
    ticks = ax.get_xticks()
    assert all(a / b >= plots.MIN_TICK_RATIO for a, b in zip(ticks, ticks[1:]))
    plt.close(fig)
