"""The paper's figures from experiment results: accuracy and early stopping against sparsity, curves, masks.

Each function takes results (`results.Result`) and draws on `ax` if given, else on a new Figure, and returns the
Figure. The figures are not registered with pyplot, so nothing is shown twice: after `%matplotlib inline` (the
lessons' first cell), a notebook cell shows the Figure it returns, or `display(fig)` does. The `*_panel` functions
at the end are the widgets' pictures: results in, Figure out.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import matplotlib
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator, PercentFormatter
from torch import nn

from .lessons import LABELS, by_kind_and_remaining, find_result, initial_accuracies, is_printed_share
from .models import build_model
from .layers import masks, prunable_layers, unmasked_weight
from .analysis import WeightStatistics
from .results import KINDS, Result, as_results
from .summaries import summarize
from .store import StoredResult, first_layer_kept

# One color and name per kind in every figure; plot_rewinding shades the kind's colormap by rewind iteration.
COLORS = {"dense": "black", "ticket": "tab:blue", "reinit": "tab:orange", "reinit_signs": "tab:brown",
          "random_prune": "tab:green"}
COLORMAPS = {"dense": "Greys", "ticket": "Blues", "reinit": "Oranges", "reinit_signs": "YlOrBr",
             "random_prune": "Greens"}
AXIS_LABELS = {"early_stop_test_accuracy": "test accuracy at early stop",
               "final_test_accuracy": "test accuracy at the end", "early_stop_iteration": "early-stop iteration"}
FIGURE_3 = (0.513, 0.211, 0.07, 0.036, 0.019)  # the sparsities of the paper's Figure 3 (LeNet), drawn when present
PAPER_SPARSITIES = FIGURE_3 + (0.135, 0.029)  # and those its Section 2 cites (peak accuracy 13.5 %, reinit's 2.9 %)
CURVE_MARKERS = ("s", "^", "D", "v", "P", "X")  # the training curves' points, one shape per sparsity
MAX_TICKS = 10
MIN_TICK_RATIO = 1.3  # neighbouring labels on the sparsity axis: 100 and 80 overlap, 100 and 64 do not


def plot_accuracy_vs_remaining(results: Iterable[Result], metric: str = "early_stop_test_accuracy",
                               ax: Axes | None = None, ylim: tuple[float, float] | None = None) -> Figure:
    """The paper's LeNet figure: test accuracy of tickets and controls as fewer and fewer weights remain. `ylim`:
    the accuracy axis' range (fractions), e.g. another figure's `axes[0].get_ylim()`, to compare the two by eye."""
    if metric not in AXIS_LABELS:
        raise ValueError(f"Unknown metric {metric!r}: choose one of {', '.join(AXIS_LABELS)}.")
    return _plot_vs_remaining(list(results), metric, ax, ylim)


def plot_early_stop_vs_remaining(results: Iterable[Result], ax: Axes | None = None) -> Figure:
    """How fast each network learns: the iteration of minimum validation loss against sparsity."""
    return _plot_vs_remaining(list(results), "early_stop_iteration", ax)


def _plot_vs_remaining(results: list[Result], metric: str, ax: Axes | None,
                       ylim: tuple[float, float] | None = None) -> Figure:
    fig, ax = _figure(ax)
    rows = summarize(results)
    if not rows:
        raise ValueError("No results to plot: run experiments.one_shot or experiments.iterative first.")
    for kind in KINDS:
        group = [row for row in rows if row.kind == kind]
        if not group:
            continue
        spreads = [getattr(row, metric) for row in group]
        if kind == "dense":  # a reference level, not a point on the sparsity axis
            ax.axhline(spreads[0].mean, color=COLORS[kind], linestyle="--", label=LABELS[kind])
            if group[0].n_seeds > 1:
                ax.axhspan(spreads[0].min, spreads[0].max, color=COLORS[kind], alpha=0.1,
                           label=f"{LABELS[kind]}: min-max")
            continue
        x = [100 * row.remaining for row in group]
        y = np.array([s.mean for s in spreads])
        spread = None
        if any(row.n_seeds > 1 for row in group):  # the paper's error bars: min and max over the seeds
            spread = [y - [s.min for s in spreads], [s.max for s in spreads] - y]
        ax.errorbar(x, y, yerr=spread, color=COLORS[kind], label=LABELS[kind], marker="o", markersize=4,
                    capsize=3)
    _sparsity_axis(ax, [100 * row.remaining for row in rows])
    seeds = max(row.n_seeds for row in rows)
    ax.set(ylabel=AXIS_LABELS[metric], title=f"{_model_name(results)}: {AXIS_LABELS[metric]}")
    if metric == "early_stop_iteration":  # a log axis: a network 1.5 times slower is as far off at 3,000 as at 30,000
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(IterationLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        ax.yaxis.set_minor_locator(NullLocator())
    if ylim is not None:
        ax.set_ylim(ylim)
    _percent_axis(ax, metric)
    ax.grid(alpha=0.3)
    ax.legend(title=f"mean, min-max over {seeds} seeds" if seeds > 1 else None)
    return fig


class IterationLocator(LogLocator):
    """Log-axis ticks at 1, 2 and 5 x 10^n; on an axis spanning less than a factor of 10 also at 3, 4, 6 and 8 x 10^n,
    so that a panel of early-stop iterations between 2,500 and 11,000 reads 3,000, 4,000, ... and not only 5,000."""

    def tick_values(self, vmin, vmax):
        self.set_params(subs=(1, 2, 3, 4, 5, 6, 8) if max(vmin, vmax) < 10 * min(vmin, vmax) else (1, 2, 5))
        return super().tick_values(vmin, vmax)


def _sparsity_axis(ax: Axes, percents: Sequence[float]) -> None:
    """Log scale, 100 % on the left and the sparsest network on the right, ticked where networks exist: the densest
    and the sparsest, the sparsities the paper's text cites (PAPER_SPARSITIES) where they are drawn, then any other
    that stands far enough from its labelled neighbours to be read."""
    values = sorted(set(percents), reverse=True)
    step = max(MIN_TICK_RATIO, (values[0] / values[-1]) ** (1 / MAX_TICKS))
    cited = [v for share in PAPER_SPARSITIES for v in values if abs(v - 100 * share) < 0.05]
    ticks = {values[0], values[-1]}
    for value in cited + values:  # the cited ones first, in the order of PAPER_SPARSITIES
        if all(max(value, t) / min(value, t) >= step for t in ticks):
            ticks.add(value)
    ticks = sorted(ticks, reverse=True)
    ax.set_xscale("log")
    ax.set_xticks(ticks, labels=[_tick_label(v) for v in ticks])
    ax.xaxis.set_minor_locator(NullLocator())  # log minor ticks would label 20, 30, ... between ours
    ax.set_xlim(values[0] * 1.15, values[-1] / 1.15)  # left > right: sparsity grows to the right
    ax.set_xlabel("percent of weights remaining")


def _percent_axis(ax: Axes, metric: str) -> None:
    """Accuracies are stored as fractions and read as percent, as the status lines and tables print them."""
    if metric not in ("early_stop_iteration", "val_loss"):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, symbol=" %"))


def _tick_label(percent: float) -> str:
    """A share of weights remaining, already in percent, as the sparsity axis and the legends print it."""
    return "100" if percent > 99.95 else f"{percent:.1f}" if percent >= 0.95 else f"{percent:.2g}"


def plot_training_curves(results: Iterable[Result], kind: str = "ticket", ax: Axes | None = None,
                         max_lines: int = 6, metric: str = "test_accuracy") -> Figure:
    """Test accuracy (or the validation loss, `metric="val_loss"`) while training, one line per sparsity.

    Each line is the mean over seeds with a min-max band, its mean early stop marked, the dense network for reference.
    The sparsities: the paper's Figure 3 if the results hold them all, else `max_lines` spread over the range."""
    if metric not in ("test_accuracy", "val_loss"):
        raise ValueError(f"metric must be 'test_accuracy' or 'val_loss', got {metric!r}.")
    results = as_results(results)
    fig, ax = _figure(ax)
    if not any(r.kind == kind for r in results):
        present = sorted({r.kind for r in results})
        raise ValueError(f"No {kind!r} results to plot; the results hold {present or 'nothing'}.")
    groups = _by_sparsity(r for r in results if r.kind == kind)
    figure_3 = [group for group in groups if any(is_printed_share(group[0].remaining, s) for s in FIGURE_3)]
    if len(figure_3) == len(FIGURE_3):
        groups = figure_3
    elif len(groups) > max_lines:  # spread the lines over the whole range of sparsities
        groups = [groups[i] for i in sorted(set(np.linspace(0, len(groups) - 1, max_lines).round().astype(int)))]
    hues = matplotlib.colormaps["viridis"]  # one hue per sparsity, dark (dense) to light green (sparse)
    for i, group in enumerate(groups):
        color = hues(0.85 * i / max(1, len(groups) - 1))
        marker = CURVE_MARKERS[i % len(CURVE_MARKERS)]  # and one shape, for print and colour-blind readers
        _curve(ax, group, metric, color, f"{_tick_label(100 * group[0].remaining)} %", marker=marker)
    dense = _by_sparsity(r for r in results if r.kind == "dense") if kind != "dense" else []
    for group in dense:
        _curve(ax, group, metric, COLORS["dense"], "100 % (dense)", linestyle="--")
    seeds = max(len(group) for group in groups)
    ax.set(xlabel="training iteration", ylabel=metric.replace("val_loss", "validation loss").replace("_", " "),
           title=f"{_model_name(results)}: {LABELS[kind]}, " +
                 (f"mean of {seeds} seeds, band: min-max" if seeds > 1 else f"seed {groups[0][0].seed}"))
    # Zoom on where the networks differ: from the first evaluation after iteration 0 (at iteration 0 every network
    # guesses, about 10 %), from its worst accuracy up.
    stops = [np.mean([run.early_stop_iteration for run in group]) for group in groups + dense]
    iterations = groups[0][0].history.curve_iterations
    first = iterations[1] if len(iterations) > 2 else 0  # a curve of two points (start, end): from 0
    last = min(iterations[-1], 5_000 * math.ceil(3 * max(stops) / 5_000))
    ax.set_xlim(min(first, *stops), last)
    later = [a for group in groups + dense for run in group
             for i, a in zip(run.history.curve_iterations, getattr(run.history, metric)) if first <= i <= last]
    if later and metric == "test_accuracy":
        ax.set_ylim(max(0.0, min(later) - 0.002), min(1.0, max(later) + 0.002))
    elif later:
        ax.set_ylim(0.97 * min(later), 1.03 * max(later))
    if last < iterations[-1]:
        ax.set_xlabel(f"training iteration (the first {last:,} of {iterations[-1]:,})")
    _percent_axis(ax, metric)
    ax.grid(alpha=0.3)
    mark = "dot" if metric == "test_accuracy" else "dotted line"
    # beside the axes, not over the bands and the dense network's curve
    ax.legend(title=f"weights remaining\n({mark}: mean early stop)", loc="upper left", bbox_to_anchor=(1.01, 1),
              fontsize="small", title_fontsize="small")
    return fig


