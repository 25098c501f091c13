"""Run the paper's experiments from the shell and write results.csv and figures: python -m lottery_utils --help.

An edge of the library: the environment (LOTTERY_FAST, LOTTERY_CACHE, LOTTERY_DATA) is read here, once, into
`Settings`, and passed down."""
from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from . import experiments
from .checks import validate_amount, validate_rounds
from .config import TrainingSetup, validate_controls, validate_rewind
from .lessons import NOTEBOOKS, PARTS, find_result
from .models import PRESETS, get_preset
from .results import ALL_CONTROLS, CONTROLS, Result
from .settings import Settings
from .store import CSV_COLUMNS, csv_row
from .tables import describe


def checked(check: Callable, parse: Callable = str) -> Callable[[str], object]:
    """An argparse `type=` that parses the text, then runs the library's own check on it (its message on error)."""
    def convert(text: str):
        try:
            return check(parse(text))
        except (TypeError, ValueError) as problem:
            raise argparse.ArgumentTypeError(str(problem)) from None
    return convert


def at_least_one(value: int) -> int:
    if value < 1:
        raise ValueError(f"must be at least 1, got {value}.")
    return value


def seed_list(text: str) -> list[int]:
    """Seeds as a count ("5": seeds 0-4), a range ("3-4") or a list ("0,2,5")."""
    seeds = []
    try:
        if text.strip().isdigit():
            seeds = list(range(int(text)))
        else:
            for part in text.split(","):
                first, _, last = part.strip().partition("-")
                seeds += range(int(first), int(last or first) + 1)
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0:
        raise ValueError(f"seeds are a count (5: seeds 0-4), a range (3-4) or a list (0,2,5) of whole numbers >= 0; "
                         f"got {text!r}.")
    return seeds


RATE = checked(lambda value: validate_amount(value, "rate"), float)
COUNT = checked(at_least_one, int)


