"""Notebook 05's experiments in tables and sentences (also docs/results and the app's signs panel): supermasks, the
kept weights' signs, the sign-preserving control after one step and after the paper's 18 rounds, rewinding. Each
control is measured against the ticket it was trained beside (`beside_ticket`; a bundle file names that ticket when
it is not its run's own, as for the sign controls of seeds 0-2). Machinery: imports the core, the store and tables."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .lessons import by_kind_and_remaining, initial_accuracies
from .results import Result, remaining_key
from .summaries import Spread, Summary, summarize, unique_networks
from .store import StoredResult
from .tables import LEVEL, accuracy, lesson_sections, points, references, render, stop


def show(results: list[Result], sections: tuple[str, ...] = ("table",), folded: str | None = None):
    """Show notebook 05's tables and sentences of `results`, as Markdown for a notebook cell.

    Sections, shown in the order given (an unknown name is refused with the list):
        "table", "findings", "controls": the lessons' own, as in `tables.show`.
        "supermask": accuracy before any training, the ticket's mask and a random one on θ0.
        "signs": the sign-preserving control against plain random reinit, after one step.
        "sign_rounds": the same after each of the paper's rounds.
        "rewinding": tickets rewound to each k, against k = 0.
    `folded` works as in `tables.show`.
    """
    plain = [r for r in results if not r.rewind_iteration]
    return render(sections, {**lesson_sections(results),
                          "supermask": lambda: supermask_table(plain) + [""] + supermask_findings(plain),
                          "signs": lambda: sign_findings(summarize(plain)),
                          "sign_rounds": lambda: sign_rounds(plain),
                          "rewinding": lambda: rewinding_findings(results)}, folded)


def beside_ticket(results: Iterable[Result]) -> list[tuple[Result, Result]]:
    """Each control (each seed once) with the ticket it was trained beside: the one its store names
    (`StoredResult.trained_beside`), else its run's ticket of the same seed, round and sparsity."""
    return [(c, c.trained_beside if isinstance(c, StoredResult) and c.trained_beside else ticket)
            for c, ticket in references(results, against="ticket")]


@dataclass(frozen=True)
class Lag:
    """How far a control is behind the ticket it was trained beside, seed by seed (`beside_ticket`), in
    early-stop iterations and in points of accuracy at early stop: positive when later, or less accurate."""

    seeds: tuple[int, ...]
    iterations: tuple[float, ...]
    points: tuple[float, ...]

    @classmethod
    def of(cls, pairs: list[tuple[Result, Result]]) -> Lag:
        pairs = sorted(pairs, key=lambda pair: pair[0].seed)
        return cls(tuple(c.seed for c, _ in pairs),
                   tuple(c.early_stop_iteration - t.early_stop_iteration for c, t in pairs),
                   tuple(points(t.early_stop_test_accuracy, c.early_stop_test_accuracy) for c, t in pairs))

    def mean(self, metric: str) -> float:
        values = getattr(self, metric)
        return sum(values) / len(values)


def lags(results: list[Result], control: str) -> dict[int, Lag]:
    """By round, the `control` networks' Lag behind their tickets."""
    by_round: dict[int, list[tuple[Result, Result]]] = {}
    for c, ticket in beside_ticket(results):
        if c.kind == control:
            by_round.setdefault(c.round, []).append((c, ticket))
    return {r: Lag.of(pairs) for r, pairs in by_round.items()}


def recovered(plain: Lag, signs: Lag, metric: str) -> float | None:
    """The share of plain reinit's mean lag (`metric`: "iterations" or "points") that keeping the signs recovers,
    1 − signs' mean lag / plain's: 1 all of it, 0 none, negative when further behind than plain reinit; None when
    plain reinit is not behind on average."""
    return 1 - signs.mean(metric) / plain.mean(metric) if plain.mean(metric) > 0 else None


def sign_recovery(results: list[Result]) -> dict[int, tuple[Lag, Lag]]:
    """By round, plain reinit's and the signs-kept control's Lag behind their tickets."""
    plain, signs = lags(results, "reinit"), lags(results, "reinit_signs")
    return {r: (plain[r], signs[r]) for r in sorted(set(plain) & set(signs))}


def trained_again(results: list[Result]) -> list[int]:
    """The seeds whose signs-kept controls were trained beside another training of the ticket chain than the run's
    (the tickets plain reinit is paired with)."""
    def numbers(r: Result) -> tuple:
        return r.early_stop_iteration, r.early_stop_test_accuracy, r.final_test_accuracy

    pairs = beside_ticket(results)
    run = {(c.seed, c.round): t for c, t in pairs if c.kind == "reinit"}
    return sorted({c.seed for c, t in pairs if c.kind == "reinit_signs" and (c.seed, c.round) in run
                   and numbers(t) != numbers(run[(c.seed, c.round)])})


