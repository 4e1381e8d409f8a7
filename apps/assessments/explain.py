"""Results in plain words: `depth_pct 63.3` (pass) becomes "Squat depth 63 % of hip height —
good". Used wherever people read results (member pages, the staff attempt page, the report);
the API keeps the codes and adds these words next to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.assessments.catalogue import LIMITED, PASS, SIGNIFICANT, TESTS, Threshold

# Every metric a scorer measures (tests/assessments/test_explain.py checks none is missing).
METRIC_LABELS = {
    "flexion_deg": gettext_lazy("Bending the neck forward"),
    "extension_deg": gettext_lazy("Bending the neck back"),
    "aligned_seconds": gettext_lazy("Time held in a straight line"),
    "reach_asymmetry_pct": gettext_lazy("Difference between left and right reach"),
    "composite_reach_pct": gettext_lazy("Reach"),
    "depth_pct": gettext_lazy("Squat depth"),
    "knee_valgus_deg": gettext_lazy("Knees caving in"),
    "trunk_lean_deg": gettext_lazy("Forward lean of the upper body"),
    "heel_lift_pct": gettext_lazy("Heels lifting"),
    "knee_flexion_min_deg": gettext_lazy("Knee angle at the deepest point"),
    "external_rotation_deg": gettext_lazy("Shoulder rotation"),
    "dorsiflexion_deg": gettext_lazy("Ankle bend"),
    "hold_seconds": gettext_lazy("Time balanced"),
    "sway_pct": gettext_lazy("Wobble"),
    "elevation_deg": gettext_lazy("Arm raise"),
    "trunk_angle_range_deg": gettext_lazy("Trunk rocking"),
    "hip_shift_pct": gettext_lazy("Hip shift"),
    "hip_extension_deg": gettext_lazy("Hip extension"),
    "craniovertebral_angle_deg": gettext_lazy("Head position over the shoulders"),
    "leg_extension_deg": gettext_lazy("Leg straightening"),
    "opening_deg": gettext_lazy("Knee opening"),
    "pelvis_roll_deg": gettext_lazy("Pelvis rolling back"),
}

UNITS = {
    "deg": gettext_lazy("%(value)s°"),
    "s": gettext_lazy("%(value)s s"),
    "%": gettext_lazy("%(value)s %%"),
    "% hip height": gettext_lazy("%(value)s %% of hip height"),
    "% leg length": gettext_lazy("%(value)s %% of leg length"),
    "% torso": gettext_lazy("%(value)s %% of torso length"),
}

VERDICTS = {
    PASS: gettext_lazy("good"),
    LIMITED: gettext_lazy("limited"),
    SIGNIFICANT: gettext_lazy("needs work"),
}

SUMMARIES = {
    PASS: gettext_lazy("This movement looks good. Keep it up."),
    LIMITED: gettext_lazy("Some room to improve. Your coach can suggest exercises for it."),
    SIGNIFICANT: gettext_lazy("This is an area to work on. Ask your coach about it."),
}


@dataclass(frozen=True)
class Explained:
    code: str
    label: str
    value: str  # "63 % of hip height"
    bucket: str
    verdict: str  # "good"
    target: str  # "good from 45 % of hip height"
    sentence: str  # "Squat depth 63 % of hip height — good"


def amount(value: float, unit: str) -> str:
    shown = formats.number_format(round(value), use_l10n=True)
    template = UNITS.get(unit)
    return str(template) % {"value": shown} if template else f"{shown} {unit}"


def _threshold(test_id: int | None, code: str) -> Threshold | None:
    spec = TESTS.get(test_id) if test_id is not None else None
    return next((t for t in spec.thresholds if t.metric == code), None) if spec else None


def metric(measured: dict, *, test_id: int | None = None) -> Explained:
    """One metric of a result ({"metric", "value", "unit", "bucket"}) in words."""
    code, bucket = measured["metric"], measured.get("bucket", "")
    threshold = _threshold(test_id, code)
    unit = measured.get("unit") or (threshold.unit if threshold else "")
    label = str(METRIC_LABELS.get(code, code.replace("_", " ")))
    value = amount(measured["value"], unit)
    verdict = str(VERDICTS.get(bucket, ""))
    target = ""
    if threshold is not None:
        limit = amount(threshold.pass_at, threshold.unit)
        if threshold.better == "higher":
            target = _("good from %(limit)s") % {"limit": limit}
        else:
            target = _("good up to %(limit)s") % {"limit": limit}
    words = {"label": label, "value": value, "verdict": verdict}
    sentence = _("%(label)s %(value)s — %(verdict)s") % words if verdict else f"{label} {value}"
    return Explained(code, label, value, bucket, verdict, target, sentence)


def result(result: dict | None, *, test_id: int | None = None) -> dict:
    """A scored result in words: the overall verdict and summary, and each metric."""
    result = result or {}
    bucket = result.get("bucket", "")
    return {
        "bucket": bucket,
        "verdict": str(VERDICTS.get(bucket, "")),
        "summary": str(SUMMARIES.get(bucket, "")),
        "metrics": [metric(m, test_id=test_id) for m in result.get("metrics", [])],
    }


def values(values: dict[str, float], *, test_id: int) -> str:
    """{"depth_pct": 63.3, ...} (as in progress) as "Squat depth 63 % of hip height, ..."."""
    units = {t.metric: t.unit for t in TESTS[test_id].thresholds} if test_id in TESTS else {}
    return ", ".join(
        f"{METRIC_LABELS.get(code, code)} {amount(value, units.get(code, ''))}"
        for code, value in values.items()
    )


TRENDS = {
    "good": gettext_lazy("Clearly better than your first test."),
    "steady": gettext_lazy("Getting better."),
    "adjust": gettext_lazy("Little change since your first test yet."),
    "stop": gettext_lazy("Worse than your first test. Talk to your coach before going on."),
}
