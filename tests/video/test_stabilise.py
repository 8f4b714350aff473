"""Flow, the consistency mask, the stabiliser and the warping error on synthetic frames."""

from __future__ import annotations

import numpy as np

from i2i.video.flow import FlowEstimator, Warp, consistency_mask, luma
from i2i.video.stabilise import CUT_FRACTION, Stabiliser, measure_warps, warping_error

from .conftest import pattern


def test_flow_warps_the_previous_frame_onto_the_next():
    a, b = pattern(0), pattern(1)
    for estimator in (FlowEstimator("medium", None), FlowEstimator()):  # full size; the stabiliser's 320 px
        assert estimator.step(a) is None  # the first frame has no previous one
        warp = estimator.step(b)
        assert warp is not None and warp.map.shape == (48, 64, 2) and warp.mask.shape == (48, 64)
        assert warp.reliable > 0.6
        warped = warp.apply(a.astype(np.float32))
        inside = warp.mask > 0
        err_warped = np.abs(warped - b)[inside].mean()
        err_still = np.abs(a.astype(np.float32) - b)[inside].mean()
        assert err_warped < 0.35 * err_still


def test_still_frames_are_reliable_everywhere_and_have_no_warping_error():
    frames = [pattern(0)] * 4
    estimator = FlowEstimator()
    estimator.step(frames[0])
    warp = estimator.step(frames[1])
    assert warp is not None and warp.reliable == 1.0
    outs = [f.astype(np.float32) / 255 for f in frames]
    assert warping_error(frames, outs) < 1e-4
    assert warping_error(frames[:1], outs[:1]) == 0.0


def test_stabiliser_removes_most_flicker_without_washing_out():
    rng = np.random.default_rng(0)
    inputs = [pattern(i) for i in range(8)]
    clean = [f.astype(np.float32) / 255 for f in inputs]
    flicker = [np.clip(c + rng.normal(0, 0.06, c.shape).astype(np.float32), 0, 1) for c in clean]
    flow, stabilise = FlowEstimator(), Stabiliser()
    steady = [stabilise(o, flow.step(f)) for o, f in zip(flicker, inputs, strict=True)]
    assert np.array_equal(steady[0], flicker[0])  # nothing to blend with yet
    assert warping_error(inputs, steady) <= 0.6 * warping_error(inputs, flicker)
    # the content stays: closer to the clean frames than the flickering ones, mean level unchanged
    assert np.mean([np.abs(s - c).mean() for s, c in zip(steady, clean, strict=True)]) < np.mean(
        [np.abs(o - c).mean() for o, c in zip(flicker, clean, strict=True)]
    )
    assert abs(np.mean(steady) - np.mean(flicker)) < 0.01


def test_a_cut_or_unreliable_flow_keeps_the_model_output():
    out_a, out_b = np.zeros((4, 4, 3), np.float32), np.ones((4, 4, 3), np.float32)
    xs, ys = np.meshgrid(np.arange(4, dtype=np.float32), np.arange(4, dtype=np.float32))
    grid = np.stack([xs, ys], axis=2)
    stabilise = Stabiliser(weight=0.5)
    stabilise(out_a, None)
    cut = Warp(grid, np.full((4, 4), CUT_FRACTION / 2, np.float32).round())
    assert np.array_equal(stabilise(out_b, cut), out_b)
    steady = Warp(grid, np.ones((4, 4), np.float32))
    assert np.allclose(stabilise(out_a, steady), 0.5)  # half of the warped previous result (all ones)


def test_measure_warps_reused_and_an_independent_flow():
    inputs = [pattern(i) for i in range(4)]
    outs = [f.astype(np.float32) / 255 + 0.02 * (i % 2) for i, f in enumerate(inputs)]
    warps = measure_warps(inputs)
    assert warps[0] is None and len(warps) == 4
    assert warping_error(inputs, outs, warps=warps) == warping_error(inputs, outs)
    farneback = FlowEstimator("farneback", None)
    farneback.step(inputs[0])
    warp = farneback.step(inputs[1])
    assert warp is not None and warp.reliable > 0.6
    inside = warp.mask > 0
    a, b = inputs[0].astype(np.float32), inputs[1].astype(np.float32)
    assert np.abs(warp.apply(a) - b)[inside].mean() < 0.35 * np.abs(a - b)[inside].mean()


