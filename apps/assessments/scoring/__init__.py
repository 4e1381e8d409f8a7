"""Scoring: one scorer per test (module per family), turned into one result shape.

A result is a bucket (the worst of the graded metrics), the gates' confidence, the raw
metrics with units and their own buckets, the side, and the frames showing the worst
moment. Scorers only read a Track, so stored attempts can be re-scored.
"""

from __future__ import annotations

from apps.assessments.catalogue import BUCKET_ORDER, CATALOGUE_VERSION, TestSpec
from apps.assessments.gates import GateResult
from apps.assessments.scoring import balance, core, mobility, squat
from apps.assessments.scoring.common import NotMeasurable
from apps.assessments.track import Track

SCORERS = {
    "overhead_squat": squat.overhead_squat,
    "lateral_lunge": squat.lateral_lunge,
    "y_balance": balance.y_balance,
    "single_leg_balance": balance.single_leg_balance,
    "neck_flexion_extension": mobility.neck_flexion_extension,
    "ninety_ninety": mobility.ninety_ninety,
    "ankle_knee_to_wall": mobility.ankle_knee_to_wall,
    "shoulder_flexion": mobility.shoulder_flexion,
    "wall_slide": mobility.wall_slide,
    "chin_tuck": mobility.chin_tuck,
    "plank": core.plank,
    "dead_bug": core.dead_bug,
    "glute_bridge": core.glute_bridge,
    "bird_dog": core.bird_dog,
    "clamshell": core.clamshell,
}

__all__ = ["NotMeasurable", "SCORERS", "score"]


def score(spec: TestSpec, track: Track, gate: GateResult) -> dict:
    """The result JSON for a clip that passed the gates. Raises NotMeasurable."""
    measured = SCORERS[spec.scorer](track, gate)
    thresholds = {t.metric: t for t in spec.thresholds}
    metrics = []
    buckets = []
    for name, value in measured.metrics.items():
        threshold = thresholds[name]
        if value != value:  # NaN: the metric could not be taken
            raise NotMeasurable("not_measurable", f"{name} could not be measured.")
        bucket = threshold.bucket(value)
        buckets.append(bucket)
        metrics.append({"metric": name, "value": value, "unit": threshold.unit, "bucket": bucket})
    if not buckets:
        raise NotMeasurable("not_measurable", "Nothing could be measured.")
    worst = sorted({int(i) for i in measured.worst if 0 <= int(i) < track.frames})
    return {
        "bucket": max(buckets, key=BUCKET_ORDER.get),
        "confidence": gate.confidence,
        "view": gate.view,
        "side": measured.side,
        "metrics": metrics,
        "extra": measured.extra,
        "worst_frames": [
            {"frame": int(track.frame_index[i]), "t_ms": int(track.t_ms[i])} for i in worst
        ],
        "catalogue_version": CATALOGUE_VERSION,
    }
