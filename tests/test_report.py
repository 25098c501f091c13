"""docs/results/README.md is generated from the bundled results, never typed."""
import re
from dataclasses import fields, replace

import pytest

from made_results import result_from_numbers
from lottery_utils.maintainer.docs import RESULTS_DIR, readme
from lottery_utils.store import Bundle, Entry, StoredResult, record_of, result_of, write_bundle
from lottery_utils.results import Result
from lottery_utils.summaries import summarize
from lottery_utils.history import History


def as_result(entry: dict) -> StoredResult:
    """The Result of an entry as a bundle file holds it ({"config", "record"})."""
    return result_of(Entry(entry["config"], entry["record"]))


def test_committed_results_readme_is_what_the_report_writes():
    committed = (RESULTS_DIR / "README.md").read_text()
    assert committed == readme(Bundle()), "run `python -m lottery_utils report` and commit docs/results/"


def entry(kind, rounds, seed, accuracy, stop):
    config = {"model": "lenet", "iterations": 50_000, "batch_size": 60, "lr": 0.0012, "eval_every": None,
              "fast": False, "kind": kind, "schedule": [{"fc": 0.2, "output": 0.1}] * rounds, "seed": seed,
              "version": 2}
    history = History([0, 50_000], [2.3, 0.1], [0.1, accuracy], stop, accuracy, 60.0)
    result = Result(kind, rounds, 0.8 ** rounds, seed, "lenet", 50_000, history)
    return {"config": config, "record": record_of(result)}


def test_tables_and_sentences_come_from_the_numbers(tmp_path):
    entries = [entry("dense", 0, s, 0.97, 4_000) for s in (0, 1)]
    entries += [entry("ticket", 1, 0, 0.98, 3_000), entry("ticket", 1, 1, 0.99, 3_200),
                entry("reinit", 1, 0, 0.96, 5_000), entry("reinit", 1, 1, 0.95, 5_400),
                entry("ticket", 2, 0, 0.96, 3_100), entry("ticket", 2, 1, 0.965, 3_300)]
    for seed in (0, 1):
        write_bundle(tmp_path / f"lenet-seed{seed}.json.gz", [e for e in entries if e["config"]["seed"] == seed],
              {"model": "lenet", "seed": seed, "complete": True, "machine": "test", "torch": "x", "seconds": 7_260,
               "networks": 4,
               "setup": {"iterations": 50_000, "batch_size": 60, "lr": 0.0012, "eval_every": None}})
    text = readme(Bundle(tmp_path))
    assert "| 100 % (dense) | 97.00 [97.00–97.00] | | 4,000 [4,000–4,000] |" in text  # no random pruning column
    assert "| 80.0 % | 98.50 [98.00–99.00] | 95.50 [95.00–96.00] | 3,100 [3,000–3,200] | 5,200 [5,000–5,400] |" in text
    assert "1 of 2 ticket sparsities are at or above it on average, the sparsest of them at 80.0 %" in text
    assert "largest gap is 3.00 points at 80.0 % remaining (95.50 % against 98.50 %)" in text
    assert "tickets stop earlier at 2 of 2 sparsities (earliest: 3,100)" in text
    assert "n = 2; complete: 0, 1;" in text
    assert "at the 2 sparsities with at least 10 % of the weights, the ticket is at or above the dense network at 1." \
        in text
    assert "the ticket stops earlier than the dense network at 2 of 2; its early stop ranges 3,100–3,200" in text
    assert "the ticket's lead is +3.00 points at 80.0 % and +3.00 points at 80.0 % remaining" in text
    assert "seed 0: 2 h 01 min for 4 networks; seed 1: 2 h 01 min for 4 networks." in text
    # a seed still being built enters neither the table nor the figures' means
    from lottery_utils.maintainer.docs import figure_run
    write_bundle(tmp_path / "lenet-seed2.json.gz", [entry("dense", 0, 2, 0.5, 9_000), entry("ticket", 1, 2, 0.5, 9_000)],
          {"model": "lenet", "seed": 2, "complete": False, "machine": "test", "torch": "x", "seconds": 60,
           "networks": 2, "setup": {"iterations": 50_000, "batch_size": 60, "lr": 0.0012, "eval_every": None}})
    assert {r.seed for r in figure_run(Bundle(tmp_path))} == {0, 1}
    assert "| 80.0 % | 98.50 [98.00–99.00] |" in readme(Bundle(tmp_path))


def test_lessons_show_the_table_and_findings_and_describe_prints_mean_and_spread(tmp_path):
    import pytest
    from lottery_utils.tables import show
    from lottery_utils.tables import describe

    results = [as_result(e) for e in (entry("dense", 0, 0, 0.97, 4_000), entry("dense", 0, 1, 0.975, 4_200),
                                              entry("ticket", 1, 0, 0.98, 3_000), entry("ticket", 1, 1, 0.99, 3_200))]
    both = show(results).data
    assert both.startswith("| weights remaining | winning ticket: accuracy (%) | winning ticket: early-stop iteration |")
    assert "| 80.0 % | 98.50 [98.00–99.00] | 3,100 [3,000–3,200] | 2 · 2 · 2 of 2 |" in both and "2 of 1" not in both
    assert "seeds where the ticket has a′ ≥ a · j′ ≤ j · both (vs its seed's dense) |" in both.splitlines()[0]
    one_seed = show(results[::2]).data  # one seed: no seed-by-seed column
    assert one_seed.splitlines()[0] == ("| weights remaining | winning ticket: accuracy (%) | winning ticket: "
                                        "early-stop iteration |")
    assert show(results, sections=("findings",)).data.startswith("- **Winning tickets vs the dense network** (97.25 %)")
    with_reinit = results + [as_result(e) for e in (entry("reinit", 1, 0, 0.97, 5_000), entry("reinit", 1, 1, 0.995,
                                                                                               3_100))]
    assert show(with_reinit, sections=("controls",)).data.splitlines() == [  # the controls' sentences only
        "- **Random reinit**: below the ticket at 1 of 1 sparsities; the largest gap is 0.25 points at 80.0 % remaining "
        "(98.25 % against 98.50 %); it stops later than the ticket at 1 of 1.",
        "- **Controls, seed by seed** (each against the ticket of its own seed): the ticket at least as accurate as "
        "random reinit in all 2 seeds at 0 of 1 sparsities."]
    with pytest.raises(ValueError, match="Unknown section"):
        show(results, sections=("tabel",))
    assert describe(results).splitlines() == [
        "       dense 100.0 % of the weights: test accuracy at early stop 97.25 [97.00–97.50] %, early stop at "
        "iteration 4,100 [4,000–4,200] (2 seeds)",
        "      ticket  80.0 % of the weights: test accuracy at early stop 98.50 [98.00–99.00] %, early stop at "
        "iteration 3,100 [3,000–3,200] (2 seeds)",
        "             against its own seed's dense network: at least as accurate in 2 of 2, stops no later in 2 of 2, both in 2 of 2"]


