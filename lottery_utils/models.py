"""The paper's networks, and how each is trained and pruned (Frankle & Carbin 2019, Figure 2).

`build_model` gives θ0, a freshly initialized network. `PRESETS` holds the paper's table, one Preset per network,
and a preset's `amounts(rate)` says how much a pruning round removes. `weight_counts` counts weights as the table does.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

import torch
from torch import nn

from .amounts import Amounts
from .checks import did_you_mean, is_whole, validate_amount, validate_preset_numbers


def lenet() -> nn.Module:
    """Build LeNet-300-100, a fully connected 784-300-100-10 network with layers fc1, fc2 and fc3 (the output layer)."""
    return nn.Sequential(OrderedDict(flatten=nn.Flatten(), fc1=nn.Linear(784, 300), fc1_relu=nn.ReLU(),
                                     fc2=nn.Linear(300, 100), fc2_relu=nn.ReLU(), fc3=nn.Linear(100, 10)))


def conv_net(convs: int, fc_width: int = 256) -> nn.Module:
    """Build Conv-2, Conv-4 or Conv-6. It has `convs` / 2 blocks of two 3x3 convs and a max-pool, then 256-256-10.

    The blocks have 64, then 128, then 256 filters. The layers are conv1 ... conv6, fc1, fc2 and fc3. `fc_width` sets
    another width for the two hidden fully connected layers.
    """
    if convs not in (2, 4, 6):
        raise ValueError(f"convs must be 2, 4 or 6 (Conv-2, Conv-4, Conv-6), got {convs!r}.")
    layers, channels, blocks = OrderedDict(), 3, convs // 2
    for block, width in enumerate((64, 128, 256)[:blocks]):
        for conv in (2 * block + 1, 2 * block + 2):
            layers[f"conv{conv}"] = nn.Conv2d(channels, width, 3, padding=1)
            layers[f"conv{conv}_relu"] = nn.ReLU()
            channels = width
        layers[f"pool{block + 1}"] = nn.MaxPool2d(2)
    side = 32 // 2 ** blocks
    layers.update(flatten=nn.Flatten(), fc1=nn.Linear(channels * side * side, fc_width), fc1_relu=nn.ReLU(),
                  fc2=nn.Linear(fc_width, fc_width), fc2_relu=nn.ReLU(), fc3=nn.Linear(fc_width, 10))
    return nn.Sequential(layers)


class ResidualBlock(nn.Module):
    """Two 3x3 convs with batch norm, and a shortcut around them that is a 1x1 conv where the shape changes."""

    def __init__(self, channels_in: int, channels_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels_out)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or channels_in != channels_out:
            self.shortcut = nn.Sequential(nn.Conv2d(channels_in, channels_out, 1, stride, bias=False),
                                          nn.BatchNorm2d(channels_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


def resnet18() -> nn.Module:
    """Build the paper's CIFAR-10 "ResNet-18", which is He et al.'s ResNet-20.

    Its layout is 16, 3x[16, 16], 3x[32, 32], 3x[64, 64], average pooling, 10. The layers are named conv1, block1 ...
    block9 (each with its own conv1, conv2 and, where the shape changes, a shortcut conv) and fc.
    """
    layers = OrderedDict(conv1=nn.Conv2d(3, 16, 3, padding=1, bias=False), bn1=nn.BatchNorm2d(16), relu=nn.ReLU())
    channels, blocks = 16, 0
    for width in (16, 32, 64):
        for block in range(3):
            stride = 2 if block == 0 and width != 16 else 1
            blocks += 1
            layers[f"block{blocks}"] = ResidualBlock(channels, width, stride)
            channels = width
    layers.update(pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(), fc=nn.Linear(64, 10))
    return nn.Sequential(layers)


def vgg19() -> nn.Module:
    """Build VGG-19 for CIFAR-10, as 2x64 pool 2x128 pool 4x256 pool 4x512 pool 4x512, average pooling, 10.

    The layers are named conv1 ... conv16, pool1 ... pool4 and fc. Each convN is followed by bnN (batch norm) and reluN.
    """
    plan = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512]
    layers, channels, convs, pools = OrderedDict(), 3, 0, 0
    for width in plan:
        if width == "M":
            pools += 1
            layers[f"pool{pools}"] = nn.MaxPool2d(2)
        else:
            convs += 1
            layers[f"conv{convs}"] = nn.Conv2d(channels, width, 3, padding=1, bias=False)
            layers[f"bn{convs}"] = nn.BatchNorm2d(width)
            layers[f"relu{convs}"] = nn.ReLU()
            channels = width
    layers.update(pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(), fc=nn.Linear(512, 10))
    return nn.Sequential(layers)


DATASETS = ("mnist", "cifar10")
OPTIMIZERS = ("adam", "sgd")
INITIALIZATIONS = ("glorot", "he")  # Gaussian Glorot, which the paper uses everywhere, and He, for experiments.


@dataclass(frozen=True)
class Preset:
    """One column of the paper's table. It holds a network, how it is trained, and how it is pruned.

        PRESETS["lenet"].lr                                   # 0.0012
        dataclasses.replace(PRESETS["lenet"], lr=1e-3)        # a preset of your own (presets are frozen)

    `train` uses only the training recipe: the optimizer, learning rate, batch size, schedule and iterations. It
    never builds the preset's network. So a tiny XOR network can train with `preset="lenet"`, with LeNet's Adam.
    """

    name: str
    architecture: Callable[[], nn.Module] = field(repr=False)  # Builds the untrained network.
    dataset: str
    iterations: int
    batch_size: int
    optimizer: str  # "adam" or "sgd".
    lr: float
    momentum: float = 0.0
    weight_decay: float = 0.0
    lr_milestones: tuple[int, ...] = ()  # With SGD, the learning rate is divided by 10 at each of these iterations.
    warmup_iterations: int = 0  # The length of the linear warmup that `training.lr_factor` applies (0 means none).
    # What each round prunes, by layer role (a plain mapping becomes a layerwise Amounts). Its largest is the rate p.
    prune_amounts: Amounts | Mapping[str, float] = field(default_factory=dict)
    init: str = "glorot"  # The paper uses it for all networks (Figure 2, Appendix I.2, I.3). "he" is for experiments.
    # How often the validation loss is measured, for the early stop (None: about 50 times a training). The sources are
    # in docs/paper-presets.md.
    eval_every: int | None = None

    def __post_init__(self):
        for what, allowed in (("dataset", DATASETS), ("optimizer", OPTIMIZERS), ("init", INITIALIZATIONS)):
            if getattr(self, what) not in allowed:
                raise ValueError(f"Preset {self.name!r}: unknown {what} {getattr(self, what)!r}; choose one of "
                                 f"{', '.join(allowed)}.")
        validate_preset_numbers(self)
        if not isinstance(self.prune_amounts, Amounts):
            try:  # checks the roles and the fractions
                object.__setattr__(self, "prune_amounts", Amounts(self.prune_amounts))
            except (TypeError, ValueError) as error:
                raise ValueError(f"Preset {self.name!r}: {error}") from None
        object.__setattr__(self, "lr_milestones", tuple(self.lr_milestones))  # frozen all the way down

    @property
    def rate(self) -> float:
        """The paper's pruning rate p, which is the largest amount pruned per round (0.2 for LeNet's fc layers)."""
        if not self.prune_amounts.by_role:
            raise ValueError(f"Preset {self.name!r} has no prune_amounts, so no pruning rate: give it amounts by layer "
                             f"role, e.g. prune_amounts={{'fc': 0.2, 'output': 0.1}}.")
        return max(self.prune_amounts.by_role.values())

    def amounts(self, rate: float | None = None) -> Amounts:
        """Return what one round prunes, for `winning_ticket`. With a `rate`, the amounts scale so the largest is it.

        For LeNet, `amounts()` is Amounts({"fc": 0.2, "output": 0.1}) and `amounts(0.8)` is {"fc": 0.8, "output": 0.4}.
        """
        if rate is None:
            return self.prune_amounts
        validate_amount(rate, "rate", "the pruning rate, which is the share of its remaining weights that the "
                                      "fastest-pruned layer loses each round")
        scale = rate / self.rate
        by_role = {role: amount * scale for role, amount in self.prune_amounts.by_role.items()}
        return Amounts(by_role, self.prune_amounts.strategy)


# LeNet and Conv-2/4/6 take their iterations, batch size, Adam learning rate and pruning rates from the table of
# Figure 2, whose caption says "Initializations are Gaussian Glorot (Glorot & Bengio, 2010)". Section 2: "Connections
# to outputs are pruned at half of the rate of the rest of the network". PRESETS is read-only.
PRESETS = MappingProxyType({
    "lenet": Preset("lenet", lenet, dataset="mnist", iterations=50_000, batch_size=60, optimizer="adam", lr=1.2e-3,
                    prune_amounts={"fc": 0.2, "output": 0.1}, eval_every=100),
    "conv2": Preset("conv2", lambda: conv_net(2), dataset="cifar10", iterations=20_000, batch_size=60,
                    optimizer="adam", lr=2e-4, prune_amounts={"conv": 0.1, "fc": 0.2, "output": 0.1}, eval_every=100),
    "conv4": Preset("conv4", lambda: conv_net(4), dataset="cifar10", iterations=25_000, batch_size=60,
                    optimizer="adam", lr=3e-4, prune_amounts={"conv": 0.1, "fc": 0.2, "output": 0.1}, eval_every=100),
    "conv6": Preset("conv6", lambda: conv_net(6), dataset="cifar10", iterations=30_000, batch_size=60,
                    optimizer="adam", lr=3e-4, prune_amounts={"conv": 0.15, "fc": 0.2, "output": 0.1}, eval_every=100),
    # ResNet-18 and VGG-19 follow Appendix I and the warmup runs of Section 4. At the table's learning rate of 0.1
    # without warmup, the paper finds no tickets. docs/paper-presets.md quotes the sentence behind each value. Unlike
    # Appendix I.3, we prune ResNet's 1x1 shortcut convs and do not augment the data.
    "resnet18": Preset("resnet18", resnet18, dataset="cifar10", iterations=30_000, batch_size=128, optimizer="sgd",
                       lr=0.03,  # I.3, and I.5's 0.03 ("no further")
                       momentum=0.9, weight_decay=1e-4, lr_milestones=(20_000, 25_000),  # The ends of I.3's stages.
                       warmup_iterations=20_000,  # I.5 selects k = 20000.
                       prune_amounts=Amounts({"conv": 0.2, "output": 0.0}, "global")),  # I.3.
    "vgg19": Preset("vgg19", vgg19, dataset="cifar10", iterations=160 * 703,  # 160 epochs of 45,000 // 64 (I.2)
                    batch_size=64, optimizer="sgd", lr=0.1,  # I.2. The rate is from I.5.
                    momentum=0.9, weight_decay=1e-4, lr_milestones=(80 * 703, 120 * 703),  # I.2, epochs 80 and 120.
                    warmup_iterations=10_000,  # I.5 selects k = 10000.
                    prune_amounts=Amounts({"conv": 0.2, "output": 0.0}, "global")),  # I.2.
})


def get_preset(preset: str | Preset) -> Preset:
    """Return the preset of the paper's table named `preset`, such as "lenet". A Preset is returned as it is."""
    if isinstance(preset, Preset):
        return preset
    if not isinstance(preset, str):
        raise TypeError(f"A preset is a name ({', '.join(PRESETS)}) or a Preset, got {preset!r}.")
    if preset not in PRESETS:
        raise ValueError(f"Unknown model {preset!r}{did_you_mean([preset], PRESETS)}: choose one of "
                         f"{', '.join(PRESETS)} (each preset has its model's name).")
    return PRESETS[preset]


