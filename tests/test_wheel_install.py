"""A real, non-editable install works: every command a user runs, from a wheel, outside the source tree.

The wheel is built from a clean copy of the checkout (the files git knows, so a stale ``build/`` folder or a
stray file cannot slip in) and installed into a fresh virtual environment. The environment reaches the
dependencies (torch, onnxruntime, ...) of the Python running the tests through a ``.pth`` line naming its
site-packages folders; such a line adds folders to ``sys.path`` but does not run the ``.pth`` files inside
them, so the editable install of the checkout (a meta-path finder installed by one of those files, which
would answer for any ``i2i.*`` module the wheel lacks) stays out. Commands run through the venv's own ``i2i``
console script from a folder outside the checkout, with their caches in the test's folder and no network.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import site
import socket
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.train.conftest import write_ab_dataset

REPO = Path(__file__).resolve().parents[1]
_IGNORED = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".venv")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    source: Path  # the clean copy the wheel was built from
    python: Path  # the venv's interpreter
    i2i: Path  # the venv's console script
    env: dict[str, str]

    def run(self, cwd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """``i2i ARGS`` through the installed console script, from ``cwd``."""
        return _run([str(self.i2i), *args], cwd, self.env, timeout)


def _run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _clean_copy(dest: Path) -> Path:
    """The checkout's files in ``dest``: tracked and untracked-but-not-ignored ones when git can list them."""
    listed = None
    if (REPO / ".git").exists() and shutil.which("git"):
        result = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=False,
        )
        if result.returncode == 0:
            listed = [name for name in result.stdout.decode().split("\0") if name]
    if listed is None:
        shutil.copytree(REPO, dest, ignore=_IGNORED)
        return dest
    for name in listed:
        source = REPO / name
        if source.is_file():  # a file deleted but not yet committed is listed and absent
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def _dependency_folders() -> list[str]:
    """Where this interpreter finds the dependencies: its site-packages folders, including those another
    ``.pth`` line put on its path (never the checkout, which is not a site-packages folder)."""
    candidates = [*site.getsitepackages(), *sys.path]
    if site.ENABLE_USER_SITE:
        candidates.append(site.getusersitepackages())
    folders = [
        f for f in candidates if f and Path(f).name in ("site-packages", "dist-packages") and Path(f).is_dir()
    ]
    return list(dict.fromkeys(folders))


# Imported by a .pth line of the "no extras" venv: torch and the other `train` extra packages cannot be
# imported there, as after `pip install i2i` (their folders stay on the path for the other packages).
_BLOCK_TRAIN_EXTRA = """
import importlib.abc
import sys


class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torchvision", "onnxscript", "triton"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
"""


def _plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> tuple[Path, Path]:
    """(the wheel, the clean copy of the checkout it was built from)."""
    pytest.importorskip("setuptools")
    work = tmp_path_factory.mktemp("wheel")
    source = _clean_copy(work / "source")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(work / "dist"), str(source)],
        work,
        _plain_env(),
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("i2i-*.whl")
    return wheel, source


def _install(wheel: Path, source: Path, work: Path, train_extra: bool = True) -> Installed:
    """A new venv in ``work`` with the wheel installed and the dependencies reachable (but not the
    ``train`` extra's packages unless ``train_extra``)."""
    plain_env = _plain_env()
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work, plain_env
    )
    site_dir = Path(purelib.stdout.strip())
    (site_dir / "i2i_test_dependencies.pth").write_text("\n".join(_dependency_folders()) + "\n")
    if not train_extra:
        (site_dir / "i2i_test_no_train_extra.py").write_text(_BLOCK_TRAIN_EXTRA)
        (site_dir / "i2i_test_no_train_extra.pth").write_text("import i2i_test_no_train_extra\n")
    done = _run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], work, plain_env
    )
    assert done.returncode == 0, done.stderr

    env = {
        **plain_env,
        "PATH": f"{env_dir / 'bin'}{os.pathsep}{plain_env.get('PATH', '')}",
        "I2I_MODELS_DIR": str(work / "user-models"),
        "XDG_CACHE_HOME": str(work / "cache"),
        "I2I_DATA": str(work / "datasets"),
        "I2I_OFFLINE": "1",
    }
    for name in ("I2I_WEIGHTS_DIR", "I2I_RUNTIME", "VIRTUAL_ENV"):  # the user's defaults, not the suite's
        env.pop(name, None)
    return Installed(wheel, source, python, env_dir / "bin" / "i2i", env)


@pytest.fixture(scope="module")
def installed(built_wheel, tmp_path_factory) -> Installed:
    """The wheel with the ``train`` extra's packages, as after ``pip install "i2i[train]"``."""
    return _install(*built_wheel, tmp_path_factory.mktemp("full"))


@pytest.fixture(scope="module")
def installed_without_extras(built_wheel, tmp_path_factory) -> Installed:
    """The wheel as ``pip install i2i`` leaves it: no torch."""
    return _install(*built_wheel, tmp_path_factory.mktemp("light"), train_extra=False)