def why_entries(seed):
    """A lessons' part and a why part for one seed: numbers chosen so that each sentence has one right answer."""
    from lottery_utils import lessons as grids

    def one_shot(kind, amount, accuracy, initial, rewind=0, stop=3_000):
        config = {"model": "lenet", "iterations": 50_000, "batch_size": 60, "lr": 0.0012, "eval_every": None,
                  "fast": False, "kind": kind,
                  "schedule": [] if kind == "dense" else [{"fc": amount, "output": amount / 2}],
                  "seed": seed, "version": 2, **({"rewind_iteration": rewind} if rewind else {})}
        history = History([rewind, 50_000], [2.3, 0.1], [initial, accuracy], stop + rewind, accuracy, 60.0)
        result = Result(kind, 0 if kind == "dense" else 1, 1 - amount, seed, "lenet", 50_000, history,
                        rewind_iteration=rewind)
        return {"config": config, "record": record_of(result)}

    lessons = [one_shot("dense", 0.0, 0.97, 0.09)]
    for amount in grids.ONE_SHOT_GRID:
        lessons += [one_shot("ticket", amount, 0.98, 0.5 + amount / 4 + seed / 100),
                    one_shot("random_prune", amount, 0.96, 0.11),
                    one_shot("reinit", amount, 0.95 - seed / 100, 0.1, stop=5_000)]
    why = [one_shot("reinit_signs", a, 0.975 if a < 0.9 else 0.94, 0.1, stop=4_000 if a < 0.9 else 6_000)
           for a in grids.SIGN_RATES]
    why += [one_shot("ticket", a, 0.98 + k / 100_000, 0.6, k) for k in grids.REWINDS if k
            for a in grids.REWIND_RATES]
    return lessons, why


def test_why_tickets_win_document_comes_from_the_bundled_numbers(tmp_path):
    from lottery_utils.maintainer.docs import why_readme

    assert "not bundled yet" in why_readme(Bundle(tmp_path))
    meta = {"model": "lenet", "complete": True, "machine": "test", "torch": "x", "seconds": 1_800, "networks": 1,
            "setup": {"iterations": 50_000, "batch_size": 60, "lr": 0.0012, "eval_every": None}}
    for seed in (0, 1):
        lessons, why = why_entries(seed)
        write_bundle(tmp_path / f"lenet-seed{seed}.json.gz", lessons, {**meta, "seed": seed})
        write_bundle(tmp_path / f"lenet-why-seed{seed}.json.gz", why, {**meta, "seed": seed, "part": "why"})
    assert Bundle(tmp_path).seeds("lenet") == Bundle(tmp_path).seeds("lenet", "why") == (0, 1)
    text = why_readme(Bundle(tmp_path))
    assert "| 100 % (dense θ0) | 9.00 [9.00–9.00] | |" in text
    # the best supermask is the sparsest one-shot ticket: 0.5 + 0.956 / 4 + seed / 100
    assert "reaches 74.40 % test accuracy at 4.4 % of the weights remaining (its best); its mean over the seeds is " \
           "above every random mask's mean at 15 of 15 sparsities. Random masks on θ0 give 11.00–11.00 %, the dense " \
           "θ0 9.00 %" in text
    assert "| 51.2 % | 98.00 [98.00–98.00] | 94.50 [94.00–95.00] | 97.50 [97.50–97.50] |" in text  # signs table
    # 0.975 below 90 % pruned, else 0.94; plain reinit 0.95 (seed 0) and 0.94 (seed 1)
    assert "more than 0.05 points above plain reinit at 6 of 8 sparsities, level at 0, more than 0.05 below at 2; the " \
           "difference in points, densest first: +3.00, +3.00, +3.00, +3.00, +3.00, +3.00, -0.50, -0.50." in text
    assert "plain random reinit 94.50 %. Over the 2 seeds its range lies wholly above plain reinit's at 6 of the 8 " \
           "sparsities, wholly below at 0." in text
    assert "- **How fast they learn**: with the signs kept, random reinit stops earlier than plain reinit at 6 of 8 " \
           "sparsities. Averaged over them, the early stop is at iteration 3,000 for the winning ticket, 4,500 with " \
           "the signs kept and 5,000 for plain reinit." in text  # 4,000 below 90 % pruned, else 6,000
    assert "- **k = 100** (0.2 % of training): above the tickets reset to θ0 at 5 of 5 sparsities, +0.10 points on " \
           "average; the largest difference is +0.10 points at 80.0 % remaining, the smallest +0.10 at 80.0 %. Over " \
           "the 2 seeds its range lies wholly above theirs at 5 of the 5 sparsities, wholly below at 0." in text
    # rewound tickets stop 100 iterations after the reset tickets, counted from 0: from the reset at k = 100, the same
    assert "Early stop, counted from iteration 0: 3,100 on average against their 3,000, later at 5 of 5; counted from " \
           "the reset at k: 3,000, earlier than theirs at 0 of 5." in text
    assert "- **k = 2,000** (4.0 % of training): above the tickets reset to θ0 at 5 of 5 sparsities, +2.00 " \
           "points" in text
    assert "| 100 % (dense) | 97.00 [97.00–97.00] | | | | 3,000 [3,000–3,000] |" in text
    assert "lessons' seeds: 0, 1 (n = 2)" in text and "bundle --part why --workers 2" in text
    # the lessons' document leaves notebook 05's networks out of the paper's figure
    assert "signs kept" not in readme(Bundle(tmp_path)) and "k = 100" not in readme(Bundle(tmp_path))


