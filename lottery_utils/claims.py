"""The paper's own sentences about its LeNet figures, measured on our results (notebooks 02 and 03, the classroom
app): each function quotes what the paper says (the section named) and computes the same measurement on the results
given, means over the seeds and then seed by seed. The lessons compare with the paper through these functions."""
from __future__ import annotations

from .lessons import LABELS, is_printed_share
from .results import ALL_CONTROLS, CONTROLS, Result, remaining_key
from .summaries import Summary, summarize
from .tables import LEVEL, paired, points, render, rounds_vs_one_step, seed_counts_headings, winning_counts


def show(results: list[Result], sections: tuple[str, ...] | None = None, folded: str | None = None):
    """Show the paper's own sentences about its LeNet figures, each measured on `results`, as Markdown.

    Sections, shown in the order given (an unknown name is refused with the list):
        "tickets": its iterative figure, the tickets against the dense network.
        "controls": its controls against the ticket.
    By default, "controls" where `results` hold controls, else "tickets". `folded` works as in `tables.show`.
    """
    plain = [r for r in results if not r.rewind_iteration]
    if sections is None:
        sections = ("controls",) if any(r.kind in CONTROLS for r in plain) else ("tickets",)
    return render(sections, {"tickets": lambda: iterative_vs_paper(plain),
                             "controls": lambda: controls_vs_paper(plain)}, folded)


def _for_good(rows: list[Summary], kind: str, below) -> float | None:
    """The share of weights remaining from which on every sparser `kind` row has `below(row)` (None: never)."""
    ordered = sorted((row for row in rows if row.kind == kind), key=lambda row: -row.remaining)
    return next((row.remaining for i, row in enumerate(ordered) if all(below(later) for later in ordered[i:])), None)


def _at_share(rows: list[Summary], kind: str, share: float) -> Summary | None:
    """The `kind` row at the paper's share of weights remaining (0.211 for its "21.1 %")."""
    return next((row for row in rows if row.kind == kind and is_printed_share(row.remaining, share)), None)


def _means_over(rows: list[Summary]) -> str:
    seeds = max(row.n_seeds for row in rows)
    return f"\n(means over {seeds} seed{'s' * (seeds > 1)})"


def iterative_vs_paper(results: list[Result]) -> list[str]:
    """The paper's sentences on its iterative LeNet figure (Section 2: 21 %, 13.5 %, where speed and accuracy return
    to the dense network's), measured on `results` (the ticket's rounds and the dense network)."""
    return [*_iterative_lines(results).values(), _means_over(summarize(results))]


