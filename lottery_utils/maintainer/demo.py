"""The slide demo as one self-contained page: `python -m lottery_utils demo --out docs/demo/` writes index.html.

Every number comes from the bundled results (the complete seeds), embedded in the page as JSON; the figures are drawn
in the page as SVG by a small inline script, so the file opens from `file://` with no network, no Python and no
kernel. A test checks that the committed docs/demo/index.html is what this writes, and drives it in a browser.
"""
from __future__ import annotations

import json
import statistics
from pathlib import Path

from matplotlib.colors import to_hex

from .. import plots
from ..settings import project_root
from ..lessons import CONTROLS, LABELS, ONE_SHOT_GRID, PAPER_ROUNDS
from ..results import Result
from ..summaries import Spread, summarize
from ..store import Bundle
from .selection import one_shot_networks, paper_run

DEMO_DIR = project_root() / "docs" / "demo"
KINDS = ("ticket", *CONTROLS)
COLORS = {kind: to_hex(plots.COLORS[kind]) for kind in ("dense", *KINDS)}  # the figures' colours, for the browser


def _spread(spread: Spread, scale: float = 1.0) -> list[float]:
    return [round(scale * spread.mean, 4), round(scale * spread.min, 4), round(scale * spread.max, 4)]


def _curve(results: list[Result]) -> dict:
    """Test accuracy (%) over the training iterations: the mean and the min-max over the seeds, point by point."""
    points = list(zip(*(r.history.test_accuracy for r in results)))
    return {"iterations": results[0].history.curve_iterations,
            "accuracy": [[round(100 * statistics.fmean(p), 2), round(100 * min(p), 2), round(100 * max(p), 2)]
                         for p in points]}


def _position(results: list[Result], remaining: float, label: str, curves: bool = True) -> dict:
    """One slider position: each kind's accuracy and early stop (mean, min, max) and, for a panel that draws
    them, its curve."""
    position = {"label": label, "remaining": round(100 * remaining, 4), "kinds": {}}
    for kind in KINDS:
        group = [r for r in results if r.kind == kind]
        row = summarize(group)[0]
        position["kinds"][kind] = {"accuracy": _spread(row.early_stop_test_accuracy, 100),
                                   "stop": _spread(row.early_stop_iteration)}
        if curves:
            position["kinds"][kind]["curve"] = _curve(group)
    return position


def demo_data(bundle: Bundle, model: str = "lenet") -> dict:
    """Everything the page shows, from the complete bundled seeds."""
    seeds = bundle.seeds(model)
    results = [r for r in bundle.results(model) if r.seed in seeds]
    dense = [r for r in results if r.kind == "dense"]
    dense_row = summarize(dense)[0]
    one_step = []
    for rate in ONE_SHOT_GRID:
        group = [r for r in one_shot_networks(results, [rate], KINDS) if r.kind != "dense"]
        tickets = [r for r in group if r.kind == "ticket"]
        position = _position(group, tickets[0].remaining, f"{100 * rate:.3g} % pruned", curves=False)
        position["mask"] = [round(statistics.fmean(k), 1) for k in zip(*(r.first_layer_kept for r in tickets))]
        one_step.append(position)
    run = paper_run(results, model)
    rounds = [_position([r for r in run if r.round == k], next(r.remaining for r in run if r.round == k),
                        f"round {k}") for k in range(1, PAPER_ROUNDS + 1)]
    return {"seeds": list(seeds), "labels": {k: LABELS[k] for k in ("dense", *KINDS)}, "colors": COLORS,
            "dense": {"accuracy": _spread(dense_row.early_stop_test_accuracy, 100),
                      "stop": _spread(dense_row.early_stop_iteration), "curve": _curve(dense)},
            "oneShot": one_step, "rounds": rounds}


def page(data: dict) -> str:
    """The HTML: styles, the data as JSON and the drawing script, all inline."""
    return TEMPLATE.replace("/*DATA*/", json.dumps(data, separators=(",", ":")))


