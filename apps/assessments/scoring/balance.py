"""Y-balance reach (3) and single-leg balance (7)."""

from __future__ import annotations

import numpy as np

from apps.assessments.scoring.common import NotMeasurable, Score, dist, mid, seconds, smooth


def _leg_length_px(track) -> float:
    legs = [
        dist(track.xy(f"{s}_hip"), track.xy(f"{s}_knee"))
        + dist(track.xy(f"{s}_knee"), track.xy(f"{s}_ankle"))
        for s in ("left", "right")
    ]
    return float(np.nanmedian(np.concatenate(legs)))


def lifted_foot(track) -> np.ndarray:
    """Per frame: "left"/"right" for the raised foot, "" when both are down. A foot is up
    when its ankle is higher than the other by 8% of leg length."""
    leg = _leg_length_px(track)
    diff = smooth(track.xy("left_ankle")[:, 1] - track.xy("right_ankle")[:, 1], 3) / leg
    out = np.full(track.frames, "", dtype=object)
    out[diff < -0.08] = "left"
    out[diff > 0.08] = "right"
    return out


def single_leg_balance(track, gate) -> Score:
    raised = lifted_foot(track)
    held = {side: seconds(track, raised == side) for side in ("left", "right")}
    side = max(held, key=held.get)
    if held[side] < 1.0:
        raise NotMeasurable("not_measurable", "No single-leg stance was seen.")
    on_one_leg = raised == side
    leg = _leg_length_px(track)
    hips = mid(track, "hip")[on_one_leg]
    # Sway: spread of the pelvis while balancing, as a share of leg length.
    sway = 100.0 * float(np.nanstd(hips[:, 0]) + np.nanstd(hips[:, 1])) / leg
    speed = np.linalg.norm(np.diff(hips, axis=0), axis=1) * track.sample_fps / leg
    frames = np.flatnonzero(on_one_leg)
    hip_x = mid(track, "hip")[:, 0]
    centre = np.nanmedian(hip_x[on_one_leg])
    worst = sorted(frames, key=lambda i: -abs(hip_x[i] - centre))[:3]
    stance = "right" if side == "left" else "left"
    return Score(
        metrics={"hold_seconds": round(held[side], 1), "sway_pct": round(sway, 1)},
        side=stance,
        worst=[int(i) for i in worst],
        extra={
            "hold_left_seconds": round(held["right"], 1),  # standing on the left leg
            "hold_right_seconds": round(held["left"], 1),
            "sway_speed_pct_per_s": round(100.0 * float(np.nanmean(speed)), 1)
            if len(speed)
            else 0.0,
        },
    )


def y_balance(track, gate) -> Score:
    """Reach of the free foot from the stance foot, in 3D (world landmarks: a forward
    reach points at the camera), as a share of the stance leg's length."""
    raised = lifted_foot(track)
    reach = {}
    worst = []
    for free, stance in (("left", "right"), ("right", "left")):
        frames = raised == free
        if not frames.any():
            continue
        foot = track.world_xyz(f"{free}_foot_index")
        base = track.world_xyz(f"{stance}_ankle")
        leg = np.linalg.norm(
            track.world_xyz(f"{stance}_hip") - track.world_xyz(f"{stance}_knee"), axis=1
        ) + np.linalg.norm(
            track.world_xyz(f"{stance}_knee") - track.world_xyz(f"{stance}_ankle"), axis=1
        )
        share = np.linalg.norm(foot - base, axis=1) / np.nanmedian(leg)
        share[~frames] = np.nan
        reach[stance] = 100.0 * float(np.nanpercentile(share, 95))
        worst.append(int(np.nanargmax(share)))
    if len(reach) < 2:
        raise NotMeasurable("not_measurable", "Reaches on both legs are needed.")
    low, high = min(reach.values()), max(reach.values())
    weaker = min(reach, key=reach.get)
    return Score(
        metrics={
            "reach_asymmetry_pct": round(100.0 * (high - low) / high, 1),
            "composite_reach_pct": round((low + high) / 2, 1),
        },
        side=weaker,
        worst=worst,
        extra={
            "reach_left_pct": round(reach["left"], 1),
            "reach_right_pct": round(reach["right"], 1),
        },
    )
