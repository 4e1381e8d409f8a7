"""Setup step: put the official MediaPipe pose bundle at POSE_MODEL_PATH if it is missing.

A no-op (no network at all) when the file is there, as on offline machines that point
POSE_MODEL_PATH at a shared copy. Run by `make run` / `make test` and the image build;
never at request time (the pipeline only reads the path and fails clearly without it).
Offline with no file, it warns and exits 0 unless --strict: the pose tests then fail and
say which path is missing.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

OFFICIAL_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_full/float16/latest/pose_landmarker_full.task"
)
# A .task bundle is a zip holding the detector and the landmark model (~9 MB together).
MIN_BYTES = 1_000_000
MAX_BYTES = 100_000_000
EXPECTED_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


def check_bundle(path: Path) -> None:
    """Raise ValueError unless `path` looks like a pose landmarker bundle."""
    size = path.stat().st_size
    if not MIN_BYTES <= size <= MAX_BYTES:
        raise ValueError(f"{size} bytes is not the size of a pose bundle")
    if not zipfile.is_zipfile(path):
        raise ValueError("not a .task bundle (zip)")
    with zipfile.ZipFile(path) as bundle:
        names = set(bundle.namelist())
    missing = [m for m in EXPECTED_MEMBERS if m not in names]
    if missing:
        raise ValueError(f"bundle lacks {', '.join(missing)}")


class Command(BaseCommand):
    help = "Download the official pose model to POSE_MODEL_PATH unless it is already there."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=OFFICIAL_URL)
        parser.add_argument("--timeout", type=float, default=30.0)
        parser.add_argument(
            "--strict", action="store_true", help="fail (exit 1) when it cannot be fetched"
        )

    def handle(self, *args, url, timeout, strict, **options):
        target = Path(settings.POSE_MODEL_PATH)
        if target.is_file():
            if options["verbosity"] > 1:
                self.stdout.write(f"Pose model present: {target}")
            return
        try:
            self._fetch(url, target, timeout)
        except (OSError, ValueError) as exc:
            message = (
                f"Pose model missing at {target} and not downloaded ({exc}). "
                "Set POSE_MODEL_PATH to a copy of pose_landmarker_full.task."
            )
            if strict:
                raise CommandError(message) from exc
            self.stderr.write(self.style.WARNING(message))
            return
        self.stdout.write(self.style.SUCCESS(f"Pose model downloaded to {target}"))

    def _fetch(self, url: str, target: Path, timeout: float) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Into a temporary file beside the target, checked, then renamed: a cut-off
        # download never sits at POSE_MODEL_PATH.
        fd, temp = tempfile.mkstemp(prefix=".pose-model-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as src:  # noqa: S310 - fixed https URL or the operator's
                total = 0
                while chunk := src.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_BYTES:
                        raise ValueError("download larger than any pose bundle")
                    out.write(chunk)
            check_bundle(Path(temp))
            # mkstemp makes it owner-only; workers may run as another user (the image
            # downloads as root, runs as `app`).
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
