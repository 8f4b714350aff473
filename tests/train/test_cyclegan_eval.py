"""`--eval-every` in CycleGAN training: KID of G_A on fixed images, logged and plotted (stand-in features)."""

from __future__ import annotations

import numpy as np
import torch

from i2i.eval import inception_features
from i2i.eval.probes import EVAL_CURVES_FILE
from i2i.train import cyclegan
from i2i.train.rundir import LOG_FILE, read_jsonl
from tests.train.test_cyclegan import tiny_cyclegan_config, write_unpaired


class StandInInception:
    """Replaces the FID network (no weights needed): per-channel means and standard deviations."""

    def __init__(self, weights=None, device="cpu"):
        self.device = torch.device(device)

    def __call__(self, images: torch.Tensor) -> np.ndarray:
        return torch.cat([images.mean(dim=(2, 3)), images.std(dim=(2, 3))], dim=1).double().cpu().numpy()


def test_eval_every_logs_kid_of_the_forward_generator(tmp_path, monkeypatch):
    monkeypatch.setattr(inception_features, "FIDInception", StandInInception)
    data = write_unpaired(tmp_path / "red2blue")
    run = tmp_path / "run"
    cyclegan.train(tiny_cyclegan_config(data, max_steps=2, eval_every=1, eval_images=2), run_dir=run)
    evals = [r for r in read_jsonl(run / LOG_FILE) if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [1, 2]
    assert all(r["eval_images"] == 2 and np.isfinite(r["eval_KID"]) and r["eval_KID_std"] >= 0 for r in evals)
    assert (run / EVAL_CURVES_FILE).is_file()