def shorter(plain: Lag, signs: Lag) -> tuple[int, int]:
    """In how many seeds the signs-kept control is less far behind its ticket in speed than plain reinit behind its
    own, of how many seeds have both."""
    own = dict(zip(plain.seeds, plain.iterations))
    pairs = [(lag, own[seed]) for seed, lag in zip(signs.seeds, signs.iterations) if seed in own]
    return sum(lag < plain_lag for lag, plain_lag in pairs), len(pairs)


def supermask_table(results: list[Result]) -> list[str]:
    """Test accuracy before any training: the ticket's mask and a random mask of the same size on θ0."""
    accuracies = initial_accuracies(results)
    found = {(kind, remaining_key(remaining)): spread for kind, remaining, spread in accuracies}
    shares = {remaining_key(remaining): remaining for kind, remaining, _ in accuracies if kind == "ticket"}
    lines = ["| weights remaining | winning ticket's mask on θ0 | random mask on θ0 |", "|---:|---:|---:|",
             f"| 100 % (dense θ0) | {found[('dense', 1.0)].text(percent=True)} | |"]
    for key in sorted(shares, reverse=True):
        random = found.get(("random_prune", key))
        lines.append(f"| {100 * shares[key]:.1f} % | {found[('ticket', key)].text(percent=True)} | "
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
            f"accuracy at {100 * best[0]:.1f} % of the weights remaining (its best); its mean over the seeds is above "
            f"every random mask's mean at {len(above)} of {len(masks)} sparsities. Random masks on θ0 give "
            f"{100 * min(random):.2f}–{100 * max(random):.2f} %, the dense θ0 {100 * dense:.2f} % (chance: 10 %).",
            f"- **Seed by seed**, each ticket's mask against its own seed's untrained dense θ0: "
            f"{_own_seed_above(results)}."] + _against_random_masks(results)


def _against_random_masks(results: list[Result]) -> list[str]:
    """Each ticket's mask on θ0 against its own seed's random mask of the same size, untrained: in how many
    (sparsity, seed) pairs it is the more accurate, and the pairs where it is not."""
    pairs = [(t, r) for t, r in references([r for r in results if not r.rewind_iteration], against="random_prune")
             if t.kind == "ticket"]
    if not pairs:
        return []
    not_above = [f"seed {t.seed} at {100 * t.remaining:.1f} % ({100 * t.initial_test_accuracy:.2f} against "
                 f"{100 * r.initial_test_accuracy:.2f} %)" for t, r in pairs
                 if t.initial_test_accuracy <= r.initial_test_accuracy]
    return [f"- **Against random masks, seed by seed**: each ticket's mask above its own seed's random mask of the "
            f"same size in {len(pairs) - len(not_above)} of {len(pairs)} (sparsity, seed) pairs"
            + (f"; not {', '.join(not_above)}." if not_above else ".")]


def _own_seed_above(results: list[Result]) -> str:
    """Per seed: at how many sparsities its tickets' masks on θ0 beat its own dense θ0 (untrained), and where not."""
    plain = [r for r in unique_networks(results) if not r.rewind_iteration]
    dense = {r.seed: r.initial_test_accuracy for r in plain if r.kind == "dense"}
    parts, above, total = [], 0, 0
    for seed in sorted(dense):
        mine = sorted((r for r in plain if r.kind == "ticket" and r.seed == seed), key=lambda r: -r.remaining)
        below = [f"{100 * r.remaining:.1f}" for r in mine if r.initial_test_accuracy <= dense[seed]]
        parts.append(f"seed {seed} ({100 * dense[seed]:.2f} %) above at {len(mine) - len(below)} of {len(mine)}"
                     + (f", not at {', '.join(below)} %" if below else ""))
        above, total = above + len(mine) - len(below), total + len(mine)
    return "; ".join(parts) + (f"; in all, {above} of {total} (sparsity, seed) pairs" if len(parts) > 1 else "")


