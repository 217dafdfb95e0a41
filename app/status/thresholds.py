"""Every threshold the status rules use, in one place, each with its reason.
docs/status-rules.md quotes these numbers."""

TREND_WINDOW_YEARS = 3  # recent enough to reflect current policy, long enough for 3 annual figures
TREND_MAX_POINTS = 8  # two years of quarterly updates; older points would hide a change of pace
TREND_MIN_POINTS = 2  # a line needs two points
FLAT_SLOPE_SHARE = 0.01  # under 1 % of the baseline-to-target distance a year is standing still
FLAT_SLOPE_FLOOR = 1e-9  # smaller slopes are rounding noise, even when that distance is zero
PROJECTION_HORIZON_YEARS = 50  # a straight line says nothing useful further out than this
AT_RISK_GRACE_DAYS = 365  # up to a year late is recoverable with extra effort; later is off track
NEAR_TARGET_PROGRESS = 75.0  # a stalled benchmark this close to its target is at risk, not lost
DAYS_PER_YEAR = 365.25  # converts day counts to years for slopes and projections
# Self- and independent assessment (docs/status-rules.md, "Pace and assessment").
DIVERGENCE_SHARE = 0.10  # self and independent figures further apart than 10 % of the
# baseline-to-target distance disagree on what is left to do (ACCESSION_ASSESSMENT_DIVERGENCE_SHARE)
DIVERGENCE_STAGES = 1  # a stage apart is a disagreement on where a milestone stands
SELF = "self"  # the candidate's own reporting, e.g. its annual national programme
INDEPENDENT = "independent"  # the alliance's or an analyst's review: the default
