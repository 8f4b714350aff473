"""Old import path of the training runtime helpers, kept so that callers not yet moved keep working
(``i2i/cli/doctor.py`` imports ``Precision`` from here). New code imports :mod:`i2i.amp` (device and
precision), :mod:`i2i.train.distributed` (ranks, DDP) and :mod:`i2i.train.rng` (seeding, RNG snapshots).
Delete this module once nothing imports it.
"""

from i2i.amp import AMP_CHOICES as AMP_MODES
from i2i.amp import Precision, select_device
from i2i.train.distributed import (
    DistContext,
    all_reduce_max,
    all_reduce_mean,
    barrier,
    gather_objects,
    setup_distributed,
    unwrap,
    wrap_ddp,
)
from i2i.train.rng import rng_state, seed_everything, set_rng_state

__all__ = [
    "AMP_MODES",
    "DistContext",
    "Precision",
    "all_reduce_max",
    "all_reduce_mean",
    "barrier",
    "gather_objects",
    "rng_state",
    "seed_everything",
    "select_device",
    "set_rng_state",
    "setup_distributed",
    "unwrap",
    "wrap_ddp",
]
