"""docs/results/README.md and why-tickets-win.md, generated from the bundled results: `python -m lottery_utils report`.

Every number in the documents comes from the bundle; a test checks the committed files equal what this writes.
"""
from __future__ import annotations

from pathlib import Path

from .. import plots
from ..settings import project_root
from ..experiments import duration
from ..lessons import (DEMO_RATE, LABELS, ONE_SHOT_GRID, PAPER_RATE, REWINDS, REWIND_RATES, SIGN_CONTROLS, SIGN_RATES,
                       by_kind_and_remaining)
from ..models import get_preset
from ..results import CONTROLS, Result
from ..summaries import Summary, summarize
from ..store import Bundle
from . import times
from .demo import write_demo
from ..tables import Paired, columns_table, findings, paired, paired_findings, points, table
from .selection import one_shot_networks, paper_run
from ..why import (recovered, rewinding_findings, share_text, sign_findings, sign_recovery,
                   sign_rounds, supermask_findings, supermask_table, trained_again)

RESULTS_DIR = project_root() / "docs" / "results"
PAPER = """The paper's LeNet figures average five trials and draw min–max error bars, as here. Its early-stopping
iterations come from its own framework (TensorFlow) and data order, so compare trends (earlier or later than
dense, higher or lower than the controls), not absolute iterations."""
# Where the paper shows each control on LeNet, and what it says (its v5 text, arXiv 1803.03635)
PAPER_ON = {"reinit": 'the paper\'s Figure 4 and Section 2: "the reinitialized networks learn increasingly slower than '
                      'the original network and lose test accuracy after little pruning"',
            "random_prune": "the paper's Figure 1, dashed lines, and Appendix E: on LeNet \"the randomly reinitialized "
                            "networks outperform random sparsity\""}
ABSTRACT = ("Above this size [10–20 % of the weights], the winning tickets that we find learn faster than the original "
            "network and reach higher test accuracy.")


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
        f"every {setup['eval_every'] or get_preset(model).eval_every:,} iterations on 5,000 held-out training images), "
        "in %, and that iteration.",
        f"- **Where**: {'; '.join(sorted({m['machine'] + ', torch ' + m['torch'] for m in metas.values()}))}.",
        f"- **Build time** (`{command}`: two single-thread processes): "
        + "; ".join(f"seed {s}: {duration(metas[s]['seconds'])} for {metas[s]['networks']} networks"
                    + ("" if metas[s].get("complete") else " so far (in progress)") for s in sorted(metas)) + ".",
    ]


def comparison(rows: list[Summary]) -> list[str]:
    """The paper's claims, each set against the table's means."""
    by = by_kind_and_remaining(rows)
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
        pairs = [(t, by[(control, t.remaining_key)]) for t in tickets if (control, t.remaining_key) in by]
        if pairs:
            (t0, c0), (t1, c1) = pairs[0], pairs[-1]
            gap = [100 * (t.early_stop_test_accuracy.mean - c.early_stop_test_accuracy.mean) for t, c in (pairs[0],
                                                                                                         pairs[-1])]
            sentences.append(
                f"- **{LABELS[control].capitalize()}** ({PAPER_ON[control]}): the ticket's lead is "
                f"{gap[0]:+.2f} points at "
                f"{100 * t0.remaining:.1f} % and {gap[1]:+.2f} points at {100 * t1.remaining:.1f} % remaining; it "
                f"stops at {c0.early_stop_iteration.mean:,.0f} and {c1.early_stop_iteration.mean:,.0f} there (the "
                f"ticket: {t0.early_stop_iteration.mean:,.0f} and {t1.early_stop_iteration.mean:,.0f}).")
    return sentences


