"""The drawing of the service's imports (tools/import_drawing.py): no circle, nothing running
back up, every room in a layer of the contract."""

from __future__ import annotations

from tools import import_drawing


def test_a_circle_is_found_and_a_line_is_not() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_drawing.circles(edges) == [["a", "b", "c"]]
    assert import_drawing.circles({"a": {"b"}, "b": {"c"}}) == []


def test_the_service_imports_in_one_direction() -> None:
    text, wrong = import_drawing.drawing()
    assert wrong == []
    assert "- imports running back up (0): none" in text
    assert "- circles among modules: none" in text


def test_the_rooms_are_read_from_the_layers_contract() -> None:
    order = import_drawing.room_order(import_drawing.layers_contract())
    assert order[1] == ["app"]
    assert ["agents", "auth", "plan_cache"] in order
