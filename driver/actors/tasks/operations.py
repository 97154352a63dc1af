"""What the operator does: note the service's figures before a scenario acts, keep an eye on a
server's readiness. The operator is a person of the cast like the others (`OPERATOR`); their
ability to call the API lends them its HTTP session."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.client import operations
from driver.client.operations import Figures
from driver.client.readiness import ReadinessWatch

OPERATOR = "the operator"

FIGURES_BEFORE = Note[Figures]("the service's figures before the scenario acted")
READINESS = Note[ReadinessWatch]("the service's readiness, watched while something was wrong")
NEW_SERVER_READINESS = Note[ReadinessWatch]("the new server's readiness, watched since it started")


@dataclass(frozen=True)
class NoteTheFigures:
    """Read the figures of the operators' listener(s) at `operator_url`, noted under
    FIGURES_BEFORE."""

    operator_url: str

    async def perform_as(self, actor: Actor) -> None:
        found = await operations.figures(actor.api.session, self.operator_url)
        actor.notes.write(FIGURES_BEFORE, found)


@dataclass(frozen=True)
class KeepAnEyeOnReadiness:
    """Follow that readiness watch (started by the scenario's fault tools, which stop it) from
    now on; what it sees is noted under `remembered_as`."""

    watch: ReadinessWatch
    remembered_as: Note[ReadinessWatch] = READINESS

    async def perform_as(self, actor: Actor) -> None:
        actor.notes.write(self.remembered_as, self.watch)
