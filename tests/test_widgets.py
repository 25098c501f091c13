"""The notebooks' widgets, headless: set a control's value as a student would, then check what the callback did.

ipywidgets works without a kernel (comm.DummyComm) and observers fire synchronously, so no browser is needed here
(RECIPES.md, layer 1). Networks train for 60 iterations into a temporary cache.
"""
import base64

import matplotlib
matplotlib.use("Agg")  # this process only: an MPLBACKEND variable would leak into the notebooks' kernels
import matplotlib.pyplot as plt
import pytest

from dataclasses import replace

from lottery_utils.models import get_preset
from lottery_utils import experiments, lessons, plots, widgets
from lottery_utils.config import NetworkConfig, TrainingSetup
from lottery_utils.lessons import Run
from lottery_utils.settings import Settings
from lottery_utils.store import Cache, Store

SETTINGS = Settings.from_environment()  # ../conftest.py: fast mode, the shared MNIST
SETUP = {"settings": SETTINGS, "setup": TrainingSetup.for_model("lenet", iterations=60, fast=SETTINGS.fast)}
RATES = (0.2, 0.5, 0.8)


@pytest.fixture(autouse=True)
def png_formatter():
    # In a kernel the inline backend registers the PNG formatter for figures; plain pytest needs it done explicitly.
    from matplotlib_inline.backend_inline import set_matplotlib_formats
    set_matplotlib_formats("png")
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """A cache holding the one-shot grid with controls and three iterative rounds, trained once for the module."""
    cache = Store(tmp_path_factory.mktemp("warm-cache"))
    experiments.sweep("lenet", RATES, controls=lessons.CONTROLS, progress=False, store=cache, **SETUP)
    experiments.iterative("lenet", rounds=3, progress=False, store=cache, **SETUP)
    return cache


@pytest.fixture
def trainings(monkeypatch):
    """Counts every network trained: each one ends in Cache.save."""
    calls = []
    original = Cache.save

    def counting_save(cache, config, *args):
        calls.append(f"{config.kind} round {config.rounds}")
        return original(cache, config, *args)

    monkeypatch.setattr(Cache, "save", counting_save)
    return calls


def png(explorer) -> str:
    assert len(explorer.out.outputs) == 1  # replaced, never appended
    data = explorer.out.outputs[0]["data"]["image/png"]
    assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def ticket(results, round_=1):
    return next(r for r in results if r.kind == "ticket" and r.round == round_)


def test_one_shot_slider_answers_from_the_cache(warm_cache, trainings):
    explorer = widgets.one_shot_explorer(rates=RATES, rate=0.8, store=warm_cache, **SETUP)
    assert explorer.slider.value == 0.8 and explorer.draws == 1 and explorer.last_from_cache
    first_png, first_status = png(explorer), explorer.status.value
    assert set(explorer.computed) == set(RATES)  # every cached grid point is on the accuracy plot

    explorer.slider.value = 0.5
    assert trainings == []  # a cached move trains nothing
    assert explorer.last_from_cache
    assert explorer.draws == 2 and explorer.status.value != first_status and png(explorer) != first_png
    record = ticket(explorer.results)
    assert record == ticket(experiments.one_shot("lenet", 0.5, progress=False, store=warm_cache, **SETUP))
    assert explorer.remaining.value == f"{100 * record.remaining:.1f} % of the weights remain"
    assert explorer.status.value.startswith(f"50 % pruned (output 25 %), {100 * record.remaining:.1f} % of all "
                                            f"weights remain, test accuracy at "
                                            "early stop:")
    assert f"winning ticket {100 * record.early_stop_test_accuracy:.2f} %" in explorer.status.value
    assert explorer.status.value.endswith("trained earlier on this machine.")
    assert plt.get_fignums() == []  # nothing left open in pyplot

    # Back to a setting already shown: nothing is trained or drawn again, the same picture is shown at once.
    pictures = len(explorer.pictures)
    explorer.slider.value = 0.8
    assert trainings == [] and len(explorer.pictures) == pictures
    assert png(explorer) == first_png and explorer.status.value == first_status and explorer.draws == 3


