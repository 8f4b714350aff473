"""Torch-free onnxruntime inference for i2i exports: sessions, providers, tiling, the translate pipeline.

Nothing under ``i2i.runtime`` imports torch (a test enforces it), so ``i2i translate`` starts fast and runs
where only onnxruntime, numpy and Pillow are installed. onnxruntime itself is imported when a session is
made. Tensors at this boundary are float32 NCHW in [0, 1].
"""

from i2i.runtime.inputs import FORMATS, Job, Problem, Source, collect_sources, plan_jobs
from i2i.runtime.metadata import ModelInfo, model_info_from_metadata
from i2i.runtime.pipeline import Summary, TranslateOptions, model_input, translate_jobs
from i2i.runtime.providers import DEVICES
from i2i.runtime.resolve import resolve_model, resolve_named_model
from i2i.runtime.session import TranslatorSession
from i2i.runtime.tiling import translate_tiled, translate_whole

__all__ = [
    "DEVICES",
    "FORMATS",
    "Job",
    "ModelInfo",
    "Problem",
    "Source",
    "Summary",
    "TranslateOptions",
    "TranslatorSession",
    "collect_sources",
    "model_info_from_metadata",
    "model_input",
    "plan_jobs",
    "resolve_model",
    "resolve_named_model",
    "translate_jobs",
    "translate_tiled",
    "translate_whole",
]
