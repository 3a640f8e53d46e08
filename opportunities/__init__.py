"""Coaching opportunities: the condition language, trigger rules and virtual coaches."""
