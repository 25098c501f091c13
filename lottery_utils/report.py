"""docs/results/README.md, generated from the bundled results: `python -m lottery_utils report`.

Every number in the document comes from the bundle; a test checks the committed file equals what this writes.
"""
from __future__ import annotations

from pathlib import Path

from . import plots
from .bundle import Bundle
from .data import PROJECT_ROOT
from .models import preset
from .experiments import ALL_CONTROLS, round_rates
from .results import Result, Summary, summarize

RESULTS_DIR = PROJECT_ROOT / "docs" / "results"
PAPER = """The paper's abstract: "Above this size [10–20 % of the weights], the winning tickets that we find learn
faster than the original network and reach higher test accuracy." Its LeNet figures average five trials and
draw min–max error bars, as here. Differences to keep in mind: the paper's early-stopping iterations come from
its own framework (TensorFlow) and data order, so compare trends (earlier or later than dense, higher or lower
than the controls), not absolute iterations."""


def paper_run(results: list[Result], model: str = "lenet") -> list[Result]:
    """The networks of the paper's iterative figure: every round at the paper's rates, and the dense network."""
    rates = round_rates(model)
    return [r for r in results if r.model == model and all(dict(step) == rates for step in r.schedule)]


def _cell(row: Summary | None, metric: str, percent: bool) -> str:
    if row is None:
        return ""
    spread = getattr(row, metric)
    scale, form = (100, "{:.2f}") if percent else (1, "{:,.0f}")
    text = form.format(scale * spread.mean)
    if row.seeds > 1:
        text += f" [{form.format(scale * spread.min)}–{form.format(scale * spread.max)}]"
    return text


def table(rows: list[Summary]) -> list[str]:
    """Test accuracy at early stop and the early-stop iteration of each kind, by weights remaining."""
    by = {(row.kind, row.remaining): row for row in rows}
    sparsities = sorted({row.remaining for row in rows}, reverse=True)
    kinds = ["ticket", *(c for c in ALL_CONTROLS if any(row.kind == c for row in rows))]
    lines = ["| weights remaining | " + " | ".join(plots.LABELS[k] for k in kinds) + " | early stop: "
             + " / ".join(plots.LABELS[k] for k in kinds) + " |", "|---:|" + "---:|" * (len(kinds) + 1)]
    dense = next(row for row in rows if row.kind == "dense")
    lines.append(f"| 100 % (dense) | {_cell(dense, 'early_stop_test_accuracy', True)} | " + "| " * (len(kinds) - 1)
                 + f"{_cell(dense, 'early_stop_iteration', False)} |")
    for remaining in sparsities:
        if remaining == 1.0:
            continue
        cells = [_cell(by.get((k, remaining)), "early_stop_test_accuracy", True) for k in kinds]
        stops = [_cell(by.get((k, remaining)), "early_stop_iteration", False) for k in kinds]
        lines.append(f"| {100 * remaining:.1f} % | " + " | ".join(cells) + " | " + " / ".join(stops) + " |")
    return lines


def findings(rows: list[Summary]) -> list[str]:
    """Sentences comparing the kinds, each computed from the table's means."""
    def accuracy(row: Summary) -> float:
        return row.early_stop_test_accuracy.mean

    def stop(row: Summary) -> float:
        return row.early_stop_iteration.mean

    dense = next(row for row in rows if row.kind == "dense")
    mean = {(row.kind, row.remaining): row for row in rows}
    sparsities = sorted({row.remaining for row in rows if row.kind == "ticket"}, reverse=True)
    ticket = [mean[("ticket", s)] for s in sparsities]
    above = [t for t in ticket if accuracy(t) >= accuracy(dense)]
    best, sparsest = max(ticket, key=accuracy), ticket[-1]
    opening = f"- **Winning tickets vs the dense network** ({100 * accuracy(dense):.2f} %): "
    if above:
        sentences = [f"{opening}{len(above)} of {len(ticket)} ticket sparsities are at or above it on average, the "
                     f"sparsest of them at {100 * min(t.remaining for t in above):.1f} % remaining; the best is "
                     f"{100 * accuracy(best):.2f} % at {100 * best.remaining:.1f} % remaining, and the sparsest ticket "
                     f"({100 * sparsest.remaining:.1f} %) reaches {100 * accuracy(sparsest):.2f} %."]
    else:
        sentences = [f"{opening}no ticket is above it on average."]
    for control in ALL_CONTROLS:
        pairs = [(s, mean[("ticket", s)], mean[(control, s)]) for s in sparsities if (control, s) in mean]
        if not pairs:
            continue
        behind = [s for s, t, c in pairs if accuracy(c) < accuracy(t)]
        where, t, c = max(pairs, key=lambda pair: accuracy(pair[1]) - accuracy(pair[2]))
        later = [s for s, t_, c_ in pairs if stop(c_) > stop(t_)]
        sentences.append(
            f"- **{plots.LABELS[control].capitalize()}**: below the ticket at {len(behind)} of {len(pairs)} "
            f"sparsities; the largest gap is {100 * (accuracy(t) - accuracy(c)):.2f} points at {100 * where:.1f} % "
            f"remaining ({100 * accuracy(c):.2f} % against {100 * accuracy(t):.2f} %); it stops later than the ticket "
            f"at {len(later)} of {len(pairs)}.")
    earlier = [t for t in ticket if stop(t) < stop(dense)]
    sentences.append(f"- **Early stopping**: the dense network stops at iteration {stop(dense):,.0f} on average; "
                     f"tickets stop earlier at {len(earlier)} of {len(ticket)} sparsities (earliest: "
                     f"{min(stop(t) for t in ticket):,.0f}).")
    return sentences


