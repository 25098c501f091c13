"""The numbers in a lesson's prose come from its outputs: a lesson states a result only after it shows it.

Every decimal number (97.74, 0.31) and every number with a thousands separator (3,633) in a markdown cell must appear,
to the precision it is written with, in the notebook's committed outputs (its real-mode run from the bundle), unless it
is quoted ("..."), sits in code or a formula, or is listed below as a setting. A number worked out by hand from printed
ones is listed with the printed numbers it comes from, and the test redoes the arithmetic. So when the bundle changes
(another seed), a sentence that no longer matches what the lesson prints fails here instead of reaching a class.
"""
import os
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) + [NOTEBOOKS / "classroom_app.ipynb"]
NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+\.\d+)(?![\w.]*\d|e-|\^)")  # not 1.2e-3, 0.8^k
NOT_CLAIMS = re.compile(r'```.*?```|"[^"]*"|“[^”]*”|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$', re.DOTALL)  # quotes, code, formulas

# Numbers the prose states that no output prints: the lesson's own settings and sizes, by notebook.
SETTINGS = {
    "00_the_theorem": {"37.5": "the harder cut's output-layer rate", "12.5": "the hidden layer left after 3 rounds"},
    "01_one_shot_mnist": {"1,000": "the output layer's weights, and the curves' spacing in iterations",
                          "15,000": "where the training-curve plot stops", "0.05": "Exercise 2's tolerance"},
    "02_iterative_pruning": {"0.9": "the output layer's share kept per round", "1,000": "the curves' spacing",
                             "3.2": "the weights left by 5 rounds of 50 % (hidden 0.5^5, output 0.75^5)",
                             "5,000": "the iterations the curve comparison covers"},
    "03_random_reinit_controls": {"12,000": "the one-step figure's iteration axis", "95.6": "a slider position"},
    "04_architectures": {"4,096": "Conv-6's first fc layer's inputs", "16,384": "Conv-2's (16·16·64)",
                         "2,560": "ResNet-18's shortcut weights",
                         "267,696": "ResNet-18's prunable weights without them", "45,000": "CIFAR-10's training set",
                         "2,048": "a shortcut conv's weights", "2,304": "a 3×3 conv's weights"},
    "05_why_tickets_win": {"1,000": "the output layer's weights"},
    "classroom_app": {"50,000": "the paper's training length"},
}
# Numbers worked out by hand: the difference of two numbers the lesson prints.
DIFFERENCES = {
    "03_random_reinit_controls": {"0.38": ("98.18", "97.80")},
}
# Numbers another lesson prints, which this one recalls: number -> that lesson.
RECALLED = {"05_why_tickets_win": {"0.29": "03_random_reinit_controls", "1.19": "03_random_reinit_controls",
                                   "1.9": "03_random_reinit_controls"}}
# Numbers from the paper's text in unquoted prose (section quoted nearby), by notebook.
PAPER = {
    "01_one_shot_mnist": {"67.5", "17.6", "5.17"},
    "02_iterative_pruning": {"0.3"},
    "03_random_reinit_controls": {"2.51"},
    "04_architectures": {"89.5", "90.5", "3.5", "3.3", "2.5"},
    "05_why_tickets_win": {"0.1", "0.01", "0.03"},
    "classroom_app": {"3.6"},
}


