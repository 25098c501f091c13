"""The benchmark scripts run end to end on a few iterations and print figures that agree with each other.

Speed itself is never asserted here (timings on shared machines are noise); the scripts report it as ratios.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
NUMBER = r"(\d+\.\d+)"


def run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                            timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"}, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_train_speed_reports_every_loop_against_the_same_baseline():
    out = run("train_speed.py", "--iterations", "30", "--repeats", "2")
    assert out.count("repeat ") == 2
    rows = re.findall(rf"^(\S.*?)\s+{NUMBER} s\s+{NUMBER}x the DataLoader loop\s+{NUMBER}x fwd\+bwd$", out, re.M)
    names = [name for name, *_ in rows]
    assert names == ["DataLoader loop (PyTorch examples)", "forward+backward only", "train (masks folded, fused Adam)"]
    seconds = {name: float(s) for name, s, _, _ in rows}
    baseline, floor = seconds[names[0]], seconds[names[1]]
    for name, s, vs_baseline, vs_floor in rows:
        assert float(s) > 0
        assert float(vs_baseline) == pytest.approx(baseline / float(s), rel=0.01, abs=0.01), name
        assert float(vs_floor) == pytest.approx(float(s) / floor, rel=0.01, abs=0.01), name
    paired = re.search(r"within each repeat: (.*) \(median", out).group(1).split(", ")
    assert len(paired) == 2 and all(ratio.endswith("x") for ratio in paired)


def test_iterative_speed_times_the_cli_against_its_floor():
    out = run("iterative_speed.py", "--iterations", "200", "--rounds", "1", "--workers", "2")
    assert "iterative --model lenet --controls reinit --rounds 1 --iterations 200 --workers 2" in out
    assert "3 networks x 200 iterations, 2 workers" in out
    wall = float(re.search(rf"wall time\s+{NUMBER} min \({NUMBER} s\)", out).group(2))
    floor, ratio = re.search(rf"floor for the same work\s+{NUMBER} min \({NUMBER} s\): the wall time is {NUMBER}x",
                             out).groups()[1:]
    assert wall > 0 and float(floor) > 0
    assert float(ratio) == pytest.approx(wall / float(floor), rel=0.05, abs=0.05)
