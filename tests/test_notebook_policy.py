"""The notebooks' output policy (notebooks/README.md): real-mode outputs to read (text and figures, no widgets or
stderr); tagged cells hold the text nbval compares, the same in fast and real mode."""
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
spec = importlib.util.spec_from_file_location("refresh", NOTEBOOKS / "refresh_reference_outputs.py")
refresh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(refresh)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_committed_notebook_follows_the_output_policy(path):
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata, "widget state must not be committed"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{path.name}, cell {index}: run notebooks/refresh_reference_outputs.py"
        assert (cell.execution_count is not None) == bool(cell.outputs), where
        for out in cell.outputs:
            if refresh.TAG in cell.metadata.get("tags", []):
                assert (out.output_type == "stream" and out.name == "stdout") or \
                       (out.output_type == "execute_result" and set(out.data) == {"text/plain"}), where
            else:
                assert (out.output_type == "stream" and out.name == "stdout") or \
                       (out.output_type in ("display_data", "execute_result")
                        and set(out.data) <= set(refresh.READABLE)), where


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_an_exercise_check_shows_its_message_and_no_bare_true_or_false(path):
    nb = nbformat.read(path, as_version=4)
    checks = [cell for cell in nb.cells if cell.cell_type == "code" and re.search(r"^(if )?check_\w+\(", cell.source, re.M)]
    assert checks, f"{path.name} has no exercise check"
    for cell in checks:
        printed = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
        assert "Correct!" in printed or "Not yet:" in printed, cell.source
        assert not [out for out in cell.outputs if out.output_type == "execute_result"], cell.source


def test_a_verdict_is_true_when_correct_and_displays_nothing_more(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    from lottery_utils.exercises import check_control

    shell = InteractiveShell.instance()
    result = shell.run_cell("from lottery_utils.exercises import check_control\ncheck_control('random_prune')")
    assert not result.result and result.result is not None  # a falsy Verdict, not printed as False
    printed = capsys.readouterr().out
    assert "Not yet:" in printed and "False" not in printed
    assert check_control("reinit")


def executed_notebook(*cells):
    """A notebook as nbclient leaves it: (source, tagged, outputs) per code cell."""
    nb = nbformat.v4.new_notebook()
    for count, (source, tagged, outputs) in enumerate(cells, start=1):
        cell = nbformat.v4.new_code_cell(source, execution_count=count, outputs=outputs)
        cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00"}
        if tagged:
            cell.metadata["tags"] = [refresh.TAG]
        nb.cells.append(cell)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    return nb


def stream(text, name="stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


FIGURE = nbformat.v4.new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure size 640x480>"})


WIDGET = nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "1"},
                                                     "text/plain": "VBox(children=(...))"})


def test_strip_keeps_tagged_text_and_readable_outputs():
    nb = executed_notebook(("print(1); print(2)", True, [stream("1\n"), stream("2\n")]),
                           ("plt.plot()", False, [stream("drawn\n"), stream("50%|#####", "stderr"), FIGURE]),
                           ("explorer", False, [WIDGET]),
                           ("rates", True, [nbformat.v4.new_output("execute_result", data={"text/plain": "0.5"},
                                                                   execution_count=4)]))
    assert refresh.strip(nb, "test") == 2
    first, figure, widget, result = nb.cells
    assert [o.text for o in first.outputs] == ["1\n2\n"] and first.execution_count == 1  # merged, as nbval does
    assert [o.output_type for o in figure.outputs] == ["stream", "display_data"] and figure.execution_count == 2
    assert figure.outputs[1].data == FIGURE.data  # the figure stays, the progress bar on stderr goes
    assert widget.outputs == [] and widget.execution_count is None  # a widget needs a kernel: not kept
    pictured = executed_notebook(("explorer", False, [nbformat.v4.new_output(
        "display_data", data={**WIDGET.data, "image/png": "iVBOR"})]))
    refresh.strip(pictured, "test")
    assert [o.data for o in pictured.cells[0].outputs] == [{"image/png": "iVBOR"}]  # its starting picture stays
    assert result.outputs[0].data == {"text/plain": "0.5"} and result.execution_count == 4
    assert "widgets" not in nb.metadata and all("execution" not in c.metadata for c in nb.cells)
    nbformat.validate(nb)


def test_tagged_cells_must_print_the_same_in_fast_and_real_mode():
    fast = {0: [stream("98.1 %\n")]}
    assert refresh.strip(executed_notebook(("check()", True, [stream("98.1 %\n")])), "test", fast) == 1
    with pytest.raises(SystemExit, match="fast mode"):
        refresh.strip(executed_notebook(("check()", True, [stream("97.4 %\n")])), "test", fast)


TRAINS = """from lottery_utils import experiments
from lottery_utils.config import TrainingSetup
from lottery_utils.settings import Settings
experiments.one_shot("lenet", 0.5, progress=False, settings=Settings.from_environment(),
                     setup=TrainingSetup.for_model("lenet", iterations=20))"""


def test_a_real_mode_run_that_trains_is_refused_whatever_it_prints(tmp_path):
    """Found by what it does (a network written to the cache), not by the wording of a message."""
    trains, reads = tmp_path / "trains.ipynb", tmp_path / "reads.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TRAINS)]), trains)
    with pytest.raises(SystemExit, match=r"trains.ipynb: in real mode it trained 2 network\(s\) the bundle lacks"):
        refresh.run(trains, fast=False)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('no training')")]), reads)
    assert refresh.run(reads, fast=False).cells[0].outputs[0].text == "no training\n"


@pytest.mark.parametrize("outputs, problem", [([FIGURE], "display_data"), ([stream("warning", "stderr")], "stderr"),
                                              ([stream("<Model at 0x7f3a2b1c9d80>\n")], "memory address"),
                                              ([stream("54.1it/s\n")], "timing"),
                                              ([stream("trained in 3.21 s\n")], "timing")])
def test_tagged_cells_with_unstable_or_rich_output_are_refused(outputs, problem):
    nb = executed_notebook(("x", True, outputs))
    with pytest.raises(SystemExit, match=problem):
        refresh.strip(nb, "test")
