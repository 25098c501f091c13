"""The teacher's answer key (notebooks/instructor/solutions/): what make_solutions.py writes, and every exercise's
check says Correct! when run as the class runs the lessons (real mode, from the bundled results, training nothing)."""
import importlib.util
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


refresh = load(NOTEBOOKS / "refresh_reference_outputs.py", "refresh")
solutions = load(NOTEBOOKS / "instructor" / "make_solutions.py", "make_solutions")


def test_every_lesson_with_exercises_has_its_solutions_and_they_are_what_the_script_writes():
    lessons = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    assert set(solutions.SOLUTIONS) == lessons
    for name, (title, exercises) in solutions.SOLUTIONS.items():
        committed = nbformat.read(solutions.OUT / f"{name}.ipynb", as_version=4)
        assert committed == solutions.notebook(title, exercises), f"run {solutions.__file__}"


@pytest.mark.parametrize("name", sorted(solutions.SOLUTIONS))
def test_every_check_says_correct_in_real_mode(name):
    nb = refresh.run(solutions.OUT / f"{name}.ipynb", fast=False)  # refused if anything trains
    said = [out.text for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
            if out.output_type == "stream" and out.name == "stdout"]
    verdicts = [line for text in said for line in text.splitlines() if line.startswith(("Correct!", "Not yet:"))]
    assert verdicts and all(v.startswith("Correct!") for v in verdicts), verdicts
    assert len(verdicts) == solutions.checks(name)