def _by_sparsity(results: Iterable[Result]) -> list[list[Result]]:
    """The results grouped by sparsity (densest first), each group one network per seed."""
    groups: dict[float, list[Result]] = {}
    for r in results:
        groups.setdefault(r.remaining_key, []).append(r)
    return [groups[key] for key in sorted(groups, reverse=True)]


def _curve(ax: Axes, group: list[Result], metric: str, color, label: str, linestyle: str = "-",
           marker: str | None = None) -> None:
    curves = np.array([getattr(run.history, metric) for run in group])
    iterations = group[0].history.curve_iterations
    ax.plot(iterations, curves.mean(0), color=color, label=label, linestyle=linestyle, marker=marker, markersize=4)
    if len(group) > 1:
        ax.fill_between(iterations, curves.min(0), curves.max(0), color=color, alpha=0.15, linewidth=0)
    stop = np.mean([run.early_stop_iteration for run in group])
    if metric == "test_accuracy":
        ax.plot(stop, np.mean([run.early_stop_test_accuracy for run in group]), "o", color=color, markersize=5)
    else:  # the validation loss at the early stop is not stored (it is read every 100 iterations, drawn every 1,000)
        ax.axvline(stop, color=color, linestyle=":", linewidth=1.5)
        ax.annotate(f"{stop:,.0f}", (stop, 0.98), xycoords=("data", "axes fraction"), color=color, fontsize=8,
                    ha="center", va="top", bbox=dict(facecolor="white", edgecolor=color, pad=1.5))  # which is which