def build_parser() -> argparse.ArgumentParser:
    """The command line: one sub-command per experiment."""
    parser = argparse.ArgumentParser(prog="python -m lottery_utils",
                                     description="Winning tickets (Frankle & Carbin 2019): train, prune, reset, "
                                                 "retrain; every network is cached ($LOTTERY_CACHE, default runs/).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", default="lenet", choices=list(PRESETS), help="a network of the paper (lenet)")
    common.add_argument("--iterations", type=COUNT, help="training iterations per network (default: the paper's, "
                                                       "or 300 with --fast)")
    common.add_argument("--seeds", type=checked(seed_list), default="1",
                        help="a count (5: seeds 0-4, default 1), a range (3-4) or a list (0,2)")
    common.add_argument("--fast", action="store_true", help="short training for a quick look (also LOTTERY_FAST=1)")
    common.add_argument("--workers", type=COUNT, default=1, help="train a round's networks in N processes")
    common.add_argument("--cache", help="cache folder (default $LOTTERY_CACHE, else runs/ in the project folder)")
    common.add_argument("--no-bundle", action="store_true",
                        help="train even what the results bundled with the project hold (to reproduce them)")
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--out", help="folder for results.csv and the figures (default results/MODEL)")
    controlled = argparse.ArgumentParser(add_help=False)
    controlled.add_argument("--controls", type=checked(controls_option), default=",".join(CONTROLS),
                            help="comma-separated controls to train beside each ticket (of "
                                 f"{','.join(ALL_CONTROLS)}), or 'none' (default reinit,random_prune: the paper's "
                                 "two, which the library's functions train only when asked)")
    rewinding = argparse.ArgumentParser(add_help=False)
    rewinding.add_argument("--rewind", type=checked(rewind_option), default=0, metavar="K",
                           help="reset tickets to the dense network's weights after K iterations instead of θ0 "
                                "(late resetting, Frankle et al. 2019); default 0")

    one_shot = commands.add_parser("one-shot", parents=[common, controlled, output, rewinding],
                                   help="prune once, by --rate")
    one_shot.add_argument("--rate", type=RATE, default=0.8,
                          help="fraction to prune, in [0, 1), of the layers the preset prunes fastest (default 0.8; "
                               "LeNet: the hidden layers, its output layer at half that)")
    one_shot.add_argument("--amount", type=RATE, dest="amount", help=argparse.SUPPRESS)  # read as --rate, with a note
    iterative = commands.add_parser("iterative", parents=[common, controlled, output, rewinding],
                                     help="prune a little, --rounds times")
    iterative.add_argument("--rounds", type=checked(validate_rounds, int), default=5, help="pruning rounds (default 5)")
    iterative.add_argument("--rate", type=RATE, help="fraction pruned per round, of the layers the preset prunes "
                                                          "fastest (default: the paper's, 0.2 for LeNet's fc layers)")
    precompute = commands.add_parser("precompute", parents=[common],
                                     help="warm the cache for every setting the notebooks' widgets show")
    precompute.add_argument("--notebook", choices=NOTEBOOKS,
                            help="only this notebook's (default: all; 05 also the classroom app's signs panel)")
    bundle = commands.add_parser("bundle", help="train the results bundled with the project (LeNet only): every "
                                                "network the notebooks show and the paper's 18-round figure (hours "
                                                "per seed)")
    bundle.add_argument("--seeds", type=checked(seed_list), default="0-4",
                        help="a count (5: seeds 0-4), a range (0-4, the default; 3-3: seed 3 alone) or a list (0,3)")
    bundle.add_argument("--workers", type=COUNT, default=1, help="processes of one thread each (default 1)")
    bundle.add_argument("--iterations", type=COUNT, help="training iterations per network (default: the paper's)")
    bundle.add_argument("--fast", action="store_true", help="300 iterations per network, to try it")
    bundle.add_argument("--cache", help="cache folder (default $LOTTERY_CACHE, else runs/ in the project folder)")
    bundle.add_argument("--out", help="folder for the bundle files (default lottery_utils/bundled)")
    bundle.add_argument("--part", choices=PARTS, default="lessons",
                        help="lessons (default): notebooks 01-03, the app and the paper's figure; why: notebook 05's "
                             "sign-preserving reinit and rewinding, signs: the sign-preserving reinit beside the "
                             "paper's 18 rounds (both after the lessons' part of the same seeds); weights: the trained "
                             "weights notebook 05 reads (seed 0)")
    report = commands.add_parser("report", help="write docs/results/README.md and its figures from the bundle")
    report.add_argument("--out", help="folder (default docs/results)")
    demo = commands.add_parser("demo", help="write the slide demo as one self-contained HTML page from the bundle")
    demo.add_argument("--out", help="folder for index.html (default docs/demo)")
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Parse the arguments, check them all before training anything, run, write the outputs. `settings` default:
    read from the environment."""
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = settings or Settings.from_environment()
    if getattr(args, "fast", False):
        settings = replace(settings, fast=True)
    if getattr(args, "cache", None):
        settings = replace(settings, cache=Path(args.cache).resolve())

    if args.command == "report":
        from .maintainer.docs import write_report
        print(f"Wrote {write_report(args.out)}")
        return 0
    if args.command == "demo":
        from .maintainer.demo import write_demo
        print(f"Wrote {write_demo(args.out)}")
        return 0
    if args.command == "bundle":
        from .maintainer.bundle import build, build_weights
        setup = TrainingSetup.for_model("lenet", iterations=args.iterations, fast=settings.fast)
        print(f"bundling the {args.part} part of seeds {', '.join(map(str, args.seeds))}", flush=True)
        for seed in args.seeds:  # one file per seed, written when the seed is complete
            if args.part == "weights":
                path = build_weights(seed, settings, out=args.out, setup=setup)
            else:
                path = build(seed, settings, out=args.out, workers=args.workers, part=args.part, setup=setup)
            print(f"seed {seed}: bundled in {path}", flush=True)
        return 0
    setup = TrainingSetup.for_model(args.model, iterations=args.iterations, fast=settings.fast)
    store = settings.store(bundle=not args.no_bundle)
    try:
        if args.command == "precompute":
            for seed in args.seeds:
                count = experiments.precompute(args.notebook, args.model, seed, store=store, settings=settings,
                                               setup=setup, workers=args.workers)
                print(f"seed {seed}: {count} networks of the notebooks' widgets are in {store.root}")
            return 0
        try:  # a rewind iteration beyond the training: say so before anything is trained or written
            validate_rewind(args.rewind, setup.iterations)
        except ValueError as problem:
            parser.error(f"argument --rewind: {problem}")
        out = Path(args.out or Path("results") / args.model)
        _check_writable(out, parser)
        options = dict(seeds=args.seeds, controls=args.controls, store=store, workers=args.workers,
                       rewind_iteration=args.rewind, settings=settings, setup=setup)
        if args.command == "one-shot":
            if args.amount is not None:  # earlier spelling: one number is the rate here, not every layer's amount
                args.rate = args.amount
                amounts = _amounts_text(args.model, args.rate)
                print(f"--amount {args.amount:g} is read as --rate {args.amount:g}: the paper's pruning rate, the "
                      f"amount of the layers pruned fastest, the others scaled with it ({amounts}).")
            results = experiments.one_shot(args.model, args.rate, **options)
        else:
            results = experiments.iterative(args.model, args.rounds, args.rate, **options)
    except FileNotFoundError as missing:  # no dataset offline: the library's message says what to do
        needs = "MNIST/raw/" if args.model == "lenet" else "CIFAR-10 (cifar-10-batches-py/)"
        print(f"error: {missing}\nThe command line reads that folder from LOTTERY_DATA (now {settings.data}): set it "
              f"to the folder that holds {needs}.", file=sys.stderr)
        return 1
    print_summary(results, args.command + (f", tickets reset to iteration {args.rewind:,}" if args.rewind else ""))
    write_outputs(results, out)
    return 0


def _amounts_text(model: str, rate: float) -> str:
    """"fc 80 %, output 40 %": each layer role's amount at this pruning rate."""
    return ", ".join(f"{role} {100 * amount:.3g} %" for role, amount in get_preset(model).amounts(rate).by_role.items())