def readme(bundle: Bundle | None = None, model: str = "lenet") -> str:
    """The text of docs/results/README.md."""
    bundle = bundle if bundle is not None else Bundle()
    metas = {m["seed"]: m for m in bundle.parts(model)}
    if not metas:
        return ("# Results\n\nNo results are bundled yet: build them with "
                "`python -m lottery_utils bundle --seeds 0-4`.\n")
    run, seeds, complete = _seeds(metas, paper_run(bundle.results(model), model))
    rows = summarize(run)
    setup = next(iter(metas.values()))["setup"]
    rounds, amounts = max(r.round for r in run), get_preset(model).prune_amounts.by_role
    lines = [
        "# Results: LeNet-300-100 on MNIST at the paper's settings",
        "",
        "Generated by `python -m lottery_utils report` from the results bundled in `lottery_utils/bundled/`; do not",
        "edit by hand (`tests/test_report.py` checks this file against the bundle). Notebook 05's experiments "
        "(supermasks, signs, rewinding): [why-tickets-win.md](why-tickets-win.md).",
        "",
        _seeds_line(seeds, complete),
        f"- **Training**: {setup['iterations']:,} iterations, batch {setup['batch_size']}, Adam {setup['lr']}; "
        f"{rounds} rounds of iterative pruning, each removing {100 * amounts['fc']:.0f} % of the "
        f"hidden layers' and {100 * amounts['output']:.0f} % of the output layer's surviving "
        f"weights, reset to θ0.",
        *_setup_lines(metas, model, "python -m lottery_utils bundle --workers 2"),
        "",
        "## Iterative pruning with both controls (the paper's Figures 3 and 4)",
        "",
        *table(rows, paired(run)),
        "",
        "## What the table shows",
        "",
        *findings(rows),
        *paired_findings(run),
        "",
        "## Compared with the paper",
        "",
        *comparison(rows),
        "",
        *PAPER.splitlines(),
        "",
    ]
    return "\n".join(lines)


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
    bundle = bundle if bundle is not None else Bundle()
    metas = {m["seed"]: m for m in bundle.parts(model, "why")}
    lessons = {m["seed"]: m for m in bundle.parts(model)}
    if not metas or not lessons:
        return ("# Why tickets win\n\nNotebook 05's networks are not bundled yet: build them with "
                "`python -m lottery_utils bundle --seeds 0-4 --part why`.\n")
    results = bundle.results(model)
    grid, lesson_seeds, _ = _seeds(lessons, one_shot_networks(results, ONE_SHOT_GRID, ("ticket", "random_prune")))
    chosen, seeds, complete = _seeds(metas, results)
    signs = summarize(one_shot_networks(chosen, SIGN_RATES, ("ticket", "reinit", "reinit_signs")))
    rewound = [r for k in REWINDS for r in one_shot_networks(chosen, REWIND_RATES, ("ticket",), k)]
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
        "## 2. Signs: random reinit that keeps θ0's signs, one step of pruning",
        "",
        *table(signs),
        "",
        *findings(signs),
        *sign_findings(signs),
        "",
        *WHY_PAPERS["signs"].splitlines(),
        "",
        *_sign_rounds_section(bundle, model),
        "## 4. Rewinding: tickets reset to θk, the dense network after k iterations",
        "",
        "Early-stop iterations count from the dense network's start: a ticket rewound to k trains from iteration k.",
        "",
        *rewinding_table(rewound),
        "",
        *rewinding_findings(rewound),
        "",
        *WHY_PAPERS["rewinding"].format(
            ks=", ".join(f"{k:,}" for k in REWINDS if k), iterations=setup["iterations"],
            shares=", ".join(f"{100 * k / setup['iterations']:g}" for k in REWINDS if k)).splitlines(),
        "",
    ]
    return "\n".join(lines)


def _sign_run(bundle: Bundle, model: str) -> tuple[list[Result], list[int], list[int]]:
    """Lesson 05's 18 rounds with both reinitializations (the bundle's "signs" part, with the lessons' tickets and
    plain reinit): their results, their seeds, the complete seeds (`_seeds`)."""
    amounts = get_preset(model).prune_amounts.by_role
    chain = [r for r in bundle.results(model) if r.kind in ("dense", "ticket", *SIGN_CONTROLS)
             and not r.rewind_iteration and all(dict(step) == amounts for step in r.schedule)]
    return _seeds({m["seed"]: m for m in bundle.parts(model, "signs")}, chain)


