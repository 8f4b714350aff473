"""`i2i translate --ray` and `i2i.translate_ray`: the same bytes as the single-machine path, on a local Ray
runtime (2 CPUs, 127.0.0.1, no dashboard) whose workers cannot import torch.

Starting Ray takes seconds on a small machine, so there are few tests: one CLI run (its own runtime) and
API runs sharing one module-scoped runtime. Tests that need Ray skip when it is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from i2i.errors import I2IError

REPO = Path(__file__).resolve().parents[2]


def _has_ray() -> bool:
    try:
        return importlib.util.find_spec("ray") is not None
    except ImportError:
        return False


HAS_RAY = _has_ray()
# Ray Data's own DataContext warns about its deprecated fields; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data")
needs_ray = pytest.mark.skipif(not HAS_RAY, reason='ray not installed (pip install "i2i[ray]")')

# Makes the listed top-level modules unimportable in every process that starts with this on PYTHONPATH
# (the CLI process, and through it the Ray workers it starts).
_BLOCKER = """
import os, sys

_BLOCKED = set(filter(None, os.environ.get("I2I_TEST_BLOCK", "").split(",")))


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"{name} is blocked in this test", name=name)
        return None


sys.meta_path.insert(0, _Blocker())
"""

_RUNNER = """
import sys
from i2i.cli.main import run
sys.argv = ["i2i", *sys.argv[1:]]
try:
    run()
    code = 0
except SystemExit as exc:
    code = exc.code or 0
