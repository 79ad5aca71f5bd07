"""Data parallelism with ``torch.distributed``, started by ``torchrun``.

``torchrun --nproc_per_node=N`` starts N copies of the program and tells each its ``RANK``,
``LOCAL_RANK`` and ``WORLD_SIZE`` in environment variables. :func:`setup` joins them into one
process group (``gloo`` on CPU, ``nccl`` on CUDA); DistributedDataParallel then averages the
gradients of every backward pass over the processes with an all-reduce. Without those variables the
program runs as a single process and these helpers do nothing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    local_rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        """True on the one process that prints, writes metrics and saves checkpoints."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1 or dist.is_initialized()


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def setup(device_type: str) -> World:
    """Join the process group torchrun prepared (nothing to do for a single process)."""
    if not launched_by_torchrun():
        return World()
    world = World(int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", 0)),
                  int(os.environ["WORLD_SIZE"]))
    if device_type == "cuda":
        torch.cuda.set_device(world.local_rank)
    dist.init_process_group("nccl" if device_type == "cuda" else "gloo")
    return world


def teardown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def gather_objects(world: World, obj) -> list:
    """Every process's ``obj``, in rank order (a one-element list for a single process)."""
    if not dist.is_initialized():
        return [obj]
    out = [None] * world.size
    dist.all_gather_object(out, obj)
    return out


def gather_rows(world: World, t: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """Concatenate every process's ``t`` along ``dim`` in rank order (the rows of the batch)."""
    if not dist.is_initialized():
        return t
    parts = [torch.empty_like(t) for _ in range(world.size)]
    dist.all_gather(parts, t.contiguous())
    return torch.cat(parts, dim=dim)


def sum_all(world: World, values: torch.Tensor) -> torch.Tensor:
    """Element-wise sum of ``values`` over all processes."""
    if dist.is_initialized():
        values = values.clone()
        dist.all_reduce(values)
    return values
