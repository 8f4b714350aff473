"""The generator resampling options export, verify and translate through onnxruntime like the defaults.

Tiny widths and images (CPU). Per variant: checkpoint -> ``export_checkpoint`` (what ``i2i export`` runs)
-> onnxruntime parity with torch at a size the export did not verify -> ``TranslatorSession`` +
``translate_whole`` on an image whose sides are not multiples of the size multiple.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from i2i import checkpoint as ckpt
from i2i.export import export_checkpoint, inference_copy
from i2i.nn import build_generator
from i2i.runtime.tiling import translate_whole
from i2i.sessions.onnxruntime_session import TranslatorSession
from i2i.specs import ArchSpec

VARIANTS = {
    "resnet_resize_conv": ("resnet", {"ngf": 4, "n_blocks": 2, "upsample": "resize-conv"}),
    "resnet_antialias": ("resnet", {"ngf": 4, "n_blocks": 2, "downsample": "blur", "upsample": "blur"}),
    "unet_resize_conv": ("unet", {"ngf": 4, "num_downs": 5, "upsample": "resize-conv"}),
}
ATOL = 1e-4  # [0, 1] outputs; the export's own fp32 tolerance


def _torch_01(module: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return ((module(torch.from_numpy(x) * 2 - 1) + 1) / 2).clamp(0, 1).numpy()


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def exported(request, tmp_path_factory):
    name, kwargs = VARIANTS[request.param]
    torch.manual_seed(0)
    module = build_generator(name, **kwargs)
    header = ckpt.make_header(ArchSpec(name, kwargs), module, task="cut", direction="AtoB", name="tiny")
    path = ckpt.save(tmp_path_factory.mktemp(request.param) / "g.pt", module, header)
    # What the export runs: batch norm as per-image statistics (the U-Net's), no dropout.
    return request.param, export_checkpoint(path), inference_copy(module)


def test_export_verifies_and_keeps_the_option_in_metadata(exported):
    variant, result, _ = exported
    assert result.verification.passed and result.verification.max_abs_diff <= ATOL
    model = onnx.load(str(result.path))
    ops = {n.op_type for n in model.graph.node}
    if variant.endswith("resize_conv"):
        assert "Resize" in ops and "ConvTranspose" not in ops
    else:  # the blur up-sampling is a fixed depthwise ConvTranspose after an edge Pad
        assert "ConvTranspose" in ops and "Resize" not in ops
    header = {p.key: p.value for p in model.metadata_props}
    assert VARIANTS[variant][1]["upsample"] in next(v for k, v in header.items() if "header" in k)


def test_onnxruntime_matches_torch_at_new_sizes(exported):
    variant, result, module = exported
    # Sizes the export's own verification did not use (it checks 96x96 and 128x160).
    shapes = (
        [(2, 3, 64, 96), (1, 3, 96, 32)] if variant.startswith("unet") else [(2, 3, 16, 24), (1, 3, 28, 12)]
    )
    rng = np.random.default_rng(1)
    session = TranslatorSession(result.path, device="cpu", threads=1)
    for shape in shapes:
        x = rng.random(shape, dtype=np.float32)
        got = session(x)
        assert got.shape == shape
        np.testing.assert_allclose(got, _torch_01(module, x), atol=ATOL, rtol=0)


def test_translate_pads_and_crops_back(exported):
    variant, result, module = exported
    session = TranslatorSession(result.path, device="cpu", threads=1)
    h, w = (45, 70) if variant.startswith("unet") else (21, 30)
    image = np.random.default_rng(2).random((3, h, w), dtype=np.float32)
    out = translate_whole(session, image, session.info.size_multiple)
    assert out.shape == (3, h, w) and out.min() >= 0.0 and out.max() <= 1.0
    # Same as torch on the reflect-padded image, cropped back.
    m = session.info.size_multiple
    padded = np.pad(image, ((0, 0), (0, -h % m), (0, -w % m)), mode="reflect")
    np.testing.assert_allclose(out, _torch_01(module, padded[None])[0, :, :h, :w], atol=ATOL, rtol=0)


def test_cli_export_of_the_antialiased_generator(tmp_path, capsys, monkeypatch):
    from i2i.cli.main import run

    name, kwargs = VARIANTS["resnet_antialias"]
    torch.manual_seed(3)
    module = build_generator(name, **kwargs)
    header = ckpt.make_header(ArchSpec(name, kwargs), module, task="cut", direction="AtoB", name="tiny")
    path = ckpt.save(tmp_path / "aa.pt", module, header)
    out = tmp_path / "aa.onnx"
    monkeypatch.setattr(sys, "argv", ["i2i", "export", str(path), "-o", str(out)])
    monkeypatch.setenv("COLUMNS", "400")
    code = 0
    try:
        run()
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 0, err
    assert "verified" in err and Path(out).is_file()
