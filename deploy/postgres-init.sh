#!/bin/sh
# Runs once, when the postgres container creates its data directory (docker compose mounts
# it into /docker-entrypoint-initdb.d/). Two roles, neither a superuser, so PostgreSQL
# row-level security holds for both (README, "Tenant isolation in the database"):
#   coachdesk_owner owns the database and its tables; only `migrate` connects as it.
#   coachdesk_app is what web, worker and beat connect as; `migrate` grants it row rights.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$COACHDESK_OWNER_PASSWORD" -v app_password="$COACHDESK_APP_PASSWORD" <<'SQL'
CREATE ROLE coachdesk_owner LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'owner_password';
CREATE ROLE coachdesk_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'app_password';
CREATE DATABASE coachdesk OWNER coachdesk_owner;
\connect coachdesk
ALTER SCHEMA public OWNER TO coachdesk_owner;
GRANT USAGE ON SCHEMA public TO coachdesk_app;
SQL