def _installed_package(installed: Installed) -> Path:
    lib = next((installed.python.parent.parent / "lib").glob("python3*/site-packages"))
    return lib / "i2i"


def test_every_module_and_data_file_of_the_tree_is_in_the_wheel(installed):
    """The wheel holds exactly the package's files: every module, asset, page file and shipped model."""
    source = installed.source
    expected = {
        path.relative_to(source).as_posix()
        for path in (source / "i2i").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    expected |= {f"i2i/weights/{path.name}" for path in (source / "weights").iterdir() if path.is_file()}
    packed = {name for name in zipfile.ZipFile(installed.wheel).namelist() if ".dist-info/" not in name}
    assert sorted(expected - packed) == [], "missing from the wheel"
    assert sorted(packed - expected) == [], "in the wheel but not in the tree"
    assert {"i2i/eval/paired.py", "i2i/optimize/neural_style.py", "i2i/weights/registry.toml"} <= packed


def test_every_module_folder_is_a_regular_package():
    """A folder of modules without ``__init__.py`` is a namespace package: easy to leave out of an install."""
    folders = {path.parent for path in (REPO / "i2i").rglob("*.py") if "__pycache__" not in path.parts}
    assert sorted(str(f.relative_to(REPO)) for f in folders if not (f / "__init__.py").is_file()) == []


_IMPORT_ALL = """
import importlib, json, pkgutil, sys
import i2i
names = [m.name for m in pkgutil.walk_packages(i2i.__path__, "i2i.") if not m.name.endswith(".__main__")]
for name in names:
    importlib.import_module(name)
editable = [m for m in sys.modules if m.startswith("__editable__")]
print(json.dumps({"file": i2i.__file__, "modules": names, "editable": editable}))
"""


def _module_names(source: Path) -> set[str]:
    """Dotted names of the modules and packages below ``i2i`` in a source tree (no ``__main__``)."""
    names = set()
    for path in (source / "i2i").rglob("*.py"):
        parts = path.relative_to(source).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] != "__main__" and len(parts) > 1:
            names.add(".".join(parts))
    return names


@pytest.mark.slow
def test_every_module_imports_from_the_venv_and_not_from_the_checkout(installed, tmp_path):
    result = _run([str(installed.python), "-c", _IMPORT_ALL], tmp_path, installed.env)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["file"]).resolve().is_relative_to(_installed_package(installed).resolve())
    assert found["editable"] == []  # the checkout's editable finder is not on this path
    assert sorted(_module_names(installed.source) - set(found["modules"])) == []
    assert sorted(set(found["modules"]) - _module_names(installed.source)) == []


@pytest.mark.slow
def test_wheel_install_runs_the_shipped_models(installed, tmp_path):
    package = _installed_package(installed)
    before = _package_files(package)

    demo = installed.run(tmp_path, "demo", "--no-progress")
    assert demo.returncode == 0, demo.stderr
    assert len(list((tmp_path / "i2i-demo").glob("*.png"))) == 4

    apples = package / "assets" / "samples" / "apples"
    translated = installed.run(
        tmp_path, "translate", "-m", "apple2orange", str(apples), "oranges", "--no-progress"
    )
    assert translated.returncode == 0, translated.stderr
    assert "4 translated" in translated.stderr
    assert "fetch-official apple2orange" in translated.stderr  # the one-line note on shipped stand-ins

    styled = installed.run(tmp_path, "stylize", "--model", "starry", str(apples), "starry")
    assert styled.returncode == 0, styled.stderr
    assert len(list((tmp_path / "starry").glob("*.jpg"))) == 4

    listing = installed.run(tmp_path, "models", "list")
    assert listing.returncode == 0 and str(package / "weights") in listing.stderr
    assert {line.split()[0] for line in listing.stdout.splitlines()[1:]} >= {
        "facades_label2photo",
        "apple2orange",
        "orange2apple",
        "starry",
    }
    assert _package_files(package) == before  # nothing was written into the installed package


def _package_files(package: Path) -> set[Path]:
    return {p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def _random_backbones(folder: Path) -> tuple[Path, Path]:
    """Randomly initialised VGG16 and Inception-v3 weights in torchvision's layout (no download)."""
    import torch
    import torchvision

    torch.manual_seed(0)
    vgg = folder / "vgg16_random.pt"
    torch.save(torchvision.models.vgg16(weights=None).state_dict(), vgg)
    inception = folder / "inception_random.pt"
    model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=True)
    torch.save(model.state_dict(), inception)
    return vgg, inception


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, data: bytes | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(request, timeout=60) as reply:
        return reply.status, reply.headers.get("Content-Type", ""), reply.read()


