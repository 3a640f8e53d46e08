"""Every write of the quality app, split by sub-domain (scorecards, answers, audits,
automatic scoring, agreement, allocation, settings)."""
