"""Open, check and decode uploaded clips with OpenCV.

The file's name and extension are never trusted: a clip is accepted only when its first
bytes are a known container, OpenCV (FFmpeg) opens it with a known video codec, and both
its first and its last frame decode. Decoding samples frames at the rate a test needs and
downscales them, so the pose model never sees more pixels than it uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

# Containers by their first bytes: ISO base media (mp4, mov, 3gp), Matroska/WebM, AVI.
_CONTAINERS = (
    ("mp4", lambda head: head[4:8] == b"ftyp"),
    ("webm", lambda head: head[:4] == b"\x1a\x45\xdf\xa3"),
    ("avi", lambda head: head[:4] == b"RIFF" and head[8:12] == b"AVI "),
)
# What phones and browsers record. FOURCCs as FFmpeg reports them.
VIDEO_CODECS = {
    "h264": "H.264",
    "avc1": "H.264",
    "hevc": "H.265",
    "hvc1": "H.265",
    "hev1": "H.265",
    "mp4v": "MPEG-4",
    "fmp4": "MPEG-4",
    "vp80": "VP8",
    "vp90": "VP9",
    "vp08": "VP8",
    "vp09": "VP9",
    "av01": "AV1",
    "mjpg": "Motion JPEG",
}
# Long side of the frames given to the pose model. The landmark model looks at a 256 px
# crop around the person; 640 px keeps a small, far person above that size.
ANALYSIS_MAX_SIDE = 640


class VideoError(Exception):
    """The file is not a clip we can measure. `code` is stable for clients."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class VideoInfo:
    container: str
    codec: str
    width: int
    height: int
    fps: float
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps else 0.0

    def as_dict(self) -> dict:
        return {
            "container": self.container,
            "codec": self.codec,
            "width": self.width,
            "height": self.height,
            "fps": round(self.fps, 3),
            "frames": self.frames,
            "duration_s": round(self.duration_s, 3),
        }


def sniff_container(path: str) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(16)
    for name, test in _CONTAINERS:
        if len(head) >= 12 and test(head):
            return name
    return None


def _fourcc(cap) -> str:
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    return code.to_bytes(4, "little").decode("latin-1").strip("\x00 ").lower()


def probe(path: str) -> VideoInfo:
    """Open the file and check it is a whole, decodable video. Raises VideoError."""
    container = sniff_container(path)
    if container is None:
        raise VideoError("not_a_video", "The file does not start like an MP4, MOV, WebM or AVI.")
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            raise VideoError("unreadable", "The video could not be opened.")
        codec = _fourcc(cap)
        if codec not in VIDEO_CODECS:
            raise VideoError("unsupported_codec", f"Video codec {codec!r} is not supported.")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0)
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        if not (0 < fps <= 240) or frames <= 0 or width < 64 or height < 64:
            raise VideoError("unreadable", "The video has no usable frames.")
        ok, _frame = cap.read()
        if not ok:
            raise VideoError("unreadable", "The first frame could not be decoded.")
        # A cut-off upload keeps its header (frame count) but loses its last frames. Headers
        # may overstate the count by a frame or two, so look a little before the end.
        cap.set(cv2.CAP_PROP_POS_FRAMES, max(frames - max(5, frames // 50), 0))
        ok, _frame = cap.read()
        if not ok:
            raise VideoError("truncated", "The end of the video is missing.")
        return VideoInfo(container, codec, width, height, fps, frames)
    finally:
        cap.release()


def stream_info(path: str) -> VideoInfo:
    """The stream's properties without decoding anything: for a clip already checked by
    `probe` at upload (the pipeline's decode itself notices a cut-off file)."""
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            raise VideoError("unreadable", "The video could not be opened.")
        return VideoInfo(
            sniff_container(path) or "",
            _fourcc(cap),
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0),
            float(cap.get(cv2.CAP_PROP_FPS) or 0),
            int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
        )
    finally:
        cap.release()


def analysis_size(width: int, height: int, max_side: int = ANALYSIS_MAX_SIDE) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def sample_frames(path: str, *, target_fps: float) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield (frame index, timestamp ms, RGB frame) at `target_fps` on average, downscaled.

    Frames are picked by time, not by a whole-number step: a 24 f/s clip sampled at 10
    gives 10 frames a second (every 2nd or 3rd), not 12 (every 2nd), so the catalogue's
    rate is the rate the model runs at whatever the phone recorded. Skipped frames are
    only grabbed (FFmpeg still decodes them, but they are never converted or resized),
    and sampled ones are downscaled before the colour conversion.
    """
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            raise VideoError("unreadable", "The video could not be opened.")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 30.0)
        frame_ms, interval_ms = 1000.0 / fps, 1000.0 / target_fps
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        size = analysis_size(width, height)
        index, due_ms = 0, 0.0
        while cap.grab():
            stamp_ms = index * frame_ms
            # The frame nearest each due time: within half a source frame of it.
            if stamp_ms + frame_ms / 2 >= due_ms:
                due_ms = max(due_ms + interval_ms, stamp_ms + frame_ms / 2)
                ok, frame = cap.retrieve()
                if not ok:
                    break
                if (frame.shape[1], frame.shape[0]) != size:
                    frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
                yield index, round(stamp_ms), cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            index += 1
    finally:
        cap.release()
