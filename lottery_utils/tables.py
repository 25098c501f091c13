"""The lessons' tables and the sentences computed from them, as Markdown: `show(results)` in a notebook cell, and
the same functions in docs/results (maintainer.docs); `describe` and `seed_by_seed` print the same numbers as text.
Every number comes from the results given."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .lessons import LABELS, by_kind_and_remaining
from .history import conditions
from .results import ALL_CONTROLS, Kind, Result, as_results, remaining_key
from .summaries import Summary, by_configuration, configuration, summarize, unique_networks


LEVEL = 0.05  # points of accuracy within which two means count as level: five of the 10,000 test images


@dataclass(frozen=True)
class Paired:
    """One configuration against the dense network of each seed, counted seed by seed.

    `as_accurate` counts the seeds where it is at least as accurate at early stop (the hypothesis' a' >= a),
    `no_later` those where it stops no later (j' <= j), and `both` those where both hold. With few seeds this says
    more than the means do, because the seeds' dense networks differ among themselves.
    """

    kind: Kind
    remaining: float
    n_seeds: int
    as_accurate: int
    no_later: int
    both: int = 0


def references(results: Iterable[Result], against: str = "dense") -> list[tuple[Result, Result]]:
    """Each network, paired with its reference of the same seed, model and training length.

    The reference is the dense network by default. With another kind as `against`, it is the network of that kind
    at the same round, rewind iteration and sparsity: "reinit" pairs each ticket with its own seed's
    reinitialization. Networks without a reference, and the references themselves, are left out.
    """
    results = unique_networks(results)

    def identity(r: Result) -> tuple:
        return (r.seed, r.model, r.iterations) + (() if against == "dense" else
                                                  (r.round, r.rewind_iteration, r.remaining_key))

    reference = {identity(r): r for r in results if r.kind == against}
    pairs = [(r, reference.get(identity(r))) for r in results if r.kind != against]
    return [(r, ref) for r, ref in pairs if ref is not None]


def paired(results: Iterable[Result], against: str = "dense") -> list[Paired | None]:
    """For each configuration, in `summarize`'s order, the seed-by-seed comparison with its reference.

    The references are those of `references`. A configuration without one (the reference itself) gets None.
    """
    groups: dict[tuple, list[tuple[Result, Result]]] = {}
    for r, ref in references(results, against):
        groups.setdefault(configuration(r), []).append((r, ref))
    return [_paired(groups.get(configuration(group[0]), [])) for group in by_configuration(results)]


def _paired(pairs: list[tuple[Result, Result]]) -> Paired | None:
    if not pairs:
        return None
    met = [conditions(r.history, ref.history) for r, ref in pairs]
    return Paired(pairs[0][0].kind, pairs[0][0].remaining, len(pairs), sum(c.as_accurate for c in met),
                  sum(c.no_later for c in met), sum(c.as_accurate and c.no_later for c in met))


def points(a: float, b: float) -> float:
    """a − b in percentage points, from the two accuracies as the tables print them (rounded to the hundredth), so
    that a printed gap is always the difference of the printed numbers."""
    return round(100 * a, 2) - round(100 * b, 2)


def split_by_seed(results: list[Result]) -> dict[float, tuple[int, int]]:
    """Section 1 of notebook 03 splits the ticket's lead over random pruning into θ0's share (ticket − random reinit)
    and the mask's (random reinit − random pruning). Seed by seed, at each sparsity with both controls: in how many
    seeds θ0's share is the larger (in printed points, so that a tie is no win), of how many."""
    by_reinit: dict[int, dict[str, Result]] = {}
    for network, reinit in references(results, against="reinit"):
        by_reinit.setdefault(id(reinit), {"reinit": reinit})[network.kind] = network
    counts: dict[float, tuple[int, int]] = {}
    for three in by_reinit.values():
        if {"ticket", "random_prune"} <= set(three):
            ticket, reinit, pruned = (three[k].early_stop_test_accuracy for k in ("ticket", "reinit", "random_prune"))
            larger, n = counts.get(three["reinit"].remaining_key, (0, 0))
            wins = round(points(ticket, reinit), 2) > round(points(reinit, pruned), 2)
            counts[three["reinit"].remaining_key] = (larger + wins, n + 1)
    return counts


def paired_text(pair: Paired, reference: str = "its own seed's dense network") -> str:
    """"against its own seed's dense network: at least as accurate in 3 of 3, stops no later in 2 of 3, both in 2 of
    3": a `paired` comparison in words."""
    return (f"against {reference}: at least as accurate in {pair.as_accurate} of {pair.n_seeds}, "
            f"stops no later in {pair.no_later} of {pair.n_seeds}, both in {pair.both} of {pair.n_seeds}")


def seed_by_seed(results: Iterable[Result], kind: str = "ticket") -> str:
    """One line per seed: its dense network and its `kind` network side by side (test accuracy at early stop, the
    early-stop iteration), and whether the network is at least as accurate and stops no later: the hypothesis' two
    conditions, where a mean over seeds can hide that they disagree. One sparsity of `kind` expected."""
    results = unique_networks(results)
    sparsities = {r.remaining_key for r in results if r.kind == kind}
    if len(sparsities) != 1:
        raise ValueError(f"Pass the results of one {kind} sparsity with its dense networks (found {len(sparsities)}).")
    dense = {r.seed: r for r in results if r.kind == "dense"}
    lines = []
    for r in sorted((r for r in results if r.kind == kind and r.seed in dense), key=lambda r: r.seed):
        d = dense[r.seed]
        as_accurate, no_later = conditions(r.history, d.history)
        verdict = (f"{'as accurate or more' if as_accurate else 'less accurate'}, "
                   f"{'stops no later' if no_later else 'stops later'}")
        lines.append(f"seed {r.seed}: dense {100 * d.early_stop_test_accuracy:.2f} % at {d.early_stop_iteration:,}, "
                     f"{kind} {100 * r.early_stop_test_accuracy:.2f} % at {r.early_stop_iteration:,}: {verdict}")
    return "\n".join(lines)


def early_stop_in_curve(result: Result) -> str:
    """One network's accuracy at its early stop beside its curve's points on either side. The early stop is read
    where the validation loss is lowest, one evaluation of 10,000 test images: it can sit above or below the curve."""
    readings = list(zip(result.history.curve_iterations, result.history.test_accuracy))
    stop = result.early_stop_iteration
    before = [(i, a) for i, a in readings if i < stop][-1:]
    after = [(i, a) for i, a in readings if i > stop][:1]
    around = " and ".join(f"{100 * a:.2f} % at {i:,}" for i, a in before + after)
    return (f"seed {result.seed}, {LABELS[result.kind]}: {100 * result.early_stop_test_accuracy:.2f} % at its early "
            f"stop ({stop:,}); its curve: {around or 'no other point'}")


def curve_ahead(ticket: Result, dense: Result) -> str:
    """How long a ticket's test-accuracy curve stays at or above its own seed's dense network's, over the readings
    both curves have: speed read off the whole curve, where the early stop is one reading."""
    theirs = dict(zip(dense.history.curve_iterations, dense.history.test_accuracy))
    common = [(i, a, theirs[i]) for i, a in zip(ticket.history.curve_iterations, ticket.history.test_accuracy)
              if i in theirs and i > 0]  # at iteration 0 both are untrained: no reading of speed
    behind = next((k for k, (_, a, d) in enumerate(common) if a < d), None)
    if behind is None:
        return f"seed {ticket.seed}: the ticket's curve at or above its dense network's at every reading"
    if behind == 0:
        return f"seed {ticket.seed}: the ticket's curve below its dense network's from the first reading"
    return (f"seed {ticket.seed}: the ticket's curve at or above its dense network's at every reading from "
            f"{common[0][0]:,} to {common[behind - 1][0]:,} iterations; first below at {common[behind][0]:,}")


def curve_margins(results: Iterable[Result], shares: Iterable[float], readings: int = 5) -> list[str]:
    """A Markdown table: at each of the first `readings` curve readings after iteration 0 (those every curve has), the
    least accurate seed's ticket minus the most accurate seed's dense network (test accuracy, in points), for the
    tickets nearest each of `shares`. Positive everywhere in a row: every seed's ticket ahead of every seed's dense
    network there, a claim the overlapping bands of a figure cannot show."""
    results = unique_networks(results)
    curves = {id(r): dict(zip(r.history.curve_iterations, r.history.test_accuracy)) for r in results}
    iterations = sorted(set.intersection(*(set(c) for c in curves.values())) - {0})[:readings]
    dense = [r for r in results if r.kind == "dense"]
    tickets = [r for r in results if r.kind == "ticket"]
    lines = ["| weights remaining | " + " | ".join(f"{i:,}" for i in iterations) + " |",
             "|---:|" + "---:|" * len(iterations)]
    for share in shares:
        nearest = min({r.remaining for r in tickets}, key=lambda remaining: abs(remaining - share))
        mine = [r for r in tickets if r.remaining_key == remaining_key(nearest)]
        lines.append(f"| {100 * nearest:.1f} % | " + " | ".join(
            f"{100 * (min(curves[id(r)][i] for r in mine) - max(curves[id(d)][i] for d in dense)):+.2f}"
            for i in iterations) + " |")
    return lines


def seeds_against_dense(results: Iterable[Result], kind: str = "ticket") -> list[str]:
    """A Markdown table, one row per seed: its dense network (accuracy at early stop, early-stop iteration), and the
    sparsities at which that seed's `kind` networks fail each of the hypothesis' two conditions against it (a′ < a:
    less accurate; j′ > j: stops later). Which seed fails which condition where: with few seeds, one seed's unusual
    dense network can decide a count."""
    results = unique_networks(results)
    dense = {r.seed: r for r in results if r.kind == "dense"}

    def failing(seed: int, condition: int) -> str:
        shares = sorted({r.remaining for r in results if r.kind == kind and r.seed == seed
                         and not conditions(r.history, dense[seed].history)[condition]}, reverse=True)
        return ", ".join(f"{100 * share:.1f}" for share in shares) + " %" if shares else "none"

    lines = [f"| seed | dense network: accuracy at early stop, early-stop iteration | {LABELS[kind]}s less accurate "
             f"(a′ < a), at % of the weights | {LABELS[kind]}s stopping later (j′ > j), at % of the weights |",
             "|---:|---:|---|---|"]
    for seed, d in sorted(dense.items()):
        lines.append(f"| {seed} | {100 * d.early_stop_test_accuracy:.2f} %, {d.early_stop_iteration:,} | "
                     f"{failing(seed, 0)} | {failing(seed, 1)} |")
    return lines


def seed_counts(results: Iterable[Result], kind: str, against: str = "dense") -> list[str]:
    """A Markdown table: at each sparsity, in how many seeds the `kind` network is at least as accurate as (a′ ≥ a),
    and stops no later than (j′ ≤ j), the `against` network of its own seed (`paired`)."""
    results = list(results)
    rows = [(row, pair) for row, pair in zip(summarize(results), paired(results, against=against))
            if row.kind == kind and pair is not None]
    return ([f"| weights remaining | {LABELS[kind]}: as accurate as its seed's {LABELS[against]} | stops no later |",
             "|---:|---:|---:|"]
            + [f"| {100 * row.remaining:.1f} % | {pair.as_accurate} of {pair.n_seeds} | "
               f"{pair.no_later} of {pair.n_seeds} |" for row, pair in rows])


def describe(results: Iterable[Result]) -> str:
    """One line per kind and sparsity: test accuracy at early stop and the early-stop iteration, as the mean with
    [min–max] over the seeds when there are several (what the lessons print before they draw); with several seeds,
    under each network the seed-by-seed comparison with the dense network (`paired`)."""
    results = list(results)
    lines = []
    for row, pair in zip(summarize(results), paired(results)):
        lines.append(f"{row.kind:>12} {100 * row.remaining:5.1f} % of the weights: test accuracy at early stop "
                     f"{row.early_stop_test_accuracy.text(percent=True)} %, early stop at iteration "
                     f"{row.early_stop_iteration.text(percent=False)} ({row.n_seeds} seed{'s' * (row.n_seeds > 1)})")
        if pair is not None and pair.n_seeds > 1:
            lines.append(f"{'':>12} {paired_text(pair)}")
    return "\n".join(lines)


def _cell(row: Summary | None, metric: str, percent: bool) -> str:
    return "" if row is None else getattr(row, metric).text(percent=percent)


def columns_table(columns: list[str], dense: Summary, rows: list[tuple[float, list[Summary | None]]],
                  last: tuple[str, dict[float, str]] | None = None) -> list[str]:
    """Per sparsity, the test accuracy at early stop of each column, then their early-stop iterations, one column
    each; the dense network first; `last`: a heading and, by sparsity, the text of one more column."""
    heading, by_share = last or ("", {})
    blanks = " |" * (len(columns) - 1)
    extra = f" {heading} |" if last else ""

    def line(first: str, remaining: float, summaries: list[Summary | None]) -> str:
        return (f"| {first} | " + " | ".join(_cell(s, "early_stop_test_accuracy", True) for s in summaries) + " | "
                + " | ".join(_cell(s, "early_stop_iteration", False) for s in summaries) + " |"
                + (f" {by_share.get(remaining_key(remaining), '')} |" if last else ""))

    return ["| weights remaining | " + " | ".join(f"{c}: accuracy (%)" for c in columns) + " | "
            + " | ".join(f"{c}: early-stop iteration" for c in columns) + " |" + extra,
            "|---:|" + "---:|" * (2 * len(columns) + bool(last)),
            f"| 100 % (dense) | {_cell(dense, 'early_stop_test_accuracy', True)} |{blanks} "
            f"{_cell(dense, 'early_stop_iteration', False)} |{blanks}" + " |" * bool(last),
            *(line(f"{100 * remaining:.1f} %", remaining, summaries) for remaining, summaries in rows)]


def table(rows: list[Summary], pairs: list[Paired | None] = (), split: dict[float, tuple[int, int]] | None = None
          ) -> list[str]:
    """Test accuracy at early stop and the early-stop iteration of each kind, by weights remaining; a last column,
    with `split` (`split_by_seed`): in how many seeds θ0's share of the ticket's lead is the larger; for tickets
    alone, with `pairs` (`paired`, several seeds): their seed-by-seed comparison with the dense network of
    their seed (at least as accurate, a' >= a; no later, j' <= j; both)."""
    by = by_kind_and_remaining(rows)
    shares = {row.remaining_key: row.remaining for row in rows if row.remaining_key != 1.0}  # each sparsity, as printed
    kinds = ["ticket", *(c for c in ALL_CONTROLS if any(row.kind == c for row in rows))]
    dense = dense_row(rows)
    own_seed = {remaining_key(p.remaining): f"{p.as_accurate} · {p.no_later} · {p.both} of {p.n_seeds}"
                for p in pairs if p is not None and p.kind == "ticket" and p.n_seeds > 1}
    if split:
        last = ("seeds where θ0's share (ticket − random reinit) > the mask's (random reinit − random pruning)",
                {share: f"{larger} of {n}" for share, (larger, n) in split.items()})
    elif own_seed and kinds == ["ticket"]:
        last = ("seeds where the ticket has a′ ≥ a · j′ ≤ j · both (vs its seed's dense)", own_seed)
    else:
        last = None
    lines = [(shares[s], [by.get((k, s)) for k in kinds]) for s in sorted(shares, reverse=True)]
    return columns_table([LABELS[k] for k in kinds], dense, lines, last)


def dense_row(rows: list[Summary]) -> Summary:
    """The dense network's row, which every table compares with; a clear error where the results have none."""
    dense = next((row for row in rows if row.kind == "dense"), None)
    if dense is None:
        raise ValueError("These results hold no dense network to compare with: pass a whole run's results, as "
                         "experiments.sweep, one_shot and iterative return them.")
    return dense


def accuracy(row: Summary) -> float:
    """A row's mean test accuracy at early stop."""
    return row.early_stop_test_accuracy.mean


def stop(row: Summary) -> float:
    """A row's mean early-stopping iteration."""
    return row.early_stop_iteration.mean


def findings(rows: list[Summary]) -> list[str]:
    """Sentences comparing the kinds, each computed from the table's means."""
    dense = dense_row(rows)
    by = by_kind_and_remaining(rows)
    sparsities = sorted({row.remaining_key for row in rows if row.kind == "ticket"}, reverse=True)
    ticket = [by[("ticket", s)] for s in sparsities]
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
    sentences += control_findings(rows)
    earlier = [t for t in ticket if stop(t) < stop(dense)]
    sentences.append(f"- **Early stopping**: the dense network stops at iteration {stop(dense):,.0f} on average; "
                     f"tickets stop earlier at {len(earlier)} of {len(ticket)} sparsities (earliest: "
                     f"{min(stop(t) for t in ticket):,.0f}).")
    return sentences


def control_findings(rows: list[Summary]) -> list[str]:
    """A sentence per control in the table: below the ticket at how many sparsities, its largest gap (means), and at
    how many it stops later."""
    by = by_kind_and_remaining(rows)
    sparsities = sorted({row.remaining_key for row in rows if row.kind == "ticket"}, reverse=True)
    sentences = []
    for control in ALL_CONTROLS:
        pairs = [(by[("ticket", s)], by[(control, s)]) for s in sparsities if (control, s) in by]
        if not pairs:
            continue
        behind = sum(accuracy(c) < accuracy(t) for t, c in pairs)
        later = sum(stop(c) > stop(t) for t, c in pairs)
        t, c = max(pairs, key=lambda pair: points(accuracy(pair[0]), accuracy(pair[1])))
        sentences.append(
            f"- **{LABELS[control].capitalize()}**: below the ticket at {behind} of {len(pairs)} sparsities; the "
            f"largest gap is {points(accuracy(t), accuracy(c)):.2f} points at {100 * t.remaining:.1f} % remaining "
            f"({100 * accuracy(c):.2f} % against {100 * accuracy(t):.2f} %); it stops later than the ticket "
            f"at {later} of {len(pairs)}.")
    return sentences


def _ticket_pairs(results: list[Result], against: str = "dense") -> list[Paired]:
    """Each ticket against the `against` network of its own seed (`paired`), the tickets only."""
    return [p for p in paired(results, against=against) if p is not None and p.kind == "ticket"]


def seed_counts_headings(n: int) -> list[str]:
    """The headings of a count over `n` seeds, every seed down to none: "all 5 seeds", "4 of 5", ..., "no seed"."""
    return [f"all {n} seeds" if k == n else "no seed" if k == 0 else f"{k} of {n}" for k in range(n, -1, -1)]


def _tally(pairs: list[Paired], count) -> list[int]:
    """For k = every seed down to none: at how many sparsities `count(pair)` is k."""
    n = pairs[0].n_seeds
    return [sum(count(p) == k for p in pairs) for k in range(n, -1, -1)]


def paired_findings(results: list[Result]) -> list[str]:
    """One sentence: seed by seed, each ticket against the dense network of its own seed (`paired`): at how
    many sparsities all seeds, some or none are at least as accurate (a' >= a), and stop no later (j' <= j)."""
    tickets = _ticket_pairs(results)
    if not tickets or tickets[0].n_seeds < 2:
        return []
    n = tickets[0].n_seeds

    def tally(count) -> str:
        return ", ".join(f"in {'all ' + str(n) if k == n else 'none' if k == 0 else f'{k} of {n}'} at {found}"
                         for k, found in zip(range(n, -1, -1), _tally(tickets, count)))

    sentences = [f"- **Seed by seed** (each ticket against the dense network of its own seed, {len(tickets)} "
                 f"sparsities): at least as accurate (a′ ≥ a) {tally(lambda p: p.as_accurate)}; stops no later "
                 f"(j′ ≤ j) {tally(lambda p: p.no_later)}. Where the seeds disagree, the mean alone does not settle "
                 f"it."]
    return sentences + paired_control_findings(results)


def winning_counts(results: list[Result]) -> list[str]:
    """The tickets seed by seed against the dense network of their own seed, as a table: at how many sparsities all
    seeds, some or none are at least as accurate (a' >= a), stop no later (j' <= j), and both (a winning ticket by the
    paper's definition); then where every seed's ticket wins and where none does."""
    tickets = _ticket_pairs(results)
    if not tickets:
        return []
    n = tickets[0].n_seeds
    headings = seed_counts_headings(n)
    rows = ["| condition, of the tickets' sparsities | " + " | ".join(headings) + " |",
            "|---|" + "---:|" * len(headings)]
    for name, count in (("at least as accurate (a′ ≥ a)", lambda p: p.as_accurate),
                        ("stops no later (j′ ≤ j)", lambda p: p.no_later),
                        ("both: a winning ticket", lambda p: p.both)):
        rows.append(f"| {name} | " + " | ".join(map(str, _tally(tickets, count))) + " |")

    def shares(condition) -> str:
        found = [f"{100 * p.remaining:.1f}" for p in tickets if condition(p)]
        return f"{', '.join(found)} %" if found else ""

    every, none = shares(lambda p: p.both == n), shares(lambda p: p.both == 0)
    return rows + ["", (f"Every seed's ticket is a winning ticket at {every} of the weights" if every else
                        "At no sparsity is every seed's ticket a winning ticket")
                   + (f"; no seed's at {none}." if none else "; at every one, some seed's is.")]


def paired_control_findings(results: list[Result]) -> list[str]:
    """One sentence: each ticket against the controls of its own seed: at how many sparsities it is at least as
    accurate as each control in every seed."""
    controls = []
    for control in ALL_CONTROLS:  # each ticket against its own seed's control: at least as accurate in every seed?
        against = _ticket_pairs(results, against=control)
        if against and against[0].n_seeds > 1:
            n = against[0].n_seeds
            every = sum(p.as_accurate == p.n_seeds == n for p in against)
            controls.append(f"the ticket at least as accurate as {LABELS[control]} in all {n} seeds at {every} of "
                            f"{len(against)}")
    if not controls:
        return []
    return [f"- **Controls, seed by seed** (each against the ticket of its own seed): {'; '.join(controls)} "
            f"sparsities."]


def rounds_vs_one_step(iterative: list[Result], one_shot: list[Result], controls: tuple[str, ...] = ()) -> list[str]:
    """Each round n of `iterative` beside the one-shot network pruned to the same share of weights in one step (the
    nearest share, within 0.2 points: the output layer's amount differs a little). Without `controls`: the tickets'
    accuracy at early stop and early-stop iteration (means), and in how many seeds the ticket after n rounds is more
    accurate and stops earlier than the one-step ticket of its seed, then a sentence counting the round counts where
    every seed agrees. With `controls`: the tickets' accuracy and early stop, and the ticket's lead over each control,
    in mean points, after n rounds and after one step."""
    def at(results: list[Result], remaining: float) -> list[Result]:
        return [r for r in results if r.remaining_key == remaining_key(remaining)]

    steps = [row for row in summarize(one_shot) if row.kind == "ticket"]
    matched = []  # (the ticket of n rounds, `many`; the one-step ticket, `one`), as summaries
    for ticket in (row for row in summarize(iterative) if row.kind == "ticket"):
        step = min(steps, key=lambda row: abs(row.remaining - ticket.remaining), default=None)
        if step is not None and abs(step.remaining - ticket.remaining) <= 0.002:
            matched.append((ticket, step))

    def both(many: Summary, one: Summary, metric: str) -> str:
        form = (lambda v: f"{100 * v:.2f}") if metric == "early_stop_test_accuracy" else (lambda v: f"{v:,.0f}")
        return f"{form(getattr(many, metric).mean)} / {form(getattr(one, metric).mean)}"

    if controls:
        lines = ["| rounds | weights remaining: n rounds / one step | winning ticket: n rounds / one step | "
                 "its early stop: n rounds / one step | "
                 + " | ".join(f"ticket − {LABELS[c]}: n rounds / one step" for c in controls) + " |",
                 "|---:|" + "---:|" * (3 + len(controls))]
        for many, one in matched:  # each kind's mean accuracy after n rounds, and after one step
            means = [{row.kind: row.early_stop_test_accuracy.mean for row in summarize(at(run, share))}
                     for run, share in ((iterative, many.remaining), (one_shot, one.remaining))]
            gaps = [" / ".join(f"{points(m['ticket'], m[c]):+.2f}" if c in m else "–" for m in means)
                    for c in controls]
            lines.append(f"| {many.round} | {100 * many.remaining:.1f} / {100 * one.remaining:.1f} % | "
                         f"{both(many, one, 'early_stop_test_accuracy')} | {both(many, one, 'early_stop_iteration')} | "
                         + " | ".join(gaps) + " |")
        return lines
    lines = ["| rounds | weights remaining: n rounds / one step | accuracy at early stop: n rounds / one step | "
             "n rounds more accurate (seeds) | early stop: n rounds / one step | n rounds earlier (seeds) |",
             "|---:|---:|---:|---:|---:|---:|"]
    every_seed: dict[str, list[int]] = {"more accurate": [], "earlier": []}
    for many, one in matched:
        one_step = {r.seed: r for r in at(one_shot, one.remaining) if r.kind == "ticket"}
        pairs = [(r, one_step[r.seed]) for r in at(iterative, many.remaining)
                 if r.kind == "ticket" and r.seed in one_step]
        counts = {"more accurate": sum(r.early_stop_test_accuracy > s.early_stop_test_accuracy for r, s in pairs),
                  "earlier": sum(r.early_stop_iteration < s.early_stop_iteration for r, s in pairs)}
        for what, count in counts.items():
            if pairs and count == len(pairs):
                every_seed[what].append(many.round)
        lines.append(f"| {many.round} | {100 * many.remaining:.1f} / {100 * one.remaining:.1f} % | "
                     f"{both(many, one, 'early_stop_test_accuracy')} | {counts['more accurate']} of {len(pairs)} | "
                     f"{both(many, one, 'early_stop_iteration')} | {counts['earlier']} of {len(pairs)} |")
    seeds = max((many.n_seeds for many, _ in matched), default=0)
    counted = "; ".join(f"{what} in all {seeds} seeds after {len(ks)} of {len(matched)} round counts "
                        f"({', '.join(map(str, ks)) or 'none'})" for what, ks in every_seed.items())
    return lines + ["", f"- **n rounds against one step, seed by seed** (each seed's ticket against the one-step "
                        f"ticket of its seed): {counted}."]


def markdown(lines: list[str], folded: str | None = None):
    """Lines of Markdown (a table, sentences), shown as such in a notebook cell; `folded`: behind that title, closed
    until clicked (an HTML <details>: the classroom app's answers stay out of sight until after the prediction)."""
    from IPython.display import Markdown

    text = "\n".join(lines)
    return Markdown(f"<details><summary>{folded}</summary>\n\n{text}\n\n</details>" if folded else text)


def lesson_sections(results: list[Result]) -> dict:
    """The lessons' tables and sentences of `results`, by name, each a function that writes its lines: "table", then
    "findings" (the sentences computed from it) or "controls" (only those on the controls against the ticket)."""
    plain = [r for r in as_results(results) if not r.rewind_iteration]
    rows = summarize(plain)
    return {"table": lambda: table(rows, paired(plain), split_by_seed(plain)),
            "findings": lambda: findings(rows) + paired_findings(plain),
            "controls": lambda: control_findings(rows) + paired_control_findings(plain)}


def render(chosen: tuple[str, ...], available: dict, folded: str | None = None):
    """The `chosen` sections of `available` (`lesson_sections`), one after the other, as Markdown for a cell."""
    unknown = set(chosen) - set(available)
    if unknown:
        raise ValueError(f"Unknown section(s) {sorted(unknown)}: choose from {sorted(available)}.")
    return markdown([line for i, name in enumerate(chosen) for line in [""] * bool(i) + available[name]()], folded)


def show(results: list[Result], sections: tuple[str, ...] = ("table", "findings"), folded: str | None = None):
    """Show a lesson's table of `results` and the sentences computed from it, as Markdown for a notebook cell.

    Sections, shown in the order given (an unknown name is refused with the list):
        "table": accuracy and early stop per kind and sparsity, mean and min-max over seeds, seed-by-seed counts.
        "findings": the sentences computed from the table.
        "controls": only the sentences on the controls against the ticket.
    `folded` puts the whole behind a title, closed until clicked. Notebook 05's experiments have `why.show`, and
    the paper's own sentences `claims.show`.
    """
    return render(sections, lesson_sections(results), folded)