def rewinding_findings(results: list[Result]) -> list[str]:
    """Each rewind iteration k against the tickets reset to θ0 (k = 0), by sparsity: accuracy, and the early stop
    counted as the papers count it (from the dense network's iteration 0) and from the reset (the iterations the
    ticket trains)."""
    def rows(k):
        return {row.remaining_key: row for row in summarize(
            r for r in results if r.kind == "ticket" and r.rewind_iteration == k)}

    reset = rows(0)
    sentences = []
    for k in sorted({r.rewind_iteration for r in results if r.rewind_iteration}):
        pairs = [(row.remaining, row, reset[key]) for key, row in rows(k).items() if key in reset]
        if not pairs:  # a part still being built
            continue
        differences = [(remaining, a.early_stop_test_accuracy.mean - b.early_stop_test_accuracy.mean)
                       for remaining, a, b in pairs]
        largest = max(differences, key=lambda d: abs(d[1]))
        smallest = min(differences, key=lambda d: abs(d[1]))
        stops = [(a.early_stop_iteration.mean, b.early_stop_iteration.mean) for _, a, b in pairs]
        n = len(pairs)
        sentences.append(
            f"- **k = {k:,}** ({100 * k / results[0].iterations:.1f} % of training): above the tickets reset to θ0 at "
            f"{sum(d > 0 for _, d in differences)} of {n} sparsities, "
            f"{100 * sum(d for _, d in differences) / n:+.2f} points on average; the largest "
            f"difference is {100 * largest[1]:+.2f} points at {100 * largest[0]:.1f} % remaining, the smallest "
            f"{100 * smallest[1]:+.2f} at {100 * smallest[0]:.1f} %."
            f"{_apart([(a.early_stop_test_accuracy, b.early_stop_test_accuracy) for _, a, b in pairs], 'theirs')} "
            f"Early stop, counted from iteration 0: {sum(a for a, _ in stops) / n:,.0f} on average against their "
            f"{sum(b for _, b in stops) / n:,.0f}, later at {sum(a > b for a, b in stops)} of {n}; counted from the "
            f"reset at k: {sum(a - k for a, _ in stops) / n:,.0f}, earlier than theirs at "
            f"{sum(a - k < b for a, b in stops)} of {n}. {_rewound_by_seed(results, k)}")
    return sentences


def _rewound_by_seed(results: list[Result], k: int) -> str:
    """Each ticket rewound to θk against its own seed's ticket reset to θ0 at the same sparsity: in how many
    (sparsity, seed) pairs it is more accurate, and stops later, earlier or at the same iteration (from iteration 0)."""
    reset = {(r.seed, r.remaining_key): r for r in results if r.kind == "ticket" and not r.rewind_iteration}
    pairs = [(r, reset[(r.seed, r.remaining_key)]) for r in unique_networks(results)
             if r.kind == "ticket" and r.rewind_iteration == k and (r.seed, r.remaining_key) in reset]
    later = sum(a.early_stop_iteration > b.early_stop_iteration for a, b in pairs)
    earlier = sum(a.early_stop_iteration < b.early_stop_iteration for a, b in pairs)
    more = sum(a.early_stop_test_accuracy > b.early_stop_test_accuracy for a, b in pairs)
    return (f"Seed by seed, against its own seed's ticket reset to θ0: more accurate in {more} of {len(pairs)} "
            f"(sparsity, seed) pairs; from iteration 0 later in {later}, earlier in {earlier}, at the same "
            f"iteration in {len(pairs) - later - earlier}.")


def _apart(pairs: list[tuple[Spread, Spread]], other: str) -> str:
    """Over several seeds, at how many (a, b) pairs a's min–max range lies wholly above b's, and wholly below: a
    difference inside the seeds' spread is not a finding. One seed has no range: nothing to say."""
    n = min(pairs[0][0].n, pairs[0][1].n)
    if n < 2:
        return ""
    above, below = sum(a.min > b.max for a, b in pairs), sum(a.max < b.min for a, b in pairs)
    return (f" Over the {n} seeds its range lies wholly above {other} at {above} of the {len(pairs)} sparsities, "
            f"wholly below at {below}.")


