"""The set-up checklist on the overview: what a new gym does before opening day.

Each app registers its step in its `AppConfig.ready()` (as member pages register with
`apps.portal.nav`), so the dashboard imports none of them. A step ticks itself off when its
`done()` answers True from the gym's data; an owner may skip a step that does not apply
(a gym without classes), which `SetupSkip` remembers.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    key: str
    label: str  # lazily translated
    hint: str  # what to do, in one sentence
    url_name: str  # the page where it is done
    order: int
    done: Callable[[], bool]  # reads the current schema


_steps: dict[str, Step] = {}


def register_step(step: Step) -> None:
    _steps[step.key] = step


def unregister(key: str) -> None:
    _steps.pop(key, None)


def steps() -> list[Step]:
    return sorted(_steps.values(), key=lambda step: (step.order, step.key))


def get(key: str) -> Step | None:
    return _steps.get(key)