print("MODULES", "torch" in sys.modules, "ray" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


def _blocker_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "blocker"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(_BLOCKER)
    return folder


def _i2i(
    *args: str, block: str = "", tmp_path: Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter (in ``cwd``) where the modules in ``block`` cannot be imported."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(_blocker_dir(tmp_path)), str(REPO)])
    env["I2I_TEST_BLOCK"] = block
    return subprocess.run(
        [sys.executable, "-c", _RUNNER, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=cwd,
    )


def _corpus(root: Path, make_image) -> Path:
    """Sub-folders, two sizes shared by two images each (batched together), jpg and png, one corrupt."""
    make_image(root / "a.png", (21, 17), seed=1)
    make_image(root / "b.png", (21, 17), seed=2)
    make_image(root / "sub/c.jpg", (16, 16), seed=3)
    make_image(root / "sub/deep/d.jpg", (16, 16), seed=4)
    make_image(root / "sub/deep/e.png", (30, 9), seed=5)
    (root / "sub/bad.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    return root


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


EXPECTED = {"a.png", "b.png", "sub/c.jpg", "sub/deep/d.jpg", "sub/deep/e.png"}


def test_ray_missing_or_bad_address_is_one_line(tmp_path, tiny_model, make_image):
    image = make_image(tmp_path / "x.png", (8, 8))
    args = ["translate", "-m", str(tiny_model.path), str(image), str(tmp_path / "o")]
    missing = _i2i(*args, "--ray", "local", block="ray", tmp_path=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.splitlines()[0] == (
        'error: running on Ray needs Ray Data, which is not installed: pip install "i2i[ray]"'
    )
    bad = _i2i(*args, "--ray", "in_dir", tmp_path=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: --ray 'in_dir': an address is 'local', 'auto', HOST:PORT or")
    assert not (tmp_path / "o").exists()


#: Byte-identical output is a float32 promise: OpenVINO's bf16 results depend on the thread count (its
#: reductions split differently), and Ray's CPU actors run one thread each.
EXACT = ("--runtime", "onnxruntime", "--precision", "fp32")


@needs_ray
def test_cli_ray_local_writes_the_same_bytes_without_torch(tmp_path, tiny_model, make_image):
    _corpus(tmp_path / "in", make_image)  # relative paths: reports must name files as given
    model = str(tiny_model.path)
    single = _i2i(
        "translate", "-m", model, "in", "one", "--no-progress", *EXACT, tmp_path=tmp_path, cwd=tmp_path
    )
    assert single.returncode == 1, single.stderr
    on_ray = _i2i(
        *("translate", "-m", model, "in", "ray", "--no-progress", "--ray", "local", "--batch", "2", *EXACT),
        block="torch",
        tmp_path=tmp_path,
        cwd=tmp_path,
    )
    assert on_ray.returncode == 1, on_ray.stderr
    assert "\nfailed: in/sub/bad.png: not a recognised image file\n" in on_ray.stderr
    assert "5 translated, 0 skipped, 1 failed" in on_ray.stderr and "on cpu; Ray: 1 node(s)" in on_ray.stderr
    assert "MODULES False True" in on_ray.stderr  # torch unimportable here and in the workers
    ours, theirs = _files(tmp_path / "ray"), _files(tmp_path / "one")
    assert set(ours) == EXPECTED
    assert ours == theirs


@pytest.fixture(scope="module")
def ray_local(tmp_path_factory):
    """A local Ray runtime for this module: 2 CPUs, 127.0.0.1, no dashboard, workers without torch."""
    if not HAS_RAY:
        pytest.skip('ray not installed (pip install "i2i[ray]")')
    import ray

    blocker = _blocker_dir(tmp_path_factory.mktemp("ray"))
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": f"{blocker}{os.pathsep}{REPO}", "I2I_TEST_BLOCK": "torch"}},
    )
    yield ray
    ray.shutdown()


@needs_ray
def test_api_with_uris_matches_single_machine_and_skips_existing(tmp_path, ray_local, tiny_model, make_image):
    import i2i
    from i2i.runtime import TranslateOptions

    src = _corpus(tmp_path / "in", make_image)
    single = _i2i(
        *("translate", "-m", str(tiny_model.path), str(src), str(tmp_path / "one")),
        *("--format", "png", "--tile", "12", "--overlap", "4", "--no-progress", *EXACT),
        tmp_path=tmp_path,
    )
    assert single.returncode == 1, single.stderr
    results: list[tuple[str, str]] = []
    summary = i2i.translate_ray(
        [src.as_uri()],
        (tmp_path / "ray").as_uri(),
        tiny_model.path,
        fmt="png",
        options=TranslateOptions(tile=12, overlap=4, batch=2),
        runtime="onnxruntime",
        precision="fp32",
        on_result=lambda source, status, reason: results.append((source, status)),
    )
    assert (summary.done, summary.skipped, summary.providers) == (5, 0, {"cpu"})
    assert [(f.source, f.reason) for f in summary.failures] == [
        (f"{src.as_uri()}/sub/bad.png", "not a recognised image file")
    ]
    assert sorted(results) == sorted(
        [(f"{src.as_uri()}/{name}", "done") for name in EXPECTED]
        + [(f"{src.as_uri()}/sub/bad.png", "failed")]
    )
    ours = _files(tmp_path / "ray")
    assert set(ours) == {str(Path(name).with_suffix(".png").as_posix()) for name in EXPECTED}
    assert ours == _files(tmp_path / "one")

    (tmp_path / "ray/a.png").write_bytes(b"kept")
    again = i2i.translate_ray([src], tmp_path / "ray", str(tiny_model.path), fmt="png")
    assert (again.done, again.skipped, len(again.failures)) == (0, 5, 1)
    assert (tmp_path / "ray/a.png").read_bytes() == b"kept"


@needs_ray
def test_gpu_device_on_a_cluster_without_gpus_is_refused(tmp_path, ray_local, tiny_model, make_image):
    import i2i

    image = make_image(tmp_path / "x.png", (8, 8))
    with pytest.raises(I2IError, match=r"^--device cuda: the Ray cluster has no GPUs"):
        i2i.translate_ray([image], tmp_path / "o", tiny_model.path, device="cuda")
    assert not (tmp_path / "o").exists()


def test_stages_without_a_cluster_report_object_store_problems(tmp_path, tiny_model, make_image):
    """The worker stages run as plain functions: an object that cannot be read and an existing object
    (no --overwrite) are per-file failures; the good image is written through the filesystem."""
    pafs = pytest.importorskip("pyarrow.fs")
    import numpy as np

    from i2i.runtime import Job, TranslateOptions, TranslatorSession, translate_jobs
    from i2i.runtime.ray_stages import InferStage, read_stage, write_stage

    fs = pafs.LocalFileSystem()
    good = make_image(tmp_path / "in/good.png", (10, 7))
    (tmp_path / "out").mkdir()
    (tmp_path / "out/taken.png").write_bytes(b"kept")
    rows = [  # (source, target): a good image, a missing object, a good image whose output exists
        (good, tmp_path / "out/sub/good.png"),
        (tmp_path / "in/gone.png", tmp_path / "out/gone.png"),
        (good, tmp_path / "out/taken.png"),
    ]
    batch = {
        "source": np.array([f"s3://b/{i}" for i in range(3)], dtype=object),
        "target": np.array([f"s3://o/{i}" for i in range(3)], dtype=object),
        "source_fs": np.zeros(3, dtype=np.int64),
        "source_path": np.array([str(s) for s, _ in rows], dtype=object),
        "target_path": np.array([str(t) for _, t in rows], dtype=object),
    }
    decoded = read_stage(batch, filesystems=[fs], resize=None)
    assert decoded["error"][1].startswith("cannot read (") and decoded["error"][0] == ""
    infer = InferStage(
        tiny_model.path.read_bytes(),
        "tiny.onnx",
        lambda path: TranslatorSession(path, device="cpu", threads=1),
        multiple=4,
        in_channels=3,
        options=TranslateOptions(),
    )
    report = write_stage(infer(decoded), out_fs=fs, quality=95, overwrite=False)
    assert list(report["status"]) == ["done", "failed", "failed"]
    assert report["reason"][2] == "already exists (pass overwrite=True / --overwrite to replace it)"
    assert (tmp_path / "out/taken.png").read_bytes() == b"kept"
    expected = tmp_path / "single/good.png"
    session = TranslatorSession(tiny_model.path, device="cpu", threads=1)
    translate_jobs(session, [Job(good, expected)], multiple=4)
    assert (tmp_path / "out/sub/good.png").read_bytes() == expected.read_bytes()
    assert list(report["provider"]) == ["cpu"] * 3
