"""The quality pages, one module per area (scorecards, audits, dashboards)."""
