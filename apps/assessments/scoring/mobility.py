"""Joint ranges: neck (1), 90-90 shoulder rotation (5), ankle knee-to-wall (6), shoulder
flexion (9), wall slide (10), chin tuck (13)."""

from __future__ import annotations

import numpy as np

from apps.assessments.scoring.common import (
    NotMeasurable,
    Score,
    angle_between,
    from_vertical,
    robust_max,
    smooth,
)


def _per_side_max(values: dict[str, np.ndarray]) -> tuple[dict[str, float], dict[str, int]]:
    best, at = {}, {}
    for side, v in values.items():
        v = smooth(v, 3)
        if np.all(np.isnan(v)):
            raise NotMeasurable("not_measurable", "The arm was not seen.")
        best[side] = robust_max(v, 95)
        at[side] = int(np.nanargmax(v))
    return best, at


def arm_elevation(track) -> dict[str, np.ndarray]:
    """Angle between trunk (hip->shoulder) and arm (shoulder->wrist), in 3D: forward
    flexion points the arm at the camera, where a 2D angle would shrink."""
    out = {}
    for side in ("left", "right"):
        trunk = track.world_xyz(f"{side}_hip") - track.world_xyz(f"{side}_shoulder")
        arm = track.world_xyz(f"{side}_wrist") - track.world_xyz(f"{side}_shoulder")
        out[side] = angle_between(trunk, arm)
    return out


def _elevation_score(track, metric: str) -> Score:
    best, at = _per_side_max(arm_elevation(track))
    side = min(best, key=best.get)
    return Score(
        metrics={metric: round(best[side], 1)},
        side=side,
        worst=[at[side]],
        extra={
            f"{metric[:-4]}_left_deg": round(best["left"], 1),
            f"{metric[:-4]}_right_deg": round(best["right"], 1),
        },
    )


def shoulder_flexion(track, gate) -> Score:
    return _elevation_score(track, "elevation_deg")


def wall_slide(track, gate) -> Score:
    return _elevation_score(track, "elevation_deg")


def ninety_ninety(track, gate) -> Score:
    """Forearm rotation up from horizontal with the upper arm out to the side: 90 deg is
    the forearm pointing straight up."""
    values = {}
    for side in ("left", "right"):
        forearm = track.xy(f"{side}_wrist") - track.xy(f"{side}_elbow")
        values[side] = np.degrees(np.arctan2(-forearm[:, 1], np.abs(forearm[:, 0])))
    best, at = _per_side_max(values)
    side = min(best, key=best.get)
    return Score(
        metrics={"external_rotation_deg": round(best[side], 1)},
        side=side,
        worst=[at[side]],
        extra={
            "rotation_left_deg": round(best["left"], 1),
            "rotation_right_deg": round(best["right"], 1),
        },
    )


def ankle_knee_to_wall(track, gate) -> Score:
    """Shank tilt forward from vertical at the furthest knee travel (weight-bearing
    dorsiflexion)."""
    side = gate.side or "left"
    tilt = smooth(from_vertical(track.xy(f"{side}_knee"), track.xy(f"{side}_ankle")), 3)
    value = robust_max(tilt, 95)
    return Score(
        metrics={"dorsiflexion_deg": round(value, 1)}, side=side, worst=[int(np.nanargmax(tilt))]
    )


def _head_angle(track, side: str) -> np.ndarray:
    """Craniovertebral-style angle: ear above shoulder, from horizontal (90 = ear right
    above the shoulder; smaller = head further forward)."""
    ear, shoulder = track.xy(f"{side}_ear"), track.xy(f"{side}_shoulder")
    return 90.0 - from_vertical(ear, shoulder)


def neck_flexion_extension(track, gate) -> Score:
    side = gate.side or "left"
    # Face direction: nose relative to ear, angle from horizontal (down positive).
    nose, ear = track.xy("nose"), track.xy(f"{side}_ear")
    d = nose - ear
    pitch = smooth(np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0]))), 3)
    neutral = float(np.nanmedian(pitch[: max(3, track.frames // 10)]))
    flexion = robust_max(pitch, 95) - neutral
    extension = neutral - float(np.nanpercentile(pitch, 5))
    return Score(
        metrics={
            "flexion_deg": round(max(0.0, flexion), 1),
            "extension_deg": round(max(0.0, extension), 1),
        },
        side=side,
        worst=[int(np.nanargmax(pitch)), int(np.nanargmin(pitch))],
    )


def chin_tuck(track, gate) -> Score:
    side = gate.side or "left"
    angle = smooth(_head_angle(track, side), 3)
    resting = float(np.nanmedian(angle[: max(3, track.frames // 10)]))
    tucked = robust_max(angle, 95)
    return Score(
        metrics={"craniovertebral_angle_deg": round(resting, 1)},
        side=side,
        worst=[int(np.nanargmin(angle))],
        extra={"tucked_angle_deg": round(tucked, 1), "tuck_gain_deg": round(tucked - resting, 1)},
    )
