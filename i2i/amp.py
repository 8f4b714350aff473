"""``--amp auto|none|bf16|fp16`` for the torch paths (Gatys stylize, DeepDream, training).

``auto`` is bf16 autocast on CPUs with AMX-BF16 / AVX512-BF16 (:func:`i2i.accel.cpu_has_fast_bf16`) and
on CUDA GPUs that support bf16, and ``none`` (float32) elsewhere: without those units bf16 is emulated and
slower than float32. Autocast only changes the dtype of matmul/convolution work inside the network;
callers keep losses, Gram matrices, the optimised image and optimiser state in float32 (cast features
with ``.float()`` before reducing them).

Memory format: :func:`resolve_amp` brings channels_last with reduced precision. That is for the
optimisation paths only (Gatys stylize, DeepDream), which differentiate frozen eval-mode networks with
respect to the image: their input gradients under bf16 + channels_last match bf16 in NCHW to the last
digit (measured against float64 with torch 2.14.1 on an AVX512-BF16 CPU, 40x48 px image, random
weights: Gatys VGG16 cosine 0.99994 / relative error 0.011 either way, VGG19 0.99996 / 0.009;
DeepDream Inception-v3 mixed3+mixed5 0.970 / 0.25 in NCHW and 0.971 / 0.25 in channels_last; float32
channels_last 1.00000 / 0.0000). Training does not use it: there torch's train-mode instance/batch
norm backward is wrong at batch 1 under channels_last (:mod:`i2i.train.gradcheck`), so
:class:`i2i.train.runtime.Precision` resolves ``auto`` with :func:`auto_mode` and uses channels_last
only when asked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from i2i.errors import I2IError

AMP_CHOICES = ("auto", "none", "bf16", "fp16")


@dataclass(frozen=True)
class Amp:
    """A resolved mixed-precision choice: ``mode`` is ``none``, ``bf16`` or ``fp16``; ``channels_last``
    asks for NHWC activations (what oneDNN's bf16 convolutions want); ``device_type`` is ``cpu``/``cuda``."""

    mode: str
    channels_last: bool
    device_type: str

    @property
    def dtype(self) -> torch.dtype | None:
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.mode)

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """torch.autocast to :attr:`dtype` (a no-op for ``none``)."""
        if self.dtype is None:
            yield
            return
        with torch.autocast(device_type=self.device_type, dtype=self.dtype):
            yield

    def module(self, module: torch.nn.Module) -> torch.nn.Module:
        """``module`` in channels_last memory format when asked (same weights, same results)."""
        return module.to(memory_format=torch.channels_last) if self.channels_last else module

    def tensor(self, x: torch.Tensor) -> torch.Tensor:
        """A 4-D ``x`` in channels_last memory format when asked (values unchanged)."""
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last and x.dim() == 4 else x


def auto_mode(device: torch.device) -> str:
    """What ``auto`` means on ``device``: ``bf16`` where bf16 units exist, else ``none``."""
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "none"
    if device.type == "cpu":
        from i2i.accel import cpu_has_fast_bf16

        return "bf16" if cpu_has_fast_bf16() else "none"
    return "none"


def resolve_amp(mode: str, device: torch.device | str) -> Amp:
    """Resolve an ``--amp`` value for ``device`` for the optimisation paths (Gatys stylize, DeepDream):
    reduced precision brings channels_last with it (shown correct there; see the module docstring).

    Raises:
        I2IError: an unknown mode.
    """
    if mode not in AMP_CHOICES:
        raise I2IError(f"unknown --amp {mode!r}; valid: {', '.join(AMP_CHOICES)}")
    device = torch.device(device)
    resolved = auto_mode(device) if mode == "auto" else mode
    return Amp(resolved, resolved != "none", device.type)