def _sign_rounds_section(bundle: Bundle, model: str) -> list[str]:
    """Section 3 of why-tickets-win.md: both reinitializations beside each of the paper's rounds, once a seed of the
    bundle's "signs" part is there."""
    title = "## 3. Signs after the paper's 18 rounds of 20 %"
    metas = {m["seed"]: m for m in bundle.parts(model, "signs")}
    if not metas:
        return [title, "", "Not bundled yet: `python -m lottery_utils bundle --seeds 0-4 --part signs`.", ""]
    chosen, seeds, complete = _sign_run(bundle, model)
    return [title, "", _seeds_line(seeds, complete),
            *_setup_lines(metas, model, "python -m lottery_utils bundle --part signs"), "",
            "Each row is a round of the paper's iterative pruning (notebook 03's 18 rounds): the ticket and plain "
            "random reinit of the lessons' bundle, and random reinit keeping θ0's signs, drawn with the same fresh "
            "magnitudes as plain reinit. A control's lag is counted against the ticket it was trained beside.", "",
            *sign_rounds(chosen), ""]


BENCHMARKS = project_root() / "benchmarks" / "README.md"
BUILD_TIMES = ("<!-- build times: generated by `python -m lottery_utils report` from the bundle's metadata -->",
               "<!-- end of the build times -->")


def with_build_times(text: str, bundle: Bundle) -> str:
    """`text` (benchmarks/README.md) with the table between the BUILD_TIMES marks rewritten from `bundle`."""
    start, end = text.index(BUILD_TIMES[0]) + len(BUILD_TIMES[0]), text.index(BUILD_TIMES[1])
    lines = ["| bundle file | networks | wall time | per network | state | machine |", "|---|---:|---:|---:|---|---|"]
    for m in sorted(bundle.metadata, key=lambda m: (m.get("part", "lessons") != "lessons", m["model"], m["seed"])):
        part = m.get("part", "lessons")
        name = f"{m['model']}{'' if part == 'lessons' else '-' + part}-seed{m['seed']}.json.gz"
        lines.append(f"| `{name}` | {m['networks']} | {duration(m['seconds'])} | "
                     f"{m['seconds'] / max(1, m['networks']) / 60:.1f} min | "
                     f"{'complete' if m.get('complete') else 'in progress'} | {m['machine']} |")
    return text[:start] + "\n" + "\n".join(lines) + "\n" + text[end:]


GUIDE = project_root() / "notebooks" / "instructor" / "README.md"
TALKING_POINTS = ("<!-- the app's numbers: generated by `python -m lottery_utils report` from the bundle -->",
                  "<!-- end of the app's numbers -->")
GUIDE_ROUNDS = (3, 7, 12, 14, 15, 18)  # 51.3, 21.1, 7.0, 4.5, 3.6 and 1.9 % of the weights remaining


def _numbers(row: Summary, pair: Paired | None = None) -> str:
    """Accuracy at early stop, the early-stop iteration and the seeds' min–max; for a ticket (`pair`) also in how many
    seeds it meets each of the hypothesis' conditions against the dense network of its own seed, and both."""
    own = (f"; against its seed's dense network: a′ ≥ a in {pair.as_accurate}, j′ ≤ j in {pair.no_later}, both in "
           f"{pair.both} of {pair.n_seeds}") if pair else ""
    return (f"{100 * row.early_stop_test_accuracy.mean:.2f} % (early stop at {row.early_stop_iteration.mean:,.0f}; "
            f"{100 * row.early_stop_test_accuracy.min:.2f}–{100 * row.early_stop_test_accuracy.max:.2f} %{own})")


def _at(row: Summary) -> str:
    """"98.06 % at 2,800": mean test accuracy at early stop, at the mean early-stop iteration."""
    return f"{100 * row.early_stop_test_accuracy.mean:.2f} % at {row.early_stop_iteration.mean:,.0f}"


def _rows(results: list[Result]) -> dict[tuple[str, int, float], tuple[Summary, Paired | None]]:
    """Each network's summary and seed-by-seed comparison, by kind, round and weights remaining."""
    return {(row.kind, row.round, row.remaining): (row, pair)
            for row, pair in zip(summarize(results), paired(results))}


