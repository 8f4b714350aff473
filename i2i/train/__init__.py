"""Training recipes (one module each: :mod:`~i2i.train.pix2pix`, ...) on shared helpers.

Shared helpers: :mod:`~i2i.train.runtime` (seed, RNG snapshots, device, DDP, AMP), :mod:`~i2i.train.sampler`
(deterministic resumable batching), :mod:`~i2i.train.loop` (loaders, fixed sample batch, inference copy),
:mod:`~i2i.train.schedules` (lr policies), :mod:`~i2i.train.rundir` (run folder, config, log, state),
:mod:`~i2i.train.visuals` (grids, loss curves), :mod:`~i2i.train.progress` (Rich bar, Ctrl-C, time limit),
:mod:`~i2i.train.monitor` (D-dominance and collapse warnings), :mod:`~i2i.train.image_pool`.
"""