def sign_findings(rows: list[Summary]) -> list[str]:
    """The sign-preserving control against plain reinit and the ticket, averaged over the sparsities: in accuracy,
    and in how fast each learns (the early-stop iteration, the paper's other measure)."""
    by = by_kind_and_remaining(rows)
    sparsities = [row.remaining_key for row in rows
                  if row.kind == "reinit_signs" and ("reinit", row.remaining_key) in by]
    if not sparsities:  # a part still being built
        return []

    def average(kind: str, metric: str) -> float:
        return sum(getattr(by[(kind, s)], metric).mean for s in sparsities) / len(sparsities)

    mean_accuracy, mean_stop = ({kind: average(kind, metric) for kind in ("ticket", "reinit_signs", "reinit")}
                                for metric in ("early_stop_test_accuracy", "early_stop_iteration"))
    pairs = [(by[("reinit_signs", s)], by[("reinit", s)]) for s in sparsities]
    gaps = [points(a.early_stop_test_accuracy.mean, b.early_stop_test_accuracy.mean) for a, b in pairs]
    above, below = sum(gap > LEVEL for gap in gaps), sum(gap < -LEVEL for gap in gaps)
    earlier = sum(a.early_stop_iteration.mean < b.early_stop_iteration.mean for a, b in pairs)
    below_ticket = sum(by[("reinit_signs", s)].early_stop_test_accuracy.mean
                       < by[("ticket", s)].early_stop_test_accuracy.mean for s in sparsities)

    def share_of(lead: float, got: float, what: str, digits: int) -> str:
        share = f" ({100 * got / lead:.0f} %)" if lead > 0 else ""
        return f"{got:,.{digits}f} of its {lead:,.{digits}f} {what}{share}"

    def share_of_lead(s: float) -> str:  # at one sparsity, in early-stop iterations
        at = {kind: by[(kind, s)].early_stop_iteration.mean for kind in ("ticket", "reinit", "reinit_signs")}
        lead, got = at["reinit"] - at["ticket"], at["reinit"] - at["reinit_signs"]
        return (f"{100 * s:.1f} % " + ("no lead" if lead <= 0 else f"{100 * got / lead:.0f} %" if got >= 0 else
                                       "none (slower than plain reinit)"))

    apart = _apart([(a.early_stop_test_accuracy, b.early_stop_test_accuracy) for a, b in pairs], "plain reinit's")
    accuracy_share = share_of(points(mean_accuracy["ticket"], mean_accuracy["reinit"]),  # as the printed means
                              points(mean_accuracy["reinit_signs"], mean_accuracy["reinit"]), "points of accuracy", 2)
    iterations = share_of(mean_stop["reinit"] - mean_stop["ticket"],
                          mean_stop["reinit"] - mean_stop["reinit_signs"], "iterations of early stop", 0)
    ticket_apart = [sum(by[("ticket", s)].early_stop_test_accuracy.min > by[(kind, s)].early_stop_test_accuracy.max
                        for s in sparsities) for kind in ("reinit", "reinit_signs")]
    differences = ", ".join(f"{gap:+.2f}" for gap in gaps)
    return [f"- **Signs kept vs plain reinit**: more than {LEVEL} points above plain reinit at {above} of "
            f"{len(pairs)} sparsities, level at {len(pairs) - above - below}, more than {LEVEL} below at {below}; "
            f"the difference in points, densest first: {differences}. Averaged over them: winning ticket "
            f"{100 * mean_accuracy['ticket']:.2f} %, random reinit with the signs kept "
            f"{100 * mean_accuracy['reinit_signs']:.2f} %, plain random reinit "
            f"{100 * mean_accuracy['reinit']:.2f} %.{apart}",
            f"- **How fast they learn**: with the signs kept, random reinit stops earlier than plain reinit at "
            f"{earlier} of {len(pairs)} sparsities. Averaged over them, the early stop is at iteration "
            f"{mean_stop['ticket']:,.0f} for the winning ticket, {mean_stop['reinit_signs']:,.0f} with the signs kept "
            f"and {mean_stop['reinit']:,.0f} for plain reinit. Of the ticket's lead in speed over plain reinit, "
            f"keeping the signs recovers, densest first: {', '.join(map(share_of_lead, sparsities))}.",
            f"- **Values or signs?** Random reinit with the signs kept is below the winning ticket at {below_ticket} "
            f"of {len(pairs)} sparsities. Of the ticket's lead over plain reinit, averaged over them, keeping the "
            f"signs recovers {accuracy_share} and {iterations}. The ticket's range lies wholly above plain reinit's at "
            f"{ticket_apart[0]} and above the signs-kept control's at {ticket_apart[1]} of the {len(pairs)}."]


SIGN_ROUNDS = (3, 7, 12, 15, 18)  # the rounds the sign table shows: about 51, 21, 7, 3.6 and 1.9 % remaining


def lag_text(plain: Lag, signs: Lag, metric: str) -> str:
    """A table cell: plain reinit's mean lag → the signs-kept control's, then the share recovered, in parentheses
    ("uneven") when plain reinit is not behind its ticket in every seed."""
    form = "{:,.0f}" if metric == "iterations" else "{:.2f}"
    share = recovered(plain, signs, metric)
    uneven = ", uneven" if min(getattr(plain, metric)) <= 0 else ""
    return (f"{form.format(plain.mean(metric))} → {form.format(signs.mean(metric))}"
            + ("" if share is None else f" ({share_text(share)} recovered{uneven})"))


