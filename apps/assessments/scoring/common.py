"""Geometry on pose tracks shared by the scorers. Angles in degrees; NaN where a frame
has no pose, and every reduction ignores NaN."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from apps.assessments.track import Track


class NotMeasurable(Exception):
    """The clip passed the gates but lacks the moment a metric needs (e.g. no rep)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass
class Score:
    metrics: dict[str, float]  # metric -> value, in the unit the catalogue names
    side: str = ""  # "left" / "right" / "both" where it matters
    worst: list[int] = field(default_factory=list)  # frame positions in the track
    extra: dict = field(default_factory=dict)  # informative figures (not graded)


def angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle ABC per frame (180 = straight)."""
    ba, bc = a - b, c - b
    cos = np.sum(ba * bc, axis=1) / (np.linalg.norm(ba, axis=1) * np.linalg.norm(bc, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def angle_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    cos = np.sum(u * v, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def from_vertical(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Tilt of the segment bottom->top from vertical, image coordinates (y down), 0..180."""
    d = top - bottom
    return np.degrees(np.arctan2(np.abs(d[:, 0]), -d[:, 1]))


def from_horizontal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tilt of the line through a and b from horizontal, 0..90."""
    d = b - a
    return np.degrees(np.arctan2(np.abs(d[:, 1]), np.abs(d[:, 0])))


def mid(track: Track, name: str) -> np.ndarray:
    return (track.xy(f"left_{name}") + track.xy(f"right_{name}")) / 2


def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=1)


def smooth(values: np.ndarray, width: int = 3) -> np.ndarray:
    """Moving median over `width` frames, NaN-aware; keeps the length."""
    if width <= 1 or values.size == 0:
        return values
    half = width // 2
    padded = np.pad(values.astype(np.float64), half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    with warnings.catch_warnings():
        # Windows inside a stretch without a pose are all NaN, and stay NaN.
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(windows, axis=1)


def count_cycles(
    signal: np.ndarray, *, enter: float, leave: float, start: float | None = None
) -> list[int]:
    """Reps of a signal that dips below `enter` and comes back above `leave` (hysteresis).
    A rep counts only when it starts from above `start` (default `leave`): a clip that
    begins mid-rep does not count the half rep. Returns the frame of the lowest point of
    each rep."""
    start = leave if start is None else start
    reps, inside, armed, low_at = [], False, False, -1
    for i, value in enumerate(signal):
        if np.isnan(value):
            continue
        if not inside and (value > leave or (not armed and value > start)):
            armed = True
        elif not inside and armed and value < enter:
            inside, low_at = True, i
        elif inside:
            if value < signal[low_at]:
                low_at = i
            if value > leave:
                reps.append(low_at)
                inside = False
    return reps


def robust_max(values: np.ndarray, q: float = 95) -> float:
    """A high percentile instead of the max: one bad frame must not make the score."""
    return float(np.nanpercentile(values, q))


def robust_min(values: np.ndarray, q: float = 5) -> float:
    return float(np.nanpercentile(values, q))


def seconds(track: Track, mask: np.ndarray) -> float:
    """Longest run of consecutive True frames, in seconds."""
    best = run = 0
    for value in mask:
        run = run + 1 if value else 0
        best = max(best, run)
    return best / track.sample_fps
