"""How much a pruning round removes from each layer: the amounts.

An amount is the fraction of a layer's *remaining* weights that one round prunes, as torch's prune means it. Amounts
are given by layer role, "conv", "fc" or "output" (`layers.layer_roles`), in one of two forms:

    PRESETS["lenet"].amounts(0.8)    # Amounts({"fc": 0.8, "output": 0.4}): the paper's rule, from its table
    {"fc": 0.8, "output": 0.4}       # the same amounts, as a plain mapping

The paper prunes the output layer at half the rate of the others. So there is no one-number form, which would prune
the output layer at the full rate: to prune every layer alike, say so, as in {"fc": 0.8, "output": 0.8}.
`layer_amounts(network, amount)` shows what each layer gets.
"""
from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from torch import nn

from .checks import did_you_mean, validate_amount, validate_amounts_fit, validate_rounds
from .layers import LAYER_ROLES, layer_roles

STRATEGIES = ("layerwise", "global")  # How pruning ranks the weights: each layer by itself, or all layers together.


def layer_amounts(network: nn.Module, amount: Mapping[str, float] | Amounts) -> dict[str, float]:
    """Return the fraction of each layer to prune, by name.

        layer_amounts(lenet, {"fc": 0.2, "output": 0.1})   # {"fc1": 0.2, "fc2": 0.2, "fc3": 0.1}

    A mapping needs an amount for each role the network has (0.0 leaves a role unpruned). For an Amounts with
    strategy "global", the layers given an amount are ranked together: together they lose that fraction of their
    remaining weights, and how much each one loses comes out of the ranking.
    """
    by_role = as_amounts(network, amount).by_role
    validate_amounts_fit(network, by_role)  # one amount for each role the network has
    return {name: by_role[role] for name, role in layer_roles(network).items()}


def as_amounts(network: nn.Module, amount: Mapping[str, float] | Amounts) -> Amounts:
    """Return either form of `amount` as an Amounts (a plain mapping is pruned layer by layer)."""
    if isinstance(amount, Amounts):
        return amount
    if isinstance(amount, Mapping):
        return Amounts(amount)
    if callable(amount):  # e.g. PRESETS["lenet"].amounts without its brackets
        raise TypeError(f"amount is a function ({amount.__qualname__}), not amounts: did you forget to call it, as in "
                        f"PRESETS['lenet'].amounts()?")
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"amount must be amounts by layer role, a mapping such as {{'fc': 0.2, 'output': 0.1}} or a "
                        f"preset's amounts(); got {amount!r} of type {type(amount).__name__}.")
    validate_amount(amount)  # a percentage such as 20 is named as such
    alike = dict.fromkeys((role for role in LAYER_ROLES if role in layer_roles(network).values()), amount)
    raise TypeError(f"amount is one number, {amount:g}, but amounts are given by layer role: {alike} prunes every "
                    f"layer alike, and PRESETS[model].amounts({amount:g}) follows the paper (for LeNet, the output "
                    f"layer at half the rate).")


@dataclass(frozen=True)
class Amounts:
    """How much one pruning round removes from each layer role, and how it ranks the weights.

        Amounts({"fc": 0.2, "output": 0.1})                 # LeNet's, as PRESETS["lenet"].amounts() gives them
        Amounts({"conv": 0.2, "output": 0.0}, "global")      # VGG-19's

    `by_role` maps a layer role to the fraction of its remaining weights pruned. With strategy "layerwise", each
    layer ranks its own weights. With "global", the layers are ranked together, as the paper prunes ResNet-18 and
    VGG-19, so the layers pruned share one amount.
    """

    by_role: Mapping[str, float]
    strategy: str = "layerwise"

    def __post_init__(self):
        if not isinstance(self.by_role, Mapping):
            raise TypeError(f"Amounts takes a mapping by layer role, as in Amounts({{'conv': 0.2, 'output': 0.0}}, "
                            f"'global'); got {self.by_role!r}.")
        unknown = [key for key in self.by_role if key not in LAYER_ROLES]
        if unknown:
            raise ValueError(f"Unknown key(s) in amount: {unknown}{did_you_mean(unknown, LAYER_ROLES)}. The keys are "
                             f"layer roles, {', '.join(LAYER_ROLES)}.")
        for role, amount in self.by_role.items():
            validate_amount(amount, f"amount[{role!r}]")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(map(repr, STRATEGIES))}, got {self.strategy!r}.")
        pruned = sorted({amount for amount in self.by_role.values() if amount > 0})
        if self.strategy == "global" and len(pruned) > 1:  # one ranking of all layers, so one amount
            raise ValueError(f"Global pruning ranks layers together, so the layers it prunes need one amount; got "
                             f"{len(pruned)} different ones ({', '.join(f'{a:g}' for a in pruned)}).")
        object.__setattr__(self, "by_role", MappingProxyType(dict(self.by_role)))  # read-only

    def __repr__(self) -> str:  # Amounts({'conv': 0.8, 'output': 0.0}, strategy='global')
        return f"Amounts({dict(self.by_role)!r}, strategy={self.strategy!r})"


def per_round_amount(total: float, rounds: int) -> float:
    """Return the amount to prune in each of `rounds` rounds, so that `total` is pruned overall.

    Each round keeps (1 - total)^(1/rounds) of the survivors: `per_round_amount(0.9, 2)` is 0.68.

    Details: the paper's "p^(1/n) %" is the share each round keeps, when p is the share kept. Read as the share
    pruned, it removes far too much: 95 % a round, not 68 %, for 90 % in 2 rounds.
    """
    validate_amount(total, "total", "the share of the weights pruned overall")
    validate_rounds(rounds)
    return 1 - (1 - total) ** (1 / rounds)
