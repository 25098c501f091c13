"""Notebook 03's checks: which comparison measures what, and the gaps between the networks read off the results."""
from __future__ import annotations

from ..lessons import LABELS, by_kind_and_remaining
from ..summaries import summarize
from ..tables import points as printed_gap
from ._common import Unreadable, Verdict, correct, not_yet, read_number

CONTROL_NAMES = {"reinit": ("reinit", "random reinit", "random reinitialization", "random_reinit", "reinitialization",
                            "random reinitialisation"),
                 "random_prune": ("random_prune", "random pruning", "random prune", "random mask")}


def check_control(answer) -> Verdict:
    """Which control, subtracted from the sign-preserving one (the ticket's mask and θ0's signs, fresh magnitudes),
    measures what θ0's signs alone add to the mask? The one that differs only in the signs: random reinit."""
    if answer is None or answer is Ellipsis:
        return not_yet("replace the placeholder with 'ticket', 'reinit' or 'random_prune'.")
    text = str(answer).strip().lower().replace("-", " ")
    given = next((kind for kind, names in CONTROL_NAMES.items() if text in names), None)
    if given is None and text in ("ticket", "winning ticket", "the ticket"):
        given = "ticket"
    if given == "reinit":
        return correct("random reinit has the same mask and fresh values, with random signs: the only difference is "
                        "the signs, so the sign-preserving control minus random reinit is what θ0's signs add. (The "
                        "ticket minus the sign-preserving control is then what θ0's magnitudes add on top.)")
    if given == "ticket":
        return not_yet("the ticket and the sign-preserving control share the mask and the signs; they differ in the "
                        "magnitudes (θ0's against fresh ones), so that gap measures what the magnitudes add. Which "
                        "network differs from the sign-preserving control only in the signs?")
    if given == "random_prune":
        return not_yet("random pruning has another mask, so its gap would mix what the mask adds with what the signs "
                        "add. Which network shares its mask and differs from it in one thing only? Section 1's table "
                        "lists what each keeps.")
    if text == "dense":
        return not_yet("the dense network keeps every weight: its gap mixes the mask in. Compare networks that share "
                        "the ticket's mask.")
    return not_yet(f"could not read {answer!r}: answer 'ticket', 'reinit' or 'random_prune', the names the results "
                    f"use.")


def check_gap(answer, results, ahead: str = "ticket", behind: str = "reinit", at: float | None = None) -> Verdict:
    """By how many percentage points is `ahead` more accurate than `behind` (test accuracy at early stop, the mean over
    the seeds the results hold, as the tables and status lines print it)? At the sparsity nearest `at` (a share of
    the weights remaining, e.g. 0.202), or by default at the one sparsity of `results` (e.g. a widget's
    `explorer.results`), or, where they hold several (a whole run), at the sparsest that has both."""
    rows = by_kind_and_remaining(summarize(r for r in results if r.kind in (ahead, behind)))
    shared = [remaining for kind, remaining in rows if kind == ahead and (behind, remaining) in rows]
    if not shared:
        raise ValueError(f"Pass results with a {ahead!r} and a {behind!r} network at the same sparsity (a widget's "
                         f"explorer.results, or experiments.iterative(..., controls=('reinit', 'random_prune'))).")
    where = min(shared) if at is None else min(shared, key=lambda remaining: abs(remaining - at))
    first, second = (rows[(kind, where)].early_stop_test_accuracy.mean for kind in (ahead, behind))
    seeds, expected = rows[(ahead, where)].n_seeds, printed_gap(first, second)  # as a student subtracts means
    try:
        points = read_number(answer)
    except Unreadable as problem:
        return not_yet(f"{problem} Give a number of percentage points, e.g. 1.25.")
    names = f"{LABELS[ahead]} ({100 * first:.2f} %)", f"{LABELS[behind]} ({100 * second:.2f} %)"
    mean = f"the mean over {seeds} seeds" if seeds > 1 else "one seed"
    if abs(points - expected) <= 0.015:  # two rounded means, subtracted
        return correct(f"at {100 * rows[(ahead, where)].remaining:.1f} % of the weights remaining {names[0]} is "
                       f"{expected:+.2f} percentage points from {names[1]} ({mean}).")
    at_where = [r for r in results if r.remaining_key == where]
    means = {row.kind: 100 * row.early_stop_test_accuracy.mean for row in summarize(at_where)}
    other_pair = next(((a, b) for a in means for b in means if a != b and {a, b} != {ahead, behind}
                       and abs(points - (means[a] - means[b])) <= 0.015), None)
    single = {100 * (a.early_stop_test_accuracy - b.early_stop_test_accuracy) for a in at_where if a.kind == ahead
              for b in at_where if b.kind == behind and b.seed == a.seed}
    elsewhere = {100 * (rows[(ahead, r)].early_stop_test_accuracy.mean
                        - rows[(behind, r)].early_stop_test_accuracy.mean) for r in shared if r != where}
    if abs(points + expected) <= 0.015 and expected != 0:
        hint = f"the sign is reversed: take {LABELS[ahead]}'s accuracy minus {LABELS[behind]}'s."
    elif abs(100 * points - expected) <= 1.5 and abs(points) < 0.1:
        hint = "that looks like a difference of fractions; give it in percentage points (0.012 is 1.2 points)."
    elif other_pair is not None:
        hint = (f"that is {LABELS[other_pair[0]]} minus {LABELS[other_pair[1]]}; the question asks for "
                f"{LABELS[ahead]} minus {LABELS[behind]}: read the right two columns.")
    elif seeds > 1 and any(abs(points - gap) <= 0.015 for gap in single):
        hint = (f"that is one seed's gap; the tables and status lines give the mean over the {seeds} seeds first (then "
                f"[min–max]): subtract the two means.")
    elif any(abs(points - gap) <= 0.015 for gap in elsewhere):
        hint = (f"that is the gap at another sparsity; the question is about {100 * where:.1f} % of the weights "
                f"remaining.")
    else:
        hint = (f"read both accuracies at early stop for {100 * where:.1f} % of the weights remaining and subtract: "
                f"{LABELS[ahead]} minus {LABELS[behind]}.")
    return not_yet(hint)
