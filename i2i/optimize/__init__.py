"""Per-image optimisation methods: neural style transfer by optimisation (:mod:`.neural_style`, Gatys et al.)
and DeepDream (:mod:`.deepdream`), with the runs behind ``i2i stylize`` and ``i2i dream``.
"""
