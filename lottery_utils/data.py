"""The datasets, held in memory as tensors. LeNet trains on MNIST, and the conv nets on CIFAR-10.

`load_mnist` and `load_cifar10` each return a `Data`. Its tensors are on `best_device()` unless you pass a device.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

import numpy as np
import torch

VALIDATION_SIZE = 5_000  # Held out of the training set, as in the paper.
SPLIT_SEED = 0  # Fixed, so that every run validates on the same 5,000 examples.

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta")
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


@dataclass(frozen=True)
class Data:
    """The training, validation and test tensors of one dataset, normalized and on one device."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor

    def __repr__(self) -> str:
        return (f"Data({self.name}: train {len(self.train_y):,}, validation {len(self.val_y):,}, "
                f"test {len(self.test_y):,}, images {tuple(self.train_x.shape[1:])}, device {self.train_x.device})")


def best_device() -> torch.device:
    """Return the fastest device available. That is CUDA if there is one, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def load_mnist(root: str | os.PathLike, device: torch.device | str | None = None) -> Data:
    """Load MNIST as normalized tensors, with 55,000 training, 5,000 validation and 10,000 test images.

        data = load_mnist("data")   # reads data/MNIST/raw/, and downloads it there if it is missing


    Args:
        root: the folder that holds torchvision's MNIST/raw/, or will hold it.
        device: where the tensors go. The default is `best_device()`.
    """
    import torchvision  # Imported here because it takes seconds, and most commands never load a dataset.
    root = Path(root).resolve()
    train = _download(torchvision.datasets.MNIST, root, True, "MNIST", "MNIST/raw", MNIST_FILES)
    test = _download(torchvision.datasets.MNIST, root, False, "MNIST", "MNIST/raw", MNIST_FILES)
    train_x = train.data.float().div(255).sub(MNIST_MEAN).div(MNIST_STD).unsqueeze(1)  # (N, 1, 28, 28)
    test_x = test.data.float().div(255).sub(MNIST_MEAN).div(MNIST_STD).unsqueeze(1)
    return _split("MNIST", train_x, train.targets, test_x, test.targets, device)


def load_cifar10(root: str | os.PathLike, device: torch.device | str | None = None) -> Data:
    """Load CIFAR-10 as tensors, with 45,000 training, 5,000 validation and 10,000 test images.

        data = load_cifar10("data")   # reads data/cifar-10-batches-py/, and downloads it there if it is missing

    Each channel is normalized. `root` and `device` are as in `load_mnist`.
    """
    import torchvision
    root = Path(root).resolve()
    train = _download(torchvision.datasets.CIFAR10, root, True, "CIFAR-10", "cifar-10-batches-py", CIFAR_FILES)
    test = _download(torchvision.datasets.CIFAR10, root, False, "CIFAR-10", "cifar-10-batches-py", CIFAR_FILES)
    mean, std = torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1), torch.tensor(CIFAR_STD).view(1, 3, 1, 1)

    def images(dataset) -> torch.Tensor:  # (N, 32, 32, 3) bytes become (N, 3, 32, 32) floats, normalized per channel
        return torch.from_numpy(np.asarray(dataset.data)).permute(0, 3, 1, 2).float().div(255).sub(mean).div(std)

    def labels(dataset) -> torch.Tensor:
        return torch.tensor(dataset.targets, dtype=torch.long)

    return _split("CIFAR-10", images(train), labels(train), images(test), labels(test), device)


def _download(dataset, root: Path, train: bool, name: str, folder: str, files: tuple[str, ...]):
    """Load a torchvision dataset, and download it if needed. If it is missing and offline, raise one clear error."""
    try:
        return dataset(root=str(root), train=train, download=True)
    except (RuntimeError, URLError, OSError) as error:
        missing = [f for f in files if not (root / folder / f).exists()]
        raise FileNotFoundError(
            f"{name} is not in {root / folder} and could not be downloaded ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}).\nExpected the files {', '.join(files)} there "
            f"(missing: {', '.join(missing) or 'none'}).\nCopy them there, or pass the folder that holds {folder}/ as "
            f"root.") from error


def _split(name, train_x, train_y, test_x, test_y, device) -> Data:
    """Hold out a fixed validation set from the training set, and move the tensors to `device`.

    A `device` of None means `best_device()`. The validation loss is the paper's early-stopping signal.
    """
    order = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(SPLIT_SEED))
    val, train = order[:VALIDATION_SIZE], order[VALIDATION_SIZE:]
    tensors = (train_x[train], train_y[train], train_x[val], train_y[val], test_x, test_y)
    device = torch.device(device) if device else best_device()
    return Data(name, *(t.contiguous().to(device) for t in tensors))
