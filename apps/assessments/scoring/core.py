"""Trunk control: plank (2), dead bug (11), glute bridge (12), bird dog (14), clamshell
(15)."""

from __future__ import annotations

import numpy as np

from apps.assessments.scoring.common import (
    NotMeasurable,
    Score,
    angle_at,
    angle_between,
    dist,
    from_horizontal,
    mid,
    robust_max,
    seconds,
    smooth,
)

PLANK_TOLERANCE_DEG = 15  # shoulder-hip-ankle within 180 +/- this counts as aligned
PLANK_MAX_TILT_DEG = 35  # body line within this of horizontal counts as a plank


def plank(track, gate) -> Score:
    side = gate.side or "left"
    shoulder, hip, ankle = (track.xy(f"{side}_{p}") for p in ("shoulder", "hip", "ankle"))
    line = smooth(angle_at(shoulder, hip, ankle), 3)
    tilt = from_horizontal(shoulder, ankle)
    in_plank = tilt <= PLANK_MAX_TILT_DEG
    if not in_plank.any():
        raise NotMeasurable("not_measurable", "No plank position was seen.")
    aligned = in_plank & (np.abs(180.0 - line) <= PLANK_TOLERANCE_DEG)
    deviation = np.abs(180.0 - line)
    deviation[~in_plank] = np.nan
    # Sag (hips below the shoulder-ankle line) or pike (above), image y grows downwards.
    share = (hip[:, 0] - shoulder[:, 0]) / (ankle[:, 0] - shoulder[:, 0])
    expected_y = shoulder[:, 1] + share * (ankle[:, 1] - shoulder[:, 1])
    sag = np.nanmedian((hip[:, 1] - expected_y)[in_plank])
    return Score(
        metrics={"aligned_seconds": round(seconds(track, aligned), 1)},
        side=side,
        worst=[int(np.nanargmax(deviation))],
        extra={
            "plank_seconds": round(seconds(track, in_plank), 1),
            "hip_deviation_deg": round(float(np.nanmedian(deviation)), 1),
            "hips": "sag" if sag > 0 else "pike",
        },
    )


def _trunk_stability(track, side: str) -> tuple[float, float, np.ndarray]:
    shoulder, hip = track.xy(f"{side}_shoulder"), track.xy(f"{side}_hip")
    angle = smooth(from_horizontal(shoulder, hip), 3)
    torso = float(np.nanmedian(dist(shoulder, hip)))
    hip_y = smooth(hip[:, 1], 3)
    spread = float(np.nanpercentile(angle, 95) - np.nanpercentile(angle, 5))
    shift = 100.0 * float(np.nanpercentile(hip_y, 95) - np.nanpercentile(hip_y, 5)) / torso
    return spread, shift, angle


def dead_bug(track, gate) -> Score:
    side = gate.side or "left"
    spread, shift, angle = _trunk_stability(track, side)
    centre = np.nanmedian(angle)
    return Score(
        metrics={"trunk_angle_range_deg": round(spread, 1), "hip_shift_pct": round(shift, 1)},
        side=side,
        worst=[int(np.nanargmax(np.abs(angle - centre)))],
    )


def bird_dog(track, gate) -> Score:
    side = gate.side or "left"
    spread, shift, angle = _trunk_stability(track, side)
    ext = []
    for s in ("left", "right"):
        trunk = track.xy(f"{s}_shoulder") - track.xy(f"{s}_hip")
        thigh = track.xy(f"{s}_knee") - track.xy(f"{s}_hip")
        ext.append(smooth(angle_between(trunk, thigh), 3))
    leg = np.fmax(ext[0], ext[1])
    return Score(
        metrics={
            "trunk_angle_range_deg": round(spread, 1),
            "leg_extension_deg": round(robust_max(leg, 95), 1),
        },
        side=side,
        worst=[int(np.nanargmax(leg))],
        extra={"hip_shift_pct": round(shift, 1)},
    )


def glute_bridge(track, gate) -> Score:
    side = gate.side or "left"
    line = smooth(angle_at(*(track.xy(f"{side}_{p}") for p in ("shoulder", "hip", "knee"))), 3)
    top = robust_max(line, 95)
    if np.isnan(top):
        raise NotMeasurable("not_measurable", "No bridge was seen.")
    return Score(
        metrics={"hip_extension_deg": round(top, 1)}, side=side, worst=[int(np.nanargmax(line))]
    )


def clamshell(track, gate) -> Score:
    """Opening between the thighs at the hips, and how much the pelvis rolls with it."""
    hips = mid(track, "hip")
    opening = smooth(angle_between(track.xy("left_knee") - hips, track.xy("right_knee") - hips), 3)
    pelvis = from_horizontal(track.xy("left_hip"), track.xy("right_hip"))
    closed = float(np.nanpercentile(opening, 5))
    widest = robust_max(opening, 95)
    if np.isnan(widest):
        raise NotMeasurable("not_measurable", "No clamshell was seen.")
    roll = float(np.nanpercentile(pelvis, 95) - np.nanpercentile(pelvis, 5))
    return Score(
        metrics={"opening_deg": round(widest - closed, 1), "pelvis_roll_deg": round(roll, 1)},
        side="",
        worst=[int(np.nanargmax(opening))],
    )
