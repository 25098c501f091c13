"""The notebooks' widgets, headless: set a control's value as a student would, then check what the callback did.

ipywidgets works without a kernel (comm.DummyComm) and observers fire synchronously, so no browser is needed here
(RECIPES.md, layer 1). Networks train for 60 iterations into a temporary cache.
"""
import base64

import matplotlib
matplotlib.use("Agg")  # this process only: an MPLBACKEND variable would leak into the notebooks' kernels
import matplotlib.pyplot as plt
import pytest

from lottery_utils import experiments, plots, widgets
from lottery_utils.cache import Cache

SETUP = {"iterations": 60}
AMOUNTS = (0.2, 0.5, 0.8)


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
    cache = Cache(tmp_path_factory.mktemp("warm-cache"))
    experiments.sweep("lenet", AMOUNTS, controls=experiments.CONTROLS, progress=False, cache=cache, **SETUP)
    experiments.iterative("lenet", rounds=3, progress=False, cache=cache, **SETUP)
    return cache


@pytest.fixture
def trainings(monkeypatch):
    """Counts every network trained: each one ends in Cache.save."""
    calls = []
    original = Cache.save

    def counting_save(cache, config, *args):
        calls.append(f"{config['kind']} round {len(config['schedule'])}")
        return original(cache, config, *args)

    monkeypatch.setattr(Cache, "save", counting_save)
    return calls


def png(explorer) -> str:
    assert len(explorer.out.outputs) == 1  # replaced, never appended
    data = explorer.out.outputs[0]["data"]["image/png"]
    assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def ticket(records, round_=1):
    return next(r for r in records if r.kind == "ticket" and r.round == round_)


def test_one_shot_slider_answers_from_the_cache(warm_cache, trainings):
    explorer = widgets.one_shot_explorer(amounts=AMOUNTS, amount=0.8, cache=warm_cache, **SETUP)
    assert explorer.slider.value == 0.8 and explorer.draws == 1 and explorer.last_from_cache
    first_png, first_status = png(explorer), explorer.status.value
    assert set(explorer.computed) == set(AMOUNTS)  # every cached grid point is on the accuracy plot

    explorer.slider.value = 0.5
    assert trainings == []  # a cached move trains nothing
    assert explorer.last_from_cache
    assert explorer.draws == 2 and explorer.status.value != first_status and png(explorer) != first_png
    record = ticket(explorer.records)
    assert record == ticket(experiments.one_shot("lenet", 0.5, progress=False, cache=warm_cache, **SETUP))
    assert explorer.remaining.value == f"{100 * record.remaining:.1f} % of the weights remain"
    assert explorer.status.value.startswith(f"50 % pruned (output 25 %), {100 * record.remaining:.1f} % of all "
                                            f"weights remain, test accuracy at "
                                            "early stop:")
    assert f"winning ticket {100 * record.early_stop_test_accuracy:.2f} %" in explorer.status.value
    assert explorer.status.value.endswith("from the cache.")
    assert plt.get_fignums() == []  # nothing left open in pyplot

    # Back to a setting already shown: nothing is trained or drawn again, the same picture is shown at once.
    pictures = len(explorer.pictures)
    explorer.slider.value = 0.8
    assert trainings == [] and len(explorer.pictures) == pictures
    assert png(explorer) == first_png and explorer.status.value == first_status and explorer.draws == 3


def test_a_missing_amount_trains_with_its_progress_bar_inside_the_widget(tmp_path, trainings, monkeypatch, capsys):
    explorer = widgets.one_shot_explorer(amounts=(0.5, 0.8), amount=0.5, cache=Cache(tmp_path), **SETUP)
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
    monkeypatch.setenv("LOTTERY_FAST", "0")
    messages = []
    original = Cache.save
    explorer = widgets.one_shot_explorer(amounts=(0.2, 0.5), amount=0.2, seeds=(0,), cache=Cache(tmp_path), **SETUP)

    def watching_save(*args):  # the status line while the network trains, just before it is stored
        messages.append(explorer.status.value)
        return original(*args)

    monkeypatch.setattr(Cache, "save", watching_save)
    explorer.slider.value = 0.5
    assert len(messages) == 1 and f"1 network to train, {SETUP['iterations']:,} iterations each" in messages[0]
    assert "python -m lottery_utils precompute" in messages[0]