def test_committed_why_tickets_win_document_is_what_the_report_writes():
    from lottery_utils.maintainer.docs import why_readme

    committed = (RESULTS_DIR / "why-tickets-win.md").read_text()
    assert committed == why_readme(Bundle()), "run `python -m lottery_utils report` and commit docs/results/"


def test_benchmarks_readme_gives_each_bundle_files_build_time_from_its_metadata(tmp_path):
    from lottery_utils.maintainer.docs import BENCHMARKS, BUILD_TIMES, with_build_times

    committed = BENCHMARKS.read_text()
    assert committed == with_build_times(committed, Bundle()), "run `python -m lottery_utils report` and commit"
    meta = {"model": "lenet", "machine": "test machine", "torch": "x", "setup": {}}
    write_bundle(tmp_path / "lenet-seed0.json.gz", [], {**meta, "seed": 0, "complete": True, "seconds": 7_260,
                                                 "networks": 110})
    write_bundle(tmp_path / "lenet-why-seed0.json.gz", [], {**meta, "seed": 0, "part": "why", "seconds": 600,
                                                     "networks": 5})
    text = with_build_times(f"before\n{BUILD_TIMES[0]}\nold\n{BUILD_TIMES[1]}\nafter", Bundle(tmp_path))
    assert text.splitlines()[4:6] == [
        "| `lenet-seed0.json.gz` | 110 | 2 h 01 min | 1.1 min | complete | test machine |",
        "| `lenet-why-seed0.json.gz` | 5 | 10 min | 2.0 min | in progress | test machine |"]
    assert "old" not in text and text.startswith("before\n") and text.endswith("\nafter")


def test_a_spread_shows_min_and_max_only_over_several_seeds():
    from lottery_utils.summaries import Spread

    assert Spread.of([0.9812]).text(percent=True) == "98.12"
    assert Spread.of([0.97, 0.98, 0.98]).text(percent=True) == "97.67 [97.00–98.00]"
    assert Spread.of([2_800, 2_800]).text(percent=False) == "2,800 [2,800–2,800]"  # two seeds that agree still say so


def test_lessons_show_the_sign_and_rewinding_sentences(tmp_path):
    from lottery_utils import lessons as grids
    from lottery_utils.why import show

    lessons, why = why_entries(0)
    results = [as_result(e) for e in lessons + why]
    signs = [r for r in results if r.kind in ("dense", "ticket", "reinit", "reinit_signs") and not r.rewind_iteration
             and (r.kind == "dense" or any(abs(1 - a - r.remaining) < 1e-9 for a in grids.SIGN_RATES))]
    text = show(signs, sections=("table", "signs")).data
    assert "random reinit, signs kept: early-stop iteration |" in text and "above plain reinit at 6 of 8 sparsities" in text
    rewound = [r for r in results if r.kind == "dense" or (r.kind == "ticket" and any(
        abs(1 - a - r.remaining) < 1e-9 for a in grids.REWIND_RATES))]
    text = show(rewound, sections=("rewinding",)).data
    assert text.splitlines()[0].startswith("- **k = 100** (0.2 % of training): above the tickets reset to θ0 at 5 of 5")
    assert len(text.splitlines()) == 3 and "range" not in text  # one seed has no range to compare


def test_a_why_part_still_being_built_gives_no_sentence_it_cannot_compute():
    from lottery_utils.why import rewinding_findings, sign_findings

    lessons, _ = why_entries(0)
    results = [as_result(e) for e in lessons]
    assert sign_findings(summarize(results)) == [] and rewinding_findings(results) == []


def test_the_signs_findings_count_a_gap_within_the_level_as_level_not_above():
    """+0.00 or +0.04 points (as printed) is level, as everywhere in the lessons: only a gap beyond 0.05 counts."""
    from lottery_utils.summaries import Spread, Summary
    from lottery_utils.why import sign_findings

    def row(kind, remaining, accuracy):
        spread = Spread(accuracy, accuracy, accuracy, 2)
        return Summary(kind, remaining, spread, Spread(3_000, 3_000, 3_000, 2), spread)

    gaps = {0.5: 0.0, 0.4: 0.0004, 0.3: 0.0012, 0.2: -0.0009}  # signs kept minus plain reinit, as fractions
    rows = [row(kind, s, 0.97 + (gap if kind == "reinit_signs" else 0) + (0.005 if kind == "ticket" else 0))
            for s, gap in gaps.items() for kind in ("ticket", "reinit", "reinit_signs")]
    assert ("more than 0.05 points above plain reinit at 1 of 4 sparsities, level at 2, more than 0.05 below at 1; "
            "the difference in points, densest first: +0.00, +0.04, +0.12, -0.09.") in sign_findings(rows)[0]


def test_a_network_given_twice_counts_once_over_the_seeds():
    """Several sweeps each return the same dense network: it is one seed, not more, in every summary."""
    from lottery_utils.lessons import initial_accuracies
    from lottery_utils.tables import describe

    dense = [as_result(entry("dense", 0, seed, accuracy, 4_000)) for seed, accuracy in ((0, 0.97), (1, 0.98))]
    twice = dense + [as_result(entry("dense", 0, 0, 0.97, 4_000))] * 3
    [row] = summarize(twice)
    assert row.n_seeds == 2 and row.early_stop_test_accuracy.mean == pytest.approx(0.975)
    assert [spread.n for _, _, spread in initial_accuracies(twice)] == [2]
    assert describe(twice).endswith("(2 seeds)")


