"""The ResNet-18 / VGG-19 presets against the paper's Appendix I: Gaussian Glorot init, VGG's drops after epochs 80
and 120, the warmup that `train` applies, and cache keys that change for them and for nothing else."""
import dataclasses
from dataclasses import asdict

import pytest
import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook

from lottery_utils import PRESETS, Data, build_model, train
from lottery_utils.config import ALGORITHM_VERSION, NetworkConfig, TrainingSetup, config_key as cache_key
from lottery_utils.store import BUNDLE_DIR, Bundle, read_bundle

CIFAR_TRAIN = 45_000  # Appendix I.3: "45,000 training examples and 5,000 validation examples"


def test_every_network_starts_from_gaussian_glorot():
    assert {name: p.init for name, p in PRESETS.items()} == {name: "glorot" for name in PRESETS}
    for name in ("resnet18", "vgg19"):
        convs = [m for m in build_model(name, seed=0).modules() if isinstance(m, nn.Conv2d)]
        layer = max(convs, key=lambda m: m.weight.numel())  # the most weights: the tightest estimate of the spread
        fan_in, fan_out = layer.weight[0].numel(), layer.weight[:, 0].numel()
        glorot, he = (2 / (fan_in + fan_out)) ** 0.5, (2 / fan_in) ** 0.5
        assert layer.weight.std().item() == pytest.approx(glorot, rel=0.03), name
        assert abs(layer.weight.std().item() - he) > 0.2 * he, name  # not He's


def test_schedules_follow_appendix_i():
    epoch = CIFAR_TRAIN // 64  # 703 iterations: the last partial batch is dropped, as in `train`
    vgg, resnet = PRESETS["vgg19"], PRESETS["resnet18"]
    assert (vgg.iterations, vgg.batch_size, vgg.lr) == (112_480, 64, 0.1) and vgg.iterations == 160 * epoch
    assert vgg.lr_milestones == (80 * epoch, 120 * epoch) == (56_240, 84_360)
    assert (resnet.iterations, resnet.batch_size, resnet.lr_milestones) == (30_000, 128, (20_000, 25_000))
    assert (vgg.warmup_iterations, resnet.warmup_iterations) == (10_000, 20_000)
    assert resnet.lr == 0.03  # the peak of the paper's ResNet warmup, not the table's 0.1
    assert vgg.weight_decay == resnet.weight_decay == 1e-4 and vgg.momentum == resnet.momentum == 0.9
    assert all(p.warmup_iterations == 0 and p.lr_milestones == () for name, p in PRESETS.items()
               if name not in ("resnet18", "vgg19"))


def generated_cifar(n=64, seed=0) -> Data:
    """Random images of CIFAR-10's shape and ten labels: enough to take optimizer steps."""
    g = torch.Generator().manual_seed(seed)
    images = lambda k: torch.randn(k, 3, 32, 32, generator=g)
    labels = lambda k: torch.randint(0, 10, (k,), generator=g)
    return Data("cifar10", images(n), labels(n), images(20), labels(20), images(20), labels(20))


def small_network() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))


def learning_rates_used(preset, iterations, **kwargs) -> list[float]:
    """The learning rate of every optimizer step `train` takes, read through torch's public step pre-hook."""
    used = []
    handle = register_optimizer_step_pre_hook(lambda optimizer, args, kw: used.append(optimizer.param_groups[0]["lr"]))
    try:
        train(small_network(), generated_cifar(), preset, iterations, 8, progress=False, **kwargs)
    finally:
        handle.remove()
    return used


def test_train_warms_up_linearly_then_divides_by_ten_at_each_milestone():
    preset = dataclasses.replace(PRESETS["vgg19"], warmup_iterations=4, lr_milestones=(6, 8))
    assert learning_rates_used(preset, 9) == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001])
    assert learning_rates_used(preset, 3, lr=0.2) == pytest.approx([0.05, 0.1, 0.15])  # the peak is the run's rate
    warmup_only = dataclasses.replace(preset, lr_milestones=())
    assert learning_rates_used(warmup_only, 6) == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])


@pytest.mark.parametrize("name, peak, warmup", [("vgg19", 0.1, 10_000), ("resnet18", 0.03, 20_000)])
def test_the_paper_presets_start_their_warmup_from_zero(name, peak, warmup):
    assert learning_rates_used(PRESETS[name], 3) == pytest.approx([peak * i / warmup for i in (1, 2, 3)])


