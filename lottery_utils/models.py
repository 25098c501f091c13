"""The paper's networks (Frankle & Carbin 2019, Figure 2) and their hyperparameters (student-facing core; imports
`checks`, which checks a preset's values when it is made)."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

import torch
from torch import nn

from .checks import INITIALIZATIONS, validate_amount, validate_preset


def lenet() -> nn.Module:
    """LeNet-300-100: a fully connected 784-300-100-10 network; its layers fc1, fc2 and fc3 (the output layer)."""
    return nn.Sequential(OrderedDict(flatten=nn.Flatten(), fc1=nn.Linear(784, 300), fc1_relu=nn.ReLU(),
                                     fc2=nn.Linear(300, 100), fc2_relu=nn.ReLU(), fc3=nn.Linear(100, 10)))


def conv_net(convs: int, fc_width: int = 256) -> nn.Module:
    """Conv-2/4/6: `convs` / 2 x [two 3x3 convs, max-pool] (64, then 128, then 256 filters), then fc 256-256-10
    (`fc_width` for other widths of the two hidden fc layers); its layers conv1 ... conv6, fc1, fc2 and fc3."""
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
    """Two 3x3 convs with batch norm and a shortcut (a 1x1 conv where the shape changes)."""

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
    """The paper's CIFAR "ResNet-18": 16, 3x[16, 16], 3x[32, 32], 3x[64, 64], avg-pool, 10 (He et al.'s ResNet-20)."""
    layers, channels = [nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()], 16
    for width in (16, 32, 64):
        for block in range(3):
            stride = 2 if block == 0 and width != 16 else 1
            layers.append(ResidualBlock(channels, width, stride))
            channels = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def vgg19() -> nn.Module:
    """CIFAR VGG-19: 2x64 pool 2x128 pool 4x256 pool 4x512 pool 4x512, avg-pool, 10; batch norm after each conv."""
    plan = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512]
    layers, channels = [], 3
    for width in plan:
        if width == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
            channels = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10))


@dataclass(frozen=True)
class Preset:
    """One column of the paper's table: the network, how it is trained and how it is pruned."""

    name: str
    architecture: Callable[[], nn.Module] = field(repr=False)  # builds the untrained network
    dataset: str
    iterations: int
    batch_size: int
    optimizer: str  # "adam" or "sgd"
    lr: float
    momentum: float = 0.0
    weight_decay: float = 0.0
    lr_milestones: tuple[int, ...] = ()  # SGD: learning rate divided by 10 at each of these iterations
    # Linear warmup: iteration i of the first `warmup_iterations` trains at lr * i / warmup_iterations (0: none).
    warmup_iterations: int = 0
    # Per layer role, the fraction of the remaining weights pruned each round. The output layer is pruned at half
    # the fc amount (LeNet, Conv-2/4/6) or not at all (ResNet-18, VGG-19). The largest amount is the paper's pruning
    # rate p (`rate`); the experiments are named by it.
    prune_amounts: Mapping[str, float] = field(default_factory=dict)
    strategy: str = "layerwise"  # "layerwise": each layer separately; "global": the layers pruned ranked together
    init: str = "glorot"  # the paper's, for every network (Figure 2; Appendix I.2, I.3); "he" to experiment
    # How often the validation loss is measured to find the early stop (docs/paper-presets.md says where each
    # interval comes from); None: about 50 times a run.
    eval_every: int | None = None

    def __post_init__(self):
        validate_preset(self)
        # frozen all the way down: the table's amounts cannot be changed by accident
        object.__setattr__(self, "prune_amounts", MappingProxyType(dict(self.prune_amounts)))
        object.__setattr__(self, "lr_milestones", tuple(self.lr_milestones))

    @property
    def rate(self) -> float:
        """The paper's pruning rate p: the largest amount pruned per round (LeNet: the fc layers' 20 %)."""
        return max(self.prune_amounts.values())

    def amounts(self, rate: float | None = None) -> dict[str, float]:
        """The per-role amounts of one round, for `winning_ticket` and `prune_smallest`: the paper's, or those at
        pruning rate `rate` (LeNet, `amounts(0.8)`: {"fc": 0.8, "output": 0.4})."""
        if rate is None:
            return dict(self.prune_amounts)
        validate_amount(rate, "rate")
        scale = rate / self.rate  # the stored configurations hold these products exactly: keep this arithmetic
        return {role: amount * scale for role, amount in self.prune_amounts.items()}

    def build(self, seed: int | None) -> nn.Module:
        """A freshly initialized network; the same seed gives the same weights, and the caller's random state is left
        as it was (seed=None draws from it instead)."""
        with seeded(seed):
            network = self.architecture()
            initialize(network, self.init)
        return network