def _iterative_lines(results: list[Result]) -> dict[str, str]:
    """`iterative_vs_paper`'s sentences by name: "speed_21", "trend", "accuracy_13", "peak", "speed_returns",
    "accuracy_returns", "sparsest"."""
    rows = summarize(results)
    dense = next(row for row in rows if row.kind == "dense")
    dense_accuracy = dense.early_stop_test_accuracy.mean
    tickets = sorted((row for row in rows if row.kind == "ticket"), key=lambda row: -row.remaining)
    lines = {}
    at_21 = _at_share(rows, "ticket", 0.211)
    if at_21 is not None:
        stops = {(r.kind, r.seed): r.early_stop_iteration for r in results
                 if r.kind == "dense" or (r.kind == "ticket" and r.round == at_21.round)}
        seeds = sorted({seed for _, seed in stops})
        sooner = 1 - at_21.early_stop_iteration.mean / dense.early_stop_iteration.mean
        lines["speed_21"] = (
            f"- speed at 21.1 % (the paper: 38 % earlier): the mean early stop {sooner:.0%} earlier than the dense "
            f"networks' mean; seed by seed "
            + ", ".join(f"{1 - stops[('ticket', s)] / stops[('dense', s)]:.0%} (seed {s})" for s in seeds))
        down_to_21 = [t for t in tickets if t.round <= at_21.round]
        earlier = sum(b.early_stop_iteration.mean < a.early_stop_iteration.mean
                      for a, b in zip(down_to_21, down_to_21[1:]))
        lines["trend"] = (
            "- the trend (the paper: faster as the weights go from 100 % to 21 %): the ticket's mean early stop, "
            f"round by round from {100 * down_to_21[0].remaining:.1f} to {100 * at_21.remaining:.1f} %: "
            + ", ".join(f"{t.early_stop_iteration.mean:,.0f}" for t in down_to_21)
            + (f" (earlier than the round before at {earlier} of {len(down_to_21) - 1} steps)"
               if len(down_to_21) > 1 else "")
            + f"; the dense networks' {dense.early_stop_iteration.text(percent=False)}")
    at_13 = _at_share(rows, "ticket", 0.135)
    if at_13 is not None:
        lines["accuracy_13"] = (f"- accuracy at 13.5 % (the paper: more than 0.3 points above the dense network): "
                                f"{points(at_13.early_stop_test_accuracy.mean, dense_accuracy):+.2f} points")
    best = max(tickets, key=lambda row: row.early_stop_test_accuracy.mean)
    near = [points(best.early_stop_test_accuracy.mean, t.early_stop_test_accuracy.mean) <= LEVEL for t in tickets]
    first = last = tickets.index(best)  # the unbroken run of rounds within LEVEL of the best, around it
    while first > 0 and near[first - 1]:
        first -= 1
    while last < len(tickets) - 1 and near[last + 1]:
        last += 1
    top = tickets[first:last + 1]
    lines["peak"] = (f"- where accuracy is highest (the paper: more than 0.3 points up at 13.5 %, lower after): the "
                     f"highest mean at {100 * best.remaining:.1f} % of the weights "
                     f"({best.early_stop_test_accuracy.text(percent=True)} %)"
                     + (f"; within {LEVEL} points of it from {100 * top[0].remaining:.1f} to "
                        f"{100 * top[-1].remaining:.1f} %, every round between" if len(top) > 1 else ""))
    slower = [t for t in tickets  # past the paper's 21 % and 13.5 %
              if t.remaining < 0.21 and t.early_stop_iteration.mean >= dense.early_stop_iteration.mean]
    lower = [t for t in tickets if t.remaining < 0.135  # level: within 0.05 points (five test images) or below
             and points(t.early_stop_test_accuracy.mean, dense_accuracy) <= LEVEL]
    lines["speed_returns"] = (
        "- where speed returns to the dense network's (the paper: at 3.6 %): "
        + (f"at {100 * slower[0].remaining:.1f} %, the first round past 21 % whose mean early stop is no earlier than "
           f"the dense networks'" if slower else "nowhere in this run"))
    lines["accuracy_returns"] = (
        "- where accuracy returns to the dense level (the paper: at 3.6 %): "
        + (f"at {100 * lower[0].remaining:.1f} %, the first round past 13.5 % whose mean accuracy is level with the "
           f"dense networks' (within {LEVEL} points) or below" if lower
           else "not within this run: the tickets' mean stays above the dense networks' to the sparsest"))
    last, pair = tickets[-1], dict(zip(rows, paired(results))).get(tickets[-1])
    lines["sparsest"] = (
        f"- at the sparsest, {100 * last.remaining:.1f} %: "
        f"{points(last.early_stop_test_accuracy.mean, dense_accuracy):+.2f} points against the dense network on "
        f"average" + (f"; at least as accurate as its own seed's dense network in {pair.as_accurate} of {pair.n_seeds} "
                      f"seeds" if pair else ""))
    return lines


def controls_vs_paper(results: list[Result]) -> list[str]:
    """The paper's sentences on its controls (Section 2 on random reinit at 21 %, Appendix E on random pruning),
    measured on `results` (the ticket's rounds with both controls, and the dense network), then seed by seed."""
    return [*_control_lines(results).values(), _means_over(summarize(results)), "", *against_own_dense(results)]


