"""Torch datasets for paired (pix2pix) and unpaired (CycleGAN) translation.

Every dataset returns ``{"A": Tensor, "B": Tensor, "A_path": str, "B_path": str}`` where ``A`` and ``B`` are
float32 tensors of shape (3, H, W) with values in [-1, 1] (the generators' tanh range), already
resized/cropped/flipped by :mod:`i2i.data.transforms`. ``A`` is always the network's input side after
``direction`` is applied.

Determinism (exact resume): every random choice in ``__getitem__(i)`` - crop, flip, and the random B of an
unaligned pair - comes from ``example_rng(seed, epoch, i)``. The same ``(seed, epoch, index)`` gives the same
sample in the main process, in any DataLoader worker, and after a resume; call :meth:`set_epoch` at the start
of every epoch (before creating the epoch's iterator) to get new jitter. Shuffling the order of indices is the
sampler's job, not the dataset's.

Errors: files whose suffix is not an image type are skipped at construction and listed in
``dataset.skipped`` as ``(path, reason)``. Paired data is checked from the image headers
(:mod:`i2i.data.pair_checks`): a side-by-side folder whose images are mostly not twice as wide as high is
refused, the odd ones out are skipped; names without a partner and pairs whose sides differ in size or
channels are listed in ``dataset.notes`` (one line each) for the run to show. Files are not decoded at
construction (that would be slow); a corrupt or truncated image is found when its example is loaded, and
``__getitem__`` raises :class:`~i2i.errors.ImageReadError` whose message starts with that file's path. An
empty or missing folder raises :class:`~i2i.errors.I2IError` naming the folder.

Held-back files (``holdout``, e.g. 0.1): each folder's share chosen by :func:`i2i.data.holdout.split_holdout`
(by file-name hash) is left out at construction and listed in ``dataset.held_out`` (per folder, sorted
names); the dataset never yields those files. ``i2i eval model --holdout`` scores exactly them, and an
``UnalignedDataset(..., holdout=f, held_back=True)`` yields only them (the recipes' probe and sample images).
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TypedDict, Unpack

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from i2i.data.holdout import split_holdout
from i2i.data.pair_checks import check_side_by_side, pair_mismatches
from i2i.data.transforms import TransformSpec, apply_paired, example_rng
from i2i.errors import I2IError
from i2i.imageio import list_images, read_image, to_float_chw

__all__ = ["AlignedDataset", "DatasetSettings", "PairedFolderDataset", "UnalignedDataset", "to_tensor_pm1"]

Direction = Literal["AtoB", "BtoA"]
Sample = dict[str, "torch.Tensor | str"]


def to_tensor_pm1(img: Image.Image) -> torch.Tensor:
    """RGB PIL image -> float32 tensor (3, H, W) in [-1, 1]."""
    arr = to_float_chw(img)
    return torch.from_numpy(arr * np.float32(2.0) - np.float32(1.0))


def _check_direction(direction: str) -> None:
    if direction not in ("AtoB", "BtoA"):
        raise I2IError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")


def _scan(folder: Path, what: str) -> tuple[list[Path], list[tuple[Path, str]]]:
    images, skipped = list_images(folder, recursive=True)
    if not images:
        extra = f" ({len(skipped)} non-image files skipped)" if skipped else ""
        raise I2IError(f"{folder}: no {what} images found{extra}")
    return images, skipped


def _train_share(images: list[Path], holdout: float, folder: Path, what: str) -> tuple[list[Path], list[str]]:
    """(images to use, names held back) of one folder; raises when nothing is left to train on."""
    kept, held = split_holdout(images, holdout)
    if not kept:
        raise I2IError(f"{folder}: holding back {holdout:g} of {len(images)} {what} images leaves none")
    return kept, [p.name for p in held]


class DatasetSettings(TypedDict, total=False):
    """The keyword settings every translation dataset takes, with its defaults written once (in
    :class:`_TranslationDataset`): ``direction`` ``"AtoB"`` or ``"BtoA"`` (default AtoB); ``spec`` the
    resize/crop/flip/pad settings (default :class:`TransformSpec` ()); ``train`` random jitter when True
    (default), deterministic resize/pad when False; ``seed`` the base seed of the per-example random
    streams (default 0); ``holdout`` the share of the files held back from training (default 0)."""

    direction: Direction
    spec: TransformSpec | None
    train: bool
    seed: int
    holdout: float


class _TranslationDataset(Dataset):
    """Shared state: direction (checked), transform spec, train/eval, seed, held-back share and epoch
    (:class:`DatasetSettings`); ``crop_load_from``: from this epoch on (0-based, training only) images are
    loaded at the crop size (:meth:`epoch_spec`)."""

    def __init__(
        self,
        *,
        direction: Direction = "AtoB",
        spec: TransformSpec | None = None,
        train: bool = True,
        seed: int = 0,
        holdout: float = 0.0,
        crop_load_from: int | None = None,
    ) -> None:
        _check_direction(direction)
        self.direction = direction
        self.holdout = holdout
        self.spec = spec if spec is not None else TransformSpec()
        self.train = bool(train)
        self.seed = int(seed)
        self.epoch = 0
        self.crop_load_from = crop_load_from
        self.skipped: list[tuple[Path, str]] = []

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose jitter ``__getitem__`` draws (see the module docstring)."""
        self.epoch = int(epoch)

    def epoch_spec(self) -> TransformSpec:
        """The transform of the current epoch: ``spec``, or from epoch ``crop_load_from`` on ``spec`` with
        ``load_size = crop_size``: resized to the crop size, so no resize-and-crop jitter (flips stay).
        The CUT authors load so in their decay epochs (``load_size=crop_size`` when fine-tuning)."""
        if self.train and self.crop_load_from is not None and self.epoch >= self.crop_load_from:
            return dataclasses.replace(self.spec, load_size=self.spec.crop_size)
        return self.spec

    def _rng(self, index: int) -> random.Random:
        return example_rng(self.seed, self.epoch, index)

    def _check_index(self, index: int) -> int:
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"index {index} out of range for a dataset of {n} examples")
        return index

    def _transform(
        self, images: Sequence[Image.Image], rng: random.Random, paths: Sequence[Path]
    ) -> list[Image.Image]:
        try:
            return apply_paired(images, self.epoch_spec(), rng, train=self.train)
        except I2IError as err:
            raise I2IError(f"{', '.join(str(p) for p in dict.fromkeys(paths))}: {err}") from None

    def __len__(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError


class AlignedDataset(_TranslationDataset):
    """Pix2pix "AB" images: one file per example with A on the left half and B on the right half.

    The file is split at ``width // 2``; for an odd width the last column is dropped so both halves have
    the same size. Both halves get the same resize/crop/flip. ``direction="BtoA"`` swaps them (facades:
    A = photo, B = labels, so labels -> photo is ``BtoA``).

    Args:
        root: folder of AB images (searched recursively), or a dataset folder when ``phase`` is given.
        phase: optional sub-folder of ``root`` (``"train"``, ``"val"``, ``"test"``).
        settings: direction, spec, train, seed, holdout (:class:`DatasetSettings`).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        phase: str | None = None,
        **settings: Unpack[DatasetSettings],
    ) -> None:
        super().__init__(**settings)
        self.root = Path(root) / phase if phase else Path(root)
        self.paths, self.skipped = _scan(self.root, "AB")
        self.paths, not_pairs = check_side_by_side(self.paths, self.root)
        self.skipped += not_pairs
        self.notes = [f"skipped {path}: {reason}" for path, reason in not_pairs]
        self.paths, held = _train_share(self.paths, self.holdout, self.root, "AB")
        self.held_out = {self.root.name: held}

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> Sample:
        index = self._check_index(index)
        path = self.paths[index]
        ab = read_image(path)
        w, h = ab.size
        half = w // 2
        if half < 1:
            raise I2IError(f"{path}: image is {w}x{h}, too narrow to split into A|B halves")
        a = ab.crop((0, 0, half, h))
        b = ab.crop((half, 0, 2 * half, h))
        a, b = self._transform([a, b], self._rng(index), [path])
        if self.direction == "BtoA":
            a, b = b, a
        return {"A": to_tensor_pm1(a), "B": to_tensor_pm1(b), "A_path": str(path), "B_path": str(path)}


class PairedFolderDataset(_TranslationDataset):
    """Pairs from two folders, matched by file path without suffix (``a/x/1.png`` <-> ``b/x/1.jpg``).

    Names present in only one folder are not used; they are listed in ``missing_in_a`` / ``missing_in_b``
    and in ``skipped`` (with a reason), as are non-image files and duplicate names (``1.png`` and
    ``1.jpg`` in one folder). A and B of a pair get the same crop/flip; with a mode other than
    ``resize_and_crop`` they must have the same size.
    """

    def __init__(
        self,
        dir_a: str | os.PathLike[str],
        dir_b: str | os.PathLike[str],
        **settings: Unpack[DatasetSettings],
    ) -> None:
        super().__init__(**settings)
        self.dir_a, self.dir_b = Path(dir_a), Path(dir_b)
        images_a, skipped_a = _scan(self.dir_a, "A")
        images_b, skipped_b = _scan(self.dir_b, "B")
        self.skipped = skipped_a + skipped_b
        keyed_a = self._by_key(self.dir_a, images_a)
        keyed_b = self._by_key(self.dir_b, images_b)
        self.missing_in_b: list[Path] = [keyed_a[k] for k in sorted(keyed_a.keys() - keyed_b.keys())]
        self.missing_in_a: list[Path] = [keyed_b[k] for k in sorted(keyed_b.keys() - keyed_a.keys())]
        unmatched = [(p, f"no matching file in {self.dir_b}") for p in self.missing_in_b]
        unmatched += [(p, f"no matching file in {self.dir_a}") for p in self.missing_in_a]
        self.skipped += unmatched
        common = sorted(keyed_a.keys() & keyed_b.keys())
        if not common:
            raise I2IError(f"{self.dir_a} and {self.dir_b}: no file names in common, nothing to pair")
        # the held-back share is chosen on the A files; their B partners go with them
        kept, held = _train_share([keyed_a[k] for k in common], self.holdout, self.dir_a, "paired")
        partner = {keyed_a[k]: keyed_b[k] for k in common}
        self.pairs: list[tuple[Path, Path]] = [(a, partner[a]) for a in kept]
        self.held_out = {self.dir_a.name: held}
        self.notes = [f"{path}: {reason}" for path, reason in unmatched] + pair_mismatches(self.pairs)

    def _by_key(self, folder: Path, images: list[Path]) -> dict[str, Path]:
        keyed: dict[str, Path] = {}
        for p in images:
            key = p.relative_to(folder).with_suffix("").as_posix()
            if key in keyed:
                self.skipped.append((p, f"duplicate name: {keyed[key].name} has the same stem"))
                continue
            keyed[key] = p
        return keyed

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> Sample:
        index = self._check_index(index)
        path_a, path_b = self.pairs[index]
        a, b = self._transform([read_image(path_a), read_image(path_b)], self._rng(index), [path_a, path_b])
        if self.direction == "BtoA":
            a, b, path_a, path_b = b, a, path_b, path_a
        return {"A": to_tensor_pm1(a), "B": to_tensor_pm1(b), "A_path": str(path_a), "B_path": str(path_b)}


class UnalignedDataset(_TranslationDataset):
    """CycleGAN data: ``<root>/<phase>A`` and ``<root>/<phase>B`` (e.g. ``trainA``/``trainB``), unpaired.

    Length is ``max(len(A), len(B))``; example ``i`` uses A image ``i % len(A)`` and a B image drawn from
    the example's random stream (so it is fixed for a given seed/epoch/index), or ``i % len(B)`` with
    ``serial_batches=True``. A and B get independent crops/flips. ``direction="BtoA"`` swaps the folders.
    ``crop_load_from``: from this (0-based) epoch on, load at the crop size (:meth:`epoch_spec`).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        phase: str = "train",
        serial_batches: bool = False,
        held_back: bool = False,
        crop_load_from: int | None = None,
        **settings: Unpack[DatasetSettings],
    ) -> None:
        super().__init__(crop_load_from=crop_load_from, **settings)
        self.root = Path(root)
        self.phase = phase
        self.serial_batches = bool(serial_batches)
        dir_a, dir_b = self.root / f"{phase}A", self.root / f"{phase}B"
        if self.direction == "BtoA":
            dir_a, dir_b = dir_b, dir_a
        self.dir_a, self.dir_b = dir_a, dir_b
        self.paths_a, skipped_a = _scan(dir_a, "A")
        self.paths_b, skipped_b = _scan(dir_b, "B")
        self.skipped = skipped_a + skipped_b
        if held_back:  # the evaluation side: only the held-back files
            self.paths_a, self.paths_b = (
                split_holdout(self.paths_a, self.holdout)[1],
                split_holdout(self.paths_b, self.holdout)[1],
            )
            if not self.paths_a or not self.paths_b:
                raise I2IError(
                    f"{self.root}: holding back {self.holdout:g} of the {phase} images holds back none"
                )
            self.held_out = {
                dir_a.name: [p.name for p in self.paths_a],
                dir_b.name: [p.name for p in self.paths_b],
            }
            return
        self.paths_a, held_a = _train_share(self.paths_a, self.holdout, dir_a, "A")
        self.paths_b, held_b = _train_share(self.paths_b, self.holdout, dir_b, "B")
        self.held_out = {dir_a.name: held_a, dir_b.name: held_b}

    def __len__(self) -> int:
        return max(len(self.paths_a), len(self.paths_b))

    def b_index(self, index: int) -> int:
        """Which B image example ``index`` uses in the current epoch."""
        if self.serial_batches:
            return index % len(self.paths_b)
        return self._rng(index).randrange(len(self.paths_b))

    def __getitem__(self, index: int) -> Sample:
        index = self._check_index(index)
        rng = self._rng(index)
        path_a = self.paths_a[index % len(self.paths_a)]
        ib = index % len(self.paths_b) if self.serial_batches else rng.randrange(len(self.paths_b))
        path_b = self.paths_b[ib]
        (a,) = self._transform([read_image(path_a)], rng, [path_a])
        (b,) = self._transform([read_image(path_b)], rng, [path_b])
        return {"A": to_tensor_pm1(a), "B": to_tensor_pm1(b), "A_path": str(path_a), "B_path": str(path_b)}
