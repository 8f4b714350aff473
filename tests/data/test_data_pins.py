"""Dataset archives are pinned by sha256 on first download and checked afterwards; `i2i data verify`
checks the extracted files (issue 17.6)."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from i2i.cli import data as data_cli
from i2i.data.fetch import fetch_dataset, verify_dataset
from i2i.errors import I2IError
from i2i.pins import lock_path, sha256_file


def _fetch(server, root, **kwargs):
    return fetch_dataset(
        "facades", root, base_url=server.base_url, progress=False, on_warning=lambda _: None, **kwargs
    )


def test_first_download_records_the_sum_and_a_changed_archive_is_refused(
    http_server, facades_archive, tmp_path
):
    expected = sha256_file(facades_archive)
    _fetch(http_server, tmp_path / "one")
    pin = json.loads(lock_path().read_text())["pins"]["dataset:facades"]
    assert pin["sha256"] == expected
    assert pin["url"] == f"{http_server.base_url}/pix2pix/datasets/facades.tar.gz"
    assert pin["files"] == 7 and len(pin["tree_sha256"]) == 64

    http_server.state.root.joinpath("pix2pix/datasets/facades.tar.gz").write_bytes(
        facades_archive.read_bytes() + b"\0" * 512  # same content, different bytes: a changed file
    )
    with pytest.raises(I2IError) as caught:
        _fetch(http_server, tmp_path / "two")
    message = str(caught.value)
    assert f"differs from {expected} recorded on " in message and str(lock_path()) in message
    assert not (tmp_path / "two" / "facades").exists()
    assert not (tmp_path / "two" / ".downloads" / "facades.tar.gz").exists()  # the download was removed


def test_sha256_option_pins_the_first_download(http_server, facades_archive, tmp_path):
    with pytest.raises(I2IError, match=r"does not match --sha256 0{64}; the download was removed"):
        _fetch(http_server, tmp_path / "a", sha256="0" * 64)
    assert not lock_path().exists()  # nothing recorded for a refused file
    assert _fetch(http_server, tmp_path / "b", sha256=sha256_file(facades_archive).upper()).is_dir()
    with pytest.raises(I2IError, match="--sha256 must be 64 hex digits"):
        _fetch(http_server, tmp_path / "c", sha256="abc")


def test_data_verify_finds_changed_files(http_server, facades_archive, tmp_path):
    root = tmp_path / "root"
    target = _fetch(http_server, root)
    runner = CliRunner()
    ok = runner.invoke(data_cli.app, ["verify", "facades", "--data-root", str(root)])
    assert ok.exit_code == 0, ok.output
    assert "7 files match the download of" in " ".join(ok.output.split())

    victim = next((target / "train").iterdir())
    victim.write_bytes(victim.read_bytes() + b"x")
    with pytest.raises(I2IError, match=r"files differ from those fetched on .* \(7 files now, 7 then\)"):
        verify_dataset("facades", root)
    os.remove(victim)
    with pytest.raises(I2IError, match=r"\(6 files now, 7 then\)"):
        verify_dataset("facades", root)