def _control_lines(results: list[Result]) -> dict[str, str]:
    """`controls_vs_paper`'s sentences by name: each kind's drop below the dense level (by kind), random reinit
    against random pruning ("appendix_e"), the end of training ("figure_4b", when reinit drops there), the sparsest
    round ("sparsest") and the paper's 21 % ("at_21")."""
    rows = summarize(results)
    dense_row = next(row for row in rows if row.kind == "dense")
    dense = dense_row.early_stop_test_accuracy
    lines = {}
    for kind in ("reinit", "random_prune", "ticket"):
        mean = _for_good(rows, kind, lambda row: points(row.early_stop_test_accuracy.mean, dense.mean) < -LEVEL)
        lowest = _for_good(rows, kind, lambda row: row.early_stop_test_accuracy.mean < dense.min)
        lines[kind] = f"- {LABELS[kind]}: " + (
            f"never stays more than {LEVEL} points below the dense mean ({100 * dense.mean:.2f} %)" if mean is None
            else f"more than {LEVEL} points below the dense mean ({100 * dense.mean:.2f} %) for good from "
                 f"{100 * mean:.1f} % of the weights on; below its lowest seed ({100 * dense.min:.2f} %) "
                 + ("at no sparsity" if lowest is None else f"from {100 * lowest:.1f} % on"))
    reinit = {row.round: row for row in rows if row.kind == "reinit"}
    pruned = {row.round: row for row in rows if row.kind == "random_prune" and row.round in reinit}

    def gaps(metric: str) -> list[float]:  # random reinit minus random pruning, as the tables print them
        return [points(getattr(reinit[r], metric).mean, getattr(row, metric).mean) for r, row in pruned.items()]

    early, end = gaps("early_stop_test_accuracy"), gaps("final_test_accuracy")
    ahead, tied, ahead_at_end = sum(g > 0 for g in early), sum(g == 0 for g in early), sum(g > 0 for g in end)
    lines["appendix_e"] = (f"- random reinit more accurate than random pruning: after {ahead} of {len(pruned)} rounds "
                           f"at the early stop{f' (level to the hundredth after {tied})' if tied else ''}, "
                           f"{ahead_at_end} at the end of training (Appendix E, its Figure 14)")
    reinit_final = sorted((row for row in rows if row.kind == "reinit"), key=lambda row: -row.remaining)
    dense_final = dense_row.final_test_accuracy.mean
    level = [i for i, row in enumerate(reinit_final)
             if points(row.final_test_accuracy.mean, dense_final) >= -LEVEL]
    if level and len(reinit_final) > level[-1] + 1:  # the paper's Figure 4b: accuracy at the end of training
        falling = reinit_final[level[-1]:]
        steps = sum(b.final_test_accuracy.mean < a.final_test_accuracy.mean for a, b in zip(falling, falling[1:]))
        lines["figure_4b"] = (
            f"- end of training (Figure 4b): random reinit level with the dense mean there ({100 * dense_final:.2f} %, "
            f"within {LEVEL} points) down to {100 * falling[0].remaining:.1f} % of the weights, then lower than the "
            f"round before at {steps} of the {len(falling) - 1} rounds after, to "
            f"{100 * falling[-1].final_test_accuracy.mean:.2f} % at {100 * falling[-1].remaining:.1f} %")
    ticket, control = _at_share(rows, "ticket", 0.211), _at_share(rows, "reinit", 0.211)
    if ticket is not None and control is not None:
        lead = points(ticket.early_stop_test_accuracy.mean, control.early_stop_test_accuracy.mean)
        lines["at_21"] = (f"- at 21.1 %: the ticket reaches its minimum validation loss "
                          f"{control.early_stop_iteration.mean / ticket.early_stop_iteration.mean:.2f}x sooner than "
                          f"random reinit and is {lead:.2f} points more accurate")
    last = min((row.remaining for row in rows if row.kind == "ticket"), default=None)
    sparsest = {row.kind: row for row in rows if last is not None and row.remaining_key == remaining_key(last)}
    if last is not None and set(CONTROLS) <= set(sparsest):
        lines["sparsest"] = f"- at the sparsest, {100 * last:.1f} %: " + ", ".join(
            f"{LABELS[kind]} {100 * sparsest[kind].early_stop_test_accuracy.mean:.2f} % at "
            f"{sparsest[kind].early_stop_iteration.mean:,.0f}" for kind in ("ticket", *CONTROLS))
    return lines


def against_own_dense(results: list[Result], split: float = 0.211,
                      kinds: tuple[str, ...] = ("ticket", *ALL_CONTROLS)) -> list[str]:
    """A Markdown table, seed by seed: at how many sparsities the ticket and each control (of `kinds`) are at least as
    accurate as their own seed's dense network (a′ ≥ a) in all seeds, some or none, above `split` and from it down
    (the paper's 21.1 %, where its random reinit drops off): the test the means only summarize."""
    pairs = [p for p in paired(results) if p is not None]
    kinds = [kind for kind in kinds if any(p.kind == kind for p in pairs)]
    if not kinds or pairs[0].n_seeds < 2:
        return []
    n = pairs[0].n_seeds
    headings = seed_counts_headings(n)
    lines = ["| at how many sparsities it is at least as accurate as its own seed's dense network (a′ ≥ a), in: | "
             + " | ".join(headings) + " |", "|---|" + "---:|" * len(headings)]
    for kind in kinds:
        for above in (True, False):
            group = [p for p in pairs
                     if p.kind == kind and (p.remaining > split and not is_printed_share(p.remaining, split)) == above]
            if group:
                ends = " to ".join(dict.fromkeys(f"{100 * p.remaining:.1f}" for p in (group[0], group[-1])))
                count = f"{len(group)} {'sparsity' if len(group) == 1 else 'sparsities'}"
                lines.append(f"| {LABELS[kind]}, {ends} % ({count}) | "
                             + " | ".join(str(sum(p.as_accurate == k for p in group)) for k in range(n, -1, -1)) + " |")
    return lines


