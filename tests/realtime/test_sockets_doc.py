"""docs/sockets.md stays honest: every socket route has a section, every message type,
event and error code the code sends or understands is named there, every close code is
explained, and its JSON examples parse as messages of known types.

The names are read from the source (its syntax tree), not from a list kept here: a new
`send_json({"type": ...})`, event or error code fails this test until the page names it."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from apps.common import channels
from config import routing

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "sockets.md").read_text()
EVENT = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
BROADCASTERS = {"broadcast_on_commit", "broadcast_each_on_commit", "_announce"}


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), filename=str(path))


def _consumer_modules() -> list[Path]:
    """The modules whose consumers config/routing.py routes to, and their base."""
    modules = {
        node.module
        for node in ast.walk(_tree(ROOT / "config" / "routing.py"))
        if isinstance(node, ast.ImportFrom) and node.module.endswith(".consumers")
    }
    return [ROOT / "apps" / "common" / "channels.py"] + [
        ROOT / (module.replace(".", "/") + ".py") for module in sorted(modules)
    ]


def _str(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _names_in_consumers() -> tuple[set[str], set[str]]:
    """(message types, error codes) the consumers send or compare against."""
    types, codes = set(), set()
    for path in _consumer_modules():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Dict):
                keys = {_str(key) for key in node.keys}
                if "event" in keys:
                    continue  # a channel-layer message to consumers ("event.message")
                for key, value in zip(node.keys, node.values, strict=True):
                    if _str(key) == "type" and _str(value):
                        types.add(_str(value))
                    if _str(key) == "code" and _str(value):
                        codes.add(_str(value))
            elif isinstance(node, ast.Compare):
                left = node.left
                reads_type = (isinstance(left, ast.Name) and left.id == "kind") or (
                    isinstance(left, ast.Call)
                    and isinstance(left.func, ast.Attribute)
                    and left.func.attr == "get"
                    and left.args
                    and _str(left.args[0]) == "type"
                )
                reads_event = isinstance(left, ast.Subscript) and _str(left.slice) == "event"
                for comparator in node.comparators:
                    if _str(comparator) and (reads_type or reads_event):
                        types.add(_str(comparator))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("_refuse", "_error")
                and node.args
                and _str(node.args[0])
            ):
                codes.add(_str(node.args[0]))
    return types, codes


def _broadcast_events() -> set[str]:
    """Every event name the services (or consumers) send to a group."""
    events = set()
    for path in (ROOT / "apps").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(_tree(path)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in BROADCASTERS:
                continue
            for inner in ast.walk(node):
                if _str(inner) and EVENT.match(_str(inner)):
                    events.add(_str(inner))
    return events


def _doc_names() -> set[str]:
    return set(re.findall(r"`([^`\s]+)`", DOC))


def _doc_examples() -> list[dict]:
    messages = []
    for block in re.findall(r"```json\n(.*?)```", DOC, re.S):
        decoder, text, at = json.JSONDecoder(), block.strip(), 0
        while at < len(text):
            message, end = decoder.raw_decode(text, at)
            messages.append(message)
            at = end
            while at < len(text) and text[at].isspace():
                at += 1
    return messages


def test_the_source_is_read():
    # The readers above find what is known to be there (else they silently find nothing).
    types, codes = _names_in_consumers()
    assert {"hello", "pong", "error", "scan", "heartbeat", "config", "result"} <= types
    assert {"malformed", "throttled", "invalid_scan", "auth_timeout", "revoked"} <= codes
    assert {"visit.entered", "member.created", "notification.created"} <= _broadcast_events()


def test_every_socket_route_has_a_section():
    headings = set(re.findall(r"^## `(/ws/[^`]+)`$", DOC, re.M))
    routes = {"/" + str(pattern.pattern) for pattern in routing.websocket_urlpatterns}
    assert routes == headings


def test_every_message_type_event_and_error_code_is_on_the_page():
    types, codes = _names_in_consumers()
    missing = (types | codes | _broadcast_events()) - _doc_names()
    assert not missing, f"name these in docs/sockets.md: {sorted(missing)}"


def test_every_close_code_is_explained():
    close_codes = {
        str(value) for name, value in vars(channels).items() if name.startswith("CLOSE_")
    }
    assert close_codes and close_codes <= _doc_names()


def test_the_examples_are_messages_of_known_types():
    types, _ = _names_in_consumers()
    known = types | _broadcast_events()
    examples = _doc_examples()
    assert len(examples) >= 15
    for message in examples:
        assert isinstance(message, dict) and message.get("type") in known, message
        if EVENT.match(message["type"]):  # events come as {"type", "payload"}
            assert set(message) == {"type", "payload"}, message