def test_the_teachers_guide_gives_the_apps_numbers_from_the_bundle():
    from lottery_utils.maintainer.docs import GUIDE, talking_points, with_talking_points

    committed = GUIDE.read_text()
    assert committed == with_talking_points(committed, Bundle()), "run `python -m lottery_utils report` and commit"
    lines = talking_points(Bundle())
    seeds = Bundle().seeds("lenet")
    assert lines[0].startswith(f"Means over the {len(seeds)} complete bundled seeds")
    assert [line.split(" | ")[0] for line in lines if line.startswith("| 2, round")] == \
        [f"| 2, round {r}" for r in (3, 7, 12, 14, 15, 18)]
    assert talking_points(Bundle(RESULTS_DIR)) == ["No complete seed is bundled yet."]  # a folder with no bundle


def test_section_times_count_words_prompts_and_running_time_per_section():
    from lottery_utils.maintainer.times import cell_seconds, sections

    def md(text):
        return {"cell_type": "markdown", "source": [text]}

    notebook = {"cells": [md("# Title\n\nLines marked **Predict:** ask for a guess."),
                          {"cell_type": "code", "source": ["x = 1"],
                           "metadata": {"execution": {"iopub.execute_input": "2026-01-01T00:00:00.000Z",
                                                      "shell.execute_reply": "2026-01-01T00:00:02.500Z"}}},
                          md("## 1. One\n\n**Predict:** a guess? $a + b$"),
                          md("**Exercise 1.** Work it out.\n\n**To think about.** Why?\n\n## 2. Two\n\n"
                             "**Exercise 2.** Write `my_loop` yourself.")]}
    intro, one, two = sections(notebook)
    assert (intro.title, intro.predict, intro.cells) == ("intro", 0, (1,))  # "marked **Predict" explains, asks nothing
    assert (one.title, one.predict, one.exercise, one.think, one.coding) == ("1. One", 1, 1, 1, 0)  # up to "## 2."
    assert (two.title, two.exercise, two.coding) == ("2. Two", 0, 1)
    assert one.words == len("1 One Predict a guess x Exercise 1 Work it out To think about Why".split())
    assert cell_seconds(notebook["cells"][1]) == 2.5 and cell_seconds(notebook["cells"][0]) == 0.0
    assert two.minutes(60) == pytest.approx(two.words / 120 + 15 + 1)


def test_the_lab_through_00_03_fits_90_minutes_with_slack_and_its_checkpoints_follow_the_plan():
    from lottery_utils.maintainer.times import LATE_ALLOWANCE, LESSONS, guide_block, lab_block

    lab = lab_block()
    minutes = float(next(line for line in lab if line.startswith("In class")).split("about ")[1].split(" minutes")[0])
    assert 60 <= minutes <= 85, lab  # at least 5 of the 90 minutes for what runs long
    rows = [line for line in lab if line.startswith("| ") and "-" in line.split("|")[1]]
    late = [int(m) for m in re.findall(r"by minute (\d+)", lab[-1])]
    for row, checkpoint in zip(rows[1:], late):  # each core exercise: given up only once behind the plan
        start, end = (int(t) for t in row.split("|")[1].strip().split("-"))
        assert start + LATE_ALLOWANCE <= checkpoint <= end, (row, checkpoint)
    assert sum(line.startswith("**") for line in guide_block()) == len(LESSONS)  # every lesson, every section timed
    with pytest.raises(LookupError, match="no running time for section"):
        guide_block({})  # a lesson never measured: says how to measure it


def test_seed_by_seed_compares_each_ticket_with_the_dense_network_of_its_own_seed():
    from lottery_utils.tables import paired
    from lottery_utils.tables import describe
    from lottery_utils.tables import paired_findings

    def result(kind, seed, accuracy, stop, remaining=1.0):
        return result_from_numbers(kind, int(kind != "dense"), remaining, accuracy, stop, accuracy, seed, "lenet", 50_000, 1.0)

    # the means say "earlier" (2,800 < 3,633), but the seed whose dense network stopped at 2,500 disagrees
    results = [result("dense", 0, 0.975, 2_500), result("dense", 1, 0.976, 2_800), result("dense", 2, 0.98, 5_600),
               *(result("ticket", seed, 0.981, 2_800, 0.2) for seed in range(3))]
    dense, ticket = paired(results)  # in summarize's order: the dense network has no comparison
    assert dense is None
    assert (ticket.kind, ticket.n_seeds, ticket.as_accurate, ticket.no_later) == ("ticket", 3, 3, 2)  # 2,800 <= 2,800
    assert "at least as accurate in 3 of 3, stops no later in 2 of 3" in describe(results)
    assert "stops no later (j′ ≤ j) in all 3 at 0, in 2 of 3 at 1, in 1 of 3 at 0, in none at 0" \
        in paired_findings(results)[0]
    assert paired_findings(results[:1] + results[3:4]) == []  # one seed: nothing to say seed by seed
    reinit = [result("reinit", seed, accuracy, 4_000, 0.2) for seed, accuracy in ((0, 0.97), (1, 0.97), (2, 0.99))]
    assert paired_findings(results + reinit)[1] == ("- **Controls, seed by seed** (each against the ticket of its own "
                                                    "seed): the ticket at least as accurate as random reinit in all 3 "
                                                    "seeds at 0 of 1 sparsities.")
    assert "at 1 of 1" in paired_findings(results + reinit[:2] + [result("reinit", 2, 0.97, 4_000, 0.2)])[1]


