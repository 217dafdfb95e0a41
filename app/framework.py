"""The framework's descriptive data: instruments offered to each tier."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Instrument


def list_instruments(session: Session) -> list[Instrument]:
    return list(session.scalars(select(Instrument).order_by(Instrument.position,
                                                            Instrument.key)))
