"""The movement test catalogue, as versioned data.

Each test says how to film it (camera view, framing, longest clip), what the model must
see (landmarks), whether the test needs movement, how often frames are sampled, which
scorer measures it, and the thresholds that turn each graded metric into a bucket
(pass / limited / significant). A change to any threshold bumps CATALOGUE_VERSION;
attempts remember the version they were scored with, and `rescore_attempts` re-scores
stored landmarks under the current one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from apps.billing.tiers import Tier

CATALOGUE_VERSION = "2026.11.1"
# Frame rates: the fewest frames that still show the movement, since the model's time per
# frame is what a clip costs. Measured on the shared clips (2026-11-22):
# - squats 8 f/s (a fast rep of 1.8 s still gets ~14 samples): rep counts, depth (+-2 %)
#   and knee flexion (+-2 deg) as at 10, also at 6; 8 keeps a margin for faster reps.
# - plank and single-leg balance 4 f/s: aligned/held seconds and sway as at 5; at 3 the
#   plank's run overshot the clip and the balance sway fell by half.
# - dead bug and glute bridge 8 f/s: trunk range and hip extension within 0.3 deg of 10-12.
# - shoulder flexion (and the other peak-angle tests) stay at 10: at 8 the top of a raise
#   is missed often enough to lose ~7 deg of elevation.
# - tests without a shared clip keep 10 (holds 5) until footage shows otherwise.

FRONT, SIDE = "front", "side"
FULL, UPPER = "full", "upper"
PASS, LIMITED, SIGNIFICANT = "pass", "limited", "significant"
BUCKET_ORDER = {PASS: 0, LIMITED: 1, SIGNIFICANT: 2}


@dataclass(frozen=True)
class Threshold:
    """`higher` metrics pass at >= pass_at, are limited at >= limited_at; `lower` ones
    the other way round."""

    metric: str
    unit: str
    better: str  # "higher" | "lower"
    pass_at: float
    limited_at: float

    def bucket(self, value: float) -> str:
        if self.better == "higher":
            return (
                PASS
                if value >= self.pass_at
                else LIMITED
                if value >= self.limited_at
                else SIGNIFICANT
            )
        return (
            PASS if value <= self.pass_at else LIMITED if value <= self.limited_at else SIGNIFICANT
        )


@dataclass(frozen=True)
class TestSpec:
    id: int
    slug: str
    name: str
    views: tuple[str, ...]  # accepted camera views; the first is the one to ask for
    framing: str
    max_seconds: int
    sample_fps: int
    instructions: str
    required: tuple[str, ...]  # landmark names without side: both sides from the front,
    #                            the camera-facing side from the side
    needs_movement: bool
    movement: tuple[str, ...]  # landmarks that must move when the test needs movement
    scorer: str  # function in apps.assessments.scoring
    thresholds: tuple[Threshold, ...]

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "slug": self.slug,
            "name": str(self.name),
            "views": list(self.views),
            "framing": self.framing,
            "max_seconds": self.max_seconds,
            "instructions": str(self.instructions),
            "metrics": [
                {
                    "metric": t.metric,
                    "unit": t.unit,
                    "better": t.better,
                    "pass_at": t.pass_at,
                    "limited_at": t.limited_at,
                }
                for t in self.thresholds
            ],
        }


T = Threshold
TESTS: dict[int, TestSpec] = {
    spec.id: spec
    for spec in (
        TestSpec(
            1, "neck_flexion_extension", _("Neck flexion and extension"), (SIDE,), UPPER, 30, 10,
            _("Sit tall side-on to the camera. Slowly bring your chin to your chest, then look "
              "up to the ceiling as far as is comfortable. Repeat twice."),
            ("ear", "shoulder"), True, ("nose", "ear"), "neck_flexion_extension",
            (T("flexion_deg", "deg", "higher", 45, 30),
             T("extension_deg", "deg", "higher", 50, 35)),
        ),
        TestSpec(
            2, "plank", _("Plank endurance"), (SIDE,), FULL, 45, 4,
            _("Place the camera side-on at floor level. Hold a forearm or high plank with "
              "your body in a straight line for as long as you can, up to 45 seconds."),
            ("shoulder", "hip", "ankle"), False, (), "plank",
            (T("aligned_seconds", "s", "higher", 30, 15),),
        ),
        TestSpec(
            3, "y_balance", _("Y-balance reach"), (FRONT,), FULL, 45, 10,
            _("Face the camera, stand on one leg and reach the other foot as far as you can "
              "forward, then back to each side. Switch legs and repeat."),
            ("hip", "knee", "ankle"), True, ("ankle", "foot_index"), "y_balance",
            (T("reach_asymmetry_pct", "%", "lower", 6, 12),
             T("composite_reach_pct", "% leg length", "higher", 80, 65)),
        ),
        TestSpec(
            4, "overhead_squat", _("Overhead squat"), (FRONT, SIDE), FULL, 30, 8,
            _("Stand with feet hip-width apart, arms straight overhead. Squat as deep as you "
              "comfortably can, 3 to 5 times. Film from the front (or from the side)."),
            ("hip", "knee", "ankle"), True, ("hip",), "overhead_squat",
            (T("depth_pct", "% hip height", "higher", 45, 30),
             T("knee_valgus_deg", "deg", "lower", 5, 12),
             T("heel_lift_pct", "% leg length", "lower", 5, 10),
              T("trunk_lean_deg", "deg", "lower", 40, 55),
             T("knee_flexion_min_deg", "deg", "lower", 100, 130)),
        ),
        TestSpec(
            5, "ninety_ninety", _("90-90 shoulder rotation"), (FRONT,), UPPER, 30, 10,
            _("Face the camera with your arms out to the sides, elbows bent at 90 degrees. "
              "Rotate your forearms up and back as far as you can, then down. Repeat 3 times."),
            ("shoulder", "elbow", "wrist"), True, ("wrist",), "ninety_ninety",
            (T("external_rotation_deg", "deg", "higher", 80, 60),),
        ),
        TestSpec(
            6, "ankle_knee_to_wall", _("Ankle mobility (knee to wall)"), (SIDE,), FULL, 30, 10,
            _("Side-on to the camera, face a wall in a half-kneeling or split stance. Keeping "
              "the front heel down, push the knee forward over the toes as far as you can."),
            ("knee", "ankle", "foot_index"), True, ("knee",), "ankle_knee_to_wall",
            (T("dorsiflexion_deg", "deg", "higher", 38, 30),),
        ),
        TestSpec(
            7, "single_leg_balance", _("Single-leg balance"), (FRONT,), FULL, 45, 4,
            _("Face the camera, lift one knee and stand still on the other leg for as long "
              "as you can, up to 45 seconds."),
            ("hip", "knee", "ankle"), False, (), "single_leg_balance",
            (T("hold_seconds", "s", "higher", 30, 10),
             T("sway_pct", "% leg length", "lower", 3, 6)),
        ),
        TestSpec(
            8, "lateral_lunge", _("Lateral lunge"), (FRONT,), FULL, 30, 10,
            _("Face the camera. Step wide to one side and sit back into that hip, keeping the "
              "other leg straight; return and repeat on the other side."),
            ("hip", "knee", "ankle"), True, ("hip",), "lateral_lunge",
            (T("knee_flexion_min_deg", "deg", "lower", 110, 135),
             T("trunk_lean_deg", "deg", "lower", 20, 35)),
        ),
        TestSpec(
            9, "shoulder_flexion", _("Shoulder flexion"), (FRONT, SIDE), FULL, 30, 10,
            _("Stand tall and raise both straight arms forward and up overhead as far as you "
              "can without arching your back, then lower them. Repeat 3 times."),
            ("shoulder", "elbow", "wrist", "hip"), True, ("wrist",), "shoulder_flexion",
            (T("elevation_deg", "deg", "higher", 165, 145),),
        ),
        TestSpec(
            10, "wall_slide", _("Wall slide"), (FRONT,), UPPER, 30, 10,
            _("Stand with your back to a wall, arms in a W against it. Slide your arms up "
              "into a Y keeping them on the wall, then down. Repeat 3 times."),
            ("shoulder", "elbow", "wrist"), True, ("wrist",), "wall_slide",
            (T("elevation_deg", "deg", "higher", 160, 140),),
        ),
        TestSpec(
            11, "dead_bug", _("Dead bug"), (SIDE,), FULL, 45, 8,
            _("Lie on your back side-on to the camera, arms up and knees over hips. Slowly "
              "lower the opposite arm and leg and return, alternating, keeping your back flat."),
            ("shoulder", "hip", "knee"), True, ("wrist", "ankle"), "dead_bug",
            (T("trunk_angle_range_deg", "deg", "lower", 6, 12),
             T("hip_shift_pct", "% torso", "lower", 6, 12)),
        ),
        TestSpec(
            12, "glute_bridge", _("Glute bridge"), (SIDE,), FULL, 30, 8,
            _("Lie on your back side-on to the camera, knees bent and feet flat. Lift your "
              "hips until shoulders, hips and knees are in line; lower and repeat."),
            ("shoulder", "hip", "knee"), True, ("hip",), "glute_bridge",
            (T("hip_extension_deg", "deg", "higher", 165, 150),),
        ),
        TestSpec(
            13, "chin_tuck", _("Chin tuck"), (SIDE,), UPPER, 30, 10,
            _("Sit tall side-on to the camera. Draw your chin straight back (a double chin) "
              "without tilting your head, hold 2 seconds, relax. Repeat 3 times."),
            ("ear", "shoulder"), True, ("ear",), "chin_tuck",
            (T("craniovertebral_angle_deg", "deg", "higher", 50, 44),),
        ),
        TestSpec(
            14, "bird_dog", _("Bird dog"), (SIDE,), FULL, 45, 10,
            _("On hands and knees side-on to the camera, reach one arm forward and the "
              "opposite leg back until level, hold, return; alternate sides."),
            ("shoulder", "hip", "knee"), True, ("wrist", "ankle"), "bird_dog",
            (T("trunk_angle_range_deg", "deg", "lower", 8, 15),
             T("leg_extension_deg", "deg", "higher", 160, 140)),
        ),
        TestSpec(
            15, "clamshell", _("Clamshell"), (FRONT,), FULL, 30, 10,
            _("Lie on your side facing the camera, knees bent, feet together. Open the top "
              "knee as far as you can without rolling the pelvis back; repeat 5 times."),
            ("hip", "knee", "ankle"), True, ("knee",), "clamshell",
            (T("opening_deg", "deg", "higher", 35, 20),
             T("pelvis_roll_deg", "deg", "lower", 10, 20)),
        ),
    )
}  # fmt: skip

TIER_TESTS: dict[str, tuple[int, ...]] = {
    Tier.FREE: (4, 3, 7),
    Tier.BASIC: (4, 3, 7),
    Tier.PRO: (4, 3, 7, 6, 9, 2, 11),
    Tier.PRO_PLUS: tuple(range(1, 16)),
}


def spec_for(test_id: int) -> TestSpec | None:
    return TESTS.get(test_id)


def specs_for_tier(tier: str) -> list[TestSpec]:
    return [TESTS[i] for i in TIER_TESTS.get(tier, TIER_TESTS[Tier.FREE])]


def tier_includes(test_id: int, tier: str) -> bool:
    return test_id in TIER_TESTS.get(tier, TIER_TESTS[Tier.FREE])