def talking_points(bundle: Bundle, model: str = "lenet") -> list[str]:
    """What the classroom app shows at the positions a lecture stops at, as the mean over the complete bundled seeds
    (test accuracy at early stop, the early-stop iteration, the seeds' min–max of the accuracy)."""
    seeds = bundle.seeds(model)
    results = [r for r in bundle.results(model) if r.seed in seeds]
    if not results:
        return ["No complete seed is bundled yet."]
    dense = summarize(r for r in results if r.kind == "dense")[0]
    one_step = (DEMO_RATE, ONE_SHOT_GRID[-1])
    lines = [f"Means over the {len(seeds)} complete bundled seeds ({', '.join(map(str, seeds))}). Dense network, test "
             f"accuracy at early stop: {_numbers(dense)}; "
             f"its seeds stop at iterations {dense.early_stop_iteration.min:,.0f}–"
             f"{dense.early_stop_iteration.max:,.0f}, "
             f"so a mean early stop compares poorly: seed by seed is the test.",
             "", "Each cell: the mean test accuracy at early stop, at the mean early-stop iteration; the ticket's "
                 "seeds against their own dense networks in a column of their own.", "",
             "| panel | weights remaining | winning ticket | its seeds: a′ ≥ a · j′ ≤ j · both | random reinit | "
             "random pruning |",
             "|---|---:|---:|---:|---:|---:|"]

    def cells(rows: dict, rounds: int | None = None) -> str:
        chosen = {kind: next(v for (k, r, _), v in rows.items() if k == kind and rounds in (None, r))
                  for kind in ("ticket", *CONTROLS)}
        (ticket, pair), controls = chosen["ticket"], [chosen[kind][0] for kind in CONTROLS]
        return " | ".join([f"{100 * ticket.remaining:.1f} %", _at(ticket),
                           f"{pair.as_accurate} · {pair.no_later} · {pair.both} of {pair.n_seeds}" if pair else "",
                           *map(_at, controls)])

    for rate in one_step:
        rows = _rows(one_shot_networks(results, [rate], ("ticket", *CONTROLS)))
        lines.append(f"| 1, one step ({100 * rate:.3g} % pruned) | {cells(rows)} |")
    paper = _rows(paper_run(results, model))
    for rounds in GUIDE_ROUNDS:
        if any(k == "ticket" and r == rounds for k, r, _ in paper):
            lines.append(f"| 2, round {rounds} | {cells(paper, rounds)} |")
    grid: dict[str, dict[float, Summary]] = {}
    for row in summarize(one_shot_networks(results, ONE_SHOT_GRID, ("ticket", "reinit"))):
        grid.setdefault(row.kind, {})[row.remaining] = row
    shared = [r for r in grid.get("ticket", {}) if r in grid.get("reinit", {})]
    if shared:  # Exercise 2: the one-step lead at notebook 01's 20.2 %, beside its neighbour's and the rounds'
        def lead(where: float) -> float:
            return points(*(grid[kind][where].early_stop_test_accuracy.mean for kind in ("ticket", "reinit")))

        where, neighbour = (min(shared, key=lambda r: abs(r - share)) for share in (0.202, 0.211))
        ticket, reinit = (100 * grid[kind][where].early_stop_test_accuracy.mean for kind in ("ticket", "reinit"))
        near = min((r for k, _, r in paper if k == "ticket"), key=lambda r: abs(r - 0.211), default=None)
        at_near = {k: row.early_stop_test_accuracy for (k, _, r), (row, _) in paper.items() if r == near}
        by_kind = {k: spread.mean for k, spread in at_near.items()}
        text = (f"Lesson 03, Exercise 2 (§4's tables, means over the seeds): at {100 * where:.1f} % of the weights "
                f"remaining the one-step ticket leads random reinit by {lead(where):+.2f} points ({ticket:.2f} % "
                f"against {reinit:.2f} %); its neighbour at {100 * neighbour:.1f} %, one step: "
                f"{lead(neighbour):+.2f} points")
        if {"ticket", "reinit"} <= set(by_kind) and neighbour != where:
            rounds = points(by_kind["ticket"], by_kind["reinit"])
            text += (f"; after the rounds, at {100 * near:.1f} %: {rounds:+.2f} points. The leads of two neighbouring "
                     f"one-step tickets differ by {abs(lead(where) - lead(neighbour)):.2f} points, one step's and the "
                     f"rounds' by "
                     f"{abs(rounds - lead(neighbour)):.2f}: more than the neighbours' difference, but the two "
                     f"neighbours share their seeds, θ0 and most of their mask, so their difference understates the "
                     f"noise; random reinit's seeds at {100 * near:.1f} % span "
                     f"{grid['reinit'][neighbour].early_stop_test_accuracy.text(percent=True)} % after one step and "
                     f"{at_near['reinit'].text(percent=True)} % after the rounds: one row alone settles little")
        lines += ["", text + "."]
    last = max((r for k, r, _ in paper if k == "ticket"), default=None)
    if last is not None and all(any(k == c and r == last for k, r, _ in paper) for c in CONTROLS):
        def split(rounds: int) -> tuple[dict[str, float], float, float, float]:
            """After `rounds` rounds: each kind's mean accuracy, the mask's and θ0's shares of the lead, the
            sparsity."""
            rows = {k: row for (k, r, _), (row, _) in paper.items() if r == rounds}
            acc = {k: round(100 * row.early_stop_test_accuracy.mean, 2) for k, row in rows.items()}  # as printed
            return acc, acc["reinit"] - acc["random_prune"], acc["ticket"] - acc["reinit"], rows["ticket"].remaining

        def worth(mask: float, theta_0: float) -> str:
            return "the mask" if mask > theta_0 else "θ0"

        acc, mask, theta_0, _ = split(last)
        earlier, (before, mask_2, theta_0_2, remaining) = last - 2, split(last - 2)
        lines += ["", f"Lesson 03, Exercise 3 (section 2's table, round {last}): random reinit minus random pruning is "
                      f"{mask:.2f} points ({acc['reinit']:.2f} − {acc['random_prune']:.2f}), the mask's share of the "
                      f"ticket's {mask + theta_0:.2f}-point lead over random pruning; the ticket's lead over random "
                      f"reinit, θ0's share, is {theta_0:.2f}: at this sparsity {worth(mask, theta_0)} is worth more. "
                      f"Its second question, round {earlier} ({100 * remaining:.1f} % "
                      f"of the weights, where random pruning stops well within its training): the mask's share "
                      f"{mask_2:.2f} points ({before['reinit']:.2f} − {before['random_prune']:.2f}), θ0's "
                      f"{theta_0_2:.2f}: {worth(mask_2, theta_0_2)} "
                      f"{'again' if worth(mask_2, theta_0_2) == worth(mask, theta_0) else 'instead'}."]
    lines += _faster_rate(results, model)
    signs, seeds, _ = _sign_run(bundle, model)
    if any(r.kind == "reinit_signs" for r in signs):
        last = max(r.round for r in signs)
        rows = {row.kind: row for row in summarize(r for r in signs if r.round == last)}
        plain, kept = sign_recovery(signs)[last]
        lines += ["", f"Panel 3 after {last} rounds ({100 * rows['ticket'].remaining:.1f} % remaining; seeds "
                      f"{', '.join(map(str, seeds))}): winning ticket {_numbers(rows['ticket'])}; "
                      f"behind its ticket, plain reinit {plain.mean('iterations'):,.0f} iterations and "
                      f"{plain.mean('points'):.2f} points, the signs-kept network {kept.mean('iterations'):,.0f} and "
                      f"{kept.mean('points'):.2f}: keeping the signs recovers "
                      f"{share_text(recovered(plain, kept, 'iterations'))} of the lag in speed and "
                      f"{share_text(recovered(plain, kept, 'points'))} in accuracy."]
        again = trained_again(signs)
        if again:  # the figure's signs-kept line against the run's ticket is not its lag
            lines[-1] += (f" If asked why the panel's signs-kept numbers ({_numbers(rows['reinit_signs'])}) do not "
                          f"subtract to its lag: for seeds {', '.join(map(str, again))} the signs-kept networks were "
                          f"trained beside a re-run of the ticket chain, whose masks differ (more as pruning goes on), "
                          f"and each lag is counted against the ticket the control was trained beside.")
    return lines


