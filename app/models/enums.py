"""The closed sets of values the tables store as strings (each checked by a CHECK constraint)."""

from enum import StrEnum


class Tier(StrEnum):
    strategic_partner = "strategic_partner"
    interim_ally = "interim_ally"
    full_candidate = "full_candidate"


class ExpansionModel(StrEnum):
    incremental_enlargement = "incremental_enlargement"
    strategic_partnership = "strategic_partnership"
    hybrid_integration = "hybrid_integration"


class Phase(StrEnum):
    outreach = "outreach"
    accession_talks = "accession_talks"
    ratification = "ratification"
    member = "member"


class BenchmarkKind(StrEnum):
    numeric = "numeric"
    milestone = "milestone"


class Direction(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class ReportStatus(StrEnum):
    draft = "draft"
    published = "published"


class RatificationStep(StrEnum):
    """The steps a member state's ratification procedure is made of, in the order procedures
    usually run them (app/ratifications/pipeline.py). `parliament_approved` is a one-chamber
    approval, or a whole parliament's when its chambers are not dated apart. Revision 0013
    renamed `signed` (the head of state's signature) to `head_of_state_assent`; the API still
    takes `signed`."""

    protocol_signed = "protocol_signed"
    government_approved = "government_approved"
    lower_chamber_approved = "lower_chamber_approved"
    upper_chamber_approved = "upper_chamber_approved"
    parliament_approved = "parliament_approved"
    head_of_state_assent = "head_of_state_assent"
    deposited = "deposited"


class AccessionMilestone(StrEnum):
    """The dated steps of an accession, in the order they happen. The member states'
    ratifications in between are ratification steps."""

    application_submitted = "application_submitted"
    invitation = "invitation"
    protocol_signed = "protocol_signed"
    membership = "membership"


class Confidence(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"
    inferred = "inferred"


class Role(StrEnum):
    analyst = "analyst"
    admin = "admin"


class RetractionStatus(StrEnum):
    pending = "pending"  # asked for, waiting for a second analyst
    retracted = "retracted"  # in effect: the value is hidden
    undone = "undone"  # undone by an admin (or dismissed while pending): the value counts


class ObservationStatus(StrEnum):
    """As SDMX's observation status: how firm the figure is."""

    final = "final"
    provisional = "provisional"
    estimate = "estimate"


class AssessedBy(StrEnum):
    """Who assessed an observation: the candidate itself (its own reporting, as in an annual
    national programme) or an independent reviewer (the alliance's or an analyst's)."""

    self = "self"
    independent = "independent"
