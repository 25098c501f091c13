"""Which bundled networks docs/results and the slide demo show: the paper's 18-round run, and one-shot networks by
pruning rate."""
from __future__ import annotations

from ..results import CONTROLS, Result
from ..models import get_preset


def paper_run(results: list[Result], model: str = "lenet") -> list[Result]:
    """The networks of the paper's iterative figure: every round at the paper's rates reset to θ0, with the
    paper's controls, and the dense network."""
    amounts = get_preset(model).prune_amounts.by_role
    return [r for r in results if r.model == model and r.kind in ("dense", "ticket", *CONTROLS)
            and r.rewind_iteration == 0 and all(dict(step) == amounts for step in r.schedule)]


def one_shot_networks(results: list[Result], rates, kinds: tuple[str, ...], rewind: int = 0) -> list[Result]:
    """The dense network and the one-shot networks of `kinds` pruned at one of `rates` (pruning rates, `Preset.rate`),
    reset to theta_`rewind`."""
    wanted = {round(rate, 4) for rate in rates}
    return [r for r in results if r.kind == "dense" or (
        r.kind in kinds and r.round == 1 and r.rewind_iteration == rewind
        and round(max(r.schedule[0].values()), 4) in wanted)]