def test_rounds_against_one_step_pairs_equal_sparsities_and_counts_seeds():
    from lottery_utils.tables import rounds_vs_one_step

    def made(kind, rounds, seed, accuracy, stop, remaining):
        return result_from_numbers(kind, rounds, remaining, accuracy, stop, accuracy, seed, "lenet", 50_000, 60.0)

    iterative = [made("dense", 0, s, 0.97, 4_000, 1.0) for s in (0, 1)]
    iterative += [made("ticket", 2, 0, 0.985, 3_000, 0.641), made("ticket", 2, 1, 0.975, 3_100, 0.641),
                  made("reinit", 2, 0, 0.96, 5_000, 0.641), made("reinit", 2, 1, 0.96, 5_000, 0.641),
                  made("ticket", 3, 0, 0.99, 3_000, 0.3)]  # no one-step network that sparse: left out
    one_step = [made("ticket", 1, 0, 0.98, 3_500, 0.6405), made("ticket", 1, 1, 0.98, 2_900, 0.6405),
                made("reinit", 1, 0, 0.975, 5_000, 0.6405), made("reinit", 1, 1, 0.975, 5_000, 0.6405)]
    lines = rounds_vs_one_step(iterative, one_step)
    assert lines[2] == "| 2 | 64.1 / 64.0 % | 98.00 / 98.00 | 1 of 2 | 3,050 / 3,200 | 1 of 2 |"
    assert len(lines) == 5 and "more accurate in all 2 seeds after 0 of 1 round counts (none)" in lines[-1]
    gaps = rounds_vs_one_step(iterative, one_step, controls=("reinit",))
    assert gaps[0].endswith("| ticket − random reinit: n rounds / one step |")
    assert gaps[2] == "| 2 | 64.1 / 64.0 % | 98.00 / 98.00 | 3,050 / 3,200 | +2.00 / +0.50 |"


def test_seed_by_seed_sets_each_seeds_network_beside_its_own_dense_network():
    from lottery_utils.tables import seed_by_seed
    results = [as_result(e) for e in (entry("dense", 0, 0, 0.97, 4_000), entry("dense", 0, 1, 0.975, 4_200),
                                      entry("ticket", 1, 0, 0.98, 4_100), entry("ticket", 1, 1, 0.975, 3_000))]
    assert seed_by_seed(results).splitlines() == [
        "seed 0: dense 97.00 % at 4,000, ticket 98.00 % at 4,100: as accurate or more, stops later",
        "seed 1: dense 97.50 % at 4,200, ticket 97.50 % at 3,000: as accurate or more, stops no later"]  # a' >= a: a tie is
    with pytest.raises(ValueError, match="one ticket sparsity"):
        seed_by_seed(results + [as_result(entry("ticket", 2, 0, 0.9, 3_000))])


def test_seeds_against_dense_lists_where_each_seeds_tickets_fail_each_condition():
    from lottery_utils.tables import seeds_against_dense
    results = [as_result(e) for e in (entry("dense", 0, 0, 0.97, 4_000), entry("dense", 0, 1, 0.98, 2_000),
                                      entry("ticket", 1, 0, 0.98, 4_100), entry("ticket", 1, 1, 0.975, 1_900),
                                      entry("ticket", 2, 0, 0.96, 3_000), entry("ticket", 2, 1, 0.985, 2_000))]
    assert seeds_against_dense(results)[2:] == ["| 0 | 97.00 %, 4,000 | 64.0 % | 80.0 % |",   # 96 < 97; 4,100 > 4,000
                                                "| 1 | 98.00 %, 2,000 | 80.0 % | none |"]    # 2,000: a tie is no later


def test_seed_counts_compare_each_network_with_its_own_seeds_reference():
    from lottery_utils.tables import seed_counts

    def made(kind, seed, accuracy, stop):
        return result_from_numbers(kind, 1, 0.2, accuracy, stop, accuracy, seed, "lenet", 50_000, 60.0)

    results = [made("dense", s, 0.97, 4_000) for s in (0, 1)] + [
        made("reinit", 0, 0.975, 5_000), made("reinit", 1, 0.98, 4_000),
        made("reinit_signs", 0, 0.975, 4_500), made("reinit_signs", 1, 0.97, 4_100)]
    assert seed_counts(results, "reinit_signs", against="reinit")[2:] == ["| 20.0 % | 1 of 2 | 1 of 2 |"]
    assert seed_counts(results, "reinit")[2:] == ["| 20.0 % | 2 of 2 | 1 of 2 |"]  # against the dense network


