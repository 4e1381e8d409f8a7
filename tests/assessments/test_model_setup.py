"""`manage.py fetch_pose_model`: the setup step that puts the pose bundle in place.

Downloads are served from local files (file:// URLs): these machines have no internet, and
the command's logic (no-op when present, checked download, atomic install) is the same."""

import io
import pathlib

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

SHARED_MODEL = pathlib.Path(django_settings.POSE_MODEL_PATH)


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("fetch_pose_model", *args, stdout=out, stderr=err, verbosity=2)
    return out.getvalue(), err.getvalue()


def test_present_model_is_left_alone_without_touching_the_network(settings, tmp_path):
    target = tmp_path / "pose.task"
    target.write_bytes(b"whatever the operator put here")
    settings.POSE_MODEL_PATH = str(target)
    # An address that cannot be reached: a download attempt would fail loudly (--strict).
    out, _err = _run("--url", "http://127.0.0.1:9/never", "--strict")
    assert "present" in out
    assert target.read_bytes() == b"whatever the operator put here"


def test_missing_model_is_downloaded_checked_and_installed(settings, tmp_path):
    if not SHARED_MODEL.is_file():
        pytest.fail(f"missing shared pose model {SHARED_MODEL} (POSE_MODEL_PATH)")
    target = tmp_path / "models" / "pose_landmarker_full.task"
    settings.POSE_MODEL_PATH = str(target)
    out, _err = _run("--url", SHARED_MODEL.as_uri(), "--strict")
    assert "downloaded" in out
    assert target.read_bytes() == SHARED_MODEL.read_bytes()
    assert target.stat().st_mode & 0o777 == 0o644  # readable by a worker of another user
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp file left


def test_a_download_that_is_not_a_pose_bundle_is_not_installed(settings, tmp_path):
    page = tmp_path / "error.html"
    page.write_text("<html>rate limited</html>" * 100_000)  # big enough, not a bundle
    target = tmp_path / "models" / "pose.task"
    settings.POSE_MODEL_PATH = str(target)
    _out, err = _run("--url", page.as_uri())
    assert "not a .task bundle" in err and not target.exists()
    assert list(target.parent.iterdir()) == []
    with pytest.raises(CommandError, match="not downloaded"):
        _run("--url", page.as_uri(), "--strict")


def test_offline_without_a_model_warns_and_setup_goes_on(settings, tmp_path):
    target = tmp_path / "pose.task"
    settings.POSE_MODEL_PATH = str(target)
    _out, err = _run("--url", (tmp_path / "unreachable.task").as_uri())
    assert "POSE_MODEL_PATH" in err and not target.exists()
