"""docs/results/README.md, generated from the bundled results: `python -m lottery_utils report`.

Every number in the document comes from the bundle; a test checks the committed file equals what this writes.
"""
from __future__ import annotations

from pathlib import Path

from . import plots, widgets
from .bundle import Bundle
from .data import PROJECT_ROOT
from .models import preset
from .experiments import ALL_CONTROLS, CONTROLS, round_rates
from .results import Result, Spread, Summary, initial_accuracies, summarize

RESULTS_DIR = PROJECT_ROOT / "docs" / "results"
PAPER = """The paper's LeNet figures average five trials and draw min–max error bars, as here. Its early-stopping
iterations come from its own framework (TensorFlow) and data order, so compare trends (earlier or later than
dense, higher or lower than the controls), not absolute iterations."""
ABSTRACT = ("Above this size [10–20 % of the weights], the winning tickets that we find learn faster than the original "
            "network and reach higher test accuracy.")


def paper_run(results: list[Result], model: str = "lenet") -> list[Result]:
    """The networks of the paper's iterative figure: every round at the paper's rates reset to theta_0, with the
    paper's controls, and the dense network."""
    rates = round_rates(model)
    return [r for r in results if r.model == model and r.kind in ("dense", "ticket", *CONTROLS)
            and r.rewind_iteration == 0 and all(dict(step) == rates for step in r.schedule)]


def _cell(row: Summary | None, metric: str, percent: bool) -> str:
    return "" if row is None else getattr(row, metric).text(percent)


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


def _seeds(metas: dict[int, dict], results: list[Result]) -> tuple[list[Result], list[int], list[int]]:
    """The results of the complete seeds (those of the seeds still being built only while none is complete), those
    seeds, and the complete seeds."""
    complete = [s for s in sorted(metas) if metas[s].get("complete")]
    seeds = complete or sorted(metas)
    return [r for r in results if r.seed in seeds], seeds, complete


def _seeds_line(seeds: list[int], complete: list[int]) -> str:
    return (f"- **Seeds** in the tables: {', '.join(map(str, seeds))} (n = {len(seeds)}; complete: "
            f"{', '.join(map(str, complete)) or 'none yet'}; a seed still being built joins when complete). Cells "
            "give the mean over the seeds" + (", then [min–max], the paper's error bars." if len(seeds) > 1 else "."))


def _setup_lines(metas: dict[int, dict], model: str, command: str) -> list[str]:
    """What was measured, where, and how long each seed took to build."""
    setup = next(iter(metas.values()))["setup"]
    return [
        "- **Measured**: test accuracy at the early-stopping iteration (the minimum of validation loss, evaluated "
        f"every {setup['eval_every'] or preset(model).eval_every:,} iterations on 5,000 held-out training images), "
        "in %, and that iteration.",
        f"- **Where**: {'; '.join(sorted({m['machine'] + ', torch ' + m['torch'] for m in metas.values()}))}.",
        f"- **Build time** (`{command}`: two single-thread processes): "
        + "; ".join(f"seed {s}: {_duration(metas[s]['seconds'])} for {metas[s]['networks']} networks"
                    + ("" if metas[s].get("complete") else " so far (in progress)") for s in sorted(metas)) + ".",
    ]


def comparison(rows: list[Summary]) -> list[str]:
    """The paper's claims, each set against the table's means."""
    by = {(row.kind, row.remaining): row for row in rows}
    dense = by[("dense", 1.0)]
    tickets = sorted((row for row in rows if row.kind == "ticket"), key=lambda row: -row.remaining)
    large = [t for t in tickets if t.remaining >= 0.1]
    higher = [t for t in large if t.early_stop_test_accuracy.mean >= dense.early_stop_test_accuracy.mean]
    faster = [t for t in large if t.early_stop_iteration.mean < dense.early_stop_iteration.mean]
    stops = [t.early_stop_iteration.mean for t in large]
    sentences = [f'- The abstract: "{ABSTRACT}"',
                 f"- **Higher test accuracy**: at the {len(large)} sparsities with at least 10 % of the weights, the "
                 f"ticket is at or above the dense network at {len(higher)}.",
                 f"- **Learn faster**: there, the ticket stops earlier than the dense network at {len(faster)} of "
                 f"{len(large)}; its early stop ranges {min(stops):,.0f}–{max(stops):,.0f} on average against the "
                 f"dense network's {dense.early_stop_iteration.mean:,.0f}."]
    for control in CONTROLS:
        pairs = [(t, by[(control, t.remaining)]) for t in tickets if (control, t.remaining) in by]
        if pairs:
            (t0, c0), (t1, c1) = pairs[0], pairs[-1]
            gap = [100 * (t.early_stop_test_accuracy.mean - c.early_stop_test_accuracy.mean) for t, c in (pairs[0],
                                                                                                         pairs[-1])]
            sentences.append(
                f"- **{plots.LABELS[control].capitalize()}** (the paper's Figure 4: slower and less accurate than the "
                f"ticket, more so as pruning goes on): the ticket's lead is {gap[0]:+.2f} points at "
                f"{100 * t0.remaining:.1f} % and {gap[1]:+.2f} points at {100 * t1.remaining:.1f} % remaining; it "
                f"stops at {c0.early_stop_iteration.mean:,.0f} and {c1.early_stop_iteration.mean:,.0f} there (the "
                f"ticket: {t0.early_stop_iteration.mean:,.0f} and {t1.early_stop_iteration.mean:,.0f}).")
    return sentences


