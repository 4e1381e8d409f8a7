"""MediaPipe PoseLandmarker (Tasks API): one pair per worker process, reused.

Creating a landmarker loads the model and its graph (about a second and tens of MB), so a
worker makes its two on first use and keeps them:

- the tracker, VIDEO mode, one pose: every sampled frame. VIDEO mode requires timestamps
  that only ever increase for the landmarker's whole life, so each clip's timestamps are
  shifted by a running offset instead of starting at zero; a gap between clips keeps the
  tracker from carrying one clip's pose into the next as if it were the same movement.
- the people check, IMAGE mode, two poses: about one sampled frame a second, to see a
  second person (the "multiple_people" gate). Asking the tracker for two poses instead
  made it run its person detector on every frame (it keeps looking for the missing
  second one): ~40% more model time per frame, measured; the check costs ~1/8 of that.

Only the Celery task imports this module: web processes never load the model runtime.
"""

from __future__ import annotations

import os
import threading

import mediapipe as mp
import numpy as np
from django.conf import settings
from mediapipe.tasks.python import BaseOptions, vision

from apps.assessments import video
from apps.assessments.track import Track

GAP_BETWEEN_CLIPS_MS = 10_000
# How often the people check runs, in clip time (the first sampled frame is always
# checked). Its grain is a second: someone in view for under a second may fall between
# checks; anyone there for a second or more is in at least one, and the gate refuses the
# clip when more than a quarter of the checks see a second person.
PEOPLE_CHECK_EVERY_MS = 1000

_lock = threading.Lock()
_state: dict = {"pid": None, "landmarker": None, "people": None, "clock_ms": 0, "clips": 0}


class ModelMissing(RuntimeError):
    pass


def _create(mode, num_poses: int):
    path = str(settings.POSE_MODEL_PATH)
    if not os.path.isfile(path):
        raise ModelMissing(f"Pose model not found at {path} (setting POSE_MODEL_PATH).")
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=path),
        running_mode=mode,
        num_poses=num_poses,
        min_pose_detection_confidence=0.5,
        min_pose_presence_confidence=0.5,
        min_tracking_confidence=0.5,
    )
    return vision.PoseLandmarker.create_from_options(options)


def _close() -> None:
    if _state["pid"] != os.getpid():
        return
    for key in ("landmarker", "people"):
        model = _state.get(key)
        if model is not None:
            _state[key] = None
            model.close()


# Before interpreter exit tears down MediaPipe's own dispatcher threads (a plain atexit
# hook runs too late and the close fails noisily).
threading._register_atexit(_close)  # noqa: SLF001


def landmarker():
    """This process's tracker (a forked child makes its own)."""
    if _state["pid"] != os.getpid() or _state["landmarker"] is None:
        _state.update(
            pid=os.getpid(),
            landmarker=_create(vision.RunningMode.VIDEO, 1),
            people=_create(vision.RunningMode.IMAGE, 2),
            clock_ms=0,
            clips=0,
        )
    return _state["landmarker"]


def people_counter():
    """This process's people check (IMAGE mode, up to two poses)."""
    landmarker()
    return _state["people"]


def people_check_due(stamp_ms: int, last_check_ms: int | None) -> bool:
    return last_check_ms is None or stamp_ms - last_check_ms >= PEOPLE_CHECK_EVERY_MS


def second_person(result) -> float:
    """Mean visibility of the less visible of the two poses found, 0 if only one."""
    poses = result.pose_landmarks
    if len(poses) < 2:
        return 0.0
    return min(float(np.mean([p.visibility or 0.0 for p in pose])) for pose in poses[:2])


def stats() -> dict:
    return {"pid": _state["pid"], "clips": _state["clips"], "clock_ms": _state["clock_ms"]}


def _body_luma(frame: np.ndarray, points: np.ndarray) -> float:
    """Brightness around the person: a white wall behind a well-lit person is not an
    overexposed clip, a dark person before a bright window is an underexposed one."""
    height, width = frame.shape[:2]
    x0, y0 = np.clip(points[:, :2].min(axis=0), 0, 1)
    x1, y1 = np.clip(points[:, :2].max(axis=0), 0, 1)
    region = frame[
        int(y0 * height) : int(y1 * height) + 1 : 2, int(x0 * width) : int(x1 * width) + 1 : 2
    ]
    return float(region.mean()) if region.size else float(frame[::4, ::4].mean())


def extract(path: str, *, target_fps: float) -> Track:
    """Run the landmarker over the clip at about `target_fps`; return its track."""
    # Checked at upload; seeking to the end again would decode up to a GOP for nothing.
    info = video.stream_info(path)
    width, height = video.analysis_size(info.width, info.height)
    t_ms, indexes, image, world, second, luma = [], [], [], [], [], []
    nan_image = np.full((33, 5), np.nan, dtype=np.float32)
    nan_world = np.full((33, 3), np.nan, dtype=np.float32)
    with _lock:
        model, people = landmarker(), people_counter()
        start = _state["clock_ms"]
        last, last_check = start, None
        for index, stamp, frame in video.sample_frames(path, target_fps=target_fps):
            last = start + stamp
            picture = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
            result = model.detect_for_video(picture, last)
            if people_check_due(stamp, last_check):
                last_check = stamp
                second.append(second_person(people.detect(picture)))
            else:
                second.append(np.nan)
            poses = result.pose_landmarks
            t_ms.append(stamp)
            indexes.append(index)
            if poses:
                points = np.array(
                    [[p.x, p.y, p.z, p.visibility or 0.0, p.presence or 0.0] for p in poses[0]],
                    dtype=np.float32,
                )
                image.append(points)
                luma.append(_body_luma(frame, points))
                world.append(
                    np.array([[p.x, p.y, p.z] for p in result.pose_world_landmarks[0]], np.float32)
                )
            else:
                luma.append(float(frame[::4, ::4].mean()))
                image.append(nan_image)
                world.append(nan_world)
        _state["clock_ms"] = last + GAP_BETWEEN_CLIPS_MS
        _state["clips"] += 1
    count = len(t_ms)
    return Track(
        t_ms=np.array(t_ms, dtype=np.int32),
        frame_index=np.array(indexes, dtype=np.int32),
        image=np.array(image, dtype=np.float32).reshape(count, 33, 5),
        world=np.array(world, dtype=np.float32).reshape(count, 33, 3),
        second_pose=np.array(second, dtype=np.float32),
        luma=np.array(luma, dtype=np.float32),
        width=width,
        height=height,
        source_fps=info.fps,
        source_frames=info.frames,
    )