def _faster_rate(results: list[Result], model: str, rate: float = 0.5) -> list[str]:
    """Lesson 02's To think about: the tickets pruned `rate` a round beside the paper's 20 % tickets of the nearest
    sparsity (accuracy at early stop and the early-stop iteration, means with the iteration's min–max)."""
    def tickets(per_round: float) -> list[Summary]:
        wanted = get_preset(model).amounts(per_round).by_role
        return [row for row in summarize(r for r in results if r.kind == "ticket" and not r.rewind_iteration
                                         and all(dict(step) == wanted for step in r.schedule))]

    fast, paper = tickets(rate), tickets(PAPER_RATE)
    if not fast or not paper:
        return []
    pairs = []
    for row in fast:
        near = min(paper, key=lambda p: abs(p.remaining - row.remaining))
        pairs.append(f"{100 * row.remaining:.1f} %: {100 * row.early_stop_test_accuracy.mean:.2f} % at "
                     f"{row.early_stop_iteration.text(percent=False)} (20 % a round, {100 * near.remaining:.1f} %: "
                     f"{100 * near.early_stop_test_accuracy.mean:.2f} % at "
                     f"{near.early_stop_iteration.text(percent=False)})")
    return ["", f"Lesson 02, To think about ({100 * rate:.0f} % a round; each: weights remaining, test accuracy at "
                f"early stop, at the early-stop iteration, mean [min–max of the iteration]): "
                + "; ".join(pairs) + "."]


