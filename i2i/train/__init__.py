"""Training: one run harness (:mod:`~i2i.train.harness`) and one small module per recipe
(:mod:`~i2i.train.pix2pix`, :mod:`~i2i.train.cyclegan`, :mod:`~i2i.train.fast_style`).

The harness owns the loop, resume, logs, grids, probes, snapshots, EMA, the divergence guard and stopping;
a recipe owns its config, networks, step and sample rows. Options live in :mod:`~i2i.train.config`
(torch-free; the CLI is generated from it). See docs/architecture.md for the module map.
"""
