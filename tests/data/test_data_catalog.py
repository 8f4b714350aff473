"""The dataset catalog, data-root resolution and `i2i data list`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from i2i.cli import data as data_cli
from i2i.data.catalog import CATALOG, DEFAULT_BASE_URL, catalog_names, get_entry
from i2i.data.resolve import default_data_root, resolve_dataset
from i2i.errors import I2IError

PIX2PIX = ["facades", "maps", "cityscapes", "edges2shoes", "edges2handbags", "night2day"]
CYCLEGAN = [
    "apple2orange",
    "horse2zebra",
    "summer2winter_yosemite",
    "monet2photo",
    "cezanne2photo",
    "ukiyoe2photo",
    "vangogh2photo",
    "iphone2dslr_flower",
]


def test_catalog_holds_the_pix2pix_and_cyclegan_sets():
    assert catalog_names() == PIX2PIX + CYCLEGAN
    for name in PIX2PIX:
        entry = CATALOG[name]
        assert (entry.kind, entry.archive) == ("aligned", "tar.gz")
        assert entry.url() == f"{DEFAULT_BASE_URL}/pix2pix/datasets/{name}.tar.gz"
        assert entry.side_a and entry.side_b
    for name in CYCLEGAN:
        entry = CATALOG[name]
        assert (entry.kind, entry.archive) == ("unaligned", "zip")
        assert entry.url() == f"https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{name}.zip"
        assert entry.split_names == ("trainA", "trainB", "testA", "testB")


def test_catalog_counts_and_sides_for_the_documented_sets():
    assert dict(get_entry("facades").splits) == {"train": 400, "val": 100, "test": 106}
    assert (get_entry("facades").side_a, get_entry("facades").side_b) == ("photo", "labels")
    assert dict(get_entry("maps").splits) == {"train": 1096, "val": 1098}
    assert (get_entry("maps").side_a, get_entry("maps").side_b) == ("aerial", "map")
    assert dict(get_entry("apple2orange").splits) == {
        "trainA": 995,
        "trainB": 1019,
        "testA": 266,
        "testB": 248,
    }
    assert get_entry("edges2shoes").expected_count("train") is None  # unknown, not invented


def test_base_url_override_by_argument_and_environment(monkeypatch):
    entry = get_entry("apple2orange")
    assert entry.url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/cyclegan/datasets/apple2orange.zip"
    monkeypatch.setenv("I2I_DATASET_BASE_URL", "http://mirror.example")
    assert entry.url() == "http://mirror.example/cyclegan/datasets/apple2orange.zip"


def test_default_data_root(monkeypatch, tmp_path):
    monkeypatch.setenv("I2I_DATA", str(tmp_path / "d"))
    assert default_data_root() == tmp_path / "d"
    monkeypatch.delenv("I2I_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_data_root() == tmp_path / "cache" / "i2i" / "datasets"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_root() == tmp_path / "home" / ".cache" / "i2i" / "datasets"


def test_resolve_existing_path_then_data_root_then_fetch(http_server, facades_archive, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    assert resolve_dataset(str(folder)) == folder

    root = tmp_path / "root"
    (root / "maps").mkdir(parents=True)
    assert resolve_dataset("maps", data_root=root, fetch=False) == root / "maps"

    notes: list[str] = []
    got = resolve_dataset(
        "facades", data_root=root, base_url=http_server.base_url, progress=False, on_warning=notes.append
    )
    assert got == root / "facades" and (got / "test").is_dir()
    assert http_server.count("facades.tar.gz") == 1


def test_resolve_errors(tmp_path):
    with pytest.raises(I2IError, match=r"'horse2zebra' is not under .*; run `i2i data fetch horse2zebra`"):
        resolve_dataset("horse2zebra", data_root=tmp_path, fetch=False)
    with pytest.raises(
        I2IError, match=r"'zebras' is neither a folder nor a dataset .*known datasets: facades"
    ):
        resolve_dataset("zebras", data_root=tmp_path)
    with pytest.raises(I2IError, match=r"no such folder"):
        resolve_dataset(str(tmp_path / "missing" / "dir"), data_root=tmp_path)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(I2IError, match="is a file, expected a dataset folder"):
        resolve_dataset(str(tmp_path / "file.txt"))


def test_cli_list_shows_catalog_and_local_presence(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    for split in ("train", "val", "test"):
        (tmp_path / "facades" / split).mkdir(parents=True)
    (tmp_path / "maps" / "train").mkdir(parents=True)

    result = CliRunner().invoke(data_cli.app, ["list", "--data-root", str(tmp_path)])

    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("│")}
    assert set(rows) == set(PIX2PIX + CYCLEGAN)
    assert "train 400, val 100, test 106" in rows["facades"]
    assert rows["facades"].rstrip(" │").endswith("yes")
    assert rows["maps"].rstrip(" │").endswith("incomplete")
    assert rows["horse2zebra"].rstrip(" │").endswith("no")
    assert "train ?, val ?" in rows["edges2shoes"]
    assert str(tmp_path) in result.stdout


def test_torch_free_modules_do_not_import_torch():
    code = (
        "import sys\n"
        "import i2i.imageio, i2i.data, i2i.data.catalog, i2i.data.fetch, i2i.data.resolve, "
        "i2i.data.transforms, i2i.cli.data\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_cli_module_exposes_a_typer_app():
    import typer

    assert isinstance(data_cli.app, typer.Typer)
    assert Path(data_cli.__file__).name == "data.py"