def plot_first_layer_mask(source: nn.Module | torch.Tensor | StoredResult, ax: Axes | None = None) -> Figure:
    """LeNet's first-layer mask as an image: how many surviving weights each input pixel feeds.

    `source` is a network, its first layer's mask (300 x 784), or a stored network's result (a StoredResult keeps
    the count per pixel, also for bundled results)."""
    per_pixel, outputs = _first_layer_counts(source)
    side = math.isqrt(per_pixel.numel())
    if side * side != per_pixel.numel():
        raise ValueError(f"The first layer has {per_pixel.numel()} inputs, not a square image "
                         f"(LeNet's: 784 = 28 x 28).")
    fig, ax = _figure(ax, figsize=(5, 4.2))
    # Colors span the counts that occur (not 0..300), so a border pruned a little harder still shows; a pixel that
    # keeps none of its weights is white, whatever the scale.
    counts = np.ma.masked_equal(per_pixel.reshape(side, side).numpy(), 0)
    image = ax.imshow(counts, cmap=matplotlib.colormaps["viridis"].with_extremes(bad="white"))
    fig.colorbar(image, ax=ax, label=f"kept per pixel (of {outputs})")
    none = int((per_pixel == 0).sum())
    kept = (f"first layer keeps {100 * per_pixel.sum().item() / (outputs * per_pixel.numel()):.1f} %;\n"
            f"{none} of {per_pixel.numel()} pixels keep none (white)")
    ax.set_title(f"Seed {source.seed}: {kept}" if isinstance(source, StoredResult) else kept.capitalize())
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def _first_layer_counts(source: nn.Module | torch.Tensor | StoredResult) -> tuple[torch.Tensor, int]:
    """Surviving weights per input of the first layer (column sums of its mask), and the layer's outputs."""
    if not isinstance(source, (torch.Tensor, nn.Module, StoredResult)):
        raise TypeError(f"Pass a network, its first layer's mask or a stored result (store.StoredResult), got "
                        f"{type(source).__name__}.")
    if isinstance(source, torch.Tensor):
        mask = source.detach().cpu().float()
        if mask.dim() != 2:
            raise ValueError(f"Need a fully connected first layer (LeNet's is 300 x 784); got a mask of shape "
                             f"{tuple(mask.shape)}.")
        return mask.sum(0), mask.shape[0]  # column j of the mask holds the weights leaving input pixel j
    network = build_model(source.model, seed=0) if isinstance(source, StoredResult) else source
    kept = source.first_layer_kept if isinstance(source, StoredResult) else first_layer_kept(source)
    if kept is None:
        raise ValueError("Need a fully connected first layer (LeNet's is 300 x 784); this network's is a convolution.")
    return torch.tensor(kept, dtype=torch.float32), next(iter(prunable_layers(network).values())).out_features


