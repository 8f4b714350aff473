"""`i2i stylize --model STYLE` on clips and folders mixing images and clips (through :mod:`i2i.video`, with
``--no-stabilise`` and ``--codec``), and the optimisation refusing a clip in one line. A tiny identity
"fast-style" ONNX model, onnxruntime on the CPU, clips of a few 64x48 frames."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from i2i.cli.main import app
from i2i.errors import I2IError
from i2i.optimize.stylize_options import FastStyleRun

from .conftest import av, read_frames

runner = CliRunner()
CPU = ("--device", "cpu", "--runtime", "onnxruntime")


@pytest.fixture
def style_model(tmp_path):
    from tests.eval.helpers import identity_onnx

    return identity_onnx(tmp_path / "style.onnx", task="fast_style", direction=None)


def test_model_on_a_folder_of_images_and_clips(clip, tmp_path, style_model):
    source = clip("walk.mp4", frames=5, audio=True)
    Image.fromarray(np.full((20, 24, 3), 90, np.uint8)).save(tmp_path / "in" / "photo.png")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["stylize", "--model", str(style_model), str(tmp_path / "in"), str(out), *CPU]
    )
    assert result.exit_code == 0, result.output
    assert "2 translated, 0 skipped, 0 failed" in " ".join(result.output.split())
    assert sorted(p.name for p in out.iterdir()) == ["photo.png", "walk.mp4"]
    with av.open(str(out / "walk.mp4")) as written:
        assert written.streams.video[0].frames == 5 and len(written.streams.audio) == 1
    # the identity model, stabilised: close to the input frames (H.264 and 4:2:0 chroma once more)
    got, given = read_frames(out / "walk.mp4")[-1], read_frames(source)[-1]
    assert np.abs(got.astype(int) - given.astype(int)).mean() < 8


def test_model_video_flags(clip, tmp_path, style_model):
    source = clip("b.avi", frames=3)
    out = tmp_path / "out"
    args = ["stylize", "--model", str(style_model), str(source), str(out), *CPU]
    result = runner.invoke(app, [*args, "--no-stabilise", "--codec", "mpeg4"])
    assert result.exit_code == 0, result.output
    with av.open(str(out / "b.avi")) as written:
        assert (written.streams.video[0].codec_context.name, written.streams.video[0].frames) == ("mpeg4", 3)
    bad = runner.invoke(app, [*args, "--codec", "nonsense", "--overwrite"])
    assert bad.exit_code != 0 and "--codec nonsense: no such video encoder" in str(bad.exception)


def test_fast_style_run_video_options():
    assert FastStyleRun(model="m").video().stabilise is True
    run = FastStyleRun(model="m", stabilise=False, codec="vp9")
    assert (run.video().stabilise, run.video().codec) == (False, "vp9")
    with pytest.raises(I2IError, match="--codec must name a codec"):
        FastStyleRun(model="m", codec=" ")


def test_optimisation_refuses_a_clip_in_one_line(clip, tmp_path):
    source = clip("a.mp4", frames=2)
    result = runner.invoke(app, ["stylize", "-s", "starry", str(source), "-o", str(tmp_path / "out")])
    assert result.exit_code != 0 and isinstance(result.exception, I2IError), result.output
    message = str(result.exception)
    assert "use --model for video" in message and str(source) in message and "\n" not in message
    assert not (tmp_path / "out").exists()
