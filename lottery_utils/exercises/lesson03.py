"""Notebook 03's checks: which control tests what, the ticket's lead read off the results."""
from __future__ import annotations

from ..results import LABELS, summarize
from ._common import _correct, _not_yet, _read_fraction, _read_number, _Unreadable

CONTROL_NAMES = {"reinit": ("reinit", "random reinit", "random reinitialization", "random_reinit", "reinitialization",
                            "random reinitialisation"),
                 "random_prune": ("random_prune", "random pruning", "random prune", "random mask")}


def check_control(answer, keeps: str = "mask") -> bool:
    """Which control keeps the winning ticket's mask but not θ0 (keeps="mask"), or θ0 but not the mask ("init")?"""
    if keeps not in ("mask", "init"):
        raise ValueError(f"keeps must be 'mask' or 'init', got {keeps!r}.")
    expected = "reinit" if keeps == "mask" else "random_prune"
    if answer is None or answer is Ellipsis:
        return _not_yet("replace the placeholder with 'reinit' or 'random_prune'.")
    text = str(answer).strip().lower().replace("-", " ")
    given = next((kind for kind, names in CONTROL_NAMES.items() if text in names), None)
    if given == expected:
        return _correct({"reinit": "random reinitialization keeps the mask m and draws new initial weights: "
                                   "m ⊙ θ0', with θ0' a fresh sample.",
                         "random_prune": "random pruning keeps θ0 and draws a random mask that keeps as many "
                                         "weights per layer as the ticket: m' ⊙ θ0."}[expected])
    if given is not None:
        kept, replaced = (("θ0 (the initial values)", "the mask") if given == "random_prune" else
                          ("the mask m", "the initial values"))
        return _not_yet(f"{given!r} keeps {kept} and replaces {replaced}, so its gap to the ticket tests whether "
                        f"{replaced} matter{'s' if replaced == 'the mask' else ''}; the question asks about "
                        f"{'the initial values' if keeps == 'mask' else 'the mask'}.")
    if text in ("ticket", "winning ticket", "dense"):
        return _not_yet(f"{text!r} is not a control: a control changes one ingredient of the ticket, the mask or θ0.")
    return _not_yet(f"could not read {answer!r}: answer 'reinit' or 'random_prune', the names the records use.")


def check_ticket_advantage(answer, records, control: str = "reinit") -> bool:
    """By how many percentage points does the winning ticket beat `control` in `records`, the records of one sparsity
    (e.g. a widget's `explorer.records`)? Test accuracy at early stop, the mean over the seeds the records hold: what
    the status line under the slider prints."""
    rows = {row.kind: row for row in summarize(r for r in records if r.kind in ("ticket", control))}
    if set(rows) != {"ticket", control} or len({row.remaining for row in rows.values()}) != 1:
        raise ValueError(f"Pass the records of one sparsity with a ticket and {control!r} (a widget's explorer.records, "
                         f"or experiments.one_shot(..., controls=('reinit', 'random_prune'))).")
    ticket, other = (100 * rows[kind].early_stop_test_accuracy.mean for kind in ("ticket", control))
    seeds, where = rows["ticket"].seeds, 100 * rows["ticket"].remaining
    expected = ticket - other
    try:
        points = _read_number(answer)
    except _Unreadable as problem:
        return _not_yet(f"{problem} Give a number of percentage points, e.g. 1.25.")
    mean = f"the mean over {seeds} seeds" if seeds > 1 else "one seed"
    if abs(points - expected) <= 0.015:  # the status line's two rounded means, subtracted
        better = "beats" if expected >= 0 else "loses to"
        return _correct(f"at {where:.1f} % of the weights remaining the winning ticket ({ticket:.2f} %) {better} "
                        f"{control} ({other:.2f} %) by {abs(expected):.2f} percentage points ({mean}).")
    single = {100 * (t.early_stop_test_accuracy - c.early_stop_test_accuracy) for t in records if t.kind == "ticket"
              for c in records if c.kind == control and c.seed == t.seed}
    if abs(points + expected) <= 0.015 and expected != 0:
        hint = "the sign is reversed: take the ticket's accuracy minus the control's."
    elif abs(100 * points - expected) <= 1.5 and abs(points) < 0.1:
        hint = "that looks like a difference of fractions; give it in percentage points (0.012 is 1.2 points)."
    elif seeds > 1 and any(abs(points - gap) <= 0.015 for gap in single):
        hint = (f"that is one seed's gap; the status line gives the mean over the {seeds} seeds first (then [min–max]): "
                f"subtract the two means.")
    else:
        hint = (f"read both accuracies at early stop for {where:.1f} % of the weights remaining (the status line "
                f"under the slider, or the bar chart) and subtract: ticket minus {control}.")
    return _not_yet(hint)


def check_largest_gap(answer, records, control: str = "reinit") -> bool:
    """At which share of weights remaining does the winning ticket beat `control` by the most (test accuracy at early
    stop, the mean over the seeds in `records`), among the sparsities that `records` hold (e.g. a sweep's)?"""
    rows = {(row.kind, round(row.remaining, 4)): row.early_stop_test_accuracy.mean for row in summarize(records)}
    gaps = {r: 100 * (rows[("ticket", r)] - rows[(control, r)]) for kind, r in rows
            if kind == "ticket" and (control, r) in rows}
    if not gaps:
        raise ValueError(f"The records hold no sparsity with both a ticket and {control!r}: pass a sweep's records "
                         f"(experiments.sweep(..., controls=('reinit', 'random_prune'))).")
    try:
        value, how = _read_fraction(answer)
    except _Unreadable as problem:
        return _not_yet(f"{problem} Give the share of weights remaining, as the status line prints it (e.g. 33.3).")
    nearest, name = min(gaps, key=lambda r: abs(r - value)), LABELS[control]
    if abs(nearest - value) > max(0.002, 0.05 * nearest):
        if any(abs((1 - r) - value) <= 0.01 for r in gaps):
            return _not_yet(f"({how}.) that looks like a share pruned; give the share of weights remaining.")
        return _not_yet(f"({how}.) no sparsity of the table is there; it holds "
                        f"{', '.join(f'{100 * r:.3g} %' for r in sorted(gaps, reverse=True))} of the weights remaining.")
    best = max(gaps.values())
    if gaps[nearest] >= best - 0.05:  # ties within a twentieth of a point are all right
        return _correct(f"({how}.) at {100 * nearest:.3g} % of the weights remaining the ticket beats {name} by "
                        f"{best:.2f} percentage points, more than anywhere else in the table.")
    return _not_yet(f"({how}.) at {100 * nearest:.3g} % remaining the ticket is {gaps[nearest]:+.2f} points from "
                    f"{name}, but another sparsity has a larger gap: compare ticket and {name} at every "
                    f"slider position (or in the figure), not only where they are far from the dense network.")
