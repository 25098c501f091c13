"""Real-browser tests: the notebooks' widgets driven in headless Chromium, as a student and a teacher use them.

(a) notebook 01 in JupyterLab: Run All Cells, move the prune slider with the keyboard and with a mouse drag;
(b) the classroom app served by Voila: no code on the page, the slider redraws the plot, the signs panel answers;
(c) notebook 05 in JupyterLab: Run All Cells, its sign control's slider answers.
The fixtures (`browser`, `lab_server`, `voila_server`) are in conftest.py; the recipes they follow, and the
pitfalls they avoid, in /work/shared/notebook-testing/RECIPES.md. Screenshots go to test-output/screenshots/.
Run:  OMP_NUM_THREADS=1 python -m pytest -q -m browser      (needs Chromium: CHROMIUM=..., else /usr/bin/chromium)
"""
import os
import re
import subprocess
import sys
import time

import pytest

from browser_paths import ROOT, SCREENSHOTS, SERVER_TOKEN
from lottery_utils.lessons import CONTROLS
from lottery_utils.lessons import DEMO_RATE, ONE_SHOT_GRID, paper_rounds

pytestmark = pytest.mark.browser

# The one-shot slider's grid (widgets.ONE_SHOT_GRID; the explorers start at the slides' 80 %) and the positions
# the tests visit: the app's first position and one step right, and where its signs panel starts; in notebook 01,
# whose cell after the explorer moves the slider to the sparsest position, one step left and a drag to the left end.
START = DEMO_RATE  # shown as "80 %"
NEXT = ONE_SHOT_GRID[ONE_SHOT_GRID.index(START) + 1]  # 0.8322, "83.2 %"
FIRST = ONE_SHOT_GRID[0]  # 0.2, "20 %": notebook 01's left end, lesson 05's signs explorer's start too
SIGNS = ("reinit", "reinit_signs")
WARM = {START: CONTROLS, NEXT: CONTROLS, ONE_SHOT_GRID[-1]: (), ONE_SHOT_GRID[-2]: (),  # amount: the controls shown
        FIRST: SIGNS}  # notebook 01's left end (its ticket) and lesson 05's signs explorer (with both controls)
ROUNDS = paper_rounds(fast=True)  # the app's rounds and signs panels, in fast mode
ERROR_TEXT = re.compile(r"Traceback|Error\b|Exception\b")
TIMEOUT_MS = 90_000  # one slider move trains at most 4 fast-mode networks when the cache misses
LAB_NOTEBOOK = "01_one_shot_mnist.ipynb"


def label(amount: float) -> str:
    """The slider's readout, as lottery_utils.widgets writes it: 0.7903 -> "79 %"."""
    return f"{100 * amount:.3g} %"