def test_a_missing_amount_trains_with_its_progress_bar_inside_the_widget(tmp_path, trainings, monkeypatch, capsys):
    explorer = widgets.one_shot_explorer(rates=(0.5, 0.8), rate=0.5, store=Store(tmp_path), **SETUP)
    assert len(trainings) == 2 and not explorer.last_from_cache and explorer.trainings == 1  # dense and ticket
    assert "trained now" in explorer.status.value
    statuses, bars = [], []
    explorer.status.observe(lambda change: statuses.append(change["new"]), names="value")
    explorer.progress.observe(lambda change: bars.append(change["new"]), names="children")

    explorer.slider.value = 0.8
    assert len(trainings) == 3  # only the new ticket: the dense network comes from the cache
    assert statuses[0].startswith("Pruning 80 % is not in the cache yet: training 1 network now (fast mode")
    description = bars[0][0].children[0].value  # tqdm's notebook bar: HBox(HTML description, progress, HTML)
    assert description.replace("\u2007", " ").startswith("ticket round 1")  # the training's tqdm bar, inside the widget
    assert explorer.progress.children == ()  # and gone afterwards
    assert explorer.status.value.startswith("80 % pruned") and "trained now" in explorer.status.value
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # the bars live in the widget, not in the cell's output

    explorer.slider.value = 0.5  # back to a computed amount: at once
    assert len(trainings) == 3 and explorer.last_from_cache


def test_real_mode_says_it_trains_now_and_how_to_precompute(tmp_path, monkeypatch):
    messages = []
    original = Cache.save
    explorer = widgets.one_shot_explorer(rates=(0.2, 0.5), rate=0.2, seeds=(0,), store=Store(tmp_path),
                                         settings=replace(SETTINGS, fast=False),
                                         setup=TrainingSetup.for_model("lenet", iterations=60))

    def watching_save(*args):  # the status line while the network trains, just before it is stored
        messages.append(explorer.status.value)
        return original(*args)

    monkeypatch.setattr(Cache, "save", watching_save)
    explorer.slider.value = 0.5
    assert len(messages) == 1 and "1 network to train, 60 iterations each" in messages[0]
    assert "python -m lottery_utils precompute" in messages[0]


def test_controls_explorer_compares_ticket_reinit_and_random_pruning(warm_cache, trainings):
    explorer = widgets.controls_explorer(rates=RATES, rate=0.2, store=warm_cache, **SETUP)
    first_png = png(explorer)
    explorer.slider.value = 0.8
    assert trainings == [] and png(explorer) != first_png
    assert {r.kind for r in explorer.results} == {"dense", "ticket", "reinit", "random_prune"}
    remaining = {r.remaining for r in explorer.results if r.kind != "dense"}
    assert len(remaining) == 1  # the three networks share the sparsity
    for kind, label in (("ticket", "winning ticket"), ("reinit", "random reinit"),
                        ("random_prune", "random pruning")):
        record = next(r for r in explorer.results if r.kind == kind)
        assert f"{label} {100 * record.early_stop_test_accuracy:.2f} %" in explorer.status.value
    assert plt.get_fignums() == []