def _serve_one_request(installed: Installed, cwd: Path, model: Path, photo: Path) -> None:
    """``i2i serve`` starts, answers /health, the page and one translation, and stops on Ctrl-C."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    args = [str(installed.i2i), "serve", "--models", str(model), "--port", str(port), "--threads", "1"]
    proc = subprocess.Popen(args, cwd=cwd, env=installed.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.communicate()[1].decode()
            try:
                if _get(f"{url}/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "i2i serve did not become healthy"
            time.sleep(0.2)
        status, kind, page = _get(f"{url}/")
        assert status == 200 and kind.startswith("text/html") and b"<html" in page
        status, kind, body = _get(f"{url}/v1/translate?model=tiny_A2B", photo.read_bytes())
        assert status == 200 and kind.startswith("image/")
        with Image.open(io.BytesIO(body)) as reply:
            assert reply.size == Image.open(photo).size
    finally:
        proc.send_signal(2)  # SIGINT, as Ctrl-C
        try:
            _, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode in (0, 130), stderr.decode()  # 130: stopped by SIGINT, as the shell reports
    assert "serving 1 model(s)" in stderr.decode()


@pytest.mark.slow
def test_every_command_runs_from_the_wheel(installed, tmp_path):
    """train (1 step) -> export -> translate -> eval; Gatys stylize; DeepDream; serve and one request."""
    data = write_ab_dataset(tmp_path / "tiny", n_train=2, n_val=2, size=32)
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.effect_mandelbrot((160, 120), (-2, -1.2, 1, 1.2), 60).convert("RGB").save(photos / "photo.jpg")
    vgg, inception = _random_backbones(tmp_path)

    trained = installed.run(
        tmp_path, "train", "pix2pix", "--data", str(data), "--net-g", "unet", "--num-downs", "5",
        "--ngf", "4", "--ndf", "4", "--image-size", "32", "--max-steps", "1", "--workers", "0",
        "--out", "run",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert (tmp_path / "run" / "generator.pt").is_file()

    exported = installed.run(tmp_path, "export", "run/generator.pt", "-o", "tiny.onnx")
    assert exported.returncode == 0, exported.stderr
    assert "verified: onnxruntime vs torch" in exported.stdout + exported.stderr

    translated = installed.run(tmp_path, "translate", "-m", "tiny.onnx", "photos", "out", "--no-progress")
    assert translated.returncode == 0, translated.stderr
    assert "1 translated, 0 skipped, 0 failed" in translated.stderr
    with Image.open(tmp_path / "out" / "photo.jpg") as out:
        assert out.size == (160, 120)

    scored = installed.run(
        tmp_path, "eval", "paired", "-m", "tiny.onnx", "--data", str(data), "--split", "val",
        "--lpips", "none", "--json",
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    assert '"images": 2' in scored.stdout

    styled = installed.run(
        tmp_path, "stylize", "--style", "starry", "photos/photo.jpg", "-o", "styled.png", "--size", "128",
        "--iterations", "2", "--backbone", "vgg16", "--backbone-weights", str(vgg),
    )  # fmt: skip
    assert styled.returncode == 0, styled.stderr
    with Image.open(tmp_path / "styled.png") as out:
        assert max(out.size) == 128 and np.asarray(out).std() > 0

    dreamed = installed.run(
        tmp_path, "dream", "photos/photo.jpg", "-o", "dream.png", "--octaves", "1", "--steps", "2",
        "--layers", "mixed2:1.0", "--backbone-weights", str(inception),
    )  # fmt: skip
    assert dreamed.returncode == 0, dreamed.stderr
    with Image.open(tmp_path / "dream.png") as out:
        assert out.size == (160, 120)

    _serve_one_request(installed, tmp_path, tmp_path / "tiny.onnx", photos / "photo.jpg")


@pytest.mark.slow
def test_without_the_train_extra_models_run_and_torch_commands_name_the_extra(
    installed_without_extras, tmp_path
):
    light = installed_without_extras
    blocked = _run([str(light.python), "-c", "import torch"], tmp_path, light.env)
    assert blocked.returncode == 1 and "No module named 'torch'" in blocked.stderr

    demo = light.run(tmp_path, "demo", "--no-progress")
    assert demo.returncode == 0, demo.stderr
    apples = _installed_package(light) / "assets" / "samples" / "apples"
    translated = light.run(
        tmp_path, "translate", "-m", "apple2orange", str(apples), "oranges", "--no-progress"
    )
    assert translated.returncode == 0, translated.stderr
    assert "4 translated" in translated.stderr

    doctor = light.run(tmp_path, "doctor")
    assert doctor.returncode == 0, doctor.stderr
    assert 'torch: not installed (pip install "i2i[train]")' in doctor.stdout

    photo = tmp_path / "photo.jpg"
    Image.effect_mandelbrot((64, 48), (-2, -1.2, 1, 1.2), 60).convert("RGB").save(photo)
    for args, command in (
        (["stylize", "--style", "starry", str(photo)], "i2i stylize"),
        (["dream", str(photo)], "i2i dream"),
        (["train", "pix2pix", "--data", str(tmp_path)], "i2i train pix2pix"),
    ):
        result = light.run(tmp_path, *args)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(
            f"error: `{command}` needs torch, which a plain `pip install i2i` leaves out"
        )
        assert 'pip install "i2i[train]"' in lines[0] and "download.pytorch.org/whl/cpu" in lines[0]
