"""Self-describing checkpoints: round trips, rebuilt with no other input, clear errors for bad files."""

from __future__ import annotations

import pytest
import torch

from i2i import checkpoint
from i2i.errors import I2IError
from i2i.nn import build_generator
from i2i.specs import ArchSpec


def _saved(tmp_path, name="unet", kwargs=None):
    kwargs = kwargs or {"num_downs": 5, "ngf": 4, "norm": "batch"}
    arch = ArchSpec(name, kwargs)
    torch.manual_seed(1)
    net = build_generator(arch.name, **arch.kwargs)
    header = checkpoint.make_header(
        arch,
        net,
        task="pix2pix",
        direction="BtoA",
        name="facades_label2photo",
        domains=("labels", "photo"),
        recipe={"lambda_l1": 100.0, "epochs": 2},
    )
    path = checkpoint.save(tmp_path / "g.i2i.pt", net, header)
    return net, header, path


def test_round_trip_is_bit_identical(tmp_path):
    net, header, path = _saved(tmp_path)
    loaded = checkpoint.load(path)
    x = torch.rand(2, 3, 64, 96) * 2 - 1
    with torch.no_grad():
        assert torch.equal(net.eval()(x), loaded.module(x))
    assert loaded.header.to_dict() == header.to_dict()
    assert not loaded.module.training


def test_header_describes_the_model(tmp_path):
    _, _, path = _saved(tmp_path, "resnet_6blocks", {"ngf": 4})
    h = checkpoint.read_header(path)
    assert h.arch == ArchSpec("resnet_6blocks", {"ngf": 4})
    assert (h.io.in_channels, h.io.out_channels, h.io.value_range, h.io.size_multiple) == (
        3,
        3,
        (-1.0, 1.0),
        4,
    )
    assert (h.task, h.direction, h.name, h.domains) == (
        "pix2pix",
        "BtoA",
        "facades_label2photo",
        ("labels", "photo"),
    )
    assert h.recipe == {"lambda_l1": 100.0, "epochs": 2}
    assert h.format_version == checkpoint.FORMAT_VERSION and h.i2i_version


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    _saved(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["g.i2i.pt"]


def test_newer_format_is_refused(tmp_path):
    _, _, path = _saved(tmp_path)
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = checkpoint.FORMAT_VERSION + 1
    torch.save(payload, path)
    with pytest.raises(I2IError, match="newer than this i2i supports"):
        checkpoint.load(path)


def test_truncated_file_is_refused(tmp_path):
    _, _, path = _saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(I2IError, match="not a readable i2i checkpoint"):
        checkpoint.load(path)


def test_foreign_files_are_refused(tmp_path):
    plain = tmp_path / "plain.pt"
    torch.save({"weight": torch.zeros(1)}, plain)
    with pytest.raises(I2IError, match="not an i2i checkpoint"):
        checkpoint.load(plain)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(I2IError, match="not a readable"):
        checkpoint.load(text)
    with pytest.raises(I2IError, match="not found"):
        checkpoint.load(tmp_path / "missing.pt")


class _Boom:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_loading_never_executes_pickled_code(tmp_path, capsys):
    evil = tmp_path / "evil.pt"
    torch.save(
        {"format": checkpoint.FORMAT, "format_version": 1, "header": "{}", "state_dict": _Boom()}, evil
    )
    with pytest.raises(I2IError):
        checkpoint.load(evil)
    assert "must never run" not in capsys.readouterr().out


def test_weights_that_do_not_fit_are_reported(tmp_path):
    _, _, path = _saved(tmp_path)
    payload = torch.load(path, weights_only=True)
    payload["state_dict"].pop(next(iter(payload["state_dict"])))
    torch.save(payload, path)
    with pytest.raises(I2IError, match="do not fit"):
        checkpoint.load(path)


def test_a_pickle_with_code_is_refused_without_running_it_and_the_message_says_why(tmp_path):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pt"
    torch.save({"payload": _RunsCode(str(marker))}, evil)
    with pytest.raises(I2IError) as refused:
        checkpoint.load(evil)
    assert not marker.exists()
    message = str(refused.value)
    assert message.startswith(f"{evil}: refused: it holds pickled Python objects besides tensors")
    assert "weights_only" not in message  # torch's advice (load it unsafely) is not passed on
    assert "i2i models import PTH --arch ARCH --name NAME" in message


class _RunsCode:
    """Unpickling this object would create ``path``: the stand-in for code in a hostile checkpoint."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))
