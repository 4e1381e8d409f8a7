"""Problem areas from combined test results: P1 (root-cause candidates) and P2
(consequence patterns), by rules written as data below so a coach can read and change
them; and the progress trend between retests.

A rule matches when every condition in `all` holds (and at least one in `any`, if
given). A condition names a test, optionally one of its metrics, and the buckets that
count (BAD = limited or significant). Tests the member has not taken never match.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.assessments.catalogue import LIMITED, SIGNIFICANT, TESTS

BAD = (LIMITED, SIGNIFICANT)

AREAS = {
    "ankle_mobility": _("Ankle mobility"),
    "hip_abduction_control": _("Hip abduction control"),
    "knee_valgus": _("Knees cave in (valgus)"),
    "heel_lift": _("Heels lift"),
    "forward_lean": _("Excessive forward lean"),
    "squat_depth": _("Limited squat depth"),
    "thoracic_shoulder_mobility": _("Thoracic and shoulder mobility"),
    "core_stability": _("Core stability"),
    "lumbar_control": _("Lower-back control"),
    "balance_control": _("Balance control"),
    "hip_extension": _("Hip extension and glute strength"),
    "neck_mobility": _("Neck mobility and head posture"),
}

RULES: list[dict] = [
    # The example: valgus in the squat with a stiff ankle and/or poor hip control.
    {"id": "valgus_ankle", "all": [(4, "knee_valgus_deg", BAD), (6, None, BAD)],
     "p1": ["ankle_mobility"], "p2": ["knee_valgus"]},
    {"id": "valgus_hip", "all": [(4, "knee_valgus_deg", BAD)],
     "any": [(15, None, BAD), (7, None, BAD)],
     "p1": ["hip_abduction_control"], "p2": ["knee_valgus"]},
    {"id": "valgus_alone", "all": [(4, "knee_valgus_deg", BAD)], "p1": [], "p2": ["knee_valgus"]},
    {"id": "heel_lift_ankle", "all": [(4, "heel_lift_pct", BAD)], "any": [(6, None, BAD)],
     "p1": ["ankle_mobility"], "p2": ["heel_lift"]},
    {"id": "lean_ankle", "all": [(4, "trunk_lean_deg", BAD), (6, None, BAD)],
     "p1": ["ankle_mobility"], "p2": ["forward_lean"]},
    {"id": "lean_shoulders", "all": [(4, "trunk_lean_deg", BAD)],
     "any": [(9, None, BAD), (10, None, BAD)],
     "p1": ["thoracic_shoulder_mobility"], "p2": ["forward_lean"]},
    {"id": "depth_ankle", "all": [(4, "depth_pct", BAD), (6, None, BAD)],
     "p1": ["ankle_mobility"], "p2": ["squat_depth"]},
    {"id": "shoulders", "any": [(9, None, BAD), (10, None, BAD), (5, None, BAD)],
     "p1": ["thoracic_shoulder_mobility"], "p2": []},
    {"id": "core", "all": [(11, None, BAD)], "any": [(2, None, BAD), (14, None, BAD)],
     "p1": ["core_stability"], "p2": ["lumbar_control"]},
    {"id": "trunk_endurance", "all": [(2, None, BAD)], "p1": ["core_stability"], "p2": []},
    {"id": "balance", "any": [(7, None, BAD), (3, None, BAD)], "p1": ["balance_control"], "p2": []},
    {"id": "bridge", "all": [(12, None, BAD)], "any": [(14, None, BAD), (2, None, BAD)],
     "p1": ["hip_extension"], "p2": ["lumbar_control"]},
    {"id": "neck", "any": [(1, None, BAD), (13, None, BAD)], "p1": ["neck_mobility"], "p2": []},
]  # fmt: skip


def _holds(condition, results: dict[int, dict]) -> dict | None:
    test_id, metric, buckets = condition
    result = results.get(test_id)
    if not result:
        return None
    if metric is None:
        bucket = result.get("bucket")
    else:
        bucket = next(
            (m["bucket"] for m in result.get("metrics", []) if m["metric"] == metric), None
        )
    if bucket in buckets:
        return {
            "test_id": test_id,
            "test": str(TESTS[test_id].name),
            "metric": metric,
            "bucket": bucket,
        }
    return None


def problem_areas(results: dict[int, dict], rules: list[dict] = RULES) -> dict:
    """results: test id -> result JSON of the latest scored attempt. Returns P1 and P2
    areas ranked by how many rules point at them, each with its evidence."""
    found: dict[tuple[str, str], dict] = {}
    for rule in rules:
        evidence = [_holds(c, results) for c in rule.get("all", [])]
        if not all(evidence):
            continue
        if rule.get("any"):
            extra = [e for e in (_holds(c, results) for c in rule["any"]) if e]
            if not extra:
                continue
            evidence += extra
        for level in ("p1", "p2"):
            for area in rule[level]:
                entry = found.setdefault(
                    (level, area),
                    {"area": area, "label": str(AREAS[area]), "rules": [], "evidence": []},
                )
                entry["rules"].append(rule["id"])
                for item in evidence:
                    if item not in entry["evidence"]:
                        entry["evidence"].append(item)
    p1 = sorted(
        (v for (lvl, _a), v in found.items() if lvl == "p1"), key=lambda v: -len(v["rules"])
    )
    p1_areas = {v["area"] for v in p1}
    p2 = sorted(
        (v for (lvl, a), v in found.items() if lvl == "p2" and a not in p1_areas),
        key=lambda v: -len(v["rules"]),
    )
    return {"p1": p1, "p2": p2}


# --- Progress between retests ----------------------------------------------------------

GOOD, ADJUST, STOP, STEADY = "good", "adjust", "stop", "steady"


def trend(first: dict, latest: dict, thresholds) -> dict:
    """Change of each graded metric from the first to the latest attempt, as % of the
    first value in the metric's better direction: >= 20% better: good; < 10%: adjust the
    plan; worse: stop and see a specialist."""
    changes = {}
    for t in thresholds:
        if t.metric not in first or t.metric not in latest:
            continue
        before, after = first[t.metric], latest[t.metric]
        scale = max(abs(before), 1.0)
        delta = (
            (after - before) / scale * 100
            if t.better == "higher"
            else (before - after) / scale * 100
        )
        changes[t.metric] = round(delta, 1)
    if not changes:
        return {"changes": {}, "verdict": ""}
    worst = min(changes.values())
    best = max(changes.values())
    if worst < -5:
        verdict = STOP
    elif best >= 20:
        verdict = GOOD
    elif best < 10:
        verdict = ADJUST
    else:
        verdict = STEADY
    return {"changes": changes, "verdict": verdict}