@pytest.fixture(scope="session")
def warm_cache():
    """Train, before any page opens, the networks the tests' slider positions show (fast mode, the session's
    LOTTERY_CACHE): the dense network, each position's ticket, and the controls where the app shows them. The
    kernels then answer from the cache, as they do in class after `python -m lottery_utils precompute`."""
    start = time.perf_counter()
    code = ("import sys\nfrom lottery_utils import experiments, lessons\nfrom lottery_utils.settings import Settings\n"
            "settings = Settings.from_environment()\n"
            "for arg in sys.argv[1:]:\n"
            "    amount, controls = arg.split(':')\n"
            "    experiments.one_shot('lenet', float(amount), controls=tuple(filter(None, controls.split(','))),\n"
            "                         progress=False, settings=settings)\n"
            "for controls in (lessons.CONTROLS, lessons.SIGN_CONTROLS):  # the app's rounds and signs panels\n"
            "    experiments.iterative('lenet', lessons.paper_rounds(settings.fast), controls=controls,\n"
            "                          progress=False, settings=settings)\n")
    subprocess.run([sys.executable, "-c", code, *(f"{a}:{','.join(c)}" for a, c in WARM.items())], check=True,
                   cwd=ROOT, env=dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1")))
    return time.perf_counter() - start


def expect_text(locator, text, timeout_ms=TIMEOUT_MS):
    from playwright.sync_api import expect
    expect(locator).to_contain_text(text, timeout=timeout_ms)


def wait_text_changes(locator, old: str, timeout_ms=TIMEOUT_MS):
    from playwright.sync_api import expect
    expect(locator).not_to_have_text(old, timeout=timeout_ms)


def assert_no_errors(page, page_errors):
    """No stderr output with a traceback or an error, no rendered traceback, no uncaught JavaScript error."""
    stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    problems = [text for text in stderr.all_inner_texts() if ERROR_TEXT.search(text)]
    problems += [text for text in page.locator(".jp-RenderedText").all_inner_texts() if "Traceback" in text]
    problems += [f"JavaScript: {error}" for error in page_errors]
    assert not problems, "\n---\n".join(problems)


def new_page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def wait_kernel_idle(page, settle_ms=500, timeout_ms=TIMEOUT_MS):
    """JupyterLab's status bar reads "... | Idle" without a break for settle_ms: a redraw sent by a comm message may
    start a moment after the widget changed, and Run All Cells queues cell after cell."""
    page.wait_for_function(
        r"""([settle]) => {
            const item = Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))
                              .find(e => /\| (Idle|Busy|Starting|Restarting|Unknown|Connecting)/.test(e.textContent));
            const now = performance.now();
            if (!item || !item.textContent.includes('| Idle')) { window.__idleSince = null; return false; }
            window.__idleSince = window.__idleSince || now;
            return now - window.__idleSince >= settle;
        }""", arg=[settle_ms], polling=100, timeout=timeout_ms)


def test_lab_notebook_01_slider(lab_server, browser, warm_cache):
    t0 = time.perf_counter()
    page, page_errors = new_page(browser)
    try:
        page.goto(f"{lab_server}/lab/tree/{LAB_NOTEBOOK}?token={SERVER_TOKEN}&reset")
        page.wait_for_selector(".jp-Notebook", state="visible")
        page.wait_for_selector("text=Python 3 (ipykernel) | Idle")
        t_open = time.perf_counter() - t0
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()  # Lab 4: command runmenu:run-all
        # Scope every locator to the explorer's cell: other cells may hold sliders and plots of their own.
        cell = page.locator(".jp-CodeCell").filter(has=page.locator(".prune-slider")).first
        slider, status, remaining = (cell.locator(f".prune-{part}") for part in ("slider", "status", "remaining"))
        img = cell.locator(".prune-plot img")
        img.wait_for(state="visible")
        wait_kernel_idle(page)  # every cell has run
        t_run = time.perf_counter() - t0
        assert_no_errors(page, page_errors)
        slider.scroll_into_view_if_needed()  # the cell is taller than the view: Lab renders only what is in it
        page.wait_for_function("el => el.innerText.trim() !== ''", arg=slider.locator(".widget-readout").element_handle())
        # Keyboard: focus the noUiSlider handle; one arrow press is one step of the grid. Step away from the end
        # the notebook left the slider at (the cell after the explorer moves it to the sparsest amount).
        labels = [label(a) for a in ONE_SHOT_GRID]
        index = labels.index(slider.locator(".widget-readout").inner_text())
        key, target = ("ArrowLeft", index - 1) if index == len(labels) - 1 else ("ArrowRight", index + 1)
        expect_text(status, f"{labels[index]} pruned")
        old_status, old_src = status.inner_text(), img.get_attribute("src")
        cell.screenshot(path=str(SCREENSHOTS / "lab_01_after_run_all.png"))
        slider.locator(".noUi-handle").focus()
        page.keyboard.press(key)
        wait_text_changes(status, old_status)
        expect_text(status, f"{labels[target]} pruned")  # the kernel's callback ran for the new value
        wait_kernel_idle(page)
        assert slider.locator(".widget-readout").inner_text() == labels[target]
        assert img.count() == 1 and img.get_attribute("src") != old_src
        assert remaining.inner_text().endswith("of the weights remain")
        cell.screenshot(path=str(SCREENSHOTS / "lab_01_after_key.png"))

        # Mouse: drag the handle to the left end of the track, the smallest amount.
        old_status, old_src = status.inner_text(), img.get_attribute("src")
        handle = slider.locator(".noUi-handle").bounding_box()
        track = slider.locator(".noUi-target").bounding_box()
        y = handle["y"] + handle["height"] / 2
        page.mouse.move(handle["x"] + handle["width"] / 2, y)
        page.mouse.down()
        page.mouse.move(track["x"] + 1, y, steps=8)
        page.mouse.up()
        wait_text_changes(status, old_status)
        expect_text(status, f"{label(FIRST)} pruned")
        wait_kernel_idle(page)
        assert slider.locator(".widget-readout").inner_text() == label(FIRST)
        assert img.count() == 1 and img.get_attribute("src") != old_src
        page.wait_for_timeout(300)  # let the new PNG paint before the screenshots
        cell.screenshot(path=str(SCREENSHOTS / "lab_01_after_drag.png"))
        page.screenshot(path=str(SCREENSHOTS / "lab_01_page.png"))
        assert_no_errors(page, page_errors)
        print(f"\nlab: cache warm-up {warm_cache:.1f} s, open + kernel idle {t_open:.1f} s, run all {t_run:.1f} s, "
              f"test {time.perf_counter() - t0:.1f} s")
    finally:
        page.close()


def test_lab_notebook_05_runs_with_its_sign_control_slider(lab_server, browser):
    """Lesson 05 in JupyterLab: Run All trains its fast-mode networks, shows the sign-preserving control's slider and
    its figures, with no error anywhere; one arrow press moves the slider and the kernel answers."""
    t0 = time.perf_counter()
    page, page_errors = new_page(browser)
    try:
        page.goto(f"{lab_server}/lab/tree/05_why_tickets_win.ipynb?token={SERVER_TOKEN}&reset")
        page.wait_for_selector("text=Python 3 (ipykernel) | Idle")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        cell = page.locator(".jp-CodeCell").filter(has=page.locator(".prune-slider")).first
        slider, status = cell.locator(".prune-slider"), cell.locator(".prune-status")
        cell.locator(".prune-plot img").wait_for(state="visible", timeout=4 * TIMEOUT_MS)
        wait_kernel_idle(page, timeout_ms=4 * TIMEOUT_MS)  # every cell has run (sections 1-4 train in fast mode)
        assert_no_errors(page, page_errors)
        slider.scroll_into_view_if_needed()
        expect_text(status, "random reinit, signs kept")
        old_status = status.inner_text()
        slider.locator(".noUi-handle").focus()
        page.keyboard.press("ArrowRight")
        wait_text_changes(status, old_status)
        expect_text(status, "random reinit, signs kept")
        wait_kernel_idle(page)
        assert_no_errors(page, page_errors)
        cell.screenshot(path=str(SCREENSHOTS / "lab_05_signs.png"))
        print(f"\nlab 05: run all and one slider step in {time.perf_counter() - t0:.1f} s")
    finally:
        page.close()


def test_voila_classroom_app(voila_server, browser, warm_cache):
    t0 = time.perf_counter()
    page, page_errors = new_page(browser)
    try:
        page.goto(voila_server)  # Voila runs the notebook when the page loads
        app = page.locator(".widget-vbox").filter(has=page.locator(".prune-slider")).first
        slider, status, remaining = (app.locator(f".prune-{part}") for part in ("slider", "status", "remaining"))
        img = app.locator(".prune-plot img")
        img.wait_for(state="visible")
        expect_text(status, f"{label(START)} pruned")
        t_render = time.perf_counter() - t0
        assert status.inner_text().endswith("trained earlier on this machine.")
        for kind in ("winning ticket", "random reinit", "random pruning"):
            assert kind in status.inner_text()
        # The slide demo shows no code: no code-cell input areas, prompts or editors, no source text.
        # (Voila renders markdown inside .jp-InputArea too: only code cells must have none.)
        assert page.locator(".jp-CodeCell").count() >= 1
        code = ".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-CodeMirrorEditor, .cm-editor"
        assert page.locator(code).count() == 0
        assert page.get_by_text("one_shot_explorer").count() == 0
        assert page.get_by_role("heading", name=re.compile("Winning tickets")).is_visible()
        # each panel's numbers (the answers to its prediction) sit folded, closed until a click
        folded = page.locator("details")
        assert folded.count() == 3 and page.locator("details[open]").count() == 0
        assert not folded.first.locator("table, li").first.is_visible()
        folded.first.locator("summary").click()
        assert folded.first.locator("li").first.is_visible()
        assert slider.locator(".widget-readout").inner_text() == label(START)
        old_status, old_remaining, old_src = status.inner_text(), remaining.inner_text(), img.get_attribute("src")
        page.screenshot(path=str(SCREENSHOTS / "voila_app_start.png"), full_page=True)

        slider.locator(".noUi-handle").focus()
        page.keyboard.press("ArrowRight")  # one step of the grid
        expect_text(status, f"{label(NEXT)} pruned")
        page.wait_for_function("([s]) => document.querySelector('.prune-plot img').getAttribute('src') !== s",
                               arg=[old_src])
        assert slider.locator(".widget-readout").inner_text() == label(NEXT)
        assert remaining.inner_text() != old_remaining and status.inner_text() != old_status
        assert status.inner_text().endswith("trained earlier on this machine.")
        assert img.count() == 1  # the plot was replaced, not appended
        page.wait_for_timeout(300)  # let the new PNG paint before the screenshot
        page.screenshot(path=str(SCREENSHOTS / "voila_app_after_key.png"), full_page=True)

        # The second panel: the paper's iterative pruning with both controls, round by round.
        rounds = page.locator(".jp-CodeCell").filter(has=page.locator(".prune-slider")).nth(1)
        rounds.scroll_into_view_if_needed()
        rounds.locator(".prune-plot img").wait_for(state="visible")
        expect_text(rounds.locator(".prune-status"), "rounds pruning 20 % of the survivors each")
        text = rounds.locator(".prune-status").inner_text()
        assert all(kind in text for kind in ("winning ticket", "random reinit", "random pruning", "dense"))
        assert text.endswith("trained earlier on this machine.")
        rounds.screenshot(path=str(SCREENSHOTS / "voila_app_rounds.png"))

        # The third panel: ticket vs random reinit vs random reinit keeping θ0's signs, the same rounds, from round 1
        # (the class predicts round 18 before it is shown), then moved to the last round with the keyboard.
        signs = page.locator(".jp-CodeCell").filter(has=page.locator(".prune-slider")).nth(2)
        signs_status = signs.locator(".prune-status")
        signs.scroll_into_view_if_needed()
        signs.locator(".prune-plot img").wait_for(state="visible")
        expect_text(signs_status, "1 round pruning 20 % of the survivors each")
        signs.locator(".noUi-handle").focus()
        for _ in range(ROUNDS - 1):
            page.keyboard.press("ArrowRight")
        expect_text(signs_status, f"{ROUNDS} rounds pruning 20 % of the survivors each")
        text = signs_status.inner_text()
        assert text.startswith(f"{ROUNDS} rounds") and "winning ticket" in text and "random reinit, signs kept" in text
        assert text.count("random reinit") == 2 and "random pruning" not in text  # plain reinit too, nothing else
        assert text.endswith("trained earlier on this machine.")
        assert signs.locator(".prune-slider .widget-readout").inner_text() == str(ROUNDS)
        signs.screenshot(path=str(SCREENSHOTS / "voila_app_signs.png"))
        assert_no_errors(page, page_errors)
        print(f"\nvoila: cache warm-up {warm_cache:.1f} s, first render {t_render:.1f} s, "
              f"test {time.perf_counter() - t0:.1f} s")
    finally:
        page.close()
