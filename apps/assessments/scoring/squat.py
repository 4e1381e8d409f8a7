"""Overhead squat (4) and lateral lunge (8): depth, knee valgus, heel lift, trunk lean,
reps."""

from __future__ import annotations

import numpy as np

from apps.assessments.catalogue import SIDE
from apps.assessments.scoring.common import (
    NotMeasurable,
    Score,
    angle_at,
    count_cycles,
    from_vertical,
    mid,
    robust_max,
    robust_min,
    smooth,
)

# Hip height above the ankles as a share of standing height: a rep goes below ENTER and
# back above LEAVE. Measured on the shared clips: standing 0.95-1.0, parallel squats
# 0.35-0.6, the deliberately shallow ones 0.6-0.7.
ENTER, LEAVE = 0.85, 0.93
# A clip's first rep counts if the clip starts above START: clips often begin a frame or
# two into the first descent (squat_side_rendered: 0.93-0.94 at its first sample, which
# flipped its first rep in and out with the sampling rate). One that begins mid-rep
# (squat_front_faulty: 0.74) does not count that half rep.
START = 0.90


def hip_height(track) -> np.ndarray:
    height = mid(track, "ankle")[:, 1] - mid(track, "hip")[:, 1]
    standing = np.nanpercentile(height, 95)
    return smooth(height / standing, 3)


def knee_angles(track) -> dict[str, np.ndarray]:
    return {
        side: angle_at(track.xy(f"{side}_hip"), track.xy(f"{side}_knee"), track.xy(f"{side}_ankle"))
        for side in ("left", "right")
    }


def frontal_knee_deviation(track, side: str) -> np.ndarray:
    """Frontal-plane projection of the shank: its tilt from vertical, positive when the
    knee falls inside the ankle (valgus), negative when it tracks outside.

    The hip-knee-ankle projection angle, used for single-leg squats, breaks down at the
    bottom of a deep squat: the thigh points at the camera and the angle measures
    foreshortening (70-90 deg on the shared clips, whatever the knees do). The shank
    stays in view, so its frontal tilt is what we grade."""
    knee, ankle = track.xy(f"{side}_knee"), track.xy(f"{side}_ankle")
    tilt = from_vertical(knee, ankle)
    midline = mid(track, "hip")[:, 0]
    inward = np.abs(knee[:, 0] - midline) < np.abs(ankle[:, 0] - midline)
    return np.where(inward, tilt, -tilt)


def heel_lift_pct(track, bottoms: list[int], standing: np.ndarray) -> float:
    """How far the heels rise (relative to the toes) at the bottom of the reps, as a share
    of leg length."""
    lifts = []
    leg = np.nanmedian(mid(track, "ankle")[standing, 1] - mid(track, "hip")[standing, 1])
    for side in ("left", "right"):
        gap = track.xy(f"{side}_foot_index")[:, 1] - track.xy(f"{side}_heel")[:, 1]
        base = np.nanmedian(gap[standing])
        lifts.append(max(0.0, float(np.nanmedian(gap[bottoms]) - base)))
    return 100.0 * max(lifts) / leg if leg > 0 else 0.0


def overhead_squat(track, gate) -> Score:
    height = hip_height(track)
    bottoms = count_cycles(height, enter=ENTER, leave=LEAVE, start=START)
    if not bottoms:
        raise NotMeasurable("not_measurable", "No complete squat was seen.")
    standing = height >= LEAVE
    knees = knee_angles(track)
    extra = {"reps": len(bottoms)}
    heel_lift = round(heel_lift_pct(track, bottoms, standing), 1)
    # How far the hips drop, as a share of standing hip height (parallel is about 50%).
    metrics: dict[str, float] = {
        "depth_pct": round(100 * (1 - float(np.nanmedian(height[bottoms]))), 1)
    }
    worst = list(bottoms)
    side = ""
    if gate.view == SIDE:
        side = gate.side
        # From the front the heel hides behind the foot: heel lift is graded from the side.
        metrics["heel_lift_pct"] = heel_lift
        knee = smooth(knees[side], 3)
        metrics["knee_flexion_min_deg"] = round(robust_min(knee, 2), 1)
        lean = from_vertical(track.xy(f"{side}_shoulder"), track.xy(f"{side}_hip"))
        metrics["trunk_lean_deg"] = round(float(np.nanmedian(lean[bottoms])), 1)
        worst = sorted(bottoms, key=lambda i: -lean[i])[:3]
    else:
        valgus = {s: frontal_knee_deviation(track, s) for s in ("left", "right")}
        at_bottom = {s: float(np.nanmedian(valgus[s][bottoms])) for s in valgus}
        side = max(at_bottom, key=at_bottom.get)
        metrics["knee_valgus_deg"] = round(max(0.0, at_bottom[side]), 1)
        extra["knee_valgus_left_deg"] = round(at_bottom["left"], 1)
        extra["knee_valgus_right_deg"] = round(at_bottom["right"], 1)
        extra["heel_lift_pct"] = heel_lift
        knee_gap = np.abs(track.xy("left_knee")[:, 0] - track.xy("right_knee")[:, 0])
        ankle_gap = np.abs(track.xy("left_ankle")[:, 0] - track.xy("right_ankle")[:, 0])
        extra["knee_to_ankle_width"] = round(
            float(np.nanmedian((knee_gap / ankle_gap)[bottoms])), 2
        )
        shift = from_vertical(mid(track, "shoulder"), mid(track, "hip"))
        extra["trunk_shift_deg"] = round(float(np.nanmedian(shift[bottoms])), 1)
        worst = sorted(bottoms, key=lambda i: -valgus[side][i])[:3]
    extra["knee_angle_min_deg"] = round(robust_min(np.fmin(knees["left"], knees["right"]), 2), 1)
    return Score(metrics=metrics, side=side, worst=worst, extra=extra)


def lateral_lunge(track, gate) -> Score:
    knees = {s: smooth(a, 3) for s, a in knee_angles(track).items()}
    deepest = {s: robust_min(knees[s], 3) for s in knees}
    side = min(deepest, key=deepest.get)
    lowest = int(np.nanargmin(knees[side]))
    lean = from_vertical(mid(track, "shoulder"), mid(track, "hip"))
    bent = knees[side] < deepest[side] + 15
    if not bent.any():
        raise NotMeasurable("not_measurable", "No lunge was seen.")
    return Score(
        metrics={
            "knee_flexion_min_deg": round(max(deepest.values()), 1),
            "trunk_lean_deg": round(robust_max(lean[bent], 90), 1),
        },
        side=side,
        worst=[lowest],
        extra={
            "knee_flexion_left_deg": round(deepest["left"], 1),
            "knee_flexion_right_deg": round(deepest["right"], 1),
        },
    )
