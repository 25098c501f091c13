import dataclasses
import os
import pickle

import numpy as np
import pytest
import torch
import torchvision

from lottery_utils import PRESETS, Data, build_model, evaluate, load_cifar10, load_mnist, train
from lottery_utils.settings import Settings
from lottery_utils.data import MNIST_FILES


def test_mnist_splits_and_normalization(mnist):
    assert (len(mnist.train_y), len(mnist.val_y), len(mnist.test_y)) == (55_000, 5_000, 10_000)
    assert mnist.train_x.shape[1:] == (1, 28, 28) and mnist.train_x.dtype == torch.float32
    assert abs(mnist.train_x.mean().item()) < 0.02 and abs(mnist.train_x.std().item() - 1) < 0.02
    assert set(mnist.test_y.unique().tolist()) == set(range(10))
    again = load_mnist(Settings.from_environment().data, device="cpu")
    assert torch.equal(again.val_y, mnist.val_y)  # the validation split is fixed


def test_mnist_missing_offline_is_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_mnist(tmp_path)
    message = str(error.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "as root" in message
    assert all(name in message for name in MNIST_FILES)


def test_the_command_line_says_where_it_reads_the_data_folder_from(tmp_path, capsys):
    from lottery_utils.__main__ import main

    settings = Settings(fast=True, cache=tmp_path / "cache", data=tmp_path / "nothing")
    assert main(["one-shot", "--out", str(tmp_path / "out")], settings=settings) == 1
    error = capsys.readouterr().err
    assert "MNIST is not in" in error and f"LOTTERY_DATA (now {tmp_path / 'nothing'})" in error


def write_fake_cifar(root, per_batch=20, test=30):
    """A tiny dataset in torchvision's CIFAR-10 layout (cifar-10-batches-py with pickled batches)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    files = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in files:
        n = test if name == "test_batch" else per_batch
        batch = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "labels": list(rng.integers(0, 10, n))}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                                     "ship", "truck"]}, f)
    return folder


def test_cifar10_loader_on_generated_data(tmp_path, monkeypatch):
    write_fake_cifar(tmp_path, per_batch=1_100)
    # Generated files cannot match the official checksums; skip only that check, the rest is torchvision's code.
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda path, md5=None: os.path.isfile(path))
    data = load_cifar10(tmp_path, device="cpu")
    assert (len(data.train_y), len(data.val_y), len(data.test_y)) == (5 * 1_100 - 5_000, 5_000, 30)
    assert data.train_x.shape[1:] == (3, 32, 32) and data.train_y.dtype == torch.long
    model = build_model("conv2", seed=0)
    history = train(model, data, "conv2", 2, 16, progress=False)
    assert len(history.test_accuracy) == 2
    lenet = build_model("lenet", seed=0)  # built for MNIST: refused before training, saying what to build instead
    with pytest.raises(ValueError, match=r"(?s)does not take CIFAR-10's inputs \(shape \(3, 32, 32\)\).*conv2"):
        train(lenet, data, "lenet", 2, 16, progress=False)


def test_cifar10_missing_offline_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="(?s)CIFAR-10 is not in .*as root"):
        load_cifar10(tmp_path)


def test_lenet_learns_mnist_within_a_few_hundred_iterations(mnist):
    model = build_model("lenet", seed=0)
    history = train(model, mnist, "lenet", 300, progress=False)
    assert history.final_test_accuracy > 0.90
    assert history.curve_iterations == [0, 100, 200, 300]
    assert history.test_accuracy[0] < 0.3  # chance before training
    assert history.early_stop_iteration in history.curve_iterations
    assert history.early_stop_test_accuracy == history.test_accuracy[history.curve_iterations.index(
        history.early_stop_iteration)]


def test_the_early_stop_is_the_first_minimum_of_every_validation_loss_the_history_holds(mnist):
    """The curves take a point every 1,000 iterations of 50,000 and the validation loss is measured every 100, so the
    minimum of the curve need not be the early stop: `validation` holds every measurement, and the early stop is
    computed from it as a student would (curve_every 400 here, validation every 100)."""
    history = train(build_model("lenet", seed=0), mnist, "lenet", 1_200, curve_every=400, progress=False)
    assert list(history.every_val_loss) == list(range(0, 1_201, 100)) and history.start_iteration == 0
    assert history.early_stop_iteration == min(history.every_val_loss, key=history.every_val_loss.get)
    assert all(history.every_val_loss[i] == loss for i, loss in zip(history.curve_iterations, history.val_loss))
    assert history.curve_iterations == [0, 400, 800, 1_200]
    rewound = train(build_model("lenet", seed=0), mnist, "lenet", 400, start_iteration=200, progress=False)
    assert rewound.start_iteration == 200 and list(rewound.every_val_loss) == [200, 300, 400]


def test_training_is_deterministic_on_cpu(mnist):
    a, b = build_model("lenet", seed=4), build_model("lenet", seed=4)
    ha = train(a, mnist, "lenet", 50, progress=False, seed=1)
    hb = train(b, mnist, "lenet", 50, progress=False, seed=1)
    assert ha.test_accuracy == hb.test_accuracy
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_bad_training_arguments(mnist):
    with pytest.raises(ValueError, match="batch_size"):
        train(build_model("lenet", seed=0), mnist, "lenet", 10, 0, progress=False)
    with pytest.raises(TypeError, match="progress must be True, False or a tqdm class"):
        train(build_model("lenet", seed=0), mnist, "lenet", 10, progress="yes")
    with pytest.raises(ValueError, match="lr, the learning rate, must be a number > 0"):
        train(build_model("lenet", seed=0), mnist, "lenet", 10, lr=-1e-3, progress=False)


def test_a_progress_maker_that_is_not_tqdm_still_trains(mnist):
    seen = []

    def bars(steps, **options):  # a bar maker that is not tqdm
        seen.append(options["total"])
        return steps

    history = train(build_model("lenet", seed=0), mnist, "lenet", 20, progress=bars)
    assert seen == [20] and history.curve_iterations == [0, 20]


def test_a_diverged_training_warns_once(mnist):
    with pytest.warns(UserWarning, match="loss is nan at iteration 100: the training diverged") as caught:
        history = train(build_model("lenet", seed=0), mnist, "lenet", 300, lr=1e38, progress=False)  # weights overflow
    assert len([w for w in caught if "diverged" in str(w.message)]) == 1  # once, not at every later measurement
    assert history.early_stop_iteration == 0  # the last finite minimum


def test_a_network_diverged_from_the_start_still_reports_its_start(mnist):
    network = build_model("lenet", seed=0)
    with torch.no_grad():
        network.fc1.weight.fill_(float("nan"))
    with pytest.warns(UserWarning, match="loss is nan at iteration 0: the training diverged"):
        history = train(network, mnist, "lenet", 200, progress=False)
    assert history.early_stop_iteration == 0 and history.early_stop_test_accuracy == history.test_accuracy[0]


def test_sgd_with_learning_rate_drops_trains_resnet_on_generated_cifar(tmp_path, monkeypatch):
    """The ResNet/VGG path: SGD with momentum and MultiStepLR, batch norm, on CIFAR-format data."""
    write_fake_cifar(tmp_path, per_batch=1_100)
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda path, md5=None: os.path.isfile(path))
    full = load_cifar10(tmp_path, device="cpu")
    data = Data("cifar10", full.train_x[:64], full.train_y[:64], *(t[:100] for t in (full.val_x, full.val_y)),
                full.test_x, full.test_y)  # evaluating ResNet on 5,000 validation images would take most of the time
    paper = PRESETS["resnet18"]
    runs = {}
    for milestones in ((), (1,)):  # a drop after the first step changes the second step, and only that
        model = build_model("resnet18", seed=0)
        preset = dataclasses.replace(paper, lr_milestones=milestones)
        history = train(model, data, preset, 2, 8, progress=False)
        assert history.curve_iterations == [0, 2] and model.training
        runs[milestones] = [p.detach().clone() for p in model.parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(runs[()], runs[(1,)]))


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_evaluate_leaves_batch_norm_as_it_found_it(mode, mnist):
    model = build_model("resnet18", seed=0)
    model.train(mode == "train")
    x, y = torch.randn(6, 3, 32, 32), torch.arange(6)
    running = [b.clone() for b in model.buffers()]
    evaluate(model, x, y, batch_size=4)
    assert model.training == (mode == "train") and all(m.training == model.training for m in model.modules())
    assert all(torch.equal(a, b) for a, b in zip(running, model.buffers()))  # evaluation updates no statistics


def test_the_readmes_example_runs_as_written(settings):
    """The README's Python example, with 20 iterations instead of 5,000 and the shared MNIST folder: the paper's
    rates from the preset, one ticket, then five rounds of iterative pruning."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.DOTALL).group(1)
    example = example.replace("5_000", "20").replace('load_mnist("data")', "load_mnist(DATA, device='cpu')")
    namespace = {"DATA": settings.data}
    exec(compile(example, "README.md", "exec"), namespace)
    from lottery_utils import remaining_weights
    assert remaining_weights(namespace["ticket"]) == pytest.approx((235_200 * 0.2 + 30_000 * 0.2 + 1_000 * 0.6)
                                                                   / 266_200, abs=1e-4)
    assert remaining_weights(namespace["network"]) == remaining_weights(namespace["copy_network"]) == 1.0
    assert remaining_weights(namespace["tickets"][-1]) < 0.35  # five rounds at 20 % (fc) and 10 % (output)