def readme(bundle: Bundle | None = None, model: str = "lenet") -> str:
    """The text of docs/results/README.md."""
    bundle = bundle or Bundle()
    metas = {m["seed"]: m for m in bundle.parts(model)}
    if not metas:
        return ("# Results\n\nNo results are bundled yet: build them with "
                "`python -m lottery_utils bundle --seeds 0-4`.\n")
    run, seeds, complete = _seeds(metas, paper_run(bundle.results(model), model))
    rows = summarize(run)
    setup = next(iter(metas.values()))["setup"]
    rounds = max(r.round for r in run)
    lines = [
        "# Results: LeNet-300-100 on MNIST at the paper's settings",
        "",
        "Generated by `python -m lottery_utils report` from the results bundled in `lottery_utils/bundled/`; do not",
        "edit by hand (`tests/test_report.py` checks this file against the bundle). Notebook 05's experiments "
        "(supermasks, signs, rewinding): [why-tickets-win.md](why-tickets-win.md).",
        "",
        _seeds_line(seeds, complete),
        f"- **Training**: {setup['iterations']:,} iterations, batch {setup['batch_size']}, Adam {setup['lr']}; "
        f"{rounds} rounds of iterative pruning, each removing {100 * round_rates(model)['fc']:.0f} % of the "
        f"hidden layers' and {100 * round_rates(model)['output']:.0f} % of the output layer's surviving weights, "
        "reset to θ0.",
        *_setup_lines(metas, model, "python -m lottery_utils bundle --workers 2"),
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
        *comparison(rows),
        "",
        *PAPER.splitlines(),
        "",
    ]
    return "\n".join(lines)


def _one_shot(results: list[Result], amounts, kinds: tuple[str, ...], rewind: int = 0) -> list[Result]:
    """The dense network and the one-shot networks of `kinds` pruned by one of `amounts`, reset to theta_`rewind`."""
    wanted = {round(a, 4) for a in amounts}
    return [r for r in results if r.kind == "dense" or (
        r.kind in kinds and r.round == 1 and r.rewind_iteration == rewind
        and round(dict(r.schedule[0]).get("fc", -1), 4) in wanted)]


def supermask_table(results: list[Result]) -> list[str]:
    """Test accuracy before any training: the ticket's mask and a random mask of the same size on theta_0."""
    found = {(kind, remaining): spread for kind, remaining, spread in initial_accuracies(results)}
    sparsities = sorted({remaining for kind, remaining in found if kind == "ticket"}, reverse=True)
    lines = ["| weights remaining | winning ticket's mask on θ0 | random mask on θ0 |", "|---:|---:|---:|",
             f"| 100 % (dense θ0) | {found[('dense', 1.0)].text(percent=True)} | |"]
    for remaining in sparsities:
        random = found.get(("random_prune", remaining))
        lines.append(f"| {100 * remaining:.1f} % | {found[('ticket', remaining)].text(percent=True)} | "
                     f"{'' if random is None else random.text(percent=True)} |")
    return lines


def supermask_findings(results: list[Result]) -> list[str]:
    found = initial_accuracies(results)
    masks = [(remaining, s.mean) for kind, remaining, s in found if kind == "ticket"]
    random = [s.mean for kind, _, s in found if kind == "random_prune"]
    dense = next(s.mean for kind, _, s in found if kind == "dense")
    best = max(masks, key=lambda m: m[1])
    above = [m for m in masks if m[1] > max(random)]
    return [f"- **The mask alone**: with no training, the ticket's mask on θ0 reaches {100 * best[1]:.2f} % test "
            f"accuracy at {100 * best[0]:.1f} % of the weights remaining (its best); it is above every random mask "
            f"at {len(above)} of {len(masks)} sparsities. Random masks on θ0 give {100 * min(random):.2f}–"
            f"{100 * max(random):.2f} %, the dense θ0 {100 * dense:.2f} % (chance: 10 %)."]


