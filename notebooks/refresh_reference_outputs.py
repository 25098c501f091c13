"""Execute the lesson notebooks and write their committed outputs: a real-mode run for reading, fast-mode text for
the cells nbval compares.

Output policy (notebooks/README.md):
* Every code cell keeps the outputs of a **real-mode** run (the paper's settings, answered by the bundled results;
  a fresh empty cache, so nothing of yours leaks in): text and figures, so a lesson reads well on a repository page
  or in a static HTML export. Widgets, their state and stderr (progress bars) are never kept.
* Cells tagged `nbval-check-output` are what the tests compare (`pytest --nbval-lax`, in fast mode). They keep only
  text (stdout, text/plain results), and that text must be the same in a fast-mode run and in the real-mode run; a
  tagged cell whose output is a figure, a widget, stderr, text that changes from run to run (memory addresses,
  timings) or text that depends on the mode is an error: untag the cell or make its output stable.
* Outputs are generated here, never edited by hand. A real-mode run that has to train (something the bundle lacks:
  it writes to the cache) is refused: bundle it first, or change the lesson. `--warm-cache DIR` lets the real-mode
  run read a cache that already holds what the bundle cannot (trained weights: notebook 05's section 2), e.g. the
  `runs/` a `bundle` build filled; anything else that would train is still refused.

    python notebooks/refresh_reference_outputs.py                       # every notebooks/NN_*.ipynb
    python notebooks/refresh_reference_outputs.py notebooks/00_the_theorem.ipynb
    python notebooks/refresh_reference_outputs.py --strip-only ...     # no execution: apply the policy to what is there
    python notebooks/refresh_reference_outputs.py --fast-only ...      # tagged cells only (real mode not bundled yet)
    python notebooks/refresh_reference_outputs.py --warm-cache runs notebooks/05_why_tickets_win.ipynb
"""
from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

import nbformat

from lottery_utils.maintainer import times
from lottery_utils.maintainer.bundle import cpu_model

TAG = "nbval-check-output"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
UNSTABLE = [(re.compile(r"0x[0-9a-fA-F]{6,16}"), "a memory address"),
            (re.compile(r"\d+(\.\d+)?\s*(it/s|s/it|ms\b|µs\b|sec\b|seconds\b)|\d\.\d+\s?s\b"), "a timing"),
            (re.compile(r"\[\d\d:\d\d<"), "a progress bar")]


def environment(cache: str, fast: bool) -> dict[str, str]:
    """The kernel's environment: this process's, with the mode, offline data, the cache and one thread."""
    data = os.environ.get("LOTTERY_DATA") or ROOT.parent / "shared" / "data"
    return {**os.environ, "LOTTERY_FAST": "1" if fast else "0",
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
            "LOTTERY_DATA": str(Path(data).resolve()),  # the kernel runs in notebooks/: no relative paths
            "LOTTERY_CACHE": cache}


def execute(nb: nbformat.NotebookNode, path: Path, env: dict[str, str]) -> None:
    """Run every cell in a fresh kernel on this interpreter (like nbval --nbval-current-env), from the notebook's
    folder."""
    import ipykernel.kernelspec
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    class CurrentInterpreter(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                          **ipykernel.kernelspec.get_kernel_dict())

    km = KernelManager(kernel_name="python3", kernel_spec_manager=CurrentInterpreter())
    NotebookClient(nb, km=km, timeout=1_800, resources={"metadata": {"path": str(path.parent)}}).execute(env=env)


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive prints to the same stream, as nbval does before comparing."""
    merged = []
    for out in outputs:
        if out.output_type == "stream" and merged and merged[-1].output_type == "stream" \
                and merged[-1].name == out.name:
            merged[-1].text += out.text
        else:
            merged.append(out)
    return merged


def reference_outputs(cell: nbformat.NotebookNode, where: str) -> list:
    """A tagged cell's outputs, reduced to the text nbval compares; anything unsuitable is an error."""
    kept = []
    for out in coalesce_streams(cell.outputs):
        if out.output_type == "stream" and out.name == "stdout":
            kept.append(nbformat.v4.new_output("stream", name="stdout", text=out.text))
        elif out.output_type == "execute_result" and set(out.data) == {"text/plain"}:
            kept.append(nbformat.v4.new_output("execute_result", data={"text/plain": out.data["text/plain"]},
                                               execution_count=cell.execution_count))
        else:
            kind = out.get("name") or ", ".join(out.get("data", {})) or out.output_type
            raise SystemExit(f"{where} is tagged {TAG!r} but produces {out.output_type} ({kind}). Reference cells "
                             f"may only print text: untag it, or move the figure/widget/warning to another cell.")
        text = kept[-1].get("text") or kept[-1].data["text/plain"]
        for pattern, what in UNSTABLE:
            match = pattern.search(text)
            if match:
                raise SystemExit(f"{where} is tagged {TAG!r} but its output holds {what} ({match.group()!r}), "
                                 f"which changes from run to run.")
    return kept


READABLE = ("image/png", "text/markdown", "text/plain")  # what a static page shows; HTML and widgets are not kept