def claims(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(cell index, number) for every number the markdown states outside quotes, code and formulas."""
    return [(index, number) for index, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
            for number in NUMBER.findall(NOT_CLAIMS.sub(" ", cell.source))]


def printed(nb: nbformat.NotebookNode) -> set[str]:
    """Every number the committed outputs show (text, Markdown tables, plain results)."""
    texts = [out.get("text", "") + "".join(value for mime, value in out.get("data", {}).items()
                                           if mime.startswith("text/"))
             for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    return set(NUMBER.findall("\n".join(texts)))


def shown(number: str, outputs: set[str]) -> bool:
    """`number` as printed, or a printed number rounded to the places `number` is written with (98.2 for 98.21;
    18,000 for 17,933 when written in thousands)."""
    if number in outputs:
        return True
    value = Decimal(number.replace(",", ""))
    if "." in number:
        step = Decimal(1).scaleb(-len(number.split(".")[1]))
    else:
        digits = number.replace(",", "")
        step = Decimal(10) ** (len(digits) - len(digits.rstrip("0")))
    return any((Decimal(o.replace(",", "")) / step).quantize(Decimal(1), ROUND_HALF_UP) * step == value
               for o in outputs)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_number_in_a_lessons_prose_is_printed_by_the_lesson(path):
    nb = nbformat.read(path, as_version=4)
    outputs = printed(nb)
    settings, differences, paper = SETTINGS[path.stem], DIFFERENCES.get(path.stem, {}), PAPER.get(path.stem, set())
    missing = []
    for index, number in claims(nb):
        if number in settings or number in paper:
            continue
        if number in RECALLED.get(path.stem, {}):
            source = RECALLED[path.stem][number]
            assert number in printed(nbformat.read(NOTEBOOKS / f"{source}.ipynb", as_version=4)), \
                f"{path.name}: {number} is recalled from {source}, which no longer prints it"
            continue
        if number in differences:
            a, b = differences[number]
            assert a in outputs and b in outputs, f"{path.name}: {number} is worked out from {a} and {b}, which " \
                                                  f"the outputs no longer print"
            assert Decimal(a) - Decimal(b) == Decimal(number), f"{path.name}: {a} − {b} is not {number}"
            continue
        if not shown(number, outputs):
            missing.append(f"cell {index}: {number}")
    assert not missing, (f"{path.name} states numbers its outputs do not print (stale after a refresh, or never "
                         f"shown): {missing}. Print them, correct the prose, or list a setting in {__name__}.")
    stated = {number for _, number in claims(nb)}
    unused = (set(differences) | set(RECALLED.get(path.stem, {}))) - stated
    assert not unused, f"{path.name} no longer states {sorted(unused)}: remove them from DIFFERENCES / RECALLED"


@pytest.mark.parametrize("number, outputs, expected", [
    ("97.74", {"97.74"}, True), ("98.2", {"98.21"}, True), ("98.2", {"98.26"}, False), ("98.3", {"98.26"}, True),
    ("18,000", {"17,933"}, True), ("18,000", {"17,433"}, False), ("3,633", {"3,634"}, False)])
def test_a_number_counts_as_printed_at_the_precision_it_is_written_with(number, outputs, expected):
    assert shown(number, outputs) is expected


def test_quotes_code_and_formulas_are_not_claims():
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell('The paper: *"2.51x faster"*; `amount=0.8`; $0.8^{14}$; we get '
                                                  '1.76 and 3,633.'))
    assert claims(nb) == [(0, "1.76"), (0, "3,633")]


GUIDE = NOTEBOOKS / "instructor" / "README.md"
RESULTS = NOTEBOOKS.parent / "docs" / "results" / "README.md"
GENERATED = re.compile(r"<!-- [^>]*generated[^>]*-->(.*?)<!-- end", re.DOTALL)  # the blocks `report` writes
# Numbers the guide states that no lesson prints: the paper's, and the exercises' answers (which the solutions check).
GUIDE_OWN = {"17.6", "67.5",  # the paper's one-step ranges
             "0.331", "0.393", "468,500", "265,200", "40.11", "73,728", "8,655,872", "19.7", "0.015",  # answers
             "2.26", "1.14", "1.12", "2,048", "2,304"}  # Conv-6's millions of weights; two ResNet-18 layers


def test_every_number_in_the_teachers_guide_is_printed_by_the_lessons_or_generated():
    guide = GUIDE.read_text()
    outputs = set(NUMBER.findall(RESULTS.read_text()))
    for path in LESSONS:
        outputs |= printed(nbformat.read(path, as_version=4))
    outputs |= {n for worked_out in DIFFERENCES.values() for n in worked_out}  # recomputed by the lessons' test
    for block in GENERATED.findall(guide):
        outputs |= set(NUMBER.findall(block))
        guide = guide.replace(block, " ")
    missing = [n for n in NUMBER.findall(NOT_CLAIMS.sub(" ", guide)) if n not in GUIDE_OWN and not shown(n, outputs)]
    assert not missing, f"the guide states numbers nothing prints (stale after a refresh?): {missing}"


def test_the_guides_answer_for_a_wider_toy_is_what_its_script_prints():
    """The guide quotes wider_toy.py's output (lesson 00's ten seeds with 64 hidden units) in a code block, which the
    test above leaves out as code: here it is run and compared, line by line."""
    script = NOTEBOOKS / "instructor" / "wider_toy.py"
    printed_lines = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True,
                                   env={**os.environ, "OMP_NUM_THREADS": "1"}).stdout.splitlines()
    guide = GUIDE.read_text()
    assert len(printed_lines) == 2 and all(line in guide for line in printed_lines), printed_lines