def plot_lottery_summary(results: Iterable[Result], metric: str = "early_stop_test_accuracy") -> Figure:
    """Three panels: accuracy and early-stop iteration against sparsity, and the tickets' training curves."""
    results = list(results)
    fig = Figure(figsize=(18, 5), layout="constrained")
    accuracy, early_stop, curves = fig.subplots(1, 3)
    plot_accuracy_vs_remaining(results, metric, ax=accuracy)
    plot_early_stop_vs_remaining(results, ax=early_stop)
    has_tickets = any(r.kind == "ticket" for r in results)
    plot_training_curves(results, "ticket" if has_tickets else "dense", ax=curves)
    return fig


def _figure(ax: Axes | None, figsize: tuple[float, float] = (7, 4.5)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.get_figure(root=True), ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _model_name(results: list[Result]) -> str:
    models = sorted({r.model for r in results})
    return {"lenet": "LeNet-300-100"}.get(models[0], models[0]) if len(models) == 1 else ", ".join(models)


# --- the widgets' pictures: results in, Figure out ---------------------------------------------------------------

def panels(count: int, width: float = 5.2, height: float = 3.9) -> tuple[Figure, list[Axes]]:
    """A Figure outside pyplot with `count` axes side by side."""
    fig = Figure(figsize=(width * count, height), layout="constrained")
    return fig, list(fig.subplots(1, count, squeeze=False)[0])


def highlight(ax: Axes, remaining: float, label: str = "selected") -> None:
    """Mark one sparsity on an accuracy-vs-remaining plot."""
    ax.axvline(100 * remaining, color="tab:red", alpha=0.25, linewidth=5, zorder=0, label=label)
    title = ax.get_legend().get_title().get_text() if ax.get_legend() else ""
    ax.legend(fontsize="small", title=title or None)  # the legend redrawn with the new line, keeping its title


def one_shot_panel(selected: list[Result], grid: list[Result]) -> Figure:
    """Notebook 01's picture: accuracy and early-stop iteration vs weights remaining over the grid, revealed from
    the dense end down to the selected sparsity (marked), so that moving the slider right shows what lies beyond;
    and the selected ticket's first-layer mask."""
    fig, (accuracy, early_stop, mask) = panels(3)
    ticket = find_result(selected, "ticket")
    _revealed(accuracy, early_stop, grid, ticket.remaining)
    plot_first_layer_mask(ticket, ax=mask)
    return shared_legend(fig, [accuracy, early_stop])


def _revealed(accuracy: Axes, early_stop: Axes, grid: list[Result], down_to: float) -> None:
    """Accuracy and early-stop iteration against weights remaining, drawn from the dense end down to `down_to`
    (marked) on axes that fit the whole grid: they stay put as the slider moves, only the points are revealed."""
    shown = [r for r in grid if r.remaining >= down_to - 1e-9]
    plot_accuracy_vs_remaining(shown, ax=accuracy)
    plot_early_stop_vs_remaining(shown, ax=early_stop)
    for ax, metric in ((accuracy, "early_stop_test_accuracy"), (early_stop, "early_stop_iteration")):
        _whole_grid(ax, grid, metric)
        highlight(ax, down_to)


def _whole_grid(ax: Axes, grid: list[Result], metric: str, ticks_from: Sequence[Result] = (),
                kinds: Sequence[str] | None = None) -> None:
    """Axes that fit every network of `grid` (its sparsities, its values' min-max), whichever are drawn, or only the
    networks of `kinds`; the sparsity axis ticked at `ticks_from`'s sparsities if given (else the grid's)."""
    spreads = [getattr(row, metric) for row in summarize(grid) if kinds is None or row.kind in kinds]
    low, high = min(s.min for s in spreads), max(s.max for s in spreads)
    if ax.get_yscale() == "log":
        ax.set_ylim(low / 1.1, high * 1.1)
    else:
        room = 0.08 * (high - low or 1)
        ax.set_ylim(low - room, high + room)
    _sparsity_axis(ax, [100 * r.remaining for r in (ticks_from or grid)])


def _mark_below(ax: Axes, results: list[Result], metric: str) -> None:
    """Means that fall below the axis drawn as triangles on its bottom edge, with a note: on an axis zoomed to the
    differences that matter, nothing is silently cut off."""
    low = ax.get_ylim()[0]
    below = [row for row in summarize(results) if row.kind != "dense" and getattr(row, metric).mean < low]
    kinds = dict.fromkeys(row.kind for row in below)
    for kind in kinds:
        x = [100 * row.remaining for row in below if row.kind == kind]
        ax.plot(x, [low] * len(x), "v", color=COLORS[kind], markersize=7, clip_on=False, zorder=5)
    if kinds:
        ax.text(0.02, 0.03, f"▼ below the axis: {', '.join(LABELS[kind] for kind in kinds)}", transform=ax.transAxes,
                fontsize="small")


def controls_panel(selected: list[Result], grid: list[Result], what: str = "one step") -> Figure:
    """Notebook 03's picture: ticket, random reinit and random pruning at the selected sparsity as dots with their
    min-max whiskers against the dense network, and all three against weights remaining in accuracy and in early-stop
    iteration, revealed from the dense end down to the selected sparsity on axes that fit the whole grid (as
    `one_shot_panel`). `what`: which experiment, put in the titles."""
    fig, (dots, lines, early_stop) = panels(3)
    rows = {row.kind: row.early_stop_test_accuracy for row in summarize(selected)}  # one sparsity per kind
    kinds = [kind for kind in KINDS[1:] if kind in rows]
    values = np.array([100 * rows[k].mean for k in kinds])
    seeds = len({r.seed for r in selected})
    spread = [values - [100 * rows[k].min for k in kinds], [100 * rows[k].max for k in kinds] - values]
    for x, kind in enumerate(kinds):  # dots, not bars: on an axis zoomed to the gaps a bar's length means nothing
        dots.errorbar([x], [values[x]], yerr=[[spread[0][x]], [spread[1][x]]] if seeds > 1 else None, fmt="o",
                      color=COLORS[kind], capsize=4, markersize=7, label=LABELS[kind])
        dots.annotate(f"{values[x]:.2f}", (x, values[x]), xytext=(8, 0), textcoords="offset points", va="center",
                      fontsize="small")
    dots.set_xticks(range(len(kinds)), [LABELS[k].replace(" ", "\n", 1) for k in kinds], fontsize="small")
    dots.set_xlim(-0.5, len(kinds) - 0.3)
    dense = dots.axhline(100 * rows["dense"].mean, color=COLORS["dense"], linestyle="--", label=LABELS["dense"])
    # an axis on which the gaps are visible: the spread of the values, with some room
    low = min([*(100 * rows[k].min for k in kinds), 100 * rows["dense"].min])
    high = max([*(100 * rows[k].max for k in kinds), 100 * rows["dense"].max])
    room = 0.4 * max(high - low, 0.5)
    ticket = find_result(selected, "ticket")
    dots.set(ylim=(max(0.0, low - room), min(100.0, high + room)), ylabel="test accuracy at early stop",
             title=f"{what}: {100 * ticket.remaining:.1f} % of the weights remaining")
    dots.yaxis.set_major_formatter(PercentFormatter(100.0, symbol=" %"))
    dots.legend(handles=[dense], fontsize="small", loc="lower right",
                title=f"mean, min-max over {seeds} seeds" if seeds > 1 else None)
    _revealed(lines, early_stop, grid, ticket.remaining)
    _name_experiment([lines, early_stop], grid, what)
    return shared_legend(fig, [lines, early_stop, dots])  # under the figure: inside, it would hide a whisker


def _name_experiment(axes: Sequence[Axes], results: list[Result], what: str) -> None:
    """Put which experiment a panel shows (e.g. "18 rounds", "one step") after the model's name in its title."""
    name = _model_name(results)
    for ax in axes if what else ():
        ax.set_title(ax.get_title().replace(f"{name}: ", f"{name}, {what}:\n"))


def plot_control_gaps(rounds: list[Result], one_step: list[Result],
                      controls: Sequence[str] = ("reinit", "random_prune")) -> Figure:
    """The ticket's lead over each control against weights remaining, after n rounds of pruning (solid) and after one
    step (dashed): in test accuracy at early stop (percentage points, the means over the seeds, with a band from the
    smallest to the largest gap of one seed's ticket over the same seed's control) and in speed (how many times later
    than the ticket the control reaches its early-stopping iteration)."""
    fig, (accuracy, speed) = panels(2, width=6)
    shown = []
    for results, style, what in ((rounds, "-", "n rounds"), (one_step, "--", "one step")):
        rows = by_kind_and_remaining(summarize(results))
        by_seed = {(r.kind, r.remaining_key, r.seed): r.early_stop_test_accuracy for r in results}
        for kind in controls:
            shares = sorted((r for k, r in rows if k == kind and ("ticket", r) in rows), reverse=True)
            ticket, control = [rows[("ticket", r)] for r in shares], [rows[(kind, r)] for r in shares]
            x = [100 * rows[("ticket", r)].remaining for r in shares]
            shown += x
            accuracy.plot(x, [100 * (t.early_stop_test_accuracy.mean - c.early_stop_test_accuracy.mean)
                              for t, c in zip(ticket, control)], style, marker="o", markersize=4, color=COLORS[kind],
                          label=f"{LABELS[kind]}, {what}")
            gaps = [[100 * (by_seed[("ticket", key, seed)] - by_seed[(kind, key, seed)])
                     for (k, key, seed) in by_seed if k == kind and key == r
                     and ("ticket", key, seed) in by_seed] for r in shares]
            if all(len(g) > 1 for g in gaps):  # n rounds: a shaded band; one step: a hatched one, told apart
                if style == "-":
                    band = dict(color=COLORS[kind], alpha=0.15)
                else:
                    band = dict(facecolor="none", edgecolor=COLORS[kind], hatch="////", alpha=0.45)
                accuracy.fill_between(x, [min(g) for g in gaps], [max(g) for g in gaps], linewidth=0, **band)
            speed.plot(x, [c.early_stop_iteration.mean / t.early_stop_iteration.mean for t, c in zip(ticket, control)],
                       style, marker="o", markersize=4, color=COLORS[kind], label=f"{LABELS[kind]}, {what}")
    accuracy.axhline(0, color="black", linewidth=0.8)
    speed.axhline(1, color="black", linewidth=0.8)
    for ax in (accuracy, speed):
        _sparsity_axis(ax, shown)
        ax.grid(alpha=0.3)
    name = _model_name(rounds)
    accuracy.set(ylabel="ticket − control (points)",
                 title=f"{name}: the ticket's lead in accuracy at early stop\n(bands: the seeds' own gaps, min–max; "
                       f"hatched: one step)")
    speed.set(ylabel="control's early stop ÷ ticket's", title=f"{name}: how many times later the control stops")
    return shared_legend(fig, [accuracy, speed])


def shared_legend(fig: Figure, axes: Sequence[Axes], rename: dict[str, str] | None = None) -> Figure:
    """One legend for `axes` under the figure instead of one inside each, where it would hide points (`rename`:
    labels to show differently)."""
    entries = {}
    title = None
    for ax in axes:
        legend = ax.get_legend()
        if legend is not None:
            title = title or legend.get_title().get_text() or None
            legend.remove()
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault((rename or {}).get(label, label), handle)
    if entries:
        fig.legend(entries.values(), entries.keys(), loc="outside lower center", ncols=min(len(entries), 4),
                   title=title, fontsize="small")
    return fig


def pruning_panel(results: list[Result], one_shot_tickets: Sequence[Result] = (), current: Result | None = None,
                  accuracy_ylim: tuple[float, float] | None = None, what: str = "",
                  axes_for: Sequence[Result] = (), fit_accuracy_to: Sequence[str] | None = None) -> Figure:
    """Accuracy and early-stop iteration against weights remaining (notebooks 01-03), with the controls the results
    hold.

    `one_shot_tickets`: drawn beside, 3 % to the right; `current`: the round marked; `accuracy_ylim`: the accuracy
    axis' range, e.g. another figure's; `what`: the experiment's name, put before the titles ("18 rounds", "one
    step"); `axes_for`: results the axes are fitted to, so that they stay put while `results` grows;
    `fit_accuracy_to`: the kinds the accuracy axis zooms to, the others' means below it marked on its edge."""
    fig, (accuracy, early_stop) = panels(2, width=6)
    plot_accuracy_vs_remaining(results, ax=accuracy, ylim=accuracy_ylim)
    plot_early_stop_vs_remaining(results, ax=early_stop)
    if current is not None:
        for ax in (accuracy, early_stop):
            highlight(ax, current.remaining, f"round {current.round}")
    tickets = summarize(one_shot_tickets)  # the mean and min-max over seeds at each sparsity
    for ax, metric in ((accuracy, "early_stop_test_accuracy"), (early_stop, "early_stop_iteration")):
        if not tickets:
            continue
        spreads = [getattr(row, metric) for row in tickets]
        ax.errorbar([97 * row.remaining for row in tickets], [s.mean for s in spreads],  # 3 % to the right: bars apart
                    yerr=[[s.mean - s.min for s in spreads], [s.max - s.mean for s in spreads]], fmt="s--",
                    color="tab:purple", markersize=4, capsize=2, label="one-shot ticket")
    for ax, metric in ((accuracy, "early_stop_test_accuracy"), (early_stop, "early_stop_iteration")):
        if axes_for:
            _whole_grid(ax, list(axes_for) + list(one_shot_tickets), metric, ticks_from=axes_for,
                        kinds=fit_accuracy_to if ax is accuracy else None)
    if axes_for and fit_accuracy_to:
        _mark_below(accuracy, results, "early_stop_test_accuracy")
    _name_experiment([accuracy, early_stop], results, what)
    return shared_legend(fig, [accuracy, early_stop],
                         {LABELS["ticket"]: f"{LABELS['ticket']} (iterative)"} if tickets else {})


# --- notebook 00's picture: one-shot pruning weight by weight, on a network small enough to see --------------------

TICKET_STAGES = ("θ0 (initial)", "θj (trained)", "mask m (from |θj|)", "ticket m ⊙ θ0")


def plot_ticket_stages(theta_0: nn.Module, trained: nn.Module, ticket: nn.Module) -> Figure:
    """The winning-ticket algorithm weight by weight, for a small network (notebook 00's 2-16-2): θ0, θj, the mask m
    and the ticket m ⊙ θ0, one block of rows each, every value written in its cell.

    `trained`: θj (pruned or not); `ticket`: what `winning_ticket` returned. The first layer is drawn transposed so
    that its columns (hidden units) line up with the next layer's; a dead unit (its weights never moved) is hatched.
    Weights: blue (negative) to red (positive); the mask: green where kept; a pruned weight of the ticket: blank."""
    layers = [list(prunable_layers(network).values()) for network in (theta_0, trained, ticket)]
    shapes = [[tuple(layer.weight.shape) for layer in network] for network in layers]
    if shapes[0] != shapes[1] or shapes[0] != shapes[2]:
        raise ValueError(f"theta_0, trained and ticket must be the same architecture; their weight shapes are "
                         f"{shapes}.")
    if any(len(shape) != 2 for shape in shapes[0]):
        raise ValueError("plot_ticket_stages draws fully connected (Linear) layers only.")
    ticket_masks = list(masks(ticket).values())
    if any(mask is None for mask in ticket_masks):
        raise ValueError("The ticket has an unpruned layer: pass the copy that winning_ticket returned.")
    stages = dict(zip(TICKET_STAGES, ([layer.weight for layer in layers[0]],
                                      [unmasked_weight(layer) for layer in layers[1]],
                                      ticket_masks, [layer.weight for layer in layers[2]])))
    units = shapes[0][0][0]
    first_layers = [stages[TICKET_STAGES[0]][0].detach().cpu(), stages[TICKET_STAGES[1]][0].detach().cpu()]
    idle = {u for u in range(units) if torch.equal(first_layers[0][u], first_layers[1][u])}  # training left them
    rows = [(title, row, matrix) for title, matrices in stages.items() for row, matrix in enumerate(matrices)]
    heights = [(matrix.shape[1] if row == 0 else matrix.shape[0]) + 1.2 for _, row, matrix in rows]
    fig = Figure(figsize=(1.6 + 0.62 * units, 0.3 * sum(heights)), layout="constrained")
    axes = fig.subplots(len(rows), 1, gridspec_kw={"height_ratios": heights})
    for ax, (title, row, matrix) in zip(axes, rows):
        is_mask = title == TICKET_STAGES[2]
        scale = max(m.detach().abs().max().item() for m in stages[title])
        values = (matrix.T if row == 0 else matrix).detach().cpu().numpy()
        if is_mask:
            ax.imshow(values, cmap="Greens", vmin=0, vmax=1.6, aspect="auto")
        else:
            values = np.where(values == 0, np.nan, values)  # a pruned weight is left blank
            ax.imshow(values, cmap="coolwarm", vmin=-scale, vmax=scale, aspect="auto")
        for (i, j), value in np.ndenumerate(values):
            if not np.isnan(value):
                ax.text(j, i, f"{value:.0f}" if is_mask else f"{value:.2f}", ha="center", va="center", fontsize=8)
        outputs, inputs = shapes[0][row]
        ax.set_yticks([])
        ax.set_ylabel(f"layer 1\n({inputs} in)" if row == 0 else f"layer {row + 1}\n({outputs} out)", fontsize=8)
        ax.set_xticks(range(units), [str(u) for u in range(units)] if row == len(stages[title]) - 1 else [],
                      fontsize=7)
        for u, label in enumerate(ax.get_xticklabels()):
            if u in idle:
                label.set_color("tab:gray")
        for u in idle:  # hatched in every stage, so that a projector shows it too
            ax.axvspan(u - 0.5, u + 0.5, facecolor="none", edgecolor="dimgray", hatch="///", linewidth=0)
        if row == 0:
            ax.set_title(title, loc="left", fontsize=10)
    axes[-1].set_xlabel("hidden unit" + (" (hatched, grey number: incoming weights left unchanged by training)"
                                         if idle else ""))
    return fig


# --- why tickets win: the weights the mask keeps and those it prunes ------------------------------------------------

WEIGHT_COLORS = {"kept": "tab:blue", "pruned": "tab:gray"}


def plot_weight_statistics(statistics: dict[str, WeightStatistics], bins: int = 50) -> Figure:
    """Histograms of the weights a mask keeps and those it prunes, one row per layer: where they started (|θ0|,
    left) and how far training moved them (|θj - θ0|, right); from `analysis.weight_statistics`. Each
    histogram is a density, so kept and pruned compare in shape however many of each there are; the x axis stops at
    the 99.9th percentile of the layer's values."""
    if not statistics:
        raise ValueError("No layers to draw: pass analysis.weight_statistics(theta_0, trained, ticket).")
    fig = Figure(figsize=(10, 2.6 * len(statistics)), layout="constrained")
    axes = fig.subplots(len(statistics), 2, squeeze=False)
    for row, (name, layer) in enumerate(statistics.items()):
        for ax, what, kept, pruned in ((axes[row, 0], "|θ0| (initial magnitude)", layer.initial_kept,
                                        layer.initial_pruned),
                                       (axes[row, 1], "|θj − θ0| (how far training moved it)", layer.moved_kept,
                                        layer.moved_pruned)):
            both = torch.cat([kept, pruned]).numpy()  # up to the 99.9th percentile: a few outliers squeeze the rest
            edges = np.histogram_bin_edges(both, bins=bins, range=(both.min(), np.quantile(both, 0.999)))
            for label, values in (("kept", kept), ("pruned", pruned)):
                if len(values):
                    ax.hist(values.numpy(), bins=edges, density=True, alpha=0.55, color=WEIGHT_COLORS[label],
                            label=f"{label} ({len(values):,})")
            ax.set(xlabel=what, ylabel="density", title=f"layer {name} ({layer.shape[1]:,} → {layer.shape[0]:,})")
            ax.legend(fontsize="small")
    return fig


def plot_initial_accuracy(results: Iterable[Result], ax: Axes | None = None) -> Figure:
    """Supermasks (Zhou et al. 2019): test accuracy before any training, the first point of every curve, against
    weights remaining: the ticket's mask on θ0 and a random mask on θ0, with the dense θ0 and chance
    for reference; the mean over seeds, min-max bars where there are several."""
    results = list(results)
    found = initial_accuracies(results)
    if not any(kind != "dense" for kind, _, _ in found):
        raise ValueError("No pruned networks to plot: pass a sweep's results, e.g. experiments.sweep(..., "
                         "controls=('random_prune',)).")
    fig, ax = _figure(ax)
    seeds = max(spread.n for _, _, spread in found)
    for kind in KINDS:
        points = [(remaining, spread) for k, remaining, spread in found if k == kind]
        if not points:
            continue
        if kind == "dense":
            spread = points[0][1]
            ax.axhline(spread.mean, color=COLORS[kind], linestyle="--", label="dense θ0 (unpruned, untrained)")
            if seeds > 1:
                ax.axhspan(spread.min, spread.max, color=COLORS[kind], alpha=0.1, label="dense θ0: min-max")
            continue
        y = np.array([spread.mean for _, spread in points])
        bars = [y - [s.min for _, s in points], [s.max for _, s in points] - y] if seeds > 1 else None
        label = {"ticket": "winning ticket's mask on θ0", "random_prune": "random mask on θ0"}.get(kind, LABELS[kind])
        ax.errorbar([100 * remaining for remaining, _ in points], y, yerr=bars, color=COLORS[kind], marker="o",
                    markersize=4, capsize=3, label=label)
    ax.axhline(0.1, color="black", linestyle=":", linewidth=1, label="chance (10 %)")
    _sparsity_axis(ax, [100 * remaining for _, remaining, _ in found if remaining < 1])
    ax.set(ylabel="test accuracy before any training", title=f"{_model_name(results)}: masks on untrained θ0")
    ax.set_ylim(bottom=0)
    _percent_axis(ax, "test_accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", title=f"mean, min-max over {seeds} seeds" if seeds > 1 else None,
              loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the axes: the curve fills the middle
    return fig


def plot_rewinding(results: Iterable[Result], kind: str = "ticket", metric: str = "early_stop_test_accuracy",
                   ax: Axes | None = None) -> Figure:
    """Rewinding: `kind` networks (tickets by default) reset to θk against weights remaining, one line per rewind
    iteration k among the results (experiments' `rewind_iteration`; k = 0 is θ0), with the dense network for
    reference: the mean over seeds, min-max bars where there are several (each k's points shifted a little sideways,
    so that the bars of neighbouring k do not hide each other)."""
    results = list(results)
    if metric not in AXIS_LABELS:
        raise ValueError(f"Unknown metric {metric!r}: choose one of {', '.join(AXIS_LABELS)}.")
    rewinds = sorted({r.rewind_iteration for r in results if r.kind == kind})
    if not rewinds:
        raise ValueError(f"No {kind!r} results to plot; the results hold {sorted({r.kind for r in results})}.")
    fig, ax = _figure(ax)
    shades = matplotlib.colormaps[COLORMAPS[kind]]
    seeds = 1
    for i, k in enumerate(rewinds):
        rows = summarize(r for r in results if r.kind == kind and r.rewind_iteration == k)
        seeds = max(seeds, *(row.n_seeds for row in rows))
        y = np.array([getattr(row, metric).mean for row in rows])
        spread = [y - [getattr(row, metric).min for row in rows], [getattr(row, metric).max for row in rows] - y]
        shift = 1.04 ** (i - (len(rewinds) - 1) / 2)  # a few percent along the log axis
        ax.errorbar([100 * row.remaining * shift for row in rows], y, yerr=spread if seeds > 1 else None,
                    color=shades(0.4 + 0.55 * i / max(1, len(rewinds) - 1)),
                    marker=CURVE_MARKERS[i % len(CURVE_MARKERS)],
                    linestyle=("-", "--", "-.", ":")[i % 4], markersize=5, capsize=3,
                    label=f"k = {k:,}" if k else "k = 0 (θ0)")  # shades of one hue, told apart by marker and line
    for row in summarize(r for r in results if r.kind == "dense"):
        spread = getattr(row, metric)
        ax.axhline(spread.mean, color=COLORS["dense"], linestyle="--", label=LABELS["dense"])
        if row.n_seeds > 1:
            ax.axhspan(spread.min, spread.max, color=COLORS["dense"], alpha=0.1, label=f"{LABELS['dense']}: min-max")
    _sparsity_axis(ax, [100 * r.remaining for r in results if r.kind == kind])
    counted = " (from iteration 0)" if metric == "early_stop_iteration" else ""
    ax.set(ylabel=AXIS_LABELS[metric] + counted,
           title=f"{_model_name(results)}: {LABELS[kind]}s rewound to θk,\n{AXIS_LABELS[metric]}{counted}")
    _percent_axis(ax, metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", title=f"mean, min-max over {seeds} seeds" if seeds > 1 else None)
    return fig