def build_model(model: str | Preset, seed: int | None) -> nn.Module:
    """Return θ0, a freshly initialized network of the paper's table.

        network = build_model("lenet", seed=0)

    A seed always gives the same weights. The caller's random state is left as it was.

    Args:
        model: "lenet", "conv2", "conv4", "conv6", "resnet18" or "vgg19" (the presets' names), or a Preset.
        seed: the seed of the weights. None draws them from the caller's random state instead.
    """
    preset = get_preset(model)
    if seed is not None and not is_whole(seed, 0):
        raise ValueError(f"seed, which draws the weights, must be a whole number >= 0 or None, got {seed!r}.")
    with seeded(seed):
        network = preset.architecture()
        initialize(network, preset.init)
    return network


def weight_counts(network: nn.Module) -> dict[str, int]:
    """Count a network's weights as the paper's table does, without biases and batch norm.

    For LeNet: {"conv": 0, "linear": 266200, "all": 266200}. "linear" includes the output layer.
    """
    conv = sum(m.weight.numel() for m in network.modules() if isinstance(m, nn.Conv2d))
    linear = sum(m.weight.numel() for m in network.modules() if isinstance(m, nn.Linear))
    return {"conv": conv, "linear": linear, "all": conv + linear}


# --- reproducibility and initialization: what build_model uses --------------------------------------------------------

@contextmanager
def seeded(seed: int | None):
    """Run the block under `torch.manual_seed(seed)`, then restore the caller's random state. None runs it unseeded."""
    if seed is None:
        yield
        return
    accelerator = "mps" if torch.backends.mps.is_available() else "cuda"  # fork_rng restores the CPU and one kind
    devices = range(torch.get_device_module(accelerator).device_count())
    with torch.random.fork_rng(devices, device_type=accelerator):
        torch.manual_seed(seed)
        yield


def initialize(network: nn.Module, scheme: str) -> None:
    """Give a network Gaussian Glorot ("glorot") or He ("he") weights, zero biases, and batch norm at identity."""
    for module in network.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            if scheme == "glorot":
                nn.init.xavier_normal_(module.weight)
            elif scheme == "he":
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            else:
                raise ValueError(f"Unknown initialization {scheme!r}: choose one of {', '.join(INITIALIZATIONS)}.")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
