"""``torchrun -m zoo eval``: generated chunks shared out over ranks, their features gathered to rank 0 in order.

``zoo eval`` draws generated images in chunks seeded ``seed + index``; under torchrun rank r takes
the chunks with ``index % world == r``, extracts their features, and rank 0 receives every chunk's
features and feeds them to the metrics in chunk order, exactly the order one process uses. So the
values equal a one-process evaluation with the same seeds (tested with two gloo processes). Real
features are computed once, by rank 0, and read from the statistics cache by the other ranks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """This process's rank among ``world`` evaluating processes (1 without torchrun)."""

    rank: int = 0
    world: int = 1

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def owns(self, chunk: int) -> bool:
        """Whether this rank generates chunk ``chunk``."""
        return chunk % self.world == self.rank

    def barrier(self) -> None:
        if self.distributed:
            import torch.distributed as dist

            dist.barrier()

    def gather_chunks(self, local: dict[int, Any]) -> list[Any]:
        """Every rank's {chunk: value} on rank 0, as a list in chunk order (other ranks get [])."""
        if not self.distributed:
            return [local[k] for k in sorted(local)]
        import torch.distributed as dist

        gathered: list[dict[int, Any]] | None = [{} for _ in range(self.world)] if self.is_main else None
        dist.gather_object(local, gathered, dst=0)
        if not self.is_main:
            return []
        merged = {k: v for part in gathered or [] for k, v in part.items()}
        return [merged[k] for k in sorted(merged)]

    def share(self, make: Callable[[], T]) -> T:
        """``make()`` on rank 0, its result on every rank (an error on rank 0 is raised on every rank)."""
        if not self.distributed:
            return make()
        import torch.distributed as dist

        box: list[Any] = [None]
        if self.is_main:
            try:
                box[0] = ("ok", make())
            except Exception as exc:  # noqa: BLE001 - every rank must leave the collective, then raise
                box[0] = ("error", exc)
        dist.broadcast_object_list(box, src=0)
        status, value = box[0]
        if status == "error":
            raise value
        return value


def current_shard(device: str = "cpu") -> Shard:
    """The shard torchrun's environment describes; joins the process group (gloo on CPU) when there is one."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Shard()
    from zoo.training.distributed import init_distributed

    context = init_distributed("cuda" if str(device).startswith("cuda") else "cpu")
    return Shard(rank=context.rank, world=context.world)
