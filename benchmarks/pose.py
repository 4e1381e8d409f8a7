"""Pose pipeline throughput and memory, on the shared clips (../shared/videos).

In one process (a Celery worker's situation: one landmarker, reused across videos):

    bare      decode + detect only: the same sampled, downscaled frames the pipeline
              analyses, straight into the tracker (VIDEO mode), and the same ~1 a second
              into the people check (IMAGE mode): the floor here
    pipeline  the Celery task itself (`process_attempt.apply`): claim the attempt, read
              the stored clip, decode, detect, gates, scoring, store landmarks and result,
              audit and realtime event, in a gym of a database of its own (bench_pose,
              made afresh and dropped at the end)

The first 15 videos interleave one bare pass and one pipeline pass per clip; the pipeline
then continues to 50 consecutive videos to measure the worker's resident memory growth.

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.pose

Targets: pipeline >= 0.85x the bare loop's frames/s; processing <= 0.5 s per second of
video; RSS growth < 50 MB over 50 videos.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.common import (
    OtherCpu,
    database_drop,
    database_recreate,
    django_setup,
    load_note,
    table,
)

DB_NAME = "bench_pose"
VIDEOS = 50
# The test each clip is filmed for (sets the sampling rate and the gates).
CLIP_TESTS = {
    "squat_side_1.mp4": 4,
    "squat_side_2.mp4": 4,
    "squat_side_rendered.mp4": 4,
    "squat_front_1.mp4": 4,
    "squat_front_faulty.mp4": 4,
    "overhead_squat_1.mp4": 4,
    "reverse_lunge_1.mp4": 8,
    "single_leg_balance_1.mp4": 7,
    "plank_1.mp4": 2,
    "dead_bug_1.mp4": 11,
    "glute_bridge_1.mp4": 12,
    "shoulder_flexion_1.mp4": 9,
    "pushup_1.mp4": 2,
    "biceps_curl_1.mp4": 9,
    "walking_1.mp4": 4,
}
# --quick: one clip of each kind (side/front squat, hold, 1080p floor work, 1920 px 60 f/s),
# for iterating; the default run is the full one.
QUICK = (
    "squat_side_1.mp4",
    "squat_front_faulty.mp4",
    "single_leg_balance_1.mp4",
    "dead_bug_1.mp4",
    "shoulder_flexion_1.mp4",
)
CLIPS = list(CLIP_TESTS)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bare(path: Path, fps: int) -> tuple[int, float]:
    """The model calls the pipeline makes, and nothing else: the same sampled, downscaled
    frames into the tracker, and the same frames (about one a second) into the people
    check. So the ratio measures the pipeline's own overhead, not a different workload."""
    import mediapipe as mp
    import numpy as np

    from apps.assessments import pose, video

    model, people = pose.landmarker(), pose.people_counter()
    start_ms = pose._state["clock_ms"]  # noqa: SLF001 - share the landmarker's clock
    frames, last, last_check = 0, start_ms, None
    began = time.perf_counter()
    for _index, stamp, frame in video.sample_frames(str(path), target_fps=fps):
        last = start_ms + stamp
        picture = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
        model.detect_for_video(picture, last)
        if pose.people_check_due(stamp, last_check):
            last_check = stamp
            people.detect(picture)
        frames += 1
    elapsed = time.perf_counter() - began
    pose._state["clock_ms"] = last + pose.GAP_BETWEEN_CLIPS_MS  # noqa: SLF001
    return frames, elapsed


def main() -> int:
    global VIDEOS, CLIPS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, help="pipeline runs (default 50; --quick: 5)")
    parser.add_argument(
        "--quick", action="store_true", help=f"only {len(QUICK)} clips, for quick iterations"
    )
    args = parser.parse_args()
    if args.quick:
        CLIPS = list(QUICK)
    VIDEOS = args.videos or (len(CLIPS) if args.quick else VIDEOS)
    print(f"Pose benchmark: database {DB_NAME}; {load_note()}", flush=True)
    db_url = database_recreate(DB_NAME)
    django_setup(db_url)
    try:
        return run()
    finally:
        database_drop(DB_NAME)