def test_controls_explorer_compares_ticket_reinit_and_random_pruning(warm_cache, trainings):
    explorer = widgets.controls_explorer(amounts=AMOUNTS, amount=0.2, cache=warm_cache, **SETUP)
    first_png = png(explorer)
    explorer.slider.value = 0.8
    assert trainings == [] and png(explorer) != first_png
    assert {r.kind for r in explorer.records} == {"dense", "ticket", "reinit", "random_prune"}
    remaining = {r.remaining for r in explorer.records if r.kind != "dense"}
    assert len(remaining) == 1  # the three networks share the sparsity
    for kind, label in (("ticket", "winning ticket"), ("reinit", "random reinit"),
                        ("random_prune", "random pruning")):
        record = next(r for r in explorer.records if r.kind == kind)
        assert f"{label} {100 * record.early_stop_test_accuracy:.2f} %" in explorer.status.value
    assert plt.get_fignums() == []


def test_iterative_explorer_rounds_rate_and_one_shot_comparison(warm_cache, trainings):
    explorer = widgets.iterative_explorer(rounds=3, rate=0.2, cache=warm_cache, **SETUP)
    assert trainings == [] and explorer.rounds.max == 3 and explorer.rounds.value == 3
    assert [r.round for r in explorer.records if r.kind == "ticket"] == [1, 2, 3]
    first_png = png(explorer)

    explorer.rounds.value = 2
    assert trainings == [] and explorer.last_from_cache
    assert [r.round for r in explorer.records if r.kind == "ticket"] == [1, 2]
    record = ticket(explorer.records, 2)
    assert explorer.remaining.value == f"{100 * record.remaining:.1f} % of the weights remain"
    assert explorer.status.value.startswith(f"2 rounds pruning 20 % of the survivors each: "
                                            f"{100 * record.remaining:.1f} % remain")
    assert png(explorer) != first_png

    explorer.compare.value = True  # one-shot tickets at the same sparsities: 20 % is cached, 36 % trains now
    assert trainings == ["ticket round 1"] and explorer.draws == 3
    assert [round(r.remaining, 2) for r in explorer.one_shot_records] == \
           [round(r.remaining, 2) for r in explorer.records if r.kind == "ticket"]

    draws = explorer.draws
    explorer.rate.value = 0.5  # 50 % a round reaches 0.8^3 of the fc weights in 1 round
    assert explorer.rounds.max == 1 and explorer.rounds.value == 1 and explorer.draws == draws + 1  # drawn once
    assert len(trainings) == 1  # round 1 at 50 % is the one-shot 50 % ticket, already in the warm cache
    assert explorer.status.value.startswith("1 round pruning 50 % of the survivors each")
    assert plt.get_fignums() == []


def test_round_arithmetic():
    assert widgets.max_rounds(0.2, 5) == 5
    assert widgets.max_rounds(0.5, 5) == 2  # 0.5^2 = 0.25 <= 0.8^5 = 0.33
    assert widgets.max_rounds(0.5, 14) == 5
    assert widgets.one_shot_amounts(0.2, 3) == list(experiments.SLIDER_AMOUNTS[:3])


def test_precompute_warms_what_the_widgets_show(tmp_path, monkeypatch, trainings):
    monkeypatch.setattr(widgets, "SLIDER_AMOUNTS", (0.5,))
    monkeypatch.setattr(widgets, "ONE_SHOT_GRID", (0.5, 0.8))  # with the slides' 80 %
    monkeypatch.setattr(widgets, "ITERATIVE_RATES", (0.5,))
    monkeypatch.setattr(widgets, "default_rounds", lambda: 2)
    cache = Cache(tmp_path)
    assert widgets.precompute("03", progress=False, cache=cache, **SETUP) == 7  # dense + 2 amounts x 3 kinds
    assert widgets.precompute("01_one_shot_mnist", progress=False, cache=cache, **SETUP) == 3  # all cached
    # 50 % a round reaches 0.8^2 of the fc weights in one round, and that ticket is the one-shot 50 % ticket
    assert widgets.precompute("02", progress=False, cache=cache, **SETUP) == 2
    trained = len(trainings)
    widgets.controls_explorer(amounts=(0.5,), cache=cache, **SETUP)
    widgets.iterative_explorer(rate=0.5, rates=(0.5,), rounds=2, compare_one_shot=True, cache=cache, **SETUP)
    assert len(trainings) == trained  # everything was ready
    with pytest.raises(ValueError, match="Unknown notebook"):
        widgets.precompute("04", cache=cache)


