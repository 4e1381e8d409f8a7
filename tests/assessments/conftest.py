"""Fixtures for assessments: real clips (../shared/videos), synthetic failure clips made
here, and pose tracks computed once per session (the model is slow on this machine: each
real clip goes through MediaPipe once, and every scoring test shares the result)."""

from __future__ import annotations

import hashlib
import pathlib

import cv2
import numpy as np
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.assessments.catalogue import TESTS
from apps.assessments.track import Track
from apps.billing.tiers import Tier
from tests.factories import MemberFactory, UserFactory

CLIPS = settings.SHARED_DIR / "videos"


def clip(name: str) -> pathlib.Path:
    path = CLIPS / name
    if not path.exists():
        pytest.fail(f"missing shared clip {path} (see ../shared/videos/README.md)")
    return path


def write_clip(path: pathlib.Path, frames, fps: float = 15.0) -> pathlib.Path:
    """An MP4 (MPEG-4 Part 2) made with OpenCV from a sequence of BGR frames."""
    frames = list(frames)
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def frames_of(path: pathlib.Path, limit: int, step: int = 1, scale: float = 1.0):
    cap = cv2.VideoCapture(str(path))
    out, index = [], 0
    while len(out) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        if index % step == 0:
            if scale != 1.0:
                frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            out.append(frame)
        index += 1
    cap.release()
    return out


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    """Failure clips, generated: name -> path."""
    root = tmp_path_factory.mktemp("clips")
    rng = np.random.default_rng(6)
    made = {}
    made["black"] = write_clip(root / "black.mp4", [np.zeros((240, 320, 3), np.uint8)] * 45)
    made["white"] = write_clip(root / "white.mp4", [np.full((240, 320, 3), 255, np.uint8)] * 45)
    # Moving coloured shapes on a mid-grey background: light is fine, nobody is there.
    shapes = []
    for i in range(45):
        frame = np.full((240, 320, 3), 120, np.uint8)
        cv2.circle(frame, (20 + 6 * i, 120), 30, (0, 200, 255), -1)
        cv2.rectangle(frame, (200, 20 + 3 * i), (260, 80 + 3 * i), (255, 80, 0), -1)
        shapes.append(frame)
    made["no_person"] = write_clip(root / "no_person.mp4", shapes)
    made["noise"] = write_clip(
        root / "noise.mp4", [rng.integers(90, 160, (96, 128, 3), dtype=np.uint8) for _ in range(36)]
    )
    # A real person, frozen: the first frame of a squat clip repeated for 3 s.
    first = frames_of(clip("squat_side_1.mp4"), 1, scale=0.5)[0]
    made["static"] = write_clip(root / "static.mp4", [first] * 45)
    # Two people: the front squat clip side by side with itself.
    pairs = [np.hstack([f, f]) for f in frames_of(clip("squat_front_1.mp4"), 45, step=2, scale=0.5)]
    made["two_people"] = write_clip(root / "two_people.mp4", pairs)
    data = clip("squat_front_1.mp4").read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) * 6 // 10])
    made["truncated"] = root / "truncated.mp4"
    (root / "tiny.mp4").write_bytes(data[:200])
    made["tiny"] = root / "tiny.mp4"
    (root / "text.mp4").write_text("this is not a video, whatever its name says\n" * 20)
    made["text"] = root / "text.mp4"
    made["too_long"] = write_clip(
        root / "long.mp4", [np.full((64, 64, 3), 90, np.uint8)] * 60, fps=1
    )
    made["short"] = write_clip(root / "short.mp4", [np.full((64, 64, 3), 90, np.uint8)] * 10)
    return made


def upload(path: pathlib.Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="video/mp4")


# Real clips whose tracks the scoring tests share, with the test each is scored as.
TRACKED = {
    "squat_side_1.mp4": 4,
    "squat_side_2.mp4": 4,
    "squat_side_rendered.mp4": 4,
    "squat_front_1.mp4": 4,
    "squat_front_faulty.mp4": 4,
    "single_leg_balance_1.mp4": 7,
    "plank_1.mp4": 2,
    "dead_bug_1.mp4": 11,
    "shoulder_flexion_1.mp4": 9,
}


def _cache_key(name: str, fps: int) -> str:
    """Changes with the clip, the model, the sampling rate and the code that extracts."""
    digest = hashlib.sha256()
    for path in (clip(name), pathlib.Path(settings.POSE_MODEL_PATH)):
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for module in ("pose.py", "video.py", "track.py"):
        digest.update((settings.BASE_DIR / "apps" / "assessments" / module).read_bytes())
    digest.update(f"{fps}".encode())
    return digest.hexdigest()[:20]


@pytest.fixture(scope="session")
def tracks():
    """name -> Track, each real clip through the real model once, at its test's rate.

    Kept in var/ between local runs (keyed by clip, model and extraction code), since the
    model takes minutes over these clips on a busy machine; a fresh checkout (CI) runs it.
    The end-to-end pipeline tests always run the model.
    """
    from apps.assessments import pose  # noqa: PLC0415 - only sessions that need it load it

    cache = settings.BASE_DIR / "var" / "test-pose-tracks"
    cache.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, test in TRACKED.items():
        fps = TESTS[test].sample_fps
        stored = cache / f"{pathlib.Path(name).stem}-{_cache_key(name, fps)}.npz"
        if stored.exists():
            out[name] = Track.from_bytes(stored.read_bytes())
            continue
        out[name] = pose.extract(str(clip(name)), target_fps=fps)
        stored.write_bytes(out[name].to_bytes())
    return out


@pytest.fixture
def member_user(gym_a):
    """A member of gym A on the Pro tier with an app login."""
    with tenant_context(gym_a):
        user = UserFactory(role=Role.MEMBER)
        member = MemberFactory(user=user, tier=Tier.PRO)
    return member, user


@pytest.fixture
def staff(gym_a):
    def make(role=Role.TRAINER):
        with tenant_context(gym_a):
            return UserFactory(role=role)

    return make