def test_consistency_mask_is_the_forward_backward_check():
    import cv2

    rng = np.random.default_rng(4)
    h, w = 12, 16
    backward = rng.normal(0, 2.0, (h, w, 2)).astype(np.float32)
    forward = rng.normal(0, 2.0, (h, w, 2)).astype(np.float32)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = np.stack([xs, ys], axis=2)
    where, mask = consistency_mask(backward, forward, grid)
    # the module docstring's check, written out with whole-vector sums
    f_back = cv2.remap(forward, grid + backward, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    error = np.sum((backward + f_back) ** 2, axis=2)
    bound = 0.01 * (np.sum(backward**2, axis=2) + np.sum(f_back**2, axis=2)) + 0.5
    x, y = where[..., 0], where[..., 1]
    inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    np.testing.assert_array_equal(where, grid + backward)
    np.testing.assert_array_equal(mask, ((error <= bound) & inside).astype(np.float32))
    assert 0 < mask.mean() < 1 and not inside.all()


def test_flow_at_a_smaller_size_is_scaled_back_to_the_frames():
    import cv2

    a, b = pattern(0), pattern(2)
    small = FlowEstimator("medium", 32)  # 64x48 frames -> flow on 32x24
    small.step(a)
    warp = small.step(b)
    assert warp is not None and warp.map.shape == (48, 64, 2) and warp.mask.shape == (48, 64)
    a_small, b_small = (cv2.resize(luma(f), (32, 24), interpolation=cv2.INTER_AREA) for f in (a, b))
    half = FlowEstimator("medium", None).between(a_small, b_small)
    xs, ys = np.meshgrid(np.arange(32, dtype=np.float32), np.arange(24, dtype=np.float32))
    flow = cv2.resize(half.map - np.stack([xs, ys], axis=2), (64, 48), interpolation=cv2.INTER_LINEAR) * 2
    xs, ys = np.meshgrid(np.arange(64, dtype=np.float32), np.arange(48, dtype=np.float32))
    np.testing.assert_allclose(warp.map, np.stack([xs, ys], axis=2) + flow, atol=1e-4)
    np.testing.assert_array_equal(warp.mask, cv2.resize(half.mask, (64, 48), interpolation=cv2.INTER_NEAREST))
    # the moving pattern: about 2 px right and 1 down, so frame t's pixel came from (x - 2, y - 1)
    inside = warp.mask > 0
    assert abs(np.median((warp.map - np.stack([xs, ys], axis=2))[..., 0][inside]) + 2) < 0.5
    # another size on the same estimator (a second clip) gets its own grids
    small.reset()
    small.step(pattern(0, (40, 30)))
    assert small.step(pattern(1, (40, 30))).map.shape == (30, 40, 2)


def test_stabiliser_blends_by_the_formula_and_keeps_its_inputs():
    rng = np.random.default_rng(5)
    previous, output = (rng.random((6, 8, 3), dtype=np.float32) for _ in range(2))
    xs, ys = np.meshgrid(np.arange(8, dtype=np.float32), np.arange(6, dtype=np.float32))
    mask = (rng.random((6, 8)) > 0.3).astype(np.float32)
    warp = Warp(np.stack([xs, ys], axis=2) + 0.25, mask)
    kept = previous.copy(), output.copy()
    stabilise = Stabiliser(weight=0.8)
    stabilise(previous, None)
    result = stabilise(output, warp)
    expected = output + (0.8 * mask)[..., None] * (warp.apply(previous) - output)
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(previous, kept[0])
    np.testing.assert_array_equal(output, kept[1])