def test_iterative_explorer_rounds_rate_and_one_shot_comparison(warm_cache, trainings):
    explorer = widgets.iterative_explorer(rounds=3, rate=0.2, store=warm_cache, **SETUP)
    assert trainings == [] and explorer.rounds.max == 3 and explorer.rounds.value == 3
    assert [r.round for r in explorer.results if r.kind == "ticket"] == [1, 2, 3]
    first_png = png(explorer)

    explorer.rounds.value = 2
    assert trainings == [] and explorer.last_from_cache
    assert [r.round for r in explorer.results if r.kind == "ticket"] == [1, 2]
    record = ticket(explorer.results, 2)
    assert explorer.remaining.value == f"{100 * record.remaining:.1f} % of the weights remain"
    assert explorer.status.value.startswith(f"2 rounds pruning 20 % of the survivors each: "
                                            f"{100 * record.remaining:.1f} % remain")
    assert png(explorer) != first_png

    explorer.compare.value = True  # one-shot tickets at the same sparsities: 20 % is cached, 36 % trains now
    assert trainings == ["ticket round 1"] and explorer.draws == 3
    assert [round(r.remaining, 2) for r in explorer.one_shot_results] == \
           [round(r.remaining, 2) for r in explorer.results if r.kind == "ticket"]

    draws = explorer.draws
    explorer.rate.value = 0.5  # 50 % a round reaches 0.8^3 of the fc weights in 1 round
    assert explorer.rounds.max == 1 and explorer.rounds.value == 1 and explorer.draws == draws + 1  # drawn once
    assert len(trainings) == 1  # round 1 at 50 % is the one-shot 50 % ticket, already in the warm cache
    assert explorer.status.value.startswith("1 round pruning 50 % of the survivors each")
    assert plt.get_fignums() == []


def test_round_arithmetic():
    assert lessons.max_rounds(0.2, 5) == 5
    assert lessons.max_rounds(0.5, 5) == 2  # 0.5^2 = 0.25 <= 0.8^5 = 0.33
    assert lessons.max_rounds(0.5, 14) == 5
    assert list(lessons.slider_rates(0.2, 3)) == list(lessons.SLIDER_RATES[:3])


def distinct_networks(runs, seeds=(0,)) -> int:
    """How many networks `runs` hold (what they share counted once), counted from the runs themselves."""
    setup = SETUP["setup"]
    return len({NetworkConfig.of(setup, kind, r, get_preset("lenet").amounts(run.rate), seed, run.rewind_iteration).key
                for run in runs for seed in seeds
                for kind, r in experiments.Experiment(setup, seed, None, SETTINGS.data).networks(run.rounds,
                                                                                                  run.controls)})


def test_precompute_trains_every_network_notebook_01_shows_and_its_slider_then_trains_nothing(tmp_path, trainings):
    cache = Store(tmp_path)
    expected = distinct_networks(lessons.notebook_runs("01", SETTINGS.fast))
    assert expected == 1 + len(lessons.ONE_SHOT_GRID)  # the dense network, a ticket per slider position
    assert experiments.precompute("01", progress=False, store=cache, **SETUP) == expected == len(trainings)
    assert experiments.precompute("01_one_shot_mnist", progress=False, store=cache, **SETUP) == expected
    explorer = widgets.one_shot_explorer(store=cache, **SETUP)  # the lesson's own grid
    for amount in lessons.ONE_SHOT_GRID:
        explorer.slider.value = amount
    assert len(trainings) == expected and explorer.trainings == 0  # everything was ready
    with pytest.raises(ValueError, match="Unknown notebook"):
        experiments.precompute("04", store=cache, **SETUP)


def test_the_runs_of_every_notebook_cover_its_widgets_and_the_bundle_holds_them_in_real_mode():
    real = {n: lessons.notebook_runs(n, fast=False) for n in lessons.NOTEBOOKS}
    assert {run.rate for run in real["01"]} == set(lessons.ONE_SHOT_GRID)
    assert lessons.Run(lessons.PAPER_ROUNDS, None, lessons.CONTROLS) in real["03"]  # the paper's figure
    assert all(run.controls == lessons.CONTROLS for run in real["03"])
    assert set(real["01"]) | set(real["02"]) | set(real["03"]) == set(lessons.bundle_runs("lessons"))
    signs = [run for run in real["05"] if "reinit_signs" in run.controls]
    assert {run.rate for run in signs if run.rounds == 1} == set(lessons.SIGN_RATES)  # the app's signs panel
    assert Run(lessons.PAPER_ROUNDS, None, lessons.SIGN_CONTROLS) in signs  # and after the paper's 18 rounds
    assert set(lessons.bundle_runs("why")) <= set(real["05"])
    # what 05 shows of the 18 rounds: its tickets and plain reinit from the lessons' part, the signs from its own
    assert lessons.bundle_runs("signs") == [Run(lessons.PAPER_ROUNDS, None, ("reinit_signs",))]
    assert [run for run in real["05"] if run.needs_weights] == [Run(1, lessons.DEMO_RATE, needs_weights=True)]