def test_the_paper_comparisons_measure_the_papers_sentences_on_the_results():
    from lottery_utils.claims import against_own_dense, controls_vs_paper, iterative_vs_paper

    def made(kind, rounds, seed, accuracy, stop):
        remaining = {0: 1.0, 7: 0.211, 9: 0.135, 10: 0.108}[rounds]  # the shares the paper's sentences name
        return result_from_numbers(kind, rounds, remaining, accuracy, stop, accuracy, seed, "lenet", 50_000, 60.0)

    # dense 97.0 % (seeds 96.5 and 97.5), stopping at 4,000
    results = [made("dense", 0, 0, 0.965, 4_000), made("dense", 0, 1, 0.975, 4_000)]
    for r, (ticket, reinit, pruned, stop) in {7: (0.98, 0.972, 0.968, 3_000), 9: (0.985, 0.968, 0.96, 3_500),
                                              10: (0.975, 0.96, 0.962, 4_100)}.items():
        for seed in (0, 1):
            results += [made("ticket", r, seed, ticket, stop + 400 * seed), made("reinit", r, seed, reinit, 6_000),
                        made("random_prune", r, seed, pruned, 7_000)]
    iterative = iterative_vs_paper([r for r in results if r.kind in ("dense", "ticket")])
    assert iterative[:4] == ["- speed at 21.1 % (the paper: 38 % earlier): the mean early stop 20% earlier than the dense "
                             "networks' mean; seed by seed 25% (seed 0), 15% (seed 1)",
                             "- the trend (the paper: faster as the weights go from 100 % to 21 %): the ticket's mean "
                             "early stop, round by round from 21.1 to 21.1 %: 3,200; the dense networks' 4,000 "
                             "[4,000–4,000]",
                             "- accuracy at 13.5 % (the paper: more than 0.3 points above the dense network): +1.50 points",
                             "- where accuracy is highest (the paper: more than 0.3 points up at 13.5 %, lower after): the highest "
                             "mean at 13.5 % of the weights (98.50 [98.50–98.50] %)"]
    assert "- where speed returns to the dense network's (the paper: at 3.6 %): at 10.8 %, the first round past 21 % " \
           "whose mean early stop is no earlier than the dense networks'" in iterative
    assert ("- where accuracy returns to the dense level (the paper: at 3.6 %): not within this run: the tickets' mean "
            "stays above the dense networks' to the sparsest") in iterative  # +0.50 points: not level
    assert iterative[-2].startswith("- at the sparsest, 10.8 %: +0.50 points against the dense network on average; at "
                                    "least as accurate as its own seed's dense network in 2 of 2 seeds")
    assert iterative[-1] == "\n(means over 2 seeds)"
    controls = controls_vs_paper(results)
    from lottery_utils import claims  # show: the controls' sentences by default where the results hold controls
    assert claims.show(results).data == "\n".join(controls)
    assert claims.show(results, sections=("tickets",)).data == "\n".join(iterative_vs_paper(results))
    with pytest.raises(ValueError, match="Unknown section"):
        claims.show(results, sections=("ticket",))
    assert controls[0] == ("- random reinit: more than 0.05 points below the dense mean (97.00 %) for good from 13.5 % "
                           "of the weights on; below its lowest seed (96.50 %) from 10.8 % on")
    assert controls[1] == ("- random pruning: more than 0.05 points below the dense mean (97.00 %) for good from 21.1 % "
                           "of the weights on; below its lowest seed (96.50 %) from 13.5 % on")
    assert controls[2] == "- winning ticket: never stays more than 0.05 points below the dense mean (97.00 %)"
    assert controls[3] == ("- random reinit more accurate than random pruning: after 2 of 3 rounds at the early stop, 2 "
                           "at the end of training (Appendix E, its Figure 14)")
    assert controls[4] == ("- end of training (Figure 4b): random reinit level with the dense mean there (97.00 %, "
                           "within 0.05 points) down to 21.1 % of the weights, then lower than the round before at 2 of "
                           "the 2 rounds after, to 96.00 % at 10.8 %")
    assert controls[6] == ("- at the sparsest, 10.8 %: winning ticket 97.50 % at 4,300, random reinit 96.00 % at "
                           "6,000, random pruning 96.20 % at 7,000")
    nearly = [made("reinit", 9, r.seed, 0.9697, 6_000) if (r.kind, r.round) == ("reinit", 9) else r for r in results]
    assert "down to 13.5 % of the weights, then lower than the round before at 1 of the 1 rounds" in \
        controls_vs_paper(nearly)[4]  # 0.03 points below the dense mean at 13.5 %: level (five test images)
    assert controls[5] == ("- at 21.1 %: the ticket reaches its minimum validation loss 1.88x sooner than random reinit "
                           "and is 0.80 points more accurate")
    assert controls[-5:] == [  # seed by seed against each seed's own dense network (96.5 and 97.5 %)
        "| at how many sparsities it is at least as accurate as its own seed's dense network (a′ ≥ a), in: | all 2 "
        "seeds | 1 of 2 | no seed |", "|---|---:|---:|---:|",
        "| winning ticket, 21.1 to 10.8 % (3 sparsities) | 3 | 0 | 0 |",  # 97.5 % against 97.5 %: a tie counts
        "| random reinit, 21.1 to 10.8 % (3 sparsities) | 0 | 2 | 1 |",
        "| random pruning, 21.1 to 10.8 % (3 sparsities) | 0 | 1 | 2 |"]
    denser = [replace(r, remaining=0.5) if r.round == 7 else r for r in results]  # round 7 above 21.1 %
    assert against_own_dense(denser)[2:4] == ["| winning ticket, 50.0 % (1 sparsity) | 1 | 0 | 0 |",
                                              "| winning ticket, 13.5 to 10.8 % (2 sparsities) | 2 | 0 | 0 |"]


def test_the_cores_result_is_the_papers_numbers_and_the_store_adds_where_a_result_comes_from():
    """results.Result (core) holds what the paper reports of one network; store.StoredResult adds its key, its exact
    setting and provenance. Seeds group by every field but the seed: a stored result's `training_key` holds its whole
    setup (two learning rates stay apart although every reported field agrees)."""
    from dataclasses import fields

    from lottery_utils.store import StoredResult

    bookkeeping = {"key", "bundled", "first_layer_kept", "schedule", "training_key"}
    assert not bookkeeping & {f.name for f in fields(Result)}
    assert bookkeeping <= {f.name for f in fields(StoredResult)}

    def stored(seed, lr):
        e = entry("ticket", 1, seed, 0.98, 3_000)
        e["config"]["lr"] = lr
        return as_result(e)

    rows = summarize([stored(0, 0.0012), stored(1, 0.0012), stored(0, 0.01)])
    assert sorted(row.n_seeds for row in rows) == [1, 2]
    by_hand = [result_from_numbers("ticket", 1, 0.8, 0.98, 3_000, 0.98, seed, "lenet", 50_000, 60.0) for seed in (0, 1)]
    assert [row.n_seeds for row in summarize(by_hand)] == [2]


def test_one_step_against_the_papers_figure_4c_says_where_the_means_agree():
    from lottery_utils.claims import one_shot_vs_paper

    def result(kind, remaining, accuracy, stop):
        return result_from_numbers(kind, int(remaining < 1), remaining, accuracy, stop, accuracy, 0, "lenet", 50_000)

    results = [result("dense", 1.0, 0.97, 4_000), result("ticket", 0.8, 0.975, 3_000),
               result("ticket", 0.5, 0.98, 5_000), result("ticket", 0.2, 0.96, 3_500),
               result("reinit", 0.8, 0.96, 4_500), result("reinit", 0.5, 0.975, 4_500), result("reinit", 0.2, 0.95, 6_000)]
    speed, accuracy, reinit = one_shot_vs_paper(results)
    assert speed.endswith("the ticket's mean early stop is earlier at 2 of 3 sparsities, all but 50.0 %")
    assert accuracy.endswith("above the dense mean (97.00 %) or level with it (within 0.05 points) at 2 of 3 "
                             "sparsities, all but 20.0 %")
    assert reinit == ("- random reinit: more than 0.05 points below the dense mean at 2 of 3 sparsities, all but 50.0 %; "
                      "the ticket leads it by +0.50 to +1.50 points, and random reinit stops later than the ticket at 2 "
                      "of 3")  # leads +1.50, +0.50, +1.00; later at 80 % and 20 % (4,500 > 3,000, 6,000 > 3,500)
    assert one_shot_vs_paper(results[:2] + results[4:5])[1].endswith("at all of the 1 sparsities")
    assert one_shot_vs_paper(results[:2] + results[4:6])[2] == (
        "- random reinit: more than 0.05 points below the dense mean at 80.0 % (1 of 2); the ticket leads it by +1.50 "
        "points, and random reinit stops later than the ticket at 1 of 1")  # only 80 % has both
    # within 0.05 points (five test images) is level, not below: a hundredth under the dense mean counts as level
    nearly = [result("dense", 1.0, 0.97, 4_000), result("ticket", 0.8, 0.9699, 3_000),
              result("reinit", 0.8, 0.9699, 3_000)]
    assert one_shot_vs_paper(nearly)[1].endswith("at all of the 1 sparsities")
    assert one_shot_vs_paper(nearly)[2] == ("- random reinit: more than 0.05 points below the dense mean at none of "
                                            "the 1 sparsities; the ticket leads it by +0.00 points, and random reinit "
                                            "stops later than the ticket at 0 of 1")