def controls_option(text: str) -> tuple[str, ...]:
    """--controls: comma-separated control names, or 'none'."""
    return () if text.strip() == "none" else validate_controls(text)


def rewind_option(text: str) -> int:
    """--rewind: a whole number of iterations >= 0 (whether it is below the training length is checked once the
    model and iterations are known)."""
    try:
        value = int(text)
    except ValueError:
        value = text  # validate_rewind names the mistake
    return validate_rewind(value)


def _check_writable(out: Path, parser: argparse.ArgumentParser) -> None:
    """Fail now, not after hours of training: create the folder and a file in it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as problem:
        parser.error(f"cannot write to the output folder {out}: {problem.strerror or problem}.")


def write_outputs(results: list[Result], out: Path) -> None:
    """results.csv (one row per trained network) and the figures, into `out`."""
    from . import plots  # matplotlib is only needed here

    with open(out / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_row(r) for r in results)
    figures = {"accuracy_vs_remaining.png": plots.plot_accuracy_vs_remaining(results),
               "early_stop_vs_remaining.png": plots.plot_early_stop_vs_remaining(results),
               "training_curves.png": plots.plot_training_curves(results),
               "summary.png": plots.plot_lottery_summary(results)}
    if results[0].model == "lenet":  # the lowest seed's last-round ticket
        figures["first_layer_mask.png"] = plots.plot_first_layer_mask(find_result(results, "ticket"))
    for name, figure in figures.items():
        figure.savefig(out / name, dpi=120)
    print(f"Wrote results.csv and {', '.join(figures)} to {out}/")


def print_summary(results: list[Result], title: str) -> None:
    """The title, how many networks came from the bundle, then `tables.describe`: per kind and sparsity the test
    accuracy at early stop and the early-stop iteration (mean [min–max] over the seeds, and seed by seed)."""
    print(f"\n{title}: {len({r.seed for r in results})} seed(s)")
    bundled = sum(r.bundled for r in results)
    if bundled:
        print(f"{bundled} of {len(results)} networks from the bundled results (--no-bundle trains them here)")
    print(describe(results))


if __name__ == "__main__":
    sys.exit(main())
