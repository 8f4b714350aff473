"""Training: one loop (:mod:`~i2i.train.loop`, entered through :func:`i2i.train.harness.train`) and one
small module per recipe (:mod:`~i2i.train.pix2pix`, :mod:`~i2i.train.cyclegan`, :mod:`~i2i.train.cut`,
:mod:`~i2i.train.fast_style`; the GAN recipes share :mod:`~i2i.train.gan`).

The loop owns the run's state and resume (:mod:`~i2i.train.run_state`), its outputs
(:mod:`~i2i.train.outputs`), EMA, the divergence guard and stopping; a recipe owns its networks, losses,
step and sample rows. Options live in :mod:`~i2i.train.config` and :mod:`~i2i.train.recipe_configs`
(torch-free; the CLI is generated from them). See docs/architecture.md for the module map.
"""
