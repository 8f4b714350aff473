"""Quality measurement: paired metrics (L1, PSNR, SSIM, LPIPS), FID and KID with their standard errors,
artefact scores, fast-style scores and the cheap probes that training runs use (``i2i eval``).

Modules are imported where they are used: most need torch, :mod:`.artifacts` and :mod:`.frechet` do not.
"""
