"""A clip's pose track: what the landmarker saw, frame by frame, stored compactly.

Scoring and the quality gates read only this, so stored attempts can be re-scored when
the rules change without running the model again. Plain numpy; no model runtime here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np

# BlazePose's 33 landmarks, in the model's order.
LANDMARKS = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
INDEX = {name: i for i, name in enumerate(LANDMARKS)}
# Lines drawn for the skeleton overlay.
CONNECTIONS = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30),
    (30, 32), (28, 32), (0, 7), (0, 8),
)  # fmt: skip
VISIBLE = 0.5  # a landmark counts as seen at this visibility or more
FORMAT_VERSION = 1


@dataclass
class Track:
    """Per sampled frame: time, the first pose's landmarks, whether a second person was
    there (where checked), and the frame's brightness. NaN landmarks: no pose in that
    frame."""

    t_ms: np.ndarray  # (F,) int32, from the start of the clip
    frame_index: np.ndarray  # (F,) int32, index in the source video
    image: np.ndarray  # (F, 33, 5) x, y (0..1 of width/height), z, visibility, presence
    world: np.ndarray  # (F, 33, 3) metres, hip-centred
    second_pose: np.ndarray  # (F,) mean visibility of a second person, 0 if none, NaN in
    #                         frames the people check skipped (it runs about once a second)
    luma: np.ndarray  # (F,) mean brightness 0..255
    width: int  # analysed frame size, for angles in pixels
    height: int
    source_fps: float
    source_frames: int
    meta: dict = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return int(self.t_ms.shape[0])

    @property
    def has_pose(self) -> np.ndarray:
        return ~np.isnan(self.image[:, 0, 0])

    @property
    def sample_fps(self) -> float:
        if self.frames < 2:
            return self.source_fps
        return (self.frames - 1) * 1000.0 / max(1, int(self.t_ms[-1] - self.t_ms[0]))

    def xy(self, name: str) -> np.ndarray:
        """(F, 2) position in pixels of the analysed frame."""
        point = self.image[:, INDEX[name], :2].astype(np.float64)
        return point * np.array([self.width, self.height])

    def world_xyz(self, name: str) -> np.ndarray:
        return self.world[:, INDEX[name], :].astype(np.float64)

    def visibility(self, name: str) -> np.ndarray:
        return np.nan_to_num(self.image[:, INDEX[name], 3].astype(np.float64), nan=0.0)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            version=np.array([FORMAT_VERSION]),
            t_ms=self.t_ms.astype(np.int32),
            frame_index=self.frame_index.astype(np.int32),
            image=self.image.astype(np.float16),
            world=self.world.astype(np.float16),
            second_pose=self.second_pose.astype(np.float16),
            luma=self.luma.astype(np.float16),
            dims=np.array([self.width, self.height, self.source_frames], dtype=np.int64),
            source_fps=np.array([self.source_fps], dtype=np.float64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Track:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as z:
            width, height, source_frames = (int(v) for v in z["dims"])
            return cls(
                t_ms=z["t_ms"],
                frame_index=z["frame_index"],
                image=z["image"].astype(np.float32),
                world=z["world"].astype(np.float32),
                second_pose=z["second_pose"].astype(np.float32),
                luma=z["luma"].astype(np.float32),
                width=width,
                height=height,
                source_fps=float(z["source_fps"][0]),
                source_frames=source_frames,
            )

    def overlay(self) -> dict:
        """Landmarks for drawing the skeleton over the clip (rounded, JSON-ready)."""
        frames = []
        for i in range(self.frames):
            if not self.has_pose[i]:
                frames.append(None)
                continue
            points = self.image[i]
            frames.append(
                [
                    [round(float(p[0]), 4), round(float(p[1]), 4), round(float(p[3]), 2)]
                    for p in points
                ]
            )
        return {
            "t_ms": [int(t) for t in self.t_ms],
            "frames": frames,
            "connections": [list(c) for c in CONNECTIONS],
        }