def readable_outputs(cell: nbformat.NotebookNode, where: str) -> list:
    """An untagged cell's real-mode outputs, as a static page shows them: stdout, figures, markdown, plain results."""
    kept = []
    for out in coalesce_streams(cell.outputs):
        if out.output_type == "stream":
            if out.name == "stdout":
                kept.append(nbformat.v4.new_output("stream", name="stdout", text=out.text))
        elif out.output_type in ("display_data", "execute_result"):
            if "application/vnd.jupyter.widget-view+json" in out.data:  # a widget needs a kernel: keep only the
                data = {"image/png": out.data["image/png"]} if "image/png" in out.data else {}  # picture it starts with
            else:
                data = {mime: value for mime, value in out.data.items() if mime in READABLE}
            if data:
                new = nbformat.v4.new_output(out.output_type, data=data, metadata=out.get("metadata", {}))
                if out.output_type == "execute_result":
                    new.execution_count = cell.execution_count
                kept.append(new)
        elif out.output_type == "error":
            raise SystemExit(f"{where} raised {out.ename}: {out.evalue}")
    return kept


def strip(nb: nbformat.NotebookNode, name: str, references: dict[int, list] | None = None) -> int:
    """Apply the output policy to an executed notebook; return the number of tagged cells.

    `references`: the tagged cells' outputs from a fast-mode run of the same notebook, by cell index; a tagged cell's
    output must be the same in this run (else the tests, which run fast mode, would compare something else)."""
    tagged = 0
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)  # nbclient's timestamps
        if cell.cell_type != "code":
            continue
        where = f"{name}, cell {index}"
        if cell.get("execution_count") is None:
            cell.outputs = []
        elif TAG in cell.metadata.get("tags", []):
            tagged += 1
            cell.outputs = reference_outputs(cell, where)
            if references is not None and _text(references[index]) != _text(cell.outputs):
                raise SystemExit(f"{where} is tagged {TAG!r} but prints something else in fast mode than in real mode "
                                 f"(fast: {_text(references[index])[:300]!r}, real: {_text(cell.outputs)[:300]!r}); "
                                 f"the tests run fast mode. Untag it or make its output mode-independent.")
        else:
            cell.outputs = readable_outputs(cell, where)
        if not cell.outputs:
            cell.execution_count = None
    nb.metadata.pop("widgets", None)  # widget state: never kept
    nb.metadata.get("language_info", {}).pop("version", None)
    return tagged


def _text(outputs: list) -> str:
    return "".join(out.get("text") or out.get("data", {}).get("text/plain", "") for out in outputs)


def stored(cache: Path) -> set[Path]:
    """Every entry a cache holds: a network trained into it adds one."""
    return set(cache.rglob("*.pt"))


def run(path: Path, fast: bool, warm_cache: Path | None = None) -> nbformat.NotebookNode:
    """The notebook executed from scratch in a fresh kernel and a fresh, empty cache (or `warm_cache`), in fast or
    real mode. In real mode it must train nothing: a network written to the cache is refused, naming it."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory(prefix="lottery-cache-") as empty:
        cache = (warm_cache or Path(empty)).resolve()
        before = stored(cache)
        execute(nb, path, environment(str(cache), fast))
        trained = sorted(p.relative_to(cache) for p in stored(cache) - before)
    if trained and not fast:
        raise SystemExit(f"{path.name}: in real mode it trained {len(trained)} network(s) the bundle lacks "
                         f"({', '.join(map(str, trained[:5]))}...). Bundle them or change the lesson.")
    return nb


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/[0-9][0-9]_*.ipynb")
    parser.add_argument("--strip-only", action="store_true", help="do not execute; only apply the output policy")
    parser.add_argument("--fast-only", action="store_true",
                        help="only the fast-mode run: keep the tagged cells' text, nothing else (for a lesson whose "
                             "real-mode networks are not bundled yet)")
    parser.add_argument("--warm-cache", type=Path, help="the real-mode run reads this cache instead of an empty one "
                                                            "(for trained weights the bundle does not hold)")
    args = parser.parse_args(argv)
    if args.warm_cache and not args.warm_cache.is_dir():
        parser.error(f"--warm-cache {args.warm_cache}: no such folder (a cache that `bundle` or the lessons filled)")
    paths = args.notebooks or sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        path = path.resolve()
        start = time.perf_counter()
        if args.strip_only:
            nb, references = nbformat.read(path, as_version=4), None
        else:
            fast = run(path, fast=True)
            references = {i: reference_outputs(c, f"{path.name}, cell {i} (fast mode)")
                          for i, c in enumerate(fast.cells)
                          if c.cell_type == "code" and TAG in c.metadata.get("tags", [])}
            nb = run(path, fast=False, warm_cache=args.warm_cache) if not args.fast_only else fast
            if not args.fast_only and path.stem in times.LESSONS:  # the teacher's guide times the lessons' sections
                times.record(path.stem, nb, f"{os.cpu_count()} CPUs, {cpu_model()}")
        if args.fast_only:
            for cell in nb.cells:
                if cell.cell_type == "code" and TAG not in cell.metadata.get("tags", []):
                    cell.outputs, cell.execution_count = [], None
        tagged = strip(nb, path.name, references)
        nbformat.validate(nb)
        nbformat.write(nb, path)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {tagged} reference cells"
              + ("" if args.strip_only else f", executed in {'fast' if args.fast_only else 'fast and real'} mode in "
                                               f"{time.perf_counter() - start:.1f} s"))


if __name__ == "__main__":
    main()
