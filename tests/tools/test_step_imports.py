"""tools/step_imports.py: steps import from the driver only tasks, questions and interactions
(and the two vocabularies a check is written in)."""

from __future__ import annotations

from pathlib import Path

from tools import step_imports


def write(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return folder


def test_tasks_questions_and_interactions_are_all_a_step_imports(tmp_path: Path) -> None:
    steps = write(
        tmp_path / "steps",
        "people",
        "from driver.actors.tasks import SignUp\n"
        "from driver.actors.questions.sessions import ThePass\n"
        "from driver.actors import interactions\n"
        "from driver.client.contract import ErrorCode\n"
        "from driver.oracle import refusals\n"
        "from fixtures.context import given\n",
    )
    assert step_imports.problems(steps) == []


def test_anything_else_from_the_driver_is_named(tmp_path: Path) -> None:
    steps = write(
        tmp_path / "steps",
        "people",
        "from driver.client.api import ChatApi\n"
        "from driver.actors import crowd\n"
        "import driver.web\n",
    )
    found = step_imports.problems(steps)
    assert [p.split(": imports ")[1].split(";")[0] for p in found] == [
        "driver.actors.crowd",
        "driver.client.api",
        "driver.web",
    ]


def test_the_suites_steps_keep_the_rule() -> None:
    assert step_imports.problems(Path("steps")) == []