def test_run_all_trains_each_network_once_and_keeps_the_weights_a_lesson_reads(tmp_path, trainings):
    cache = Store(tmp_path)
    experiments.run_all("lenet", [Run(1, 0.5, ("reinit", "reinit_signs")), Run(1, 0.5, rewind_iteration=20)], (0,),
                        False, cache, SETTINGS, SETUP["setup"])
    assert trainings == ["dense round 0", "ticket round 1", "reinit round 1", "reinit_signs round 1",
                         "ticket round 1"]  # the last one rewound to iteration 20
    experiments.run_all("lenet", [Run(1, 0.5, needs_weights=True)], (0,), False, cache, SETTINGS, SETUP["setup"])
    assert len(trainings) == 5  # stored with their weights already
    dense, ticket = experiments.one_shot("lenet", 0.5, progress=False, store=cache, **SETUP)
    assert cache.network(dense) is not None and cache.network(ticket) is not None


def test_notebook_05_grids_are_the_bundled_ones_in_real_mode():
    assert lessons.why_grids(fast=False) == lessons.WhyGrids(lessons.ONE_SHOT_GRID, lessons.SIGN_RATES,
                                                             lessons.REWIND_RATES, lessons.REWINDS)
    fast = lessons.why_grids(fast=True)
    assert set(fast.sign_rates) <= set(lessons.SIGN_RATES) and fast.rewinds[0] == 0
    assert max(fast.rewinds) < TrainingSetup.for_model("lenet", fast=True).iterations  # k within fast mode's training


def test_several_seeds_show_their_mean_and_min_max(tmp_path, trainings):
    cache = Store(tmp_path)
    explorer = widgets.controls_explorer(rates=(0.5, 0.8), rate=0.8, seeds=(0, 1), store=cache, **SETUP)
    results = explorer.results
    assert sorted({r.seed for r in results}) == [0, 1] and len(results) == 8
    tickets = [r.early_stop_test_accuracy for r in results if r.kind == "ticket"]
    mean = f"{100 * sum(tickets) / 2:.2f} [{100 * min(tickets):.2f}–{100 * max(tickets):.2f}] %"
    assert f"winning ticket {mean}" in explorer.status.value
    assert "mean [min–max] of 2 seeds" in explorer.status.value
    fig = plots.controls_panel(results, results)
    dots = fig.axes[0]
    ticket_dot = next(c for c in dots.containers if c.get_label() == plots.LABELS["ticket"])
    assert list(ticket_dot.lines[0].get_ydata()) == pytest.approx([100 * sum(tickets) / 2])
    assert not dots.patches  # dots with whiskers, no bars on the zoomed axis
    assert dots.get_legend() is None  # one legend under the figure, where it hides no whisker
    assert fig.legends[0].get_title().get_text() == "mean, min-max over 2 seeds"
    curves = plots.plot_training_curves(results).axes[0]
    assert "mean of 2 seeds, band: min-max" in curves.get_title() and curves.collections  # the bands
    line = next(l for l in curves.lines if l.get_label().endswith("%") and "dense" not in l.get_label())
    both = [r.history.test_accuracy for r in results if r.kind == "ticket"]
    assert list(line.get_ydata()) == pytest.approx([(a + b) / 2 for a, b in zip(*both)])
