"""`i2i models import` / `fetch-official`: reference-layout generators become verified user models whose
ONNX output reproduces the reference implementation's (shared fixtures) and an HTTP-served file."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from i2i.errors import I2IError
from i2i.zoo import resolve_entry

# fixture -> (arch, import options, fixture output key); the legacy-keys variant of resnet_9blocks goes
# through the same converter and is covered by tests/nn/test_reference_parity.py.
FIXTURES = {
    "resnet_9blocks_ngf16_instance": ("resnet_9blocks", {"ngf": 16}, "output"),
    "resnet_6blocks_ngf16_instance_dropout": ("resnet_6blocks", {"ngf": 16, "dropout": True}, "output"),
    "unet_128_ngf8_instance": ("unet_128", {"ngf": 8, "norm": "instance", "dropout": False}, "output"),
    # Exports run batch norm with per-image statistics, as the reference test script does.
    "unet_256_ngf8_batch_dropout": ("unet_256", {"ngf": 8}, "output_batch_statistics"),
}
TOL = 1e-4


def _run_onnx(path: Path, image: np.ndarray) -> np.ndarray:
    from i2i.runtime import TranslatorSession

    return TranslatorSession(path, device="cpu", threads=1)(image)


@pytest.mark.slow
@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_import_reproduces_reference_outputs(fixture, shared_fixtures, zoo_env, tmp_path):
    from i2i import checkpoint
    from i2i.export.importer import import_reference

    data = torch.load(shared_fixtures / f"{fixture}.pt", weights_only=True)
    pth = tmp_path / "latest_net_G.pth"
    torch.save(data["state_dict"], pth)  # as the reference saves it: a bare state dict
    arch, options, key = FIXTURES[fixture]
    if fixture == "resnet_9blocks_ngf16_instance":  # once through the CLI
        from typer.testing import CliRunner

        from i2i.cli.models import app

        args = ["import", str(pth), "--arch", arch, "--ngf", "16", "--name", "ref"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, (result.output, result.exception)
        entry = resolve_entry("ref")
    else:
        entry = import_reference(pth, name="ref", arch=arch, **options)
    assert entry.origin == "user" and entry.arch == arch and resolve_entry("ref") == entry
    out = _run_onnx(entry.path, (data["input"].numpy() + 1) / 2) * 2 - 1
    expected = data[key].numpy()
    assert out.shape == expected.shape
    assert np.abs(out - expected).max() < TOL
    loaded = checkpoint.load(entry.checkpoint_path)  # the i2i checkpoint rebuilds the same network
    assert loaded.header.arch.name == arch and loaded.header.name == "ref"


def test_import_refuses_a_mismatched_architecture(shared_fixtures, zoo_env, tmp_path):
    from i2i.export.importer import import_reference

    data = torch.load(shared_fixtures / "resnet_9blocks_ngf16_instance.pt", weights_only=True)
    pth = tmp_path / "g.pth"
    torch.save(data["state_dict"], pth)
    with pytest.raises(I2IError, match=r"does not fit resnet_9blocks .*shape"):
        import_reference(pth, name="x", arch="resnet_9blocks", ngf=8)
    with pytest.raises(I2IError, match="not a readable state dict"):
        (tmp_path / "junk.pth").write_bytes(b"junk")
        import_reference(tmp_path / "junk.pth", name="x", arch="resnet_9blocks")
    assert not list(zoo_env.user.glob("x.*")), "nothing is left behind"


def reference_resnet_keys(n_blocks: int) -> list[str]:
    """Parameter names of the reference ResnetGenerator (instance norm, no dropout), in order."""
    convs = ["model.1", "model.4", "model.7"]
    convs += [f"model.{10 + i}.conv_block.{j}" for i in range(n_blocks) for j in (1, 5)]
    convs += [f"model.{10 + n_blocks}", f"model.{13 + n_blocks}", f"model.{17 + n_blocks}"]
    return [f"{c}.{leaf}" for c in convs for leaf in ("weight", "bias")]


def test_reference_key_names_match_the_fixture(shared_fixtures):
    data = torch.load(shared_fixtures / "resnet_9blocks_ngf16_instance.pt", weights_only=True)
    assert list(data["state_dict"]) == reference_resnet_keys(9)


@pytest.fixture
def official_server(tmp_path, monkeypatch):
    """A local HTTP server on 127.0.0.1 serving a tiny (ngf 4) apple2orange in the authors' layout."""
    from i2i.nn import build_generator

    torch.manual_seed(3)
    net = build_generator("resnet_9blocks", ngf=4).eval()
    state = dict(zip(reference_resnet_keys(9), net.state_dict().values(), strict=True))
    root = tmp_path / "server"
    (root / "cyclegan/pretrained_models").mkdir(parents=True)
    torch.save(state, root / "cyclegan/pretrained_models/apple2orange.pth")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("I2I_OFFICIAL_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("I2I_INSECURE_DOWNLOADS", "1")  # a local mirror over plain http
    yield net
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_fetch_official_downloads_imports_and_registers(official_server, zoo_env):
    from typer.testing import CliRunner

    from i2i.cli.models import app

    runner = CliRunner()
    result = runner.invoke(app, ["fetch-official", "apple2orange", "--ngf", "4", "--no-progress"])
    assert result.exit_code == 0, (result.output, result.exception)
    entry = resolve_entry("apple2orange-cyclegan")
    assert (entry.task, entry.arch, entry.direction, entry.domains) == (
        "cyclegan", "resnet_9blocks", "AtoB", ("apple", "orange")
    )  # fmt: skip
    assert entry.pair == "apple2orange-cyclegan" and entry.provenance.source.endswith("/apple2orange.pth")
    assert not list((zoo_env.user / ".downloads").iterdir()), "the download is removed after import"
    image = np.random.default_rng(0).random((1, 3, 32, 48), dtype=np.float32)
    with torch.no_grad():
        expected = (official_server(torch.from_numpy(image) * 2 - 1).numpy() + 1) / 2
    assert np.abs(_run_onnx(entry.path, image) - expected).max() < 1e-4

    again = runner.invoke(app, ["fetch-official", "apple2orange", "--ngf", "4", "--no-progress"])
    assert isinstance(again.exception, I2IError) and "exists" in str(again.exception)
    missing = runner.invoke(app, ["fetch-official", "horse2zebra", "--no-progress"])
    assert isinstance(missing.exception, I2IError) and "404" in str(missing.exception)
    ambiguous = runner.invoke(app, ["fetch-official", "sat2map"])
    assert "published for both cyclegan and pix2pix; pass --task" in str(ambiguous.exception)
    unknown = runner.invoke(app, ["fetch-official", "cat2dog"])
    assert "no official model 'cat2dog'; available: apple2orange" in str(unknown.exception)


def test_fetch_official_pins_the_first_download(official_server, zoo_env, tmp_path):
    """The first download's sha256 is recorded; a different file later is refused (issue 17.6)."""
    from typer.testing import CliRunner

    from i2i.cli.models import app
    from i2i.pins import get_pin

    runner = CliRunner()
    args = ["fetch-official", "apple2orange", "--ngf", "4", "--no-progress", "--replace"]
    wrong = runner.invoke(app, [*args, "--sha256", "f" * 64])
    assert isinstance(wrong.exception, I2IError) and f"does not match --sha256 {'f' * 64}" in str(
        wrong.exception
    )
    assert get_pin("official:cyclegan/apple2orange") is None
    assert runner.invoke(app, args).exit_code == 0
    pin = get_pin("official:cyclegan/apple2orange")
    assert pin is not None and pin["url"].endswith("/cyclegan/pretrained_models/apple2orange.pth")

    server_file = tmp_path / "server" / "cyclegan" / "pretrained_models" / "apple2orange.pth"
    server_file.write_bytes(server_file.read_bytes() + b"\0")
    changed = runner.invoke(app, args)
    assert isinstance(changed.exception, I2IError)
    assert f"differs from {pin['sha256']} recorded on" in str(changed.exception)
    assert not list((zoo_env.user / ".downloads").iterdir())