def test_winning_counts_tally_both_conditions_seed_by_seed():
    from lottery_utils.tables import winning_counts
    results = [as_result(e) for e in (
        entry("dense", 0, 0, 0.97, 4_000), entry("dense", 0, 1, 0.975, 4_200),
        entry("ticket", 1, 0, 0.98, 3_000), entry("ticket", 1, 1, 0.99, 3_200),    # both seeds win at 80 %
        entry("ticket", 2, 0, 0.98, 5_000), entry("ticket", 2, 1, 0.97, 3_000))]   # each fails one condition
    assert winning_counts(results) == [
        "| condition, of the tickets' sparsities | all 2 seeds | 1 of 2 | no seed |", "|---|---:|---:|---:|",
        "| at least as accurate (a′ ≥ a) | 1 | 1 | 0 |", "| stops no later (j′ ≤ j) | 1 | 1 | 0 |",
        "| both: a winning ticket | 1 | 0 | 1 |", "",
        "Every seed's ticket is a winning ticket at 80.0 % of the weights; no seed's at 64.0 %."]
    assert winning_counts([r for r in results if r.round != 1])[-1] == (
        "At no sparsity is every seed's ticket a winning ticket; no seed's at 64.0 %.")
    assert winning_counts([r for r in results if r.round != 2])[-1] == (
        "Every seed's ticket is a winning ticket at 80.0 % of the weights; at every one, some seed's is.")


def test_markdown_can_fold_its_lines_behind_a_title():
    from lottery_utils.tables import markdown
    assert markdown(["| a |", "|---|", "| 1 |"]).data == "| a |\n|---|\n| 1 |"
    folded = markdown(["- one", "- two"], folded="The numbers").data
    assert folded == "<details><summary>The numbers</summary>\n\n- one\n- two\n\n</details>"


def _round_results(seed, ticket_stop, plain_stop, signs_stop, beside_stop=None, plain_acc=0.96, signs_acc=0.975):
    """One seed of a two-round sign run; `beside_stop`: the signs control was trained beside another ticket, which
    stops there (the bundle's seeds 0 and 1)."""
    def make(kind, r, stop, accuracy):
        return result_from_numbers(kind, r, 0.8 ** r, accuracy, stop, accuracy, seed, "lenet", 50_000)

    beside = [None] * 3 if beside_stop is None else [make("ticket", r, beside_stop, 0.98) for r in (0, 1, 2)]

    def stored(r, b):  # a stored control that names the ticket it was trained beside
        return StoredResult(**{f.name: getattr(r, f.name) for f in fields(Result)}, trained_beside=b)

    return ([make("dense", 0, 3_000, 0.978)]
            + [make("ticket", r, ticket_stop, 0.98) for r in (1, 2)]
            + [make("reinit", r, plain_stop, plain_acc) for r in (1, 2)]
            + [stored(make("reinit_signs", r, signs_stop, signs_acc), beside[r]) for r in (1, 2)])


def test_the_sign_rounds_count_each_controls_lead_against_the_ticket_it_was_trained_beside():
    """Seed 0's plain reinit trails its ticket by 8,000 iterations, its signs control by 2,000 (the signs recover 75 %
    of the lead); seed 1's signs control was trained beside another ticket (stopping at 4,000): its lead is 2,000, not
    4,000, so together 75 %, where counting against the run's ticket would give 62.5 %."""
    from lottery_utils.why import sign_rounds

    results = (_round_results(0, 2_000, 10_000, 4_000)
               + _round_results(1, 2_000, 10_000, 6_000, beside_stop=4_000))
    text = "\n".join(sign_rounds(results))
    assert "| 80.0 % |" in text and "| 8,000 → 2,000 (75 % recovered) | 2.00 → 0.50 (75 % recovered) | 2 of 2 |" in text
    assert ("plain reinit is 8,000 iterations and 2.00 points behind its ticket, the signs-kept network 2,000 and "
            "0.50: 75 % of the lag recovered in speed and 75 % in accuracy") in text
    assert "for seed 1 the signs-kept networks were trained beside a re-run of the ticket chain" in text
    assert text.splitlines()[0].count("accuracy (%) at early stop") == 1  # the run's ticket only: no column to subtract
    wrong = [replace(r, trained_beside=None) if isinstance(r, StoredResult) else r for r in results]  # the run's tickets
    assert "8,000 → 3,000 (62 % recovered)" in "\n".join(sign_rounds(wrong))
    assert "re-run" not in "\n".join(sign_rounds(wrong))
    assert sign_rounds([r for r in results if r.kind != "reinit_signs"]) == []  # a part not bundled yet


