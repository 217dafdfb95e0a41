"""Every table of the tracker. The rules that must always hold are in the database too:
foreign keys, unique keys and check constraints, so no client can store what Python would refuse.
Progress updates, ratification steps, status changes, events, retractions and report editors are
append-only (database triggers, see the migrations): corrections are new rows, never edits."""

from app.clock import utcnow
from app.models.base import TZDateTime, UTCDateTime
from app.models.benchmarks import (
    BenchmarkCategory,
    BenchmarkDefinition,
    Indicator,
    TierRequirement,
)
from app.models.candidates import Candidate, CandidateBenchmark, CandidateStatusChange
from app.models.enums import (
    AccessionMilestone,
    AssessedBy,
    BenchmarkKind,
    Confidence,
    Direction,
    ExpansionModel,
    ObservationStatus,
    Phase,
    RatificationStep,
    ReportStatus,
    RetractionStatus,
    Role,
    Tier,
)
from app.models.events import Event
from app.models.gates import Gate
from app.models.progress import (
    ProgressUpdate,
    RetractionConfirmation,
    RetractionUndo,
    UpdateRetraction,
    retraction_in_effect,
)
from app.models.ratifications import (
    AccessionMilestoneRecord,
    RatificationProcedureStep,
    RatificationStepRecord,
)
from app.models.reference import (
    ExpansionModelDefinition,
    Instrument,
    MemberState,
    ReferenceVersion,
    TierDefinition,
)
from app.models.reports import ProgressReport, ReportEditor
from app.models.users import ApiToken, IdempotencyKey, User

__all__ = [
    "AccessionMilestone",
    "AccessionMilestoneRecord",
    "ApiToken",
    "AssessedBy",
    "BenchmarkCategory",
    "BenchmarkDefinition",
    "BenchmarkKind",
    "Candidate",
    "CandidateBenchmark",
    "CandidateStatusChange",
    "Confidence",
    "Direction",
    "Event",
    "ExpansionModel",
    "ExpansionModelDefinition",
    "Gate",
    "IdempotencyKey",
    "Indicator",
    "Instrument",
    "MemberState",
    "ObservationStatus",
    "Phase",
    "ProgressReport",
    "ProgressUpdate",
    "RatificationProcedureStep",
    "RatificationStep",
    "RatificationStepRecord",
    "ReferenceVersion",
    "ReportEditor",
    "ReportStatus",
    "RetractionConfirmation",
    "RetractionStatus",
    "RetractionUndo",
    "Role",
    "TZDateTime",
    "Tier",
    "TierDefinition",
    "TierRequirement",
    "UTCDateTime",
    "UpdateRetraction",
    "User",
    "retraction_in_effect",
    "utcnow",
]
