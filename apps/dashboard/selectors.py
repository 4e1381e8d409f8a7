from dataclasses import dataclass

from django.urls import reverse

from apps.dashboard import checklist
from apps.dashboard.models import SetupSkip


@dataclass(frozen=True)
class StepState:
    step: checklist.Step
    done: bool
    skipped: bool
    url: str


def setup_checklist() -> list[StepState]:
    """Every registered step with whether the gym has done or skipped it."""
    skipped = set(SetupSkip.objects.values_list("key", flat=True))
    return [
        StepState(
            step=step,
            done=step.done(),
            skipped=step.key in skipped,
            url=reverse(step.url_name),
        )
        for step in checklist.steps()
    ]


def setup_open_count(states: list[StepState]) -> int:
    return sum(1 for state in states if not (state.done or state.skipped))