def readme(bundle: Bundle | None = None, model: str = "lenet") -> str:
    """The text of docs/results/README.md."""
    bundle = bundle or Bundle()
    results = bundle.results(model)
    if not results:
        return ("# Results\n\nNo results are bundled yet: build them with "
                "`python -m lottery_utils bundle --seeds 0-4`.\n")
    meta = {m["seed"]: m for m in bundle.metadata if m.get("model") == model}
    complete = [s for s in sorted(meta) if meta[s].get("complete")]
    run = [r for r in paper_run(results, model) if r.seed in complete or not complete]  # partial seeds: only alone
    rows = summarize(run)
    seeds = sorted({r.seed for r in run})
    setup = next(iter(meta.values()))["setup"]
    rounds = max(r.round for r in run)
    lines = [
        "# Results: LeNet-300-100 on MNIST at the paper's settings",
        "",
        "Generated by `python -m lottery_utils report` from the results bundled in `lottery_utils/bundled/`; do not",
        "edit by hand (`tests/test_report.py` checks this file against the bundle).",
        "",
        f"- **Seeds** in the tables: {', '.join(map(str, seeds))} (n = {len(seeds)}; complete: "
        f"{', '.join(map(str, complete)) or 'none yet'}; a seed still being built joins when complete). Cells give "
        f"the mean over the seeds"
        + (", then [min–max], the paper's error bars." if len(seeds) > 1 else "."),
        f"- **Training**: {setup['iterations']:,} iterations, batch {setup['batch_size']}, Adam {setup['lr']}; "
        f"{rounds} rounds of iterative pruning, each removing {100 * round_rates(model)['fc']:.0f} % of the "
        f"hidden layers' and {100 * round_rates(model)['output']:.0f} % of the output layer's surviving weights, "
        "reset to θ0.",
        "- **Measured**: test accuracy at the early-stopping iteration (the minimum of validation loss, evaluated "
        f"every {setup['eval_every'] or preset(model).eval_every:,} iterations on 5,000 held-out training images), "
        "in %, and that iteration.",
        f"- **Where**: {', '.join(sorted({m['machine'] + ', torch ' + m['torch'] for m in meta.values()}))}.",
        "- **Build time** (`python -m lottery_utils bundle --workers 2`: two single-thread processes): "
        + "; ".join(f"seed {s}: {_duration(meta[s]['seconds'])} for {meta[s]['networks']} networks"
                    + ("" if meta[s].get("complete") else " so far (in progress)") for s in sorted(meta)) + ".",
        "",
        "## Iterative pruning with both controls (the paper's Figures 3 and 4)",
        "",
        *table(rows),
        "",
        "## What the table shows",
        "",
        *findings(rows),
        "",
        "## Compared with the paper",
        "",
        *PAPER.splitlines(),
        "",
    ]
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def write_report(folder: Path | None = None, bundle: Bundle | None = None) -> Path:
    """Write README.md and the two figures (accuracy and early stop vs weights remaining) into `folder`."""
    folder = Path(folder or RESULTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    bundle = bundle or Bundle()
    path = folder / "README.md"
    path.write_text(readme(bundle))
    run = paper_run(bundle.results("lenet"))
    if run:
        plots.plot_accuracy_vs_remaining(run).savefig(folder / "accuracy_vs_remaining.png", dpi=110)
        plots.plot_early_stop_vs_remaining(run).savefig(folder / "early_stop_vs_remaining.png", dpi=110)
    return path


def show(results: list[Result], parts: tuple[str, ...] = ("table", "findings")):
    """A lesson's table of `results` and the sentences computed from it ("findings"), as Markdown for a cell."""
    from IPython.display import Markdown

    rows = summarize(results)
    text = {"table": lambda: "\n".join(table(rows)), "findings": lambda: "\n".join(findings(rows))}
    unknown = set(parts) - set(text)
    if unknown:
        raise ValueError(f"Unknown part(s) {sorted(unknown)}: choose from {sorted(text)}.")
    return Markdown("\n\n".join(text[part]() for part in parts))