def sign_rounds(results: list[Result]) -> list[str]:
    """The 18-round sign experiment as a table and sentences (notebook 05, docs/results, the app).

    A row per round of SIGN_ROUNDS: the ticket (mean [min–max]), each control's lag behind the ticket it was trained
    beside, the share of plain reinit's lag that keeping the signs recovers, and in how many seeds it does."""
    lags = sign_recovery(results)
    rounds = list(lags)
    if not rounds:
        return []
    shown = [r for r in rounds if r in SIGN_ROUNDS] if len(rounds) > 6 else rounds
    rows = {(row.kind, row.round): row for row in summarize([r for r in results if r.kind != "dense"])}

    lines = ["| weights remaining | winning ticket: accuracy (%) at early stop, at iteration | behind its ticket in "
             "early stop (iterations): plain reinit → signs kept | in accuracy (points) | seeds where keeping the "
             "signs shortens the lag in speed |", "|---:|---|---:|---:|---:|"]
    for r in shown:
        ticket = rows[("ticket", r)]
        count, n = shorter(*lags[r])
        lines.append(f"| {100 * ticket.remaining:.1f} % | {ticket.early_stop_test_accuracy.text(percent=True)} at "
                     f"{ticket.early_stop_iteration.text(percent=False)} | "
                     + " | ".join(lag_text(*lags[r], metric) for metric in ("iterations", "points"))
                     + f" | {count} of {n} |")
    return lines + ["", _SHARE, ""] + _sign_round_findings(lags, rows) + _two_trainings(trained_again(results))


_SHARE = ("Each control's lag is counted seed by seed against the ticket it was trained beside, then averaged; the "
          "share recovered is 1 − (signs kept's lag) / (plain reinit's lag). *Uneven*: plain reinit is level with or "
          "ahead of its ticket in at least one seed, so the lag is within the seeds' spread and its share says little.")


def _sign_round_findings(lags: dict[int, tuple[Lag, Lag]], rows) -> list[str]:
    rounds = list(lags)
    last = rounds[-1]
    ticket, reinit = (rows[(k, last)] for k in ("ticket", "reinit"))
    plain, signs = lags[last]
    later = sum(stop(rows[("reinit", r)]) > stop(rows[("ticket", r)]) for r in rounds)
    half = [r for r in rounds if (recovered(*lags[r], "iterations") or 0) >= 0.5]
    from_on = next((r for r in rounds if all(r2 in half for r2 in rounds if r2 >= r)), None)
    shortened = [shorter(*lags[r]) for r in rounds]
    n = max(total for _, total in shortened)
    sentences = [
        f"- **Plain reinit** stops later than the ticket (means) after {later} of {len(rounds)} rounds. At the "
        f"sparsest, {100 * ticket.remaining:.1f} %, the ticket reaches {100 * accuracy(ticket):.2f} % at iteration "
        f"{stop(ticket):,.0f}; plain reinit {100 * accuracy(reinit):.2f} % at {stop(reinit):,.0f}.",
        f"- **What the signs recover**: at the sparsest, plain reinit is {plain.mean('iterations'):,.0f} iterations "
        f"and {plain.mean('points'):.2f} points behind its ticket, the signs-kept network "
        f"{signs.mean('iterations'):,.0f} and {signs.mean('points'):.2f}: "
        f"{share_text(recovered(plain, signs, 'iterations'))} of the lag recovered in speed and "
        f"{share_text(recovered(plain, signs, 'points'))} in accuracy. In speed, half or more after {len(half)} of "
        f"{len(rounds)} rounds" + (f", every round from {100 * rows[('ticket', from_on)].remaining:.1f} % down"
                                   if from_on else "") + ".",
        f"- **Seed by seed**: keeping the signs shortens the lag in speed in all {n} seeds after "
        f"{sum(count == total == n for count, total in shortened)} of {len(rounds)} rounds, and in at least "
        f"{min(count for count, _ in shortened)} of {n} after every round."]
    return sentences


def _two_trainings(seeds: list[int]) -> list[str]:
    if not seeds:
        return []
    named = ", ".join(map(str, seeds[:-1])) + " and " * (len(seeds) > 1) + str(seeds[-1])
    return [f"- **Two trainings of one chain**: for seed{'s' * (len(seeds) > 1)} {named} the signs-kept networks were "
            f"trained beside a re-run of the ticket chain, whose masks differ, more as pruning goes on; their lags are "
            f"counted against those tickets (the table's ticket column is the run's)."]


def share_text(value: float | None) -> str:
    """A share as the sign tables print it: "81 %", or "–" where there is no lead to share."""
    return "–" if value is None else f"{100 * value:.0f} %"
