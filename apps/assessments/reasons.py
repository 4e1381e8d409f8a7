"""Why a clip was refused or could not be measured: stable codes for clients, a message
and a hint (what to do differently) for people."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

REASONS: dict[str, tuple[str, str]] = {
    # Upload checks (nothing is stored).
    "not_a_video": (
        _("The file is not a video."),
        _("Upload a clip recorded with your phone's camera (MP4, MOV or WebM)."),
    ),
    "unreadable": (
        _("The video could not be read."),
        _("Record the clip again with your phone's camera app and upload it unchanged."),
    ),
    "unsupported_codec": (
        _("The video uses a format we cannot read."),
        _("Record with your phone's camera app (H.264, H.265, VP8/VP9 or AV1)."),
    ),
    "truncated": (
        _("The video is incomplete."),
        _("The upload was cut off. Upload the whole clip again."),
    ),
    "too_long": (
        _("The video is too long."),
        _("Keep the clip within the test's time limit."),
    ),
    "too_short": (
        _("The video is too short."),
        _("Record at least 2 seconds of the movement."),
    ),
    "too_large": (
        _("The file is too large."),
        _("Upload a clip of 50 MB or less; record at 1080p or lower."),
    ),
    # Quality gates (the attempt is kept, marked invalid, never scored).
    "too_dark": (
        _("The video is too dark."),
        _("Turn on more light or face a window, and avoid a bright light behind you."),
    ),
    "overexposed": (
        _("The video is too bright."),
        _("Move away from direct sunlight or a bright lamp pointing at the camera."),
    ),
    "no_person": (
        _("No person could be seen in the video."),
        _("Place the camera so your whole body is in the frame, 2-3 metres away."),
    ),
    "multiple_people": (
        _("More than one person is in the video."),
        _("Record alone in the frame; ask others to step out of view."),
    ),
    "landmarks_not_visible": (
        _("Parts of the body the test needs were not visible."),
        _("Keep the joints the test looks at in view all the time; wear fitted clothes."),
    ),
    "low_confidence": (
        _("The body could not be seen clearly enough."),
        _("Use a plain background, good light, fitted clothes, and hold the phone still."),
    ),
    "wrong_view": (
        _("The camera angle does not match the test."),
        _("Film this test from the angle shown in the instructions (front or side)."),
    ),
    "no_movement": (
        _("The movement of the test was not seen."),
        _("Do the full movement described in the instructions while recording."),
    ),
    "not_measurable": (
        _("The key moment of the test was not seen."),
        _("Do the whole movement facing the camera as instructed, then record again."),
    ),
    # Our side.
    "processing_error": (
        _("We could not process the video."),
        _("Please try again later; this attempt does not count against your limits."),
    ),
}


def reason_text(code: str) -> tuple[str, str]:
    message, hint = REASONS.get(code, REASONS["processing_error"])
    return str(message), str(hint)
