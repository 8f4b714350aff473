"""Model files are not trusted: metadata is validated when a model loads, and per-image work (padding
included) fails one image, never the run (issue 17.4); tiny images are padded up to the model's minimum
side instead of failing inside the network (17.3)."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image

from i2i.errors import I2IError
from i2i.runtime import TranslatorSession
from i2i.serve.settings import ServeSettings
from tests.serve.helpers import call, conv_model, image_bytes, running

GOOD_IO = {"in_channels": 3, "out_channels": 3, "value_range": [0, 1], "size_multiple": 4}


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"io": {**GOOD_IO, "size_multiple": 0}}, "size_multiple 0 is outside 1..1024"),
        ({"io": {**GOOD_IO, "size_multiple": -8}}, "size_multiple -8 is outside 1..1024"),
        ({"io": {**GOOD_IO, "size_multiple": 10**12}}, "size_multiple 1000000000000 is outside 1..1024"),
        ({"io": {**GOOD_IO, "in_channels": 0}}, "in_channels 0 is outside 1..4"),
        ({"io": {**GOOD_IO, "out_channels": 7}}, "out_channels 7 is outside 1..4"),
        ({"task": "exfiltrate"}, "task 'exfiltrate' is not one of pix2pix, cyclegan, cut, fast_style"),
        ({"direction": "sideways"}, "direction 'sideways' is not AtoB, BtoA or absent"),
        ({"name": "evil\r\nSet-Cookie: x"}, "name 'evil\\r\\nSet-Cookie: x' is not printable text"),
    ],
)
def test_bad_metadata_is_one_line_at_load(tmp_path, fields, problem):
    path = conv_model(tmp_path / "bad.onnx", "swap", **{"task": "pix2pix", "name": "bad", **fields})
    with pytest.raises(I2IError) as caught:
        TranslatorSession(path, device="cpu", threads=1)
    message = str(caught.value)
    assert message.startswith(f"{path}: invalid i2i metadata: {problem}")
    assert "\n" not in message


def test_input_pad_is_read_and_checked_at_load(tmp_path):
    path = conv_model(tmp_path / "padded.onnx", "swap", input_pad=32, task="cut", name="padded")
    assert TranslatorSession(path, device="cpu", threads=1).info.input_pad == 32
    huge = conv_model(tmp_path / "huge.onnx", "swap", input_pad=4096, task="cut", name="huge")
    with pytest.raises(I2IError, match=r"invalid i2i metadata: input_pad 4096 is outside 0\.\.1024$"):
        TranslatorSession(huge, device="cpu", threads=1)


def test_translate_cli_refuses_bad_metadata_with_exit_1(tmp_path):
    path = conv_model(tmp_path / "big.onnx", "swap", task="pix2pix", io={**GOOD_IO, "size_multiple": 10**12})
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(image_bytes((8, 8)))
    args = ["translate", "-m", str(path), str(tmp_path / "in"), str(tmp_path / "o")]
    proc = subprocess.run(
        [sys.executable, "-m", "i2i.cli.main", *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    output = " ".join((proc.stdout + proc.stderr).split())
    assert "error:" in output and "Traceback" not in output
    assert "invalid i2i metadata: size_multiple 1000000000000 is outside 1..1024" in output
    assert not (tmp_path / "o" / "a.png").exists()


def test_tiny_and_thin_images_are_served_at_their_own_size(exported_model):
    from i2i.serve.pool import ModelPool

    pool = ModelPool.load((str(exported_model),), device="cpu", threads=1)
    with running(ServeSettings(port=0), pool) as url:
        for size in [(1, 1), (1, 400), (400, 1), (3, 5)]:
            reply = call(f"{url}/v1/translate?model=tiny_resnet", image_bytes(size))
            assert reply.status == 200, (size, reply.body[:200])
            assert Image.open(io.BytesIO(reply.body)).size == size


def test_a_failing_image_fails_alone_in_a_folder_run(tmp_path, exported_model):
    from i2i.runtime.inputs import Job
    from i2i.runtime.pipeline import translate_jobs

    session = TranslatorSession(exported_model, device="cpu", threads=1)
    (tmp_path / "ok.png").write_bytes(image_bytes((9, 7)))
    (tmp_path / "dot.png").write_bytes(image_bytes((1, 1)))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    jobs = [Job(tmp_path / n, tmp_path / "out" / n) for n in ("broken.png", "dot.png", "ok.png")]
    summary = translate_jobs(session, jobs, multiple=session.info.size_multiple)
    assert summary.done == 2
    assert [p.path.name for p in summary.failures] == ["broken.png"]