def rewinding_table(results: list[Result]) -> list[str]:
    """Ticket accuracy at early stop (and the early-stop iteration) for each rewind iteration k, by sparsity."""
    ks = sorted({r.rewind_iteration for r in results if r.kind == "ticket"})
    rows = {k: {row.remaining: row for row in summarize(r for r in results
                                                         if r.kind == "ticket" and r.rewind_iteration == k)}
            for k in ks}
    dense = summarize(r for r in results if r.kind == "dense")[0]
    lines = ["| weights remaining | " + " | ".join(f"k = {k:,}" for k in ks) + " | early stop: "
             + " / ".join(f"k = {k:,}" for k in ks) + " |", "|---:|" + "---:|" * (len(ks) + 1),
             f"| 100 % (dense) | {_cell(dense, 'early_stop_test_accuracy', True)} | " + "| " * (len(ks) - 1)
             + f"{_cell(dense, 'early_stop_iteration', False)} |"]
    for remaining in sorted(rows[0], reverse=True):
        cells = [_cell(rows[k].get(remaining), "early_stop_test_accuracy", True) for k in ks]
        stops = [_cell(rows[k].get(remaining), "early_stop_iteration", False) for k in ks]
        lines.append(f"| {100 * remaining:.1f} % | " + " | ".join(cells) + " | " + " / ".join(stops) + " |")
    return lines


def rewinding_findings(results: list[Result]) -> list[str]:
    def spreads(k):
        return {row.remaining: row.early_stop_test_accuracy for row in summarize(
            r for r in results if r.kind == "ticket" and r.rewind_iteration == k)}

    reset = spreads(0)
    sentences = []
    for k in sorted({r.rewind_iteration for r in results if r.rewind_iteration}):
        pairs = [(remaining, spread, reset[remaining]) for remaining, spread in spreads(k).items()
                 if remaining in reset]
        if not pairs:  # a part still being built
            continue
        differences = [(remaining, a.mean - b.mean) for remaining, a, b in pairs]
        largest = max(differences, key=lambda d: abs(d[1]))
        sentences.append(
            f"- **k = {k:,}** ({100 * k / results[0].iterations:.1f} % of training): above the tickets reset to θ0 at "
            f"{sum(d > 0 for _, d in differences)} of {len(differences)} sparsities, "
            f"{100 * sum(d for _, d in differences) / len(differences):+.2f} points on average; the largest "
            f"difference is {100 * largest[1]:+.2f} points at {100 * largest[0]:.1f} % remaining."
            f"{_apart([(a, b) for _, a, b in pairs], 'theirs')}")
    return sentences


def _apart(pairs: list[tuple[Spread, Spread]], other: str) -> str:
    """Over several seeds, at how many (a, b) pairs a's min–max range lies wholly above b's, and wholly below: a
    difference inside the seeds' spread is not a finding. One seed has no range: nothing to say."""
    n = min(pairs[0][0].n, pairs[0][1].n)
    if n < 2:
        return ""
    above, below = sum(a.min > b.max for a, b in pairs), sum(a.max < b.min for a, b in pairs)
    return f" Over the {n} seeds its range lies wholly above {other} at {above} of them, wholly below at {below}."


def sign_findings(rows: list[Summary]) -> list[str]:
    """The sign-preserving control against plain reinit and the ticket, averaged over the sparsities: in accuracy,
    and in how fast each learns (the early-stop iteration, the paper's other measure)."""
    by = {(row.kind, row.remaining): row for row in rows}
    sparsities = [row.remaining for row in rows if row.kind == "reinit_signs" and ("reinit", row.remaining) in by]
    if not sparsities:  # a part still being built
        return []

    def average(kind: str, metric: str) -> float:
        return sum(getattr(by[(kind, s)], metric).mean for s in sparsities) / len(sparsities)

    accuracy, stop = ({kind: average(kind, metric) for kind in ("ticket", "reinit_signs", "reinit")}
                      for metric in ("early_stop_test_accuracy", "early_stop_iteration"))
    pairs = [(by[("reinit_signs", s)], by[("reinit", s)]) for s in sparsities]
    above = sum(a.early_stop_test_accuracy.mean > b.early_stop_test_accuracy.mean for a, b in pairs)
    earlier = sum(a.early_stop_iteration.mean < b.early_stop_iteration.mean for a, b in pairs)
    apart = _apart([(a.early_stop_test_accuracy, b.early_stop_test_accuracy) for a, b in pairs], "plain reinit's")
    return [f"- **Signs kept vs plain reinit**: above plain reinit at {above} of {len(pairs)} sparsities. "
            f"Averaged over them: winning ticket {100 * accuracy['ticket']:.2f} %, random reinit with the signs kept "
            f"{100 * accuracy['reinit_signs']:.2f} %, plain random reinit {100 * accuracy['reinit']:.2f} %.{apart}",
            f"- **How fast they learn**: with the signs kept, random reinit stops earlier than plain reinit at "
            f"{earlier} of {len(pairs)} sparsities. Averaged over them, the early stop is at iteration "
            f"{stop['ticket']:,.0f} for the winning ticket, {stop['reinit_signs']:,.0f} with the signs kept and "
            f"{stop['reinit']:,.0f} for plain reinit."]