def test_precompute_05_warms_the_lesson_and_the_apps_signs_panel(tmp_path, monkeypatch, trainings):
    why = widgets.WhySettings(supermask_amounts=(0.5,), sign_amounts=(0.5,), rewind_amounts=(0.5,), rewinds=(0, 20))
    monkeypatch.setattr(widgets, "why_settings", lambda: why)
    monkeypatch.setattr(widgets, "SIGN_AMOUNTS", (0.5, 0.8))  # the app's grid is longer than the lesson's
    cache = Cache(tmp_path)
    # dense; at 50 %: ticket, random pruning, both reinits, the ticket rewound to 20; at 80 %: ticket, both reinits
    assert widgets.precompute("05", progress=False, cache=cache, **SETUP) == 9
    trained = len(trainings)
    experiments.sweep("lenet", why.supermask_amounts, controls=("random_prune",), progress=False, cache=cache, **SETUP)
    dense, ticket = experiments.one_shot("lenet", widgets.DEMO_AMOUNT, progress=False,
                                         cache=Cache(tmp_path, use_bundle=False), **SETUP)
    assert dense.network(cache) is not None and ticket.network(cache) is not None  # section 2's weights
    widgets.controls_explorer(amounts=widgets.SIGN_AMOUNTS, controls=("reinit", "reinit_signs"), cache=cache,
                              **SETUP)  # the app's panel, at every position
    for k in why.rewinds:
        experiments.sweep("lenet", why.rewind_amounts, controls=(), rewind_iteration=k, progress=False, cache=cache,
                          **SETUP)
    assert len(trainings) == trained  # everything was ready


def test_notebook_05_settings_are_the_bundled_ones_in_real_mode(monkeypatch):
    monkeypatch.setenv("LOTTERY_FAST", "0")
    assert widgets.why_settings() == (widgets.ONE_SHOT_GRID, widgets.SIGN_AMOUNTS, widgets.REWIND_AMOUNTS,
                                      widgets.REWINDS)
    monkeypatch.setenv("LOTTERY_FAST", "1")
    fast = widgets.why_settings()
    assert set(fast.sign_amounts) <= set(widgets.SIGN_AMOUNTS) and fast.rewinds[0] == 0
    assert max(fast.rewinds) < experiments.Setup.for_model("lenet").iterations  # k within fast mode's training


def test_several_seeds_show_their_mean_and_min_max(tmp_path, trainings):
    cache = Cache(tmp_path)
    explorer = widgets.controls_explorer(amounts=(0.5, 0.8), amount=0.8, seeds=(0, 1), cache=cache, **SETUP)
    records = explorer.records
    assert sorted({r.seed for r in records}) == [0, 1] and len(records) == 8
    tickets = [r.early_stop_test_accuracy for r in records if r.kind == "ticket"]
    mean = f"{100 * sum(tickets) / 2:.2f} [{100 * min(tickets):.2f}–{100 * max(tickets):.2f}] %"
    assert f"winning ticket {mean}" in explorer.status.value
    assert "mean [min–max] of 2 seeds" in explorer.status.value
    fig = plots.controls_panel(records, records)
    bars = fig.axes[0]
    assert [round(p.get_height(), 6) for p in bars.patches[:1]] == [round(100 * sum(tickets) / 2, 6)]
    assert bars.get_legend().get_title().get_text() == "mean, min-max over 2 seeds"
    curves = plots.plot_training_curves(records).axes[0]
    assert "mean of 2 seeds, band: min-max" in curves.get_title() and curves.collections  # the bands
    line = next(l for l in curves.lines if l.get_label().endswith("%") and "dense" not in l.get_label())
    both = [r.history.test_accuracy for r in records if r.kind == "ticket"]
    assert list(line.get_ydata()) == pytest.approx([(a + b) / 2 for a, b in zip(*both)])
