"""What the calibration services hand the trainer pages (typed results)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class StoredKey(TypedDict):
    """A key on the calibration dimensions (app.core.calibration.DIMENSIONS)."""

    disqualifiers: list[str]  # codes, sorted
    call_type: str | None
    priority: int | None  # 1 to 4
    disposition: str | None  # the route's code


class QueueEntry(TypedDict):
    version_id: int
    key: str
    title: str
    status: str
    keys: int  # current independent keys
    keyed_by_me: bool  # the actor keyed the call as it now reads
    mine_stale: bool  # the actor keyed an earlier text of the call
    author: bool  # the actor wrote the stored key (and does not key it)
    calibration: str  # CalibrationState.status


class DimensionSummary(TypedDict):
    """The panel on one dimension (app.core.calibration.DimensionAgreement)."""

    agreement: float | None  # share giving the most common answer
    most_common: str | None
    majority: str | None  # the answer of more than half, else None
    counts: dict[str, int]  # answer -> keys giving it
    expert: str | None  # the stored key's answer


class AgreementSummary(TypedDict):
    status: str  # CalibrationState.status
    contested: bool
    reasons: list[str]
    current_keys: int
    stale_keys: int
    dimensions: dict[str, DimensionSummary]  # empty before any key


class Choice(TypedDict):
    code: str
    label: str


class DisqualifierChoice(Choice):
    description: str


class TaskChoices(TypedDict):
    """What a trainer may pick, from the trainee's view of the call."""

    disqualifiers: list[DisqualifierChoice]
    call_types: list[Choice]
    dispositions: list[Choice]  # the routes available at the call's time
    priorities: list[int]


class PublicKey(TypedDict):
    """A trainer's key as shown (without the call hash and dispatch model it was made for)."""

    disqualifiers: list[str]
    call_type: str | None
    priority: int | None
    disposition: str | None
    revisions: int  # changes made after the keys were revealed


class PanelKey(PublicKey):
    trainer: str  # display name
    yours: bool
    stale: bool  # made for an earlier text of the call


class CalibrationTask(TypedDict):
    """One scenario to key. The panel's keys, the stored key and the agreement are there
    only once ``revealed``."""

    version_id: int
    key: str
    title: str
    status: str
    author: bool  # the actor wrote the stored key (and does not key it)
    preview: dict[str, Any]  # the call as a trainee sees it (app.core.call_view), id, title
    choices: TaskChoices
    mine: PublicKey | None  # the actor's key of the call as it now reads
    mine_stale: bool  # the actor keyed an earlier text of the call
    revealed: bool
    keys_so_far: int  # current independent keys
    others: NotRequired[list[PanelKey]]
    expert: NotRequired[StoredKey | None]  # None when the stored key cannot be worked out
    agreement: NotRequired[AgreementSummary]


class ReportScenario(TypedDict):
    version_id: int
    key: str
    title: str
    status: str
    keys: int  # current independent keys
    stale_keys: int
    revealed: bool  # the actor keyed this call or wrote its key
    # Agreement per dimension (app.core.calibration.DIMENSIONS); None while still blind.
    disqualifiers_agreement: float | None
    call_type_agreement: float | None
    priority_agreement: float | None
    disposition_agreement: float | None
    calibration: str  # CalibrationState.status, or "key it to see"
    contested: bool | None  # None while still blind
    reasons: list[str]  # empty while still blind


class ReportTrainer(TypedDict):
    trainer_id: int
    trainer: str  # display name
    scenarios: int  # scenarios keyed alongside at least one other trainer
    compared: int  # (scenario, dimension) pairs with a majority among the others
    agreement: float | None  # share of those agreeing with that majority
    # The same share per dimension (app.core.calibration.DIMENSIONS):
    disqualifiers_agreement: float | None
    call_type_agreement: float | None
    priority_agreement: float | None
    disposition_agreement: float | None


class CalibrationReport(TypedDict):
    scenarios: list[ReportScenario]
    trainers: list[ReportTrainer]  # best agreement first
    kappa: dict[str, float | None]  # dimension -> Fleiss' kappa (None without spread)
    scenarios_with_two_or_more: int  # scenarios behind the kappas