def test_a_bundled_part_gives_its_controls_the_tickets_it_names_as_trained_beside(tmp_path):
    """A signs part names the tickets its controls were trained beside (metadata tickets_used): each of its networks
    carries its own round's, and pairing a control with "its" ticket uses that one; a part without them, none."""
    from lottery_utils.why import beside_ticket
    from lottery_utils.config import config_key

    lessons = [entry("dense", 0, 0, 0.978, 3_000), entry("ticket", 1, 0, 0.980, 2_000),
               entry("ticket", 2, 0, 0.981, 2_000), entry("reinit", 2, 0, 0.975, 6_000)]
    signs = [entry("reinit_signs", r, 0, 0.979, 3_000) for r in (1, 2)]
    own = [{**e, "record": {**e["record"], "early_stop_iteration": 3_500}} for e in lessons[1:3]]  # later: 3,500
    write_bundle(tmp_path / "lenet-seed0.json.gz", lessons, {"model": "lenet", "seed": 0, "complete": True})
    write_bundle(tmp_path / "lenet-signs-seed0.json.gz", signs,
                 {"model": "lenet", "seed": 0, "part": "signs", "complete": True, "tickets_used": own})
    results = Bundle(tmp_path).results("lenet")
    kept = {r.round: r for r in results if r.kind == "reinit_signs"}
    assert [kept[r].trained_beside.early_stop_iteration for r in (1, 2)] == [3_500, 3_500]
    assert {kept[r].trained_beside.round for r in (1, 2)} == {1, 2} and kept[2].trained_beside.round == 2
    assert all(r.trained_beside is None for r in results if r.kind != "reinit_signs")
    pairs = {c.kind: ticket for c, ticket in beside_ticket(results) if c.remaining < 0.7}
    assert pairs["reinit_signs"].early_stop_iteration == 3_500 and pairs["reinit"].early_stop_iteration == 2_000
    assert config_key(own[1]["config"]) == config_key(lessons[2]["config"])  # the same key, read from the metadata


def test_a_share_recovered_from_a_lag_that_not_every_seed_shows_is_marked_uneven():
    """Seed 1's plain reinit stops before its ticket: the mean lag (750) sits within the seeds' spread, and the
    share of it that the signs recover is printed as uneven; where both seeds lag, it is not."""
    from lottery_utils.why import sign_rounds

    even = _round_results(0, 2_000, 4_000, 3_000) + _round_results(1, 2_000, 4_000, 3_000)
    uneven = _round_results(0, 2_000, 4_000, 3_000) + _round_results(1, 2_000, 1_500, 1_800)
    assert "| 2,000 → 1,000 (50 % recovered) |" in "\n".join(sign_rounds(even))
    text = "\n".join(sign_rounds(uneven))
    assert "| 750 → 400 (47 % recovered, uneven) | 2.00 → 0.50 (75 % recovered) | 1 of 2 |" in text
    assert "in all 2 seeds after 0 of 2 rounds, and in at least 1 of 2" in text  # seed 1: -200 is not below -500


def test_the_controls_table_counts_seed_by_seed_where_theta0s_share_beats_the_masks():
    from lottery_utils.tables import show, split_by_seed

    def made(kind, seed, accuracy):
        remaining = 1.0 if kind == "dense" else 0.05
        return result_from_numbers(kind, 0 if kind == "dense" else 14, remaining, accuracy, 3_000, accuracy, seed,
                                   "lenet", 50_000, 60.0)

    # seed 0: θ0 adds 1.0 point, the mask 0.5; seed 1: 0.2 against 1.0; seed 2: a tie (0.5 and 0.5) is not larger
    accuracies = {0: (0.98, 0.97, 0.965), 1: (0.98, 0.978, 0.968), 2: (0.98, 0.975, 0.97)}
    results = [made("dense", seed, 0.97) for seed in accuracies] + [
        made(kind, seed, accuracy) for seed, three in accuracies.items()
        for kind, accuracy in zip(("ticket", "reinit", "random_prune"), three)]
    assert split_by_seed(results) == {0.05: (1, 3)}
    # a tie in test images is no win, however the floats round: 0.9733 − 0.9700 against 0.9700 − 0.9667
    tie = {0: (0.9733, 0.97, 0.9667)}
    tied = [made("dense", 0, 0.97)] + [made(k, 0, a) for k, a in zip(("ticket", "reinit", "random_prune"), tie[0])]
    assert (0.9733 - 0.97 > 0.97 - 0.9667) and split_by_seed(tied) == {0.05: (0, 1)}
    table = show(results, sections=("table",)).data.splitlines()
    assert table[0].endswith("| seeds where θ0's share (ticket − random reinit) > the mask's (random reinit − random "
                             "pruning) |")
    assert table[-1].endswith("| 1 of 3 |") and table[2].endswith("| |")  # the dense row has no count
    # without both controls the last column is the tickets against their own seed's dense network, as before
    plain = show([r for r in results if r.kind in ("dense", "ticket")], sections=("table",)).data.splitlines()
    assert "a′ ≥ a · j′ ≤ j · both" in plain[0] and plain[-1].endswith("| 3 · 3 · 3 of 3 |")


def test_the_tables_name_a_missing_dense_network():
    from lottery_utils import tables

    rows = summarize([Result("ticket", 1, 0.8, 0, "lenet", 50_000, History([0, 50_000], [2.3, 0.1], [0.1, 0.98],
                                                                            3_000, 0.98, 60.0))])
    for write in (tables.findings, tables.table):
        with pytest.raises(ValueError, match="These results hold no dense network to compare with"):
            write(rows)


def test_a_kind_reads_as_its_name_and_a_misspelt_one_is_named():
    from lottery_utils.results import Kind

    assert repr(Kind.TICKET) == "'ticket'" and "kind='ticket'" in repr(result_from_numbers(
        "ticket", 1, 0.8, 0.98, 3_000, 0.98, 0, "lenet", 50_000, 60.0))
    with pytest.raises(ValueError, match="Unknown kind 'tickt': choose one of dense, ticket, reinit"):
        Kind.named("tickt")
    row = summarize([result_from_numbers("ticket", 1, 0.8, 0.98, 3_000, 0.98, 0, "lenet", 300, 60.0)])[0]
    assert (row.model, row.iterations) == ("lenet", 300)  # fast and real mode rows say which they are
