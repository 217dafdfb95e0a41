"""What the candidate page shows of its path to the next phase: the path rules' answer
(app/gates/service.py) with its timeline drawn wide and narrow, in the reader's words."""

from typing import Any

from sqlalchemy.orm import Session

from app.evaluation import CandidateStatus
from app.gates.service import candidate_path
from app.i18n import gettext
from app.models import Candidate, Gate
from app.web.charts import TimelinePhase, TimelineTarget, path_timeline
from app.web.templating import label, localized


def path_section(session: Session, candidate: Candidate, status: CandidateStatus,
                 gates: list[Gate]) -> dict[str, Any]:
    path = candidate_path(session, candidate, status, gates)
    e = path.evaluation
    titles = {key: localized(d, "title") for key, d in path.targets.items()}
    phases = [TimelinePhase(label(phase), day, is_current=index == len(path.entered) - 1)
              for index, (day, phase) in enumerate(path.entered)]
    if e.next_phase:
        phases.append(TimelinePhase(label(e.next_phase), e.projected_on, is_projected=True))
    targets = [TimelineTarget(titles.get(t.key, t.key), t.projected_on, t.is_met, t.is_critical)
               for t in e.targets]
    title = gettext("The path of %(candidate)s") % {"candidate": localized(candidate, "name")}
    charts = [path_timeline(chart_id, phases, targets, title=title, today=e.as_of,
                            is_illustrative=e.is_illustrative, narrow=narrow)
              for chart_id, narrow in (("path", False), ("path-narrow", True))]
    return {"path": path, "charts": charts, "titles": titles,
            "met": [titles.get(t.key, t.key) for t in e.targets if t.is_met],
            "blocking": [titles.get(key, key) for key in e.blockers],
            "unmet": [titles.get(key, key) for key in path.unmet_on_entry]}
