"""One Ctrl-C rule for every long command (:class:`i2i.progress.StopControl`): the first Ctrl-C finishes
the step in progress, a second stops at once; per-image optimisations write the current image."""

from __future__ import annotations

import io
import os
import signal

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from i2i.batch import optimise_images
from i2i.errors import I2IError
from i2i.progress import Interrupted, StopControl


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def test_first_ctrl_c_sets_a_flag_and_the_second_raises():
    before = signal.getsignal(signal.SIGINT)
    with StopControl() as stop:
        _ctrl_c()
        assert stop.interrupted and stop.should_stop
        with pytest.raises(KeyboardInterrupt):
            _ctrl_c()
    assert signal.getsignal(signal.SIGINT) is before


def test_optimise_images_finishes_the_step_writes_the_current_image_and_stops(tmp_path):
    console = Console(file=io.StringIO(), width=200)
    pairs = [(tmp_path / f"{name}.png", tmp_path / f"{name}.out.png") for name in ("a", "bad", "c")]
    steps_run: list[int] = []

    def load(source):
        if source.name == "bad.png":
            raise I2IError(f"{source}: not a recognised image file")
        return np.full((3, 4, 5), 0.5, dtype=np.float32)

    def optimise(source, target, image, progress):
        for step in range(1, 6):
            steps_run.append(step)
            if source.name == "c.png" and step == 2:
                _ctrl_c()
            try:
                progress.update(step, source.name, "loss 1")
            except KeyboardInterrupt:  # what the optimisation loops do: hand out the current image
                raise Interrupted(image * 0 + 0.25, step) from None
        return image

    written: list[str] = []
    with pytest.raises(Interrupted) as caught:
        optimise_images(
            pairs, console, load=load, steps=lambda source, image: 5, optimise=optimise,
            written=lambda source, target: written.append(target.name), failures=[], total_inputs=3,
        )  # fmt: skip
    assert caught.value.step == 2 and written == ["a.out.png"]
    assert steps_run == [1, 2, 3, 4, 5, 1, 2]  # the interrupted image stopped after its current step
    assert Image.open(tmp_path / "c.out.png").getpixel((0, 0)) == (64, 64, 64)
    assert "interrupted after 2 of 5 steps: wrote the current image to" in console.file.getvalue()


def test_optimise_images_fails_one_input_that_cannot_be_done_and_goes_on(tmp_path):
    """An I2IError while optimising one input, or while writing its result, fails that input only."""
    console = Console(file=io.StringIO(), width=200)
    (tmp_path / "taken.out.png").mkdir()  # the result cannot be written there
    pairs = [(tmp_path / f"{name}.png", tmp_path / f"{name}.out.png") for name in ("tiny", "taken", "ok")]

    def optimise(source, target, image, progress):
        if source.name == "tiny.png":
            raise I2IError(f"{source}: too small for the feature network")
        return image

    written: list[str] = []
    failures = optimise_images(
        pairs, console, load=lambda source: np.full((3, 4, 5), 0.5, dtype=np.float32),
        steps=lambda source, image: 1, optimise=optimise,
        written=lambda source, target: written.append(target.name), failures=[], total_inputs=3,
        overwrite=True,
    )  # fmt: skip
    assert written == ["ok.out.png"] and (tmp_path / "ok.out.png").is_file()
    assert [path.name for path, _ in failures] == ["tiny.png", "taken.png"]
    text = console.file.getvalue()
    assert "tiny.png: too small for the feature network" in text and "2 of 3 inputs failed" in text
