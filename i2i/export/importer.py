"""Checkpoints into the model zoo: export i2i checkpoints for ``i2i models add`` and import generators
saved by the widely used pix2pix/CycleGAN reference implementation (``i2i models import`` /
``fetch-official``). The torch side of named models; the zoo itself (:mod:`i2i.zoo`) is torch-free.

An imported generator becomes an i2i checkpoint (``NAME.pt``: weights + header) and a verified ONNX export
(``NAME.onnx``: float32 (N, 3, H, W) in [0, 1] -> [0, 1]) in the user models folder, registered as a user
model. The reference layout is converted by :mod:`i2i.nn.reference` (the one place that knows it). Batch
norm (pix2pix) is exported with per-image statistics, as the reference test script runs it.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from i2i import checkpoint as ckpt
from i2i.errors import I2IError
from i2i.export import export_checkpoint
from i2i.specs import ArchSpec
from i2i.zoo.entry import ModelEntry
from i2i.zoo.manage import add_user_onnx, check_user_name, today
from i2i.zoo.official import ARCHS, LICENCE, OfficialModel
from i2i.zoo.paths import user_models_dir

#: Reference defaults per architecture family (``resnet``, ``unet``): (norm, use_dropout, task), as the
#: authors trained their published generators of that family.
FAMILY_DEFAULTS = {
    arch.partition("_")[0]: (kwargs["norm"], kwargs["use_dropout"], task)
    for task, (arch, kwargs) in ARCHS.items()
}


def add_user_checkpoint(name: str, checkpoint: Path, *, replace: bool = False, **fields: Any) -> ModelEntry:
    """Export an i2i generator checkpoint (verified) and register the ONNX as user model ``name``."""
    check_user_name(name, replace)
    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.{secrets.token_hex(4)}.onnx"
    try:
        export_checkpoint(checkpoint, tmp, overwrite=True)
        prov = {"source": str(Path(checkpoint).resolve()), **fields.pop("provenance", {})}
        return add_user_onnx(name, tmp, move=True, replace=replace, provenance=prov, **fields)
    finally:
        tmp.unlink(missing_ok=True)


def read_reference_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a reference ``.pth`` (a plain state dict, or a dict holding one under
    ``state_dict``), loaded with ``weights_only=True`` so no pickled code runs."""
    if not Path(path).is_file():
        raise I2IError(f"{path}: no such file")
    data = ckpt.load_weights_only(Path(path), "state dict")
    if isinstance(data, Mapping) and isinstance(data.get("state_dict"), Mapping):
        data = data["state_dict"]
    if not isinstance(data, Mapping) or not any(isinstance(v, torch.Tensor) for v in data.values()):
        raise I2IError(f"{path}: holds no state dict of tensors")
    return dict(data)


def import_reference(
    pth: Path,
    *,
    name: str,
    arch: str,
    ngf: int = 64,
    norm: str | None = None,
    dropout: bool | None = None,
    task: str | None = None,
    direction: str | None = "AtoB",
    domains: tuple[str, str] | None = None,
    pair: str | None = None,
    licence: str = "unspecified (weights from the reference implementation)",
    source: str | None = None,
    replace: bool = False,
) -> ModelEntry:
    """Convert a reference-implementation generator into user model ``name`` (checkpoint + verified ONNX).

    ``arch``: an i2i generator name (resnet_9blocks, resnet_6blocks, unet_256, unet_128, ...). ``norm`` and
    ``dropout`` default to the reference's choices for the family (resnet: instance, no dropout; unet: batch,
    dropout), ``task`` to cyclegan (resnet) or pix2pix (unet).

    Raises:
        I2IError: unreadable file, a state dict that does not fit ``arch`` with these options (the message
            names the first disagreeing layer), a taken name, or a failed export verification.
    """
    from i2i.nn import build_generator
    from i2i.nn.reference import load_reference_state_dict

    check_user_name(name, replace)
    family = "unet" if arch.startswith("unet") else "resnet" if arch.startswith("resnet") else None
    d_norm, d_dropout, d_task = FAMILY_DEFAULTS.get(family or "", (None, None, None))
    kwargs: dict[str, Any] = {"ngf": int(ngf)}
    if (norm or d_norm) is not None:
        kwargs["norm"] = norm or d_norm
    if (dropout if dropout is not None else d_dropout) is not None:
        kwargs["use_dropout"] = bool(dropout if dropout is not None else d_dropout)
    task = task or d_task
    if task is None:
        raise I2IError(f"--task is needed for architecture {arch!r} (pix2pix, cyclegan or fast_style)")
    state = read_reference_state_dict(Path(pth))
    module = build_generator(arch, **kwargs)
    try:
        load_reference_state_dict(module, state)
    except I2IError as err:
        raise I2IError(f"{pth}: does not fit {arch} {kwargs}: {err}") from None
    module.eval()
    source = source or str(Path(pth).resolve())
    header = ckpt.make_header(
        ArchSpec(arch, kwargs),
        module,
        task=task,
        direction=direction,
        name=name,
        domains=domains,
        recipe={"imported_from": source, "format": "reference implementation state dict"},
    )
    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint_path = folder / f"{name}.pt"
    tmp_onnx = folder / f".{name}.{secrets.token_hex(4)}.onnx"
    try:
        ckpt.save(checkpoint_path, module, header)
        export_checkpoint(checkpoint_path, tmp_onnx, overwrite=True)
        return add_user_onnx(
            name,
            tmp_onnx,
            move=True,
            replace=replace,
            licence=licence,
            checkpoint=checkpoint_path,
            provenance={"source": source, "recipe": f"{task} (reference implementation)", "date": today()},
            pair=pair,
        )
    except BaseException:
        with contextlib.suppress(OSError):
            if not (folder / f"{name}.onnx").exists():
                checkpoint_path.unlink(missing_ok=True)
        raise
    finally:
        tmp_onnx.unlink(missing_ok=True)


def fetch_official(
    model: OfficialModel,
    *,
    name: str | None = None,
    ngf: int = 64,
    progress: bool = True,
    replace: bool = False,
    sha256: str | None = None,
    insecure: bool | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> ModelEntry:
    """Download ``model`` from the authors' server (resumable) and import it as a user model.

    The file's sha256 must equal ``sha256`` when given, and the sum its first download recorded
    (:mod:`i2i.pins`; recorded now when there is none, and said through ``on_warning``). Only https is
    used unless ``insecure`` (default: ``$I2I_INSECURE_DOWNLOADS``; :mod:`i2i.data.transport`).
    """
    from i2i.data.fetch import download
    from i2i.pins import verify_download

    name = name or model.default_user_name
    check_user_name(name, replace)
    url = model.url()
    dest = user_models_dir() / ".downloads" / f"{model.task}-{model.name}.pth"
    download(url, dest, progress=progress, insecure=insecure, on_warning=on_warning)
    try:
        verify_download(
            f"official:{model.task}/{model.name}", dest, url, pinned=sha256, on_first_use=on_warning
        )
    except I2IError:
        dest.unlink(missing_ok=True)
        raise
    kwargs = model.arch_kwargs
    entry = import_reference(
        dest,
        name=name,
        arch=model.arch,
        ngf=ngf,
        norm=kwargs["norm"],
        dropout=kwargs["use_dropout"],
        task=model.task,
        direction=model.direction,
        domains=model.domains,
        pair=model.pair,
        licence=LICENCE,
        source=url,
        replace=replace,
    )
    dest.unlink(missing_ok=True)
    return entry