WHY_PAPERS = {
    "supermask": """Zhou et al. 2019 ("Deconstructing Lottery Tickets", arXiv 1905.01067), abstract: masks on the
untrained network give "performance far better than chance (86% on MNIST, 41% on CIFAR-10)". The abstract does not
name the mask behind 86 %; their released code (github.com/uber-research/deconstructing-lottery-tickets) adds mask
criteria such as `large_final_same_sign` (large final weights whose sign did not change in training) and a
`signed_constant` initialization (every kept weight set to a constant with θ0's sign). The table above is the
lottery ticket's own mask on θ0's values, which uses neither.""",
    "signs": """Zhou et al. 2019, abstract: "signs are all you need to make the reinitialized network train". Their
sign-preserving control shuffles θ0's magnitudes within the layer; ours draws fresh Glorot magnitudes, the same
distribution (`pruning.sign_preserving_reinit`).""",
    "rewinding": """Frankle et al. 2019 ("Stabilizing the Lottery Ticket Hypothesis", arXiv 1903.01611), abstract:
IMP "fails on deeper networks", and rewinding to a point "early in training (0.1% to 7% through) rather than at
iteration 0" finds tickets there (e.g. ResNet-50 on ImageNet); here k = {ks} are {shares} % of
{iterations:,} iterations. Frankle et al. 2020 ("Linear Mode Connectivity and the Lottery Ticket Hypothesis", arXiv
1912.05671), abstract: subnetworks reach full accuracy when stable to SGD noise, which "occurs at initialization for
small-scale settings (MNIST)", so on LeNet resetting to θ0 is expected to be enough and rewinding to change little.
The deep-network case, where it matters: `python -m lottery_utils iterative --model resnet18 --rewind 500` (CIFAR-10
must be downloadable).""",
}


def why_readme(bundle: Bundle | None = None, model: str = "lenet") -> str:
    """The text of docs/results/why-tickets-win.md: notebook 05's experiments on the bundled results."""
    bundle = bundle or Bundle()
    metas = {m["seed"]: m for m in bundle.parts(model, "why")}
    lessons = {m["seed"]: m for m in bundle.parts(model)}
    if not metas or not lessons:
        return ("# Why tickets win\n\nNotebook 05's networks are not bundled yet: build them with "
                "`python -m lottery_utils bundle --seeds 0-4 --part why`.\n")
    results = bundle.results(model)
    grid, lesson_seeds, _ = _seeds(lessons, _one_shot(results, widgets.ONE_SHOT_GRID, ("ticket", "random_prune")))
    chosen, seeds, complete = _seeds(metas, results)
    signs = summarize(_one_shot(chosen, widgets.SIGN_AMOUNTS, ("ticket", "reinit", "reinit_signs")))
    rewound = [r for k in widgets.REWINDS for r in _one_shot(chosen, widgets.REWIND_AMOUNTS, ("ticket",), k)]
    rewound = list({r.key: r for r in rewound}.values())  # the dense network once per seed
    setup = next(iter(metas.values()))["setup"]
    lines = [
        "# Why tickets win: supermasks, signs and rewinding on LeNet-300-100 (notebook 05)",
        "",
        "Generated by `python -m lottery_utils report` from the results bundled in `lottery_utils/bundled/`; do not",
        "edit by hand (`tests/test_report.py` checks this file against the bundle).",
        "",
        f"- **Training**: one-shot pruning at the paper's settings ({setup['iterations']:,} iterations, batch "
        f"{setup['batch_size']}, Adam {setup['lr']}); the output layer loses half the hidden layers' rate.",
        _seeds_line(seeds, complete) + f" The supermask table uses the lessons' seeds: "
        f"{', '.join(map(str, lesson_seeds))} (n = {len(lesson_seeds)}).",
        *_setup_lines(metas, model, "python -m lottery_utils bundle --part why --workers 2"),
        "",
        "## 1. Supermasks: the ticket's mask on the untrained θ0",
        "",
        "Test accuracy in % before any training (the first point of each bundled curve).",
        "",
        *supermask_table(grid),
        "",
        *supermask_findings(grid),
        "",
        *WHY_PAPERS["supermask"].splitlines(),
        "",
        "## 2. Signs: random reinit that keeps θ0's signs",
        "",
        *table(signs),
        "",
        *findings(signs),
        *sign_findings(signs),
        "",
        *WHY_PAPERS["signs"].splitlines(),
        "",
        "## 3. Rewinding: tickets reset to θk, the dense network after k iterations",
        "",
        "Early-stop iterations count from the dense network's start: a ticket rewound to k trains from iteration k.",
        "",
        *rewinding_table(rewound),
        "",
        *rewinding_findings(rewound),
        "",
        *WHY_PAPERS["rewinding"].format(
            ks=", ".join(f"{k:,}" for k in widgets.REWINDS if k), iterations=setup["iterations"],
            shares=", ".join(f"{100 * k / setup['iterations']:g}" for k in widgets.REWINDS if k)).splitlines(),
        "",
    ]
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


