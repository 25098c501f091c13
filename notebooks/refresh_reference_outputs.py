"""Execute the lesson notebooks in fast mode and keep only the reference outputs that nbval compares.

Output policy: notebooks are committed without outputs, except code cells tagged `nbval-check-output`, which keep
their text outputs (stdout and text/plain results) and execution_count, generated here in fast mode as CI runs them.
Figures, widgets, HTML and stderr are never kept; a tagged cell that produces them, or text that changes from run
to run (memory addresses, timings), is an error: untag the cell or make its output stable.

    python notebooks/refresh_reference_outputs.py                       # every notebooks/NN_*.ipynb
    python notebooks/refresh_reference_outputs.py notebooks/00_the_theorem.ipynb
    python notebooks/refresh_reference_outputs.py --strip-only ...     # no execution: just strip outputs
"""
from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

import nbformat

TAG = "nbval-check-output"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
UNSTABLE = [(re.compile(r"0x[0-9a-fA-F]{6,16}"), "a memory address"),
            (re.compile(r"\d+(\.\d+)?\s*(it/s|s/it|ms\b|µs\b|sec\b|seconds\b)|\d\.\d+\s?s\b"), "a timing"),
            (re.compile(r"\[\d\d:\d\d<"), "a progress bar")]


def fast_environment(cache: str) -> None:
    """The kernel inherits this process's environment: fast mode, offline data, a fresh cache, one thread."""
    os.environ["LOTTERY_FAST"] = "1"
    data = os.environ.get("LOTTERY_DATA") or ROOT.parent / "shared" / "data"
    os.environ["LOTTERY_DATA"] = str(Path(data).resolve())  # the kernel runs in notebooks/: no relative paths
    os.environ["LOTTERY_CACHE"] = cache
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def execute(nb: nbformat.NotebookNode, path: Path) -> None:
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
    NotebookClient(nb, km=km, timeout=1_800, resources={"metadata": {"path": str(path.parent)}}).execute()


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


def strip(nb: nbformat.NotebookNode, name: str) -> int:
    """Clear every output and execution count except on tagged cells; return the number of tagged cells."""
    tagged = 0
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)  # nbclient's timestamps
        if cell.cell_type != "code":
            continue
        if TAG in cell.metadata.get("tags", []) and cell.get("execution_count") is not None:
            tagged += 1
            cell.outputs = reference_outputs(cell, f"{name}, cell {index}")
        else:
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)  # widget state: never kept
    nb.metadata.get("language_info", {}).pop("version", None)
    return tagged


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/[0-9][0-9]_*.ipynb")
    parser.add_argument("--strip-only", action="store_true", help="do not execute; only apply the output policy")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="lottery-cache-") as cache:
        fast_environment(cache)
        for path in paths:
            path = path.resolve()
            nb = nbformat.read(path, as_version=4)
            start = time.perf_counter()
            if not args.strip_only:
                for cell in nb.cells:
                    if cell.cell_type == "code":
                        cell.outputs, cell.execution_count = [], None
                execute(nb, path)
            elif any(TAG in c.metadata.get("tags", []) and c.get("execution_count") is None and c.get("outputs")
                     for c in nb.cells if c.cell_type == "code"):
                raise SystemExit(f"{path.name}: a tagged cell has outputs but no execution count; refresh it.")
            tagged = strip(nb, path.name)
            nbformat.validate(nb)
            nbformat.write(nb, path)
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {tagged} reference cells"
                  + ("" if args.strip_only else f", executed in {time.perf_counter() - start:.1f} s"))


if __name__ == "__main__":
    main()