# LeNet and Conv-2/4/6: the table of Figure 2 (iterations / batch, Adam and its rate, pruning rates), whose caption
# says "Initializations are Gaussian Glorot (Glorot & Bengio, 2010)"; the output layer at half the fc rate (Section 2:
# "Connections to outputs are pruned at half of the rate of the rest of the network"). Read-only: to train otherwise,
# make another Preset (`dataclasses.replace`) and pass it to `train`.
PRESETS = MappingProxyType({
    "lenet": Preset("lenet", lenet, "mnist", 50_000, 60, "adam", 1.2e-3,
                    prune_amounts={"fc": 0.2, "output": 0.1}, eval_every=100),
    "conv2": Preset("conv2", lambda: conv_net(2), "cifar10", 20_000, 60, "adam", 2e-4,
                    prune_amounts={"conv": 0.1, "fc": 0.2, "output": 0.1}, eval_every=100),
    "conv4": Preset("conv4", lambda: conv_net(4), "cifar10", 25_000, 60, "adam", 3e-4,
                    prune_amounts={"conv": 0.1, "fc": 0.2, "output": 0.1}, eval_every=100),
    "conv6": Preset("conv6", lambda: conv_net(6), "cifar10", 30_000, 60, "adam", 3e-4,
                    prune_amounts={"conv": 0.15, "fc": 0.2, "output": 0.1}, eval_every=100),
    # ResNet-18 and VGG-19: Appendix I and Section 4's warmup runs (at the table's 0.1 without warmup the paper finds no
    # tickets); docs/paper-presets.md quotes the sentence behind each value. Unlike I.3 we prune ResNet's 1x1 shortcut
    # convs and do not augment the data.
    "resnet18": Preset("resnet18", resnet18, "cifar10", 30_000, 128, "sgd", 0.03,  # I.3; I.5: 0.03, "no further"
                       momentum=0.9, weight_decay=1e-4, lr_milestones=(20_000, 25_000),  # I.3's stages
                       warmup_iterations=20_000,  # I.5: k = 20000
                       prune_amounts={"conv": 0.2, "output": 0.0}, strategy="global"),  # I.3
    "vgg19": Preset("vgg19", vgg19, "cifar10", 160 * 703, 64, "sgd", 0.1,  # I.2: 160 epochs of 45,000 // 64; I.5
                    momentum=0.9, weight_decay=1e-4, lr_milestones=(80 * 703, 120 * 703),  # I.2: epochs 80 and 120
                    warmup_iterations=10_000,  # I.5: k = 10000
                    prune_amounts={"conv": 0.2, "output": 0.0}, strategy="global"),  # I.2
})


def get_preset(name: str) -> Preset:
    """The preset of a network of the paper's table, by name."""
    if name not in PRESETS:
        raise ValueError(f"Unknown model {name!r}: choose one of {', '.join(PRESETS)}.")
    return PRESETS[name]


@contextmanager
def seeded(seed: int | None):
    """`torch.manual_seed(seed)` for the block (nothing when seed is None), and every random generator it seeds, the
    CPU's and any GPU's, put back afterwards: the caller's random state is left as it was."""
    if seed is None:
        yield
        return
    gpus = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    mps = torch.mps.get_rng_state() if torch.backends.mps.is_available() else None  # fork_rng leaves MPS's alone
    with torch.random.fork_rng(devices=gpus):
        try:
            torch.manual_seed(seed)
            yield
        finally:
            if mps is not None:
                torch.mps.set_rng_state(mps)


def build_model(name: str, seed: int | None) -> nn.Module:
    """θ0: a freshly initialized network of the paper's table ("lenet", "conv2", "conv4", "conv6", "resnet18",
    "vgg19").

    The same seed always gives the same weights, and the caller's random state is left as it was (seed=None draws
    from it instead). Train it with the same preset: `train(network, data, name)`.
    """
    return get_preset(name).build(seed)


def initialize(network: nn.Module, scheme: str) -> None:
    """Gaussian Glorot ("glorot") or He ("he") weights, zero biases, batch norm at identity."""
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


def weight_counts(network: nn.Module) -> dict[str, int]:
    """Number of weights (biases and batch norm excluded), as counted in the paper's table: "conv" (every Conv2d),
    "linear" (every Linear, the output layer included) and "all"."""
    conv = sum(m.weight.numel() for m in network.modules() if isinstance(m, nn.Conv2d))
    linear = sum(m.weight.numel() for m in network.modules() if isinstance(m, nn.Linear))
    return {"conv": conv, "linear": linear, "all": conv + linear}