def run() -> int:
    from django.conf import settings
    from django.core.files import File
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from apps.assessments.catalogue import TESTS
    from apps.assessments.models import Attempt
    from apps.assessments.track import Track
    from apps.assessments.video import probe
    from apps.billing.tiers import Tier
    from apps.members.services import member_create
    from apps.tenants.services import gym_create
    from config.celery import app

    app.conf.task_always_eager = True
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-pose-media-")
    clips_dir = settings.SHARED_DIR / "videos"
    clips = [clips_dir / name for name in CLIPS]
    call_command("migrate_schemas", interactive=False, verbosity=0)
    gym = gym_create(
        name="Bench Pose", slug="bench-pose", owner_email="owner@bench-pose.test",
        owner_password="bench-pass-123", owner_name="Owner",
    )  # fmt: skip
    info = {path.name: probe(str(path)) for path in clips}
    bare_rows, pipe_rows = [], []
    rss = {}
    other = OtherCpu(DB_NAME)
    with tenant_context(gym):
        member = member_create(data={"first_name": "Bench", "tier": Tier.PRO_PLUS})
        from apps.assessments.tasks import process_attempt

        for i in range(VIDEOS):
            path = clips[i % len(clips)]
            test_id = CLIP_TESTS[path.name]
            fps = TESTS[test_id].sample_fps
            if i < len(clips):
                frames, seconds = bare(path, fps)
                bare_rows.append((path.name, frames, seconds))
            attempt = Attempt(member=member, test_id=test_id, catalogue_version="bench")
            attempt.video_info = info[path.name].as_dict()
            with path.open("rb") as fh:
                attempt.video.save("clip", File(fh), save=True)
            began = time.perf_counter()
            outcome = process_attempt.apply(args=[attempt.pk]).get()
            seconds = time.perf_counter() - began
            attempt.refresh_from_db()
            frames = Track.from_bytes(attempt.landmarks).frames if attempt.landmarks else 0
            pipe_rows.append(
                (path.name, frames, seconds, outcome, attempt.reason_code or attempt.bucket)
            )
            if i == 0:
                rss[1] = rss_mb()
        rss[VIDEOS] = rss_mb()

    rows = []
    for (name, frames, b_s), (_n, p_frames, p_s, outcome, detail) in zip(
        bare_rows, pipe_rows, strict=False
    ):
        duration = info[name].duration_s
        rows.append([
            name, f"{CLIP_TESTS[name]}", f"{duration:.1f}", f"{TESTS[CLIP_TESTS[name]].sample_fps}",
            f"{frames}", f"{frames / b_s:.1f}",
            f"{p_frames / p_s:.1f}", f"{(p_frames / p_s) / (frames / b_s):.2f}",
            f"{p_s / duration:.2f}", f"{outcome} {detail}",
        ])  # fmt: skip
    print(
        table(
            [
                "clip",
                "test",
                "video s",
                "sample f/s",
                "frames",
                "bare f/s",
                "pipeline f/s",
                "ratio",
                "proc s / video s",
                "outcome",
            ],
            rows,
        )  # fmt: skip
    )
    first = pipe_rows[: len(bare_rows)]
    bare_frames = sum(r[1] for r in bare_rows)
    bare_seconds = sum(r[2] for r in bare_rows)
    pipe_frames = sum(r[1] for r in first)
    pipe_seconds = sum(r[2] for r in first)
    video_seconds = sum(info[r[0]].duration_s for r in first)
    bare_fps, pipe_fps = bare_frames / bare_seconds, pipe_frames / pipe_seconds
    print()
    print(
        f"bare landmarker loop (decode + detect): {bare_fps:.1f} frames/s over {bare_frames} frames"
    )
    print(
        f"full pipeline task:                     {pipe_fps:.1f} frames/s over {pipe_frames} frames"
    )
    print(f"ratio pipeline / bare:                  {pipe_fps / bare_fps:.2f}  (target >= 0.85)")
    print(
        f"processing per second of video:         {pipe_seconds / video_seconds:.2f} s"
        f"  ({pipe_seconds:.1f} s for {video_seconds:.1f} s of video; target <= 0.5)"
    )
    print(
        f"worker RSS after 1 video: {rss[1]:.0f} MB; after {VIDEOS} videos: {rss[VIDEOS]:.0f} MB;"
        f" growth {rss[VIDEOS] - rss[1]:.0f} MB  (target < 50 MB)"
    )
    print(
        f"other processes on the machine meanwhile: {other.percent():.0f}% of one CPU"
        f" (top: {other.top()}); hypervisor steal {other.steal_percent():.0f}%"
    )
    print(load_note())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