def test_without_warmup_or_milestones_the_rate_stays_put():
    preset = dataclasses.replace(PRESETS["vgg19"], warmup_iterations=0, lr_milestones=())
    assert learning_rates_used(preset, 4) == pytest.approx([0.1] * 4)
    assert learning_rates_used("conv2", 3) == pytest.approx([2e-4] * 3)


@pytest.mark.parametrize("bad", [-1, 2.5, True, "10000", None])
def test_bad_warmup_values_are_refused(bad):
    with pytest.raises(ValueError, match="warmup_iterations must be a whole number >= 0"):
        dataclasses.replace(PRESETS["vgg19"], warmup_iterations=bad)


@pytest.mark.parametrize("bad", [(84_360, 56_240), (0,), (5, 5), (1.5,)])
def test_bad_milestones_are_refused(bad):
    with pytest.raises(ValueError, match="lr_milestones must be increasing whole numbers >= 1"):
        dataclasses.replace(PRESETS["vgg19"], lr_milestones=bad)


# --- cache keys -------------------------------------------------------------------------------------------------

def old_config(setup: TrainingSetup, kind: str, rounds: int, rates, seed: int) -> dict:
    """The cache key's configuration as it was computed before warmup existed."""
    return {**asdict(setup), "kind": kind, "schedule": [dict(rates) for _ in range(rounds)], "seed": seed,
            "version": ALGORITHM_VERSION}


NETWORKS = [("dense", 0, {}), ("ticket", 3, {"conv": 0.2, "fc": 0.2, "output": 0.1}), ("reinit", 1, {"fc": 0.5})]


@pytest.mark.parametrize("model", ["lenet", "conv2", "conv4", "conv6"])
@pytest.mark.parametrize("fast", [False, True])
def test_lenet_and_conv_keys_are_unchanged(model, fast):
    setup = TrainingSetup.for_model(model, fast=fast)
    for kind, rounds, rates in NETWORKS:
        new = NetworkConfig.of(setup, kind, rounds, rates, 2).as_dict()
        assert new == old_config(setup, kind, rounds, rates, 2)
        assert cache_key(new) == cache_key(old_config(setup, kind, rounds, rates, 2))


@pytest.mark.skipif(not list(BUNDLE_DIR.glob("*.json.gz")), reason="no results bundled yet")
def test_the_bundled_results_are_found_under_todays_keys():
    bundle = Bundle()
    for path in sorted(BUNDLE_DIR.glob("*.json.gz")):
        for entry in read_bundle(path)["entries"]:
            stored = entry["config"]
            setup = TrainingSetup(**{name: stored[name] for name in asdict(TrainingSetup.for_model(stored["model"]))})
            schedule = stored["schedule"]
            config = NetworkConfig.of(setup, stored["kind"], len(schedule), schedule[0] if schedule else None,
                                  stored["seed"], stored.get("rewind_iteration", 0))
            assert config.as_dict() == stored and config.key == cache_key(stored), (path.name, stored)
            assert bundle.load(config).record == entry["record"]  # found through the store, nothing trained


@pytest.mark.parametrize("model", ["resnet18", "vgg19"])
def test_resnet_and_vgg_keys_change_with_their_training(model):
    """He-initialized runs without warmup, cached before, must not answer for today's presets."""
    old_presets = {"resnet18": TrainingSetup("resnet18", 30_000, 128, 0.1), "vgg19": TrainingSetup("vgg19", 112_000, 64, 0.1)}
    today = TrainingSetup.for_model(model, fast=False)
    for kind, rounds, rates in NETWORKS:
        new = NetworkConfig.of(today, kind, rounds, rates).as_dict()
        assert new["warmup_iterations"] == PRESETS[model].warmup_iterations
        assert new["lr_milestones"] == list(PRESETS[model].lr_milestones)
        assert cache_key(new) != cache_key(old_config(old_presets[model], kind, rounds, rates, 0))
        # even with the old setup asked for explicitly (e.g. lr=0.1): the warmup and init changed underneath it
        again = NetworkConfig.of(old_presets[model], kind, rounds, rates).as_dict()
        assert cache_key(again) != cache_key(old_config(old_presets[model], kind, rounds, rates, 0))