BENCHMARKS = PROJECT_ROOT / "benchmarks" / "README.md"
BUILD_TIMES = ("<!-- build times: generated by `python -m lottery_utils report` from the bundle's metadata -->",
               "<!-- end of the build times -->")


def with_build_times(text: str, bundle: Bundle) -> str:
    """`text` (benchmarks/README.md) with the table between the BUILD_TIMES marks rewritten from `bundle`."""
    start, end = text.index(BUILD_TIMES[0]) + len(BUILD_TIMES[0]), text.index(BUILD_TIMES[1])
    bundle.entries()
    lines = ["| bundle file | networks | wall time | per network | state | machine |", "|---|---:|---:|---:|---|---|"]
    for m in sorted(bundle.metadata, key=lambda m: (m.get("part", "lessons") != "lessons", m["model"], m["seed"])):
        part = m.get("part", "lessons")
        name = f"{m['model']}{'' if part == 'lessons' else '-' + part}-seed{m['seed']}.json.gz"
        lines.append(f"| `{name}` | {m['networks']} | {_duration(m['seconds'])} | "
                     f"{m['seconds'] / max(1, m['networks']) / 60:.1f} min | "
                     f"{'complete' if m.get('complete') else 'in progress'} | {m['machine']} |")
    return text[:start] + "\n" + "\n".join(lines) + "\n" + text[end:]


def write_report(folder: Path | None = None, bundle: Bundle | None = None) -> Path:
    """Write README.md and the two figures (accuracy and early stop vs weights remaining) into `folder`."""
    folder = Path(folder or RESULTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    bundle = bundle or Bundle()
    path = folder / "README.md"
    path.write_text(readme(bundle))
    (folder / "why-tickets-win.md").write_text(why_readme(bundle))
    if folder == RESULTS_DIR:
        BENCHMARKS.write_text(with_build_times(BENCHMARKS.read_text(), bundle))
    run = paper_run(bundle.results("lenet"))
    if run:
        plots.plot_accuracy_vs_remaining(run).savefig(folder / "accuracy_vs_remaining.png", dpi=110)
        plots.plot_early_stop_vs_remaining(run).savefig(folder / "early_stop_vs_remaining.png", dpi=110)
    return path


def show(results: list[Result], parts: tuple[str, ...] = ("table", "findings")):
    """A lesson's table of `results` and the sentences computed from it ("findings"; "signs": the sign-preserving
    control against plain reinit; "rewinding": tickets rewound to each k against k = 0), as Markdown for a cell."""
    from IPython.display import Markdown

    rows = summarize(r for r in results if not r.rewind_iteration)
    text = {"table": lambda: "\n".join(table(rows)), "findings": lambda: "\n".join(findings(rows)),
            "signs": lambda: "\n".join(sign_findings(rows)),
            "rewinding": lambda: "\n".join(rewinding_findings(results))}
    unknown = set(parts) - set(text)
    if unknown:
        raise ValueError(f"Unknown part(s) {sorted(unknown)}: choose from {sorted(text)}.")
    return Markdown("\n\n".join(text[part]() for part in parts))
