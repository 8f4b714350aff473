"""Fetching datasets from a local HTTP server: layout, idempotence, resume, truncation, unsafe archives."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from i2i.cli import data as data_cli
from i2i.data.fetch import DatasetWarning, download, fetch_dataset, safe_extract
from i2i.errors import I2IError
from i2i.pins import lock_path

FACADES_URL_PATH = "/pix2pix/datasets/facades.tar.gz"


def _fetch(server, root: Path, name: str = "facades", notes: list[str] | None = None) -> Path:
    sink = notes if notes is not None else []
    return fetch_dataset(name, root, base_url=server.base_url, progress=False, on_warning=sink.append)


def _leftovers(root: Path) -> list[str]:
    """Temporary extraction folders or partial downloads left under the data root."""
    found = [p.name for p in root.glob(".*.extract-*")]
    downloads = root / ".downloads"
    if downloads.is_dir():
        found += [p.name for p in downloads.iterdir() if not p.name.endswith(".lock")]
    return found


def test_cli_fetch_facades_gives_standard_layout_and_second_fetch_uses_no_network(
    http_server, facades_archive, tmp_path, monkeypatch
):
    monkeypatch.setenv("I2I_DATASET_BASE_URL", http_server.base_url)
    root = tmp_path / "datasets"
    runner = CliRunner()

    result = runner.invoke(data_cli.app, ["fetch", "facades", "--data-root", str(root)])

    assert result.exit_code == 0, result.output
    target = root / "facades"
    assert result.stdout.strip().splitlines()[-1] == str(target)
    assert sorted(p.name for p in target.iterdir()) == ["test", "train", "val"]
    assert sorted(p.name for p in (target / "train").iterdir()) == ["1.jpg", "2.jpg", "3.jpg"]
    assert len(list((target / "val").iterdir())) == 2
    assert len(list((target / "test").iterdir())) == 2
    assert "the catalog expects 400" in result.stderr  # tiny archive: counts differ -> warning, not error
    assert _leftovers(root) == []
    assert http_server.count("facades.tar.gz") == 1

    again = runner.invoke(data_cli.app, ["fetch", "facades", "--data-root", str(root)])

    assert again.exit_code == 0, again.output
    assert again.stdout.strip().splitlines()[-1] == str(target)
    assert http_server.count("facades.tar.gz") == 1  # no network the second time


def test_fetch_zip_dataset_and_count_mismatch_notes(http_server, apple2orange_archive, tmp_path):
    notes: list[str] = []
    path = _fetch(http_server, tmp_path / "root", "apple2orange", notes)

    assert path == tmp_path / "root" / "apple2orange"
    assert {p.name: len(list(p.iterdir())) for p in path.iterdir()} == {
        "trainA": 3,
        "trainB": 2,
        "testA": 1,
        "testB": 1,
    }
    url = f"{http_server.base_url}/cyclegan/datasets/apple2orange.zip"
    assert notes[0] == f"--insecure: downloading {url} without TLS; only a sha256 pin protects it"
    assert notes[1].startswith("dataset:apple2orange: sha256 ") and notes[1].endswith(
        f" of {url} trusted on first use, recorded in {lock_path()}; later downloads must match"
    )
    assert notes[2:] == [
        "apple2orange/trainA: 3 images, the catalog expects 995",
        "apple2orange/trainB: 2 images, the catalog expects 1019",
        "apple2orange/testA: 1 images, the catalog expects 266",
        "apple2orange/testB: 1 images, the catalog expects 248",
    ]


def test_count_mismatch_is_a_python_warning_by_default(http_server, facades_archive, tmp_path):
    with pytest.warns(DatasetWarning) as record:
        fetch_dataset("facades", tmp_path / "root", base_url=http_server.base_url, progress=False)
    assert [str(w.message) for w in record][2:] == [
        "facades/train: 3 images, the catalog expects 400",
        "facades/val: 2 images, the catalog expects 100",
        "facades/test: 2 images, the catalog expects 106",
    ]


def test_truncated_download_errors_keeps_part_then_resumes_with_range(http_server, facades_archive, tmp_path):
    root = tmp_path / "root"
    size = facades_archive.stat().st_size
    cut = size // 2
    http_server.state.truncate[FACADES_URL_PATH] = cut  # server closes the connection early

    with pytest.raises(I2IError, match=rf"stopped early \({cut} of {size} bytes\)"):
        _fetch(http_server, root)

    assert not (root / "facades").exists()  # never extracted
    part = root / ".downloads" / "facades.tar.gz.part"
    assert part.stat().st_size == cut

    http_server.state.truncate.clear()
    path = _fetch(http_server, root)

    assert http_server.state.requests[-1] == (FACADES_URL_PATH, f"bytes={cut}-")
    assert len(list((path / "train").iterdir())) == 3
    assert _leftovers(root) == []


def test_part_file_resumes_with_a_range_request(http_server, facades_archive, tmp_path):
    root = tmp_path / "root"
    downloads = root / ".downloads"
    downloads.mkdir(parents=True)
    data = facades_archive.read_bytes()
    (downloads / "facades.tar.gz.part").write_bytes(data[:100])

    _fetch(http_server, root)

    assert http_server.state.requests == [(FACADES_URL_PATH, "bytes=100-")]
    assert (root / "facades" / "test").is_dir()


def test_server_without_range_support_restarts_cleanly(http_server, facades_archive, tmp_path):
    root = tmp_path / "root"
    downloads = root / ".downloads"
    downloads.mkdir(parents=True)
    (downloads / "facades.tar.gz.part").write_bytes(b"garbage that is not the archive's first bytes")
    http_server.state.range_support = False  # answers 200 with the whole file

    _fetch(http_server, root)

    assert http_server.state.requests[0][1] is not None  # we asked for a range...
    assert len(list((root / "facades" / "train").iterdir())) == 3  # ...and the 200 body replaced the .part


def test_part_larger_than_remote_file_restarts(http_server, facades_archive, tmp_path):
    root = tmp_path / "root"
    downloads = root / ".downloads"
    downloads.mkdir(parents=True)
    (downloads / "facades.tar.gz.part").write_bytes(b"x" * (facades_archive.stat().st_size + 10))

    _fetch(http_server, root)  # 416 -> discard the .part -> full download

    assert [r for _, r in http_server.state.requests] == [
        f"bytes={facades_archive.stat().st_size + 10}-",
        None,
    ]
    assert (root / "facades" / "val").is_dir()


def test_download_reports_http_errors(http_server, tmp_path):
    with pytest.raises(I2IError, match="HTTP 404"):
        download(f"{http_server.base_url}/nothing/here.zip", tmp_path / "here.zip", progress=False)


def test_corrupt_archive_is_an_error_and_is_removed(http_server, tmp_path):
    bad = http_server.root / "pix2pix" / "datasets" / "facades.tar.gz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"\x1f\x8b this is not really gzip" * 10)

    with pytest.raises(I2IError, match="corrupt or unreadable archive"):
        _fetch(http_server, tmp_path / "root")

    assert not (tmp_path / "root" / "facades").exists()
    assert _leftovers(tmp_path / "root") == []


def test_archive_missing_a_split_folder_is_an_error(http_server, helpers, tmp_path):
    helpers.build_facades_tar(
        http_server.root / "pix2pix" / "datasets" / "facades.tar.gz", counts={"train": 2, "val": 1}
    )
    with pytest.raises(I2IError, match=r"missing test/"):
        _fetch(http_server, tmp_path / "root")
    assert not (tmp_path / "root" / "facades").exists()
    assert _leftovers(tmp_path / "root") == []


def test_existing_incomplete_folder_is_not_overwritten(tmp_path, monkeypatch):
    monkeypatch.setenv("I2I_INSECURE_DOWNLOADS", "1")  # 127.0.0.1:9 is plain http
    (tmp_path / "facades" / "train").mkdir(parents=True)
    with pytest.raises(I2IError, match=r"exists but is incomplete \(missing val/, test/\)"):
        fetch_dataset("facades", tmp_path, base_url="http://127.0.0.1:9", progress=False)
    assert (tmp_path / "facades" / "train").is_dir()


def test_unknown_dataset_lists_the_catalog(tmp_path):
    with pytest.raises(I2IError, match=r"unknown dataset 'facade'; known datasets: facades, maps, "):
        fetch_dataset("facade", tmp_path)


def test_unreachable_server_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("I2I_INSECURE_DOWNLOADS", "1")  # 127.0.0.1:9 is plain http
    with pytest.raises(
        I2IError, match=re.escape("cannot download http://127.0.0.1:9/pix2pix/datasets/facades.tar.gz")
    ):
        fetch_dataset("facades", tmp_path, base_url="http://127.0.0.1:9", progress=False)


def test_cli_error_is_one_line_with_exit_1(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "i2i.cli.main", "data", "fetch", "no_such_set", "--data-root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "400"},
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: unknown dataset 'no_such_set'; known datasets: "
        + proc.stderr.split("known datasets: ")[1].strip()
    ]
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------------------- unsafe archives


def _tar_with(path: Path, *members: tarfile.TarInfo) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tf:
        for d in ("facades", "facades/train", "facades/val", "facades/test"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            tf.addfile(info)
        for m in members:
            tf.addfile(m, io.BytesIO(b"evil") if m.isfile() else None)
    return path


def _file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 4
    return info


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def _zip_with(path: Path, name: str, *, symlink_to: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for split in ("trainA", "trainB", "testA", "testB"):
            zf.writestr(f"apple2orange/{split}/", b"")
        info = zipfile.ZipInfo(name)
        if symlink_to is not None:
            info.external_attr = (0o120777 << 16) | 0
            zf.writestr(info, symlink_to)
        else:
            zf.writestr(info, b"evil")
    return path


@pytest.mark.parametrize(
    "case",
    [
        "tar-dotdot",
        "tar-absolute",
        "tar-symlink",
        "tar-hardlink",
        "zip-dotdot",
        "zip-absolute",
        "zip-symlink",
    ],
)
def test_malicious_archive_is_refused_and_nothing_is_written_outside(http_server, tmp_path, case):
    root = tmp_path / "root"
    outside = tmp_path / "outside" / "abs.txt"
    srv = http_server.root
    if case.startswith("tar"):
        name, archive = "facades", srv / "pix2pix" / "datasets" / "facades.tar.gz"
        member = {
            "tar-dotdot": lambda: _file("facades/../../evil.txt"),
            "tar-absolute": lambda: _file(str(outside)),
            "tar-symlink": lambda: _link("facades/train/1.jpg", "/etc/passwd", tarfile.SYMTYPE),
            "tar-hardlink": lambda: _link("facades/train/1.jpg", "/etc/passwd", tarfile.LNKTYPE),
        }[case]()
        _tar_with(archive, member)
    else:
        name, archive = "apple2orange", srv / "cyclegan" / "datasets" / "apple2orange.zip"
        if case == "zip-dotdot":
            _zip_with(archive, "apple2orange/../../evil.txt")
        elif case == "zip-absolute":
            _zip_with(archive, str(outside))
        else:
            _zip_with(archive, "apple2orange/trainA/x.jpg", symlink_to="/etc/passwd")

    with pytest.raises(I2IError, match="unsafe archive"):
        _fetch(http_server, root, name)

    assert not (root / name).exists()
    assert not outside.exists()
    assert not (tmp_path / "evil.txt").exists()
    assert not (root / "evil.txt").exists()
    assert _leftovers(root) == []


def test_safe_extract_refuses_before_writing_anything(tmp_path):
    archive = _tar_with(tmp_path / "a.tar.gz", _file("facades/train/ok.jpg"), _file("../evil.txt"))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(I2IError, match=r"entry '\.\./evil\.txt' climbs out"):
        safe_extract(archive, dest)
    assert list(dest.iterdir()) == []


def test_offline_train_names_places_url_and_how_to_pass_data_and_leaves_nothing(tmp_path):
    """`i2i train pix2pix --data maps` without network: one line that says where it looked, which URL it
    tried and how to pass the data; no lock, no empty folders left behind (issue 14.5)."""
    root = tmp_path / "datasets"
    env = {
        **os.environ,
        "I2I_DATA": str(root),
        "I2I_DATASET_BASE_URL": "http://127.0.0.1:9",
        "I2I_INSECURE_DOWNLOADS": "1",
        "COLUMNS": "1000",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "i2i.cli.main",
            "train",
            "pix2pix",
            "--data",
            "maps",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(
        f"error: dataset 'maps' not found (looked in: {tmp_path / 'maps'}, {root / 'maps'}) and the download "
        "from http://127.0.0.1:9/pix2pix/datasets/maps.tar.gz failed ("
    )
    assert lines[0].endswith(
        "); pass the data with --data PATH (a folder with the dataset's split folders), "
        "--data-root DIR (a folder holding maps/), or the environment variable I2I_DATA=DIR"
    )
    assert "Traceback" not in proc.stderr
    assert not root.exists()  # no maps.lock, no .downloads, no empty data root
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no run folder either


def test_failed_fetch_into_an_existing_root_leaves_only_what_was_there(tmp_path, monkeypatch):
    monkeypatch.setenv("I2I_INSECURE_DOWNLOADS", "1")  # 127.0.0.1:9 is plain http
    (tmp_path / "mine").mkdir()
    with pytest.raises(I2IError, match="cannot download"):
        fetch_dataset("facades", tmp_path, base_url="http://127.0.0.1:9", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def _cli_fetch(server, root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "I2I_INSECURE_DOWNLOADS"}
    args = [
        "data",
        "fetch",
        "facades",
        "--data-root",
        str(root),
        "--base-url",
        server.base_url,
        "--no-progress",
    ]
    return subprocess.run(
        [sys.executable, "-m", "i2i.cli.main", *args, *extra],
        capture_output=True, text=True, timeout=120, env={**env, "COLUMNS": "1000"},
    )  # fmt: skip


def test_a_mirror_without_tls_is_refused_before_any_request_unless_insecure(
    http_server, facades_archive, tmp_path
):
    root = tmp_path / "root"
    url = f"{http_server.base_url}{FACADES_URL_PATH}"
    refused = _cli_fetch(http_server, root)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: {url}: refused, not https: the file could be changed on the way and nothing would notice; "
        "use an https mirror, or --insecure (or I2I_INSECURE_DOWNLOADS=1) to download it anyway, checked "
        "only against a sha256 pin (--sha256, or the one recorded by an earlier download)"
    ]
    assert http_server.state.requests == [] and not root.exists()

    accepted = _cli_fetch(http_server, root, "--insecure")
    assert accepted.returncode == 0, accepted.stderr
    lines = accepted.stderr.splitlines()
    assert lines[0] == f"warning: --insecure: downloading {url} without TLS; only a sha256 pin protects it"
    assert lines[1].startswith("warning: dataset:facades: sha256 ") and "trusted on first use" in lines[1]
    assert accepted.stdout.strip() == str(root / "facades")


def test_a_redirect_from_https_to_http_is_refused_unless_insecure():
    import urllib.request

    from i2i.data.transport import _RedirectPolicy

    request = urllib.request.Request("https://mirror.example/facades.tar.gz")
    with pytest.raises(I2IError, match=r"redirected to http://evil\.example/f\.tar\.gz: refused, not https"):
        _RedirectPolicy(insecure=False).redirect_request(
            request, None, 302, "Found", {}, "http://evil.example/f.tar.gz"
        )
    followed = _RedirectPolicy(insecure=True).redirect_request(
        request, None, 302, "Found", {}, "http://evil.example/f.tar.gz"
    )
    assert followed.full_url == "http://evil.example/f.tar.gz"
    kept = _RedirectPolicy(insecure=False).redirect_request(
        request, None, 302, "Found", {}, "https://cdn.example/f.tar.gz"
    )
    assert kept.full_url == "https://cdn.example/f.tar.gz"
