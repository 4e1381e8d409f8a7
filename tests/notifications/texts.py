"""Test kinds' texts: TEMPLATES settings that read the given {name: text} templates
first, then the project's (pages still render)."""

from django.conf import settings


def templates_with(messages: dict[str, str]) -> list[dict]:
    return [
        {
            **settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "loaders": [
                    ("django.template.loaders.locmem.Loader", messages),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]
