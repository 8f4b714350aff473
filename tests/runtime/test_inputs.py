"""Input collection, output planning and model resolution."""

from __future__ import annotations

from pathlib import Path, PurePath

import pytest

from i2i.errors import I2IError
from i2i.runtime import collect_sources, plan_jobs, resolve_model


@pytest.fixture
def tree(tmp_path, make_image) -> Path:
    root = tmp_path / "in"
    for rel in ["a.jpg", "sub/b.png", "sub/deep/c.jpg", ".hidden/d.png"]:
        make_image(root / rel, (8, 8))
    (root / "notes.txt").write_text("x")
    return root


def test_folders_keep_relative_paths_and_glob_filters(tree):
    sources, problems = collect_sources([str(tree)])
    assert [s.relative for s in sources] == [
        PurePath("a.jpg"),
        PurePath("sub/b.png"),
        PurePath("sub/deep/c.jpg"),
    ]
    assert problems == []
    jpgs, _ = collect_sources([str(tree)], glob="*.jpg")
    assert [s.relative.as_posix() for s in jpgs] == ["a.jpg", "sub/deep/c.jpg"]
    sub, _ = collect_sources([str(tree)], glob="sub/*")
    assert [s.relative.as_posix() for s in sub] == ["sub/b.png"]
    deep, _ = collect_sources([str(tree)], glob="sub/**/*.jpg")
    assert [s.relative.as_posix() for s in deep] == ["sub/deep/c.jpg"]
    flat, _ = collect_sources([str(tree)], recursive=False)
    assert [s.relative.as_posix() for s in flat] == ["a.jpg"]


def test_files_stdin_and_missing_paths(tree, monkeypatch):
    monkeypatch.chdir(tree.parent)
    lines = ["in/sub/b.png\n", "\n", str(tree / "a.jpg") + "\n", "in/missing.png\n"]
    sources, problems = collect_sources([str(tree / "sub/deep/c.jpg"), "-", "nope"], stdin_lines=lines)
    assert [s.relative.as_posix() for s in sources] == ["c.jpg", "in/sub/b.png", "a.jpg"]
    assert [(p.path.as_posix(), p.reason) for p in problems] == [
        ("in/missing.png", "no such file"),
        ("nope", "no such file or folder"),
    ]


def test_plan_jobs_formats_collisions_and_input_protection(tree, tmp_path):
    sources, _ = collect_sources([str(tree)])
    jobs, problems = plan_jobs(sources, tmp_path / "out", "png")
    assert [j.target.relative_to(tmp_path / "out").as_posix() for j in jobs] == [
        "a.png",
        "sub/b.png",
        "sub/deep/c.png",
    ]
    same, _ = plan_jobs(sources, tmp_path / "out", "same")
    assert same[0].target.name == "a.jpg"
    (tree / "a.png").write_bytes(b"")
    clash, _ = collect_sources([str(tree / "a.jpg"), str(tree / "a.png")])
    jobs, problems = plan_jobs(clash, tmp_path / "out", "webp")
    assert len(jobs) == 1 and "already the result of" in problems[0].reason
    with pytest.raises(I2IError, match="would overwrite an input"):
        plan_jobs(sources, tree, "same")
    with pytest.raises(I2IError, match="unknown output format"):
        plan_jobs(sources, tmp_path / "out", "gif")
    with pytest.raises(I2IError, match="is an existing file"):
        plan_jobs(sources, tree / "notes.txt", "png")


def test_resolve_model(tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")
    assert resolve_model(str(model)) == model
    with pytest.raises(I2IError, match="unknown model 'no_such_model'"):
        resolve_model("no_such_model", "AtoB")
    with pytest.raises(I2IError, match="export it first"):
        resolve_model(str(tmp_path / "g.pt"))
    with pytest.raises(I2IError, match="no such model file"):
        resolve_model(str(tmp_path / "x.onnx"))
