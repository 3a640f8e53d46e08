"""Tenancy: organizations, users, memberships and roles, teams, scoping and admin mixins."""
