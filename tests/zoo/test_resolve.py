"""Name and direction resolution, the sha256 check and its cache, registry validation, user models."""

from __future__ import annotations

import json
import os

import pytest

from i2i.errors import I2IError
from i2i.zoo import load_zoo, resolve_entry, resolve_path
from i2i.zoo.manage import add_user_onnx, remove_user, ship_onnx
from i2i.zoo.store import load_shipped
from tests.zoo.helpers import PROVENANCE


def _ship_pair(tiny, samples=None):
    ab = ship_onnx("apple2orange", tiny.onnx_ab, licence="CC0", provenance=PROVENANCE, pair="apple2orange",
                   samples=samples, quality={"fid": 1.5, "note": "tiny"})  # fmt: skip
    ba = ship_onnx("orange2apple", tiny.onnx_ba, licence="CC0", provenance=PROVENANCE, pair="apple2orange")
    return ab, ba


def test_ship_writes_a_valid_registry_and_names_resolve_with_direction(zoo_env, tiny):
    ab, _ = _ship_pair(tiny)
    shipped = load_shipped()
    assert list(shipped) == ["apple2orange", "orange2apple"]
    entry = shipped["apple2orange"]
    assert entry == ab and entry.path == zoo_env.weights / "apple2orange.onnx"
    assert (entry.task, entry.arch, entry.arch_kwargs, entry.size_multiple) == (
        "cyclegan", "resnet_6blocks", {"ngf": 4}, 4
    )  # fmt: skip
    assert (entry.direction, entry.domains, entry.pair) == ("AtoB", ("apple", "orange"), "apple2orange")
    assert entry.provenance.steps == 2 and entry.quality == {"fid": 1.5, "note": "tiny"}
    assert resolve_path("apple2orange") == zoo_env.weights / "apple2orange.onnx"
    assert resolve_path("apple2orange", "AtoB").name == "apple2orange.onnx"
    assert resolve_path("apple2orange", "BtoA").name == "orange2apple.onnx"
    assert resolve_path("orange2apple", "AtoB").name == "apple2orange.onnx"
    with pytest.raises(I2IError, match="already has a model called 'apple2orange'"):
        ship_onnx("apple2orange", tiny.onnx_ab, licence="CC0", provenance=PROVENANCE)


def test_unknown_names_and_missing_partners(zoo_env, tiny):
    with pytest.raises(I2IError, match="unknown model 'nope': no named models are installed"):
        resolve_path("nope")
    ship_onnx("solo", tiny.onnx_ab, licence="CC0", provenance=PROVENANCE)
    with pytest.raises(I2IError, match=r"unknown model 'nope'; known: solo \(see `i2i models list`\)"):
        resolve_path("nope")
    with pytest.raises(I2IError, match="translates AtoB only and has no BtoA partner"):
        resolve_path("solo", "BtoA")
    ship_onnx("half", tiny.onnx_ab, licence="CC0", provenance=PROVENANCE, pair="p")
    with pytest.raises(I2IError, match="its pair 'p' has no BtoA model"):
        resolve_path("half", "BtoA")


def test_sha256_mismatch_is_a_clear_error_and_checks_are_cached(zoo_env, tiny, monkeypatch):
    import i2i.zoo.verify as verify

    _ship_pair(tiny)
    path = resolve_path("apple2orange")  # hashes and caches
    cache = json.loads((zoo_env.cache / "i2i" / "verified-models.json").read_text())
    assert cache[str(path.resolve())]["sha256"] == load_shipped()["apple2orange"].sha256
    verify.clear_memo()  # a new process: only the on-disk cache is left

    def no_hashing(_path):
        raise AssertionError("hashed again although the file did not change")

    monkeypatch.setattr(verify, "sha256_file", no_hashing)
    assert resolve_path("apple2orange") == path
    monkeypatch.undo()
    monkeypatch.setenv("I2I_WEIGHTS_DIR", str(zoo_env.weights))
    monkeypatch.setenv("XDG_CACHE_HOME", str(zoo_env.cache))
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(1, 1))  # a new file version even on coarse mtime clocks
    with pytest.raises(
        I2IError, match=r"model 'apple2orange': .* has sha256 \w+\.\.\., the registry expects"
    ):
        resolve_path("apple2orange")
    path.unlink()
    with pytest.raises(I2IError, match=r"apple2orange\.onnx is missing"):
        resolve_path("apple2orange")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("schema_version = 1", "schema_version = 2"), "schema_version must be 1"),
        (lambda t: t.replace('task = "cyclegan"', 'task = "gan"', 1), "task 'gan' is not one of"),
        (lambda t: t.replace("size_multiple = 4", "size_mutliple = 4", 1), r"unknown key\(s\) size_mutliple"),
        (lambda t: t.replace('sha256 = "', 'sha256 = "X', 1), "64 lower-case hex"),
        (lambda t: t.replace('hardware = "test"\n', "", 1), "must state provenance hardware"),
        (
            lambda t: t.replace('direction = "BtoA"', 'direction = "AtoB"'),
            "are both pair 'apple2orange' AtoB",
        ),
        (lambda t: t.replace('file = "apple2orange.onnx"', 'file = "../x.onnx"'), "relative path inside"),
        (lambda t: t + "\n[models.bad]\nfile = 1\n", "missing key"),
    ],
)
def test_registry_validation_names_the_problem(zoo_env, tiny, edit, message):
    _ship_pair(tiny)
    registry = zoo_env.weights / "registry.toml"
    registry.write_text(edit(registry.read_text()))
    with pytest.raises(I2IError, match=message):
        load_shipped()


def test_user_models_add_resolve_refuse_duplicates_and_remove(zoo_env, tiny):
    ship_onnx("apple2orange", tiny.onnx_ab, licence="CC0", provenance=PROVENANCE)
    with pytest.raises(I2IError, match="is a shipped model's name"):
        add_user_onnx("apple2orange", tiny.onnx_ab)
    entry = add_user_onnx("mine", tiny.onnx_ba, licence="MIT", pair="mp")
    assert entry.origin == "user" and entry.path == zoo_env.user / "mine.onnx" and entry.path.is_file()
    assert tiny.onnx_ba.is_file(), "add copies, never moves, the user's file"
    assert (
        entry.provenance.source == str(tiny.onnx_ba.resolve()) and entry.provenance.dataset == "apple2orange"
    )
    assert resolve_entry("mine") == entry and resolve_path("mine", "BtoA") == entry.path
    assert load_zoo().names() == ["apple2orange", "mine"]
    with pytest.raises(I2IError, match="a user model called 'mine' exists"):
        add_user_onnx("mine", tiny.onnx_ab)
    add_user_onnx("mine2", tiny.onnx_ab, pair="mp")
    assert resolve_path("mine", "AtoB") == zoo_env.user / "mine2.onnx"
    with pytest.raises(I2IError, match="invalid model name"):
        add_user_onnx("my.model", tiny.onnx_ab)
    with pytest.raises(I2IError, match="translates BtoA, not AtoB"):
        add_user_onnx("wrong", tiny.onnx_ba, direction="AtoB")
    with pytest.raises(I2IError, match=r"not an i2i ONNX export|not a readable ONNX"):
        bogus = zoo_env.user / "bogus.onnx"
        bogus.write_bytes(b"not onnx")
        add_user_onnx("bogus", bogus)
    remove_user("mine")
    assert not entry.path.exists() and "mine" not in load_zoo().names()
    with pytest.raises(I2IError, match="shipped models cannot be removed"):
        remove_user("apple2orange")
