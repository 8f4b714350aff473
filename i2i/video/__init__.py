"""Video in, video out (torch-free): ``i2i translate -m MODEL clip.mp4 OUT``.

A clip is decoded with PyAV (:mod:`.decode`), its frames go through the same session as images
(:func:`i2i.runtime.engine.open_session`: same runtime, precision and quality gate, batched, padded to the
model's size multiple and cropped back), are stabilised against flicker with optical flow from the input
frames (:mod:`.flow`, :mod:`.stabilise`; Bonneel et al. 2015, Lai et al. 2018) and encoded at the input's
size, frame rate and timestamps (:mod:`.encode`), with the audio packets and the rotation carried over
untouched, into a temporary file renamed into place at the end. Decoding and encoding run on threads of
their own with bounded queues, so they overlap with inference (:mod:`.pipeline`).

Layers: this package sits in the runtime layer (it imports :mod:`i2i.runtime`, never the CLI or torch);
:mod:`i2i.runtime` does not import it. PyAV and OpenCV are the optional ``video`` extra (:mod:`.extra`).
Arrays: frames are uint8 (H, W, 3) RGB as decoded; model tensors float32 (N, C, H, W) in [0, 1].
"""

from i2i.video.extra import VIDEO_EXTRA, import_av, import_cv2
from i2i.video.pipeline import VideoSummary, translate_video, translate_videos

__all__ = ["VIDEO_EXTRA", "VideoSummary", "import_av", "import_cv2", "translate_video", "translate_videos"]
