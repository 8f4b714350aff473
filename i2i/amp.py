"""Where torch work runs and at what precision: ``--device auto|cpu|cuda`` and ``--amp auto|none|bf16|fp16``,
resolved here once for every torch path (training, Gatys stylize, DeepDream).

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
norm backward is wrong at batch 1 under channels_last (:mod:`i2i.train.gradcheck`), so training builds
``Precision(device, cfg.amp, cfg.channels_last)``: channels_last only when asked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace

import torch

from i2i.errors import I2IError

AMP_CHOICES = ("auto", "none", "bf16", "fp16")
_WORDS = {"none": "float32", "bf16": "bf16 autocast", "fp16": "fp16 autocast with loss scaling"}


def select_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` -> CUDA when available else CPU; ``cuda`` fails with a clear error when there is none.
    ``local_rank`` picks the GPU of a torchrun process."""
    if name not in ("auto", "cpu", "cuda"):
        raise I2IError(f"unknown device {name!r}; valid: auto, cpu, cuda")
    if name == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if name == "cuda":
        raise I2IError("--device cuda was asked for but torch sees no CUDA device")
    return torch.device("cpu")


def auto_mode(device: torch.device) -> str:
    """What ``auto`` means on ``device``: ``bf16`` where bf16 units exist, else ``none``."""
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "none"
    if device.type == "cpu":
        from i2i.accel import cpu_has_fast_bf16

        return "bf16" if cpu_has_fast_bf16() else "none"
    return "none"


@dataclass(frozen=True)
class Precision:
    """Mixed precision and memory format on one device.

    ``amp``: ``none`` (float32), ``bf16`` (autocast to bfloat16, no loss scaling) or ``fp16`` (autocast to
    float16 with a GradScaler per optimizer); ``auto`` is resolved on construction by :func:`auto_mode`,
    so ``amp`` reads the resolved mode afterwards and ``auto`` records that it was not asked for by name.
    ``channels_last``: NHWC memory format for networks and 4-D inputs.

    Raises:
        I2IError: an unknown ``amp``.
    """

    device: torch.device
    amp: str = "none"
    channels_last: bool = False
    auto: bool = False

    def __post_init__(self) -> None:
        if self.amp not in AMP_CHOICES:
            raise I2IError(f"unknown --amp {self.amp!r}; valid: {', '.join(AMP_CHOICES)}")
        object.__setattr__(self, "device", torch.device(self.device))
        if self.amp == "auto":
            object.__setattr__(self, "amp", auto_mode(self.device))
            object.__setattr__(self, "auto", True)

    @property
    def mode(self) -> str:
        """The resolved mode: ``none``, ``bf16`` or ``fp16`` (the same as :attr:`amp`)."""
        return self.amp

    @property
    def device_type(self) -> str:
        return self.device.type

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype; None for float32."""
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.amp)

    @property
    def reference(self) -> bool:
        """True for float32 in NCHW: the configuration the training gradient check compares against."""
        return self.amp == "none" and not self.channels_last

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def describe(self) -> str:
        """The resolved precision in words: ``bf16 autocast, NCHW``, ``float32, channels_last``, ..."""
        return f"{_WORDS[self.amp]}, {'channels_last' if self.channels_last else 'NCHW'}"

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """torch.autocast to :attr:`dtype` (a no-op for float32)."""
        if self.dtype is None:
            yield
            return
        with torch.autocast(device_type=self.device.type, dtype=self.dtype):
            yield

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A loss scaler, enabled only for fp16 (a disabled scaler passes values through)."""
        return torch.amp.GradScaler(self.device.type, enabled=self.amp == "fp16")

    def module(self, module: torch.nn.Module) -> torch.nn.Module:
        """``module`` in this memory format (same weights, same results), where it is."""
        return module.to(memory_format=torch.channels_last) if self.channels_last else module

    def tensor(self, x: torch.Tensor) -> torch.Tensor:
        """A 4-D ``x`` in this memory format (values unchanged), where it is."""
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last and x.dim() == 4 else x

    def prepare_model(self, module: torch.nn.Module) -> torch.nn.Module:
        """``module`` on the device, in this memory format."""
        return self.module(module.to(self.device))

    def prepare_input(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` on the device (asynchronously from pinned memory), in this memory format."""
        return self.tensor(x.to(self.device, non_blocking=True))


#: The name the optimisation paths (Gatys stylize, DeepDream) know the precision object by.
Amp = Precision


def resolve_amp(mode: str, device: torch.device | str) -> Precision:
    """Resolve an ``--amp`` value for ``device`` for the optimisation paths (Gatys stylize, DeepDream):
    reduced precision brings channels_last with it (shown correct there; see the module docstring).

    Raises:
        I2IError: an unknown mode.
    """
    precision = Precision(torch.device(device), mode)
    return replace(precision, channels_last=precision.amp != "none")
