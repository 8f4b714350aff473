"""What a new user meets first: outputs never inside the package, errors that name the fix before any
network is built, group help that names every subcommand, shipped stand-in models that say what they are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from i2i.cli.common import subcommand_names
from i2i.cli.main import app
from i2i.errors import I2IError
from i2i.optimize.style_images import resolve_style
from i2i.output_paths import default_folder, failure_lines, plan_outputs, split_missing
from i2i.zoo.entry import ModelEntry
from i2i.zoo.notes import shipped_model_note
from i2i.zoo.paths import samples_dir

runner = CliRunner()


def test_outputs_for_bundled_samples_go_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sample = sorted((samples_dir() / "apples").glob("*.jpg"))[0]
    notes: list[str] = []
    (target,) = plan_outputs([sample], None, "starry", on_note=notes.append)
    assert target == tmp_path / f"{sample.stem}.starry.png"
    assert len(notes) == 1 and "inside the installed i2i package" in notes[0] and str(tmp_path) in notes[0]
    own = tmp_path / "mine" / "photo.jpg"
    own.parent.mkdir()
    own.write_bytes(b"")
    assert default_folder(own) == (own.parent, None)


def test_unwritable_folder_check_uses_access(tmp_path, monkeypatch):
    """The folder's access bits decide (monkeypatched: the tests may run as root, who writes anywhere)."""
    photo = tmp_path / "in" / "photo.jpg"
    photo.parent.mkdir()
    photo.write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != photo.parent and real_access(p, mode))
    assert default_folder(photo) == (tmp_path, f"{photo.parent} is not writable")


def test_missing_inputs_are_found_before_any_work(tmp_path):
    present = tmp_path / "a.jpg"
    present.write_bytes(b"x")
    with pytest.raises(I2IError, match=r"^nope\.jpg: no such file \(and 1 more inputs\)$"):
        split_missing([Path("nope.jpg"), tmp_path / "gone.png"])
    ok, missing = split_missing([present, tmp_path])
    assert ok == [present] and missing == [(tmp_path, f"{tmp_path}: a folder, not an image")]
    assert failure_lines(missing, 2) == ["1 of 2 inputs failed:", f"  {tmp_path}: a folder, not an image"]
    assert failure_lines([(present, "corrupt")], 1)[1] == f"  {present}: corrupt"


def test_style_file_name_that_names_a_bundled_style_uses_it_with_a_note():
    notes: list[str] = []
    path, tag = resolve_style("starry.jpg", on_note=notes.append)
    assert path.name == "starry_night.jpg" and tag == "starry"
    assert notes == ["no file starry.jpg: using the bundled style 'starry' (starry_night.jpg)"]
    with pytest.raises(I2IError, match=r"unknown style 'stary\.jpg': no such style image.*bundled: .*starry"):
        resolve_style("stary.jpg")


def test_stylize_and_dream_check_inputs_before_building_a_network(tmp_path, monkeypatch):
    import i2i.features.vgg as vgg
    import i2i.optimize.dream_backbones as dream_backbones

    def boom(*args, **kwargs):
        raise AssertionError("a network was built before the inputs were checked")

    monkeypatch.setattr(vgg, "load_vgg", boom)
    monkeypatch.setattr(dream_backbones, "load_dream_features", boom)
    missing = str(tmp_path / "photo.jpg")
    for args in (["stylize", "--style", "starry.jpg", missing], ["dream", missing]):
        result = runner.invoke(app, args)
        assert result.exit_code != 0
        assert isinstance(result.exception, I2IError), result.output
        assert str(result.exception) == f"{missing}: no such file"


def test_every_group_help_names_all_its_subcommands(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for group in app.registered_groups:
        names = subcommand_names(group.typer_instance)
        assert names, group.name
        line = next(x for x in top.output.splitlines() if x.startswith(f"│ {group.name} "))
        assert all(name in line for name in names), (group.name, names, line)
        own = runner.invoke(app, [group.name, "--help"])
        assert all(name in own.output for name in names)


@pytest.mark.parametrize(
    "args",
    [["translate"], ["eval", "compare"], ["eval", "style"], ["models", "ship"], ["train", "cut"]],
)
def test_help_paragraphs_wrap_to_the_terminal_not_to_the_source(monkeypatch, args):
    # On a wide terminal every paragraph of a command's help fits on one line; the source's line breaks
    # (docstrings wrap near 110 columns) must not survive into the later paragraphs.
    monkeypatch.setenv("COLUMNS", "1000")
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0
    prose = result.output.split("Usage:")[1].split("╭")[0]
    lines = [line.strip() for line in prose.splitlines()][1:]
    paragraphs = "\n".join(lines).strip().split("\n\n")
    assert len(paragraphs) >= 2, prose
    assert all("\n" not in p for p in paragraphs), paragraphs


def _entry(origin: str, task: str, name: str = "apple2orange") -> ModelEntry:
    return ModelEntry(
        name=name,
        origin=origin,
        base=Path("/nowhere"),
        file=f"{name}.onnx",
        sha256="0" * 64,
        task=task,
        arch="resnet_6blocks",
        size_multiple=4,
        licence="MIT",
    )


def test_shipped_stand_in_models_point_at_the_published_ones():
    note = shipped_model_note(_entry("shipped", "cyclegan"))
    assert note is not None
    assert note.endswith("`i2i models fetch-official apple2orange` gets the published one")
    pix2pix = shipped_model_note(_entry("shipped", "pix2pix", "facades_label2photo"))
    assert "fetch-official facades_label2photo --task pix2pix" in pix2pix  # published for both tasks
    assert "fetch-official" not in shipped_model_note(_entry("shipped", "cyclegan", "mine2yours"))
    assert shipped_model_note(_entry("user", "cyclegan")) is None
    assert "i2i models fetch-official apple2orange`" in shipped_model_note(_entry("shipped", "cut"))
    assert shipped_model_note(_entry("shipped", "fast_style", "starry")) is None


def test_translate_by_shipped_name_says_so_once(tmp_path):
    photos = tmp_path / "in"
    photos.mkdir()
    for i in range(3):
        Image.new("RGB", (16, 16), (200, 40 * i, 30)).save(photos / f"{i}.png")
    result = runner.invoke(app, ["translate", "-m", "apple2orange", str(photos), str(tmp_path / "out"),
                                 "--no-progress"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.count("fetch-official apple2orange") == 1