def one_shot_vs_paper(results: list[Result]) -> list[str]:
    """One-step pruning (a sweep of sparsities, with any controls) against the paper's sentence on its Figure 4c
    (Section 2): tickets learn faster than the dense network from 67.5 % to 17.6 % of the weights, and are more
    accurate from 95.0 % to 5.17 %. Means over the seeds."""
    rows = summarize(results)
    dense = next(row for row in rows if row.kind == "dense")

    def at(chosen: list[Summary], of: list[Summary]) -> str:
        shares = [f"{100 * row.remaining:.1f}" for row in chosen]
        rest = [f"{100 * row.remaining:.1f}" for row in of if row not in chosen]
        if not chosen or not rest:
            return f"at {'all' if chosen else 'none'} of the {len(of)} sparsities"
        if len(rest) < len(chosen):
            return f"at {len(chosen)} of {len(of)} sparsities, all but {', '.join(rest)} %"
        return f"at {', '.join(shares)} % ({len(chosen)} of {len(of)})"

    tickets = sorted((row for row in rows if row.kind == "ticket"), key=lambda row: -row.remaining)
    earlier = [t for t in tickets if t.early_stop_iteration.mean < dense.early_stop_iteration.mean]
    level = [t for t in tickets
             if points(t.early_stop_test_accuracy.mean, dense.early_stop_test_accuracy.mean) >= -LEVEL]
    lines = [f"- speed (the paper: earlier than the dense network from 67.5 % to 17.6 % of the weights): the ticket's "
             f"mean early stop is earlier {at(earlier, tickets)}",
             f"- accuracy (the paper: higher than the dense network from 95.0 % to 5.17 %): the ticket's mean is above "
             f"the dense mean ({100 * dense.early_stop_test_accuracy.mean:.2f} %) or level with it (within {LEVEL} "
             f"points) {at(level, tickets)}"]
    if tickets and tickets[0].n_seeds > 1:
        lines.append(f"- seed by seed (a winning ticket: as accurate as its own seed's dense network and no later): "
                     f"{winning_counts(results)[-1]}")
    by_share = {row.remaining_key: row for row in tickets}
    for control in CONTROLS:
        group = sorted((row for row in rows if row.kind == control), key=lambda row: -row.remaining)
        below = [c for c in group
                 if points(c.early_stop_test_accuracy.mean, dense.early_stop_test_accuracy.mean) < -LEVEL]
        paired_rows = [(by_share[c.remaining_key], c) for c in group if c.remaining_key in by_share]
        leads = [points(t.early_stop_test_accuracy.mean, c.early_stop_test_accuracy.mean) for t, c in paired_rows]
        later = sum(c.early_stop_iteration.mean > t.early_stop_iteration.mean for t, c in paired_rows)
        if group:
            lines.append(f"- {LABELS[control]}: more than {LEVEL} points below the dense mean {at(below, group)}"
                         + (f"; the ticket leads it by {min(leads):+.2f}"
                            + (f" to {max(leads):+.2f}" if max(leads) != min(leads) else "")
                            + f" points, and {LABELS[control]} stops later than the ticket at {later} of {len(leads)}"
                            if leads else ""))
    return lines


def rounds_in_numbers(paper: list[Result], one_step: list[Result], sparsest_rows: int = 5) -> list[str]:
    """The classroom app's panel 2 in numbers, short enough to project: the 18 rounds (`paper`, with both controls)
    against the paper's sentences on speed, accuracy and random reinit (Section 2), seed by seed against each seed's
    dense network, then the ticket and its lead over random reinit beside the one-step networks of the same size
    (`one_step`, panel 1's) in its `sparsest_rows` sparsest rounds."""
    tickets, controls = _iterative_lines(paper), _control_lines(paper)
    chosen = ([tickets.get(name) for name in ("speed_21", "speed_returns", "accuracy_returns")]
              + [controls.get(name) for name in ("reinit", "at_21", "sparsest")])
    gaps = rounds_vs_one_step(paper, one_step, controls=("reinit",))  # a table: header (two lines), then a row a round
    return ["**Against the paper's Section 2** (for random reinit, the paper: it drops off from 21.1 %, and at 21 % "
            "the ticket is 2.51x faster than it and half a point more accurate)", "", *filter(None, chosen),
            f"- seed by seed: {winning_counts(paper)[-1]}", "", *against_own_dense(paper, kinds=("ticket", "reinit")),
            "", "**Against panel 1**: the ticket after n rounds and after one step at the same share of weights", "",
            *gaps[:2], *gaps[2:][-sparsest_rows:], _means_over(summarize(paper)).strip()]