def write_demo(folder: str | Path | None = None, bundle: Bundle | None = None) -> Path:
    folder = Path(folder or DEMO_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    path.write_text(page(demo_data(bundle if bundle is not None else Bundle())))
    return path


TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Winning tickets: the slide demo</title>
<style>
  body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 20px; margin: 1.2em 2em; color: #222; }
  h1 { font-size: 1.6em; margin: 0 0 0.2em; }
  h2 { font-size: 1.25em; margin: 1.4em 0 0.3em; }
  p.lead { max-width: 70em; margin: 0.3em 0 0.6em; }
  .controls { display: flex; align-items: center; gap: 1em; margin: 0.4em 0; }
  input[type=range] { width: 28em; height: 1.6em; }
  .value { font-weight: bold; min-width: 16em; }
  .numbers { margin: 0.3em 0; line-height: 1.5; }
  .numbers span.k { display: inline-block; min-width: 10.5em; }
  .figures { display: flex; flex-wrap: wrap; gap: 1.2em; }
  .caption { font-size: 0.85em; color: #444; margin: 0.2em 0 0.8em; max-width: 70em; }
  svg text { font-family: inherit; }
</style>
</head>
<body>
<h1>Winning tickets: prune, reset to θ0, retrain</h1>
<p class="lead">LeNet-300-100 on MNIST at the paper's settings (Frankle &amp; Carbin, ICLR 2019).
A <b>winning ticket</b> keeps the trained network's largest weights and resets them to their initial values θ0;
<b>random reinit</b> keeps its mask with fresh values; <b>random pruning</b> is a random mask of the same size, a random
sparse network. Move a slider with the mouse or, once it is focused, with the arrow keys.</p>

<h2>1. One step of pruning</h2>
<div class="controls"><input type="range" id="one-shot-slider" aria-label="share pruned in one step">
  <span class="value" id="one-shot-value"></span></div>
<div class="numbers" id="one-shot-numbers"></div>
<div class="figures"><svg id="one-shot-accuracy"></svg><svg id="one-shot-stop"></svg>
<svg id="one-shot-mask"></svg></div>
<p class="caption" id="one-shot-caption"></p>

<h2>2. The paper's experiment: 18 rounds of pruning, 20 % of the survivors each</h2>
<div class="controls"><input type="range" id="rounds-slider" aria-label="round of iterative pruning">
  <span class="value" id="rounds-value"></span></div>
<div class="numbers" id="rounds-numbers"></div>
<div class="figures"><svg id="rounds-accuracy"></svg><svg id="rounds-stop"></svg><svg id="rounds-curves"></svg></div>
<p class="caption" id="rounds-caption"></p>

<script id="data" type="application/json">/*DATA*/</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const KINDS = ["ticket", "reinit", "random_prune"];
const SEEDS = `${D.seeds.length} seed${D.seeds.length > 1 ? "s" : ""}`;
const NS = "http://www.w3.org/2000/svg";
const W = 520, H = 360, M = {left: 84, right: 34, top: 34, bottom: 52};

function el(tag, attrs, parent, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
const pct = v => v.toFixed(2);
const its = v => Math.round(v).toLocaleString("en-US");
const spread = (s, f) => `${f(s[0])} [${f(s[1])}–${f(s[2])}]`;   // as the lessons print: mean [min–max]

function chart(svg, title, xs, ys, xlabel, ylabel, logx) {
  svg.innerHTML = "";
  el("rect", {x: 0, y: 0, width: W, height: H, fill: "white"}, svg);
  svg.setAttribute("width", W); svg.setAttribute("height", H); svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const [x0, x1] = xs, [y0, y1] = ys;
  const fx = logx ? v => M.left + (Math.log(x0) - Math.log(v)) / (Math.log(x0) - Math.log(x1)) * (W - M.left - M.right)
                  : v => M.left + (v - x0) / (x1 - x0) * (W - M.left - M.right);
  const fy = v => H - M.bottom - (v - y0) / (y1 - y0) * (H - M.top - M.bottom);
  el("text", {x: W / 2, y: 20, "text-anchor": "middle", "font-size": 17}, svg, title);
  el("text", {x: (M.left + W - M.right) / 2, y: H - 10, "text-anchor": "middle", "font-size": 15}, svg, xlabel);
  el("text", {x: 14, y: (M.top + H - M.bottom) / 2, "text-anchor": "middle", "font-size": 15,
              transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})`}, svg, ylabel);
  el("rect", {x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom, fill: "none",
              stroke: "#888"}, svg);
  return {fx, fy, svg};
}
function ticks(c, xticks, yticks, xfmt, yfmt) {
  for (const t of xticks) {
    el("line", {x1: c.fx(t), x2: c.fx(t), y1: H - M.bottom, y2: H - M.bottom + 5, stroke: "#888"}, c.svg);
    el("text", {x: c.fx(t), y: H - M.bottom + 20, "text-anchor": "middle", "font-size": 13}, c.svg, xfmt(t));
  }
  for (const t of yticks) {
    el("line", {x1: M.left - 5, x2: W - M.right, y1: c.fy(t), y2: c.fy(t), stroke: "#eee"}, c.svg);
    el("text", {x: M.left - 8, y: c.fy(t) + 4, "text-anchor": "end", "font-size": 13}, c.svg, yfmt(t));
  }
}
function niceTicks(lo, hi, n) {
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
  const k = [1, 2, 5, 10].find(m => (hi - lo) / (step * m) <= n) * step;
  const out = [];
  for (let t = Math.ceil(lo / k) * k; t <= hi + 1e-9; t += k) out.push(+t.toFixed(6));
  return out;
}
function band(c, pts, color) {   // pts: [x, [mean, min, max]]
  const top = pts.map(([x, s]) => `${c.fx(x)},${c.fy(s[2])}`), bottom = pts.map(([x, s]) => `${c.fx(x)},${c.fy(s[1])}`);
  el("polygon", {points: top.concat(bottom.reverse()).join(" "), fill: color, opacity: 0.18}, c.svg);
  el("polyline", {points: pts.map(([x, s]) => `${c.fx(x)},${c.fy(s[0])}`).join(" "), fill: "none", stroke: color,
                  "stroke-width": 2.5}, c.svg);
}
function range(values) {
  let lo = Math.min(...values), hi = Math.max(...values);
  const pad = Math.max((hi - lo) * 0.08, 0.05);
  return [lo - pad, hi + pad];
}
function legend(svg, kinds, x, y) {
  kinds.forEach((k, i) => {
    el("line", {x1: x, x2: x + 22, y1: y + 18 * i, y2: y + 18 * i, stroke: D.colors[k], "stroke-width": 3,
                "stroke-dasharray": k === "dense" ? "6 4" : "none"}, svg);
    el("text", {x: x + 28, y: y + 18 * i + 5, "font-size": 13}, svg, D.labels[k]);
  });
}
function vsRemaining(svg, positions, selected, metric, title, ylabel) {
  const xs = positions.map(p => p.remaining);
  const vals = positions.flatMap(p => KINDS.flatMap(k => p.kinds[k][metric].slice(1))).concat(D.dense[metric].slice(1));
  const c = chart(svg, title, [Math.max(...xs) * 1.15, Math.min(...xs) / 1.15], range(vals),
                  "percent of weights remaining (log scale)", ylabel, true);
  const xt = [100, 50, 20, 10, 5, 2, 1].filter(t => t <= Math.max(...xs) * 1.15 && t >= Math.min(...xs) / 1.15);
  ticks(c, xt, niceTicks(...range(vals), 6), t => `${t}`, metric === "stop" ? its : t => t.toFixed(1));
  const dense = D.dense[metric];   // the dense network: its mean (dashed) and its seeds' min–max (grey)
  el("rect", {x: M.left, width: W - M.left - M.right, y: c.fy(dense[2]), height: c.fy(dense[1]) - c.fy(dense[2]),
              fill: "#000", opacity: 0.08}, svg);
  el("line", {x1: M.left, x2: W - M.right, y1: c.fy(dense[0]), y2: c.fy(dense[0]),
              stroke: "#000", "stroke-dasharray": "6 4"}, svg);
  el("rect", {x: c.fx(positions[selected].remaining) - 6, y: M.top, width: 12, height: H - M.top - M.bottom,
              fill: "#d62728", opacity: 0.22, class: "selected"}, svg);
  const shown = positions.slice(0, selected + 1);   // revealed from the dense end to the slider: the axes stay put
  for (const k of KINDS) band(c, shown.map(p => [p.remaining, p.kinds[k][metric]]), D.colors[k]);
  for (const k of KINDS) {
    const s = positions[selected].kinds[k][metric];
    el("circle", {cx: c.fx(positions[selected].remaining), cy: c.fy(s[0]), r: 5, fill: D.colors[k]}, svg);
  }
  legend(svg, ["dense", ...KINDS], M.left + 10, metric === "stop" ? M.top + 16 : H - M.bottom - 62);
}
function curves(svg, position, title) {
  const its_ = position.kinds.ticket.curve.iterations;
  const stops = KINDS.map(k => position.kinds[k].stop[0]).concat([D.dense.stop[0]]);
  // up to three times the latest mean early stop, where the curves have settled (as the lessons' figures)
  const last = Math.min(its_[its_.length - 1], 5000 * Math.ceil(3 * Math.max(...stops) / 5000));
  const all = KINDS.map(k => position.kinds[k].curve).concat([D.dense.curve]);
  const pts = cv => cv.iterations.map((x, i) => [x, cv.accuracy[i]]).slice(1).filter(([x]) => x <= last);
  const vals = all.flatMap(cv => pts(cv).flatMap(([, a]) => a.slice(1)));
  const c = chart(svg, title, [0, last], range(vals), "training iteration", "test accuracy (%)", false);
  ticks(c, niceTicks(0, last, 5), niceTicks(...range(vals), 6), its, t => t.toFixed(1));
  band(c, pts(D.dense.curve), "#000");
  for (const k of KINDS) band(c, pts(position.kinds[k].curve), D.colors[k]);
  for (const [k, source] of [...KINDS.map(k => [k, position.kinds[k]]), ["dense", D.dense]]) {   // mean early stops
    el("circle", {cx: c.fx(source.stop[0]), cy: c.fy(source.accuracy[0]), r: 5, class: "early-stop",
                  fill: k === "dense" ? "#000" : D.colors[k]}, svg);
  }
  legend(svg, ["dense", ...KINDS], W - M.right - 190, H - M.bottom - 70);
}
function mask(svg, counts, title) {
  svg.innerHTML = "";
  const most = Math.max(...counts);
  const S = 10, X = 20, Y = 34;
  svg.setAttribute("width", 28 * S + 2 * X + 60); svg.setAttribute("height", H);
  el("rect", {x: 0, y: 0, width: 28 * S + 2 * X + 60, height: H, fill: "white"}, svg);
  el("text", {x: X + 14 * S, y: 20, "text-anchor": "middle", "font-size": 17}, svg, title);
  counts.forEach((n, i) => {
    const v = Math.round(255 * (1 - n / most));
    el("rect", {x: X + (i % 28) * S, y: Y + Math.floor(i / 28) * S, width: S, height: S,
                fill: `rgb(${v},${v},${255 - Math.round(0.4 * (255 - v))})`}, svg);
  });
  el("text", {x: X, y: Y + 28 * S + 24, "font-size": 13}, svg, "white: none of a pixel's 300 weights kept;");
  el("text", {x: X, y: Y + 28 * S + 40, "font-size": 13}, svg, `darkest: ${Math.round(most)} kept`);
}
function numbers(div, position) {
  const line = k => `<span class="k" style="color:${D.colors[k]}">${D.labels[k]}</span> ` +
    `${spread(position.kinds[k].accuracy, pct)} % test accuracy, early stop at ${spread(position.kinds[k].stop, its)}`;
  div.innerHTML = KINDS.map(line).join("<br>") + `<br><span class="k">${D.labels.dense}</span> ` +
    `${spread(D.dense.accuracy, pct)} % test accuracy, early stop at ${spread(D.dense.stop, its)}`;
  div.dataset.ticket = pct(position.kinds.ticket.accuracy[0]);
  div.dataset.reinit = pct(position.kinds.reinit.accuracy[0]);
  div.dataset.randomPrune = pct(position.kinds.random_prune.accuracy[0]);
}
function setup(name, positions, start, draw) {
  const slider = document.getElementById(`${name}-slider`);
  slider.min = 0; slider.max = positions.length - 1; slider.step = 1; slider.value = start;
  const update = () => {
    const i = +slider.value, p = positions[i];
    document.getElementById(`${name}-value`).textContent =
      `${p.label}: ${p.remaining.toFixed(1)} % of the weights remain`;
    numbers(document.getElementById(`${name}-numbers`), p);
    draw(i, p);
  };
  slider.addEventListener("input", update);
  update();
}
setup("one-shot", D.oneShot, D.oneShot.findIndex(p => p.label === "80 % pruned"), (i, p) => {
  vsRemaining(document.getElementById("one-shot-accuracy"), D.oneShot, i, "accuracy",
              "test accuracy at early stop (%)", "test accuracy (%)");
  vsRemaining(document.getElementById("one-shot-stop"), D.oneShot, i, "stop", "early-stop iteration", "iteration");
  mask(document.getElementById("one-shot-mask"), p.mask, "the ticket's first-layer mask");
  document.getElementById("one-shot-caption").textContent =
    `One-shot pruning at ${p.label.replace(" pruned", "")} (the output layer at half that), mean over ${SEEDS} with ` +
    `their min–max as bands, drawn from the dense end to the slider; dashed and grey: the dense network's mean and ` +
    `min–max. Middle: the early-stop iteration (the minimum of the validation loss), how fast each network learns. ` +
    `Right: how many of the 300 weights leaving each input pixel the ticket keeps (mean over the seeds).`;
});
setup("rounds", D.rounds, Math.min(2, D.rounds.length - 1), (i, p) => {   // starts at round 3: predict first
  vsRemaining(document.getElementById("rounds-accuracy"), D.rounds, i, "accuracy",
              "test accuracy at early stop (%)", "test accuracy (%)");
  vsRemaining(document.getElementById("rounds-stop"), D.rounds, i, "stop", "early-stop iteration", "iteration");
  curves(document.getElementById("rounds-curves"), p, `learning curves, ${p.label}`);
  document.getElementById("rounds-caption").textContent =
    `Iterative pruning, ${p.label} of ${D.rounds.length}, mean over ${SEEDS} with their min–max as bands, ` +
    `drawn up to ` +
    `the selected round; dashed and grey: the dense network's mean and min–max. The early-stop iteration (the ` +
    `minimum of the validation loss) measures how fast a network learns; right, the learning curves up to where they ` +
    `settle, dots at the mean early stops.`;
});
</script>
</body>
</html>
"""
