-- DeepSim's roles and database, applied on every start (idempotent): by the local init step through psql on the
-- cluster's socket, and in a deployed PostgreSQL container from /docker-entrypoint-initdb.d. Passwords come from the
-- environment (\getenv), never from a command line.
--   deepsim_owner  owns the database and runs migrations
--   deepsim_app    what the Api logs in as: no superuser, no BYPASSRLS, owns nothing, data rights only
--   deepsim_platform  what the Api's operator endpoints log in as: owns nothing, no table rights, only EXECUTE on
--                  the platform functions (granted by the migrator)
\set ON_ERROR_STOP on
\getenv owner_password DEEPSIM_OWNER_PASSWORD
\getenv app_password DEEPSIM_APP_PASSWORD
\getenv platform_password DEEPSIM_PLATFORM_PASSWORD
\getenv database DEEPSIM_DATABASE
SELECT 'CREATE ROLE deepsim_owner' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'deepsim_owner') \gexec
SELECT 'CREATE ROLE deepsim_app' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'deepsim_app') \gexec
SELECT 'CREATE ROLE deepsim_platform' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'deepsim_platform') \gexec
ALTER ROLE deepsim_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
ALTER ROLE deepsim_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
ALTER ROLE deepsim_platform LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'platform_password';
SELECT format('CREATE DATABASE %I OWNER deepsim_owner', :'database')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
\connect :"database"
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO deepsim_app;
GRANT CONNECT ON DATABASE :"database" TO deepsim_platform;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO deepsim_app, deepsim_platform;
ALTER DEFAULT PRIVILEGES FOR ROLE deepsim_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO deepsim_app;
ALTER DEFAULT PRIVILEGES FOR ROLE deepsim_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO deepsim_app;