SECTION_TIMES = ("<!-- section times: generated by `python -m lottery_utils report` from the lessons and "
                 "timings.json -->",
                 "<!-- end of the section times -->")
LAB_PLAN = ("<!-- the lab: generated by `python -m lottery_utils report` from the lessons and timings.json -->",
            "<!-- end of the lab -->")


def _replaced(text: str, marks: tuple[str, str], lines: list[str]) -> str:
    """`text` with the block between `marks` replaced by `lines`."""
    start, end = text.index(marks[0]) + len(marks[0]), text.index(marks[1])
    return text[:start] + "\n" + "\n".join(lines) + "\n" + text[end:]


def with_talking_points(text: str, bundle: Bundle) -> str:
    """`text` (the teacher's guide) with its generated blocks rewritten: the app's numbers from `bundle`, the
    sections' times and the lab's plan from the lessons and their measured running times."""
    text = _replaced(text, TALKING_POINTS, talking_points(bundle))
    text = _replaced(text, SECTION_TIMES, times.guide_block())
    return _replaced(text, LAB_PLAN, times.lab_block())


def figure_run(bundle: Bundle, model: str = "lenet") -> list[Result]:
    """The 18-round run the figures draw: the seeds the README's table shows (a seed still being built does not enter
    the means while any seed is complete)."""
    return _seeds({m["seed"]: m for m in bundle.parts(model)}, paper_run(bundle.results(model), model))[0]


def write_report(folder: Path | None = None, bundle: Bundle | None = None) -> Path:
    """Write README.md and the two figures (accuracy and early stop vs weights remaining) into `folder`."""
    folder = Path(folder or RESULTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    bundle = bundle if bundle is not None else Bundle()
    path = folder / "README.md"
    path.write_text(readme(bundle))
    (folder / "why-tickets-win.md").write_text(why_readme(bundle))
    if folder == RESULTS_DIR:
        BENCHMARKS.write_text(with_build_times(BENCHMARKS.read_text(), bundle))
        GUIDE.write_text(with_talking_points(GUIDE.read_text(), bundle))
        write_demo(bundle=bundle)
    run = figure_run(bundle)
    if run:
        plots.plot_accuracy_vs_remaining(run).savefig(folder / "accuracy_vs_remaining.png", dpi=110)
        plots.plot_early_stop_vs_remaining(run).savefig(folder / "early_stop_vs_remaining.png", dpi=110)
    return path


def rewinding_table(results: list[Result]) -> list[str]:
    """Ticket accuracy at early stop (and the early-stop iteration) for each rewind iteration k, by sparsity."""
    ks = sorted({r.rewind_iteration for r in results if r.kind == "ticket"})
    rows = {k: {row.remaining_key: row for row in summarize(r for r in results
                                                        if r.kind == "ticket" and r.rewind_iteration == k)}
            for k in ks}
    dense = summarize(r for r in results if r.kind == "dense")[0]
    return columns_table([f"k = {k:,}" for k in ks], dense,
                         [(rows[0][s].remaining, [rows[k].get(s) for k in ks]) for s in sorted(rows[0], reverse=True)])
