-- is_platform_path() is in every tenant table's policy, so it is evaluated for each row the platform functions
-- (claims, reports, purges) read. Its catalogue subquery kept PostgreSQL from inlining it: every row paid a
-- full SQL-function call and a pg_database lookup. The database owner's name is now read once, here (the same
-- answer the subquery gave), and the body is a plain comparison the planner inlines into the policy.
-- Changing the database's owner later means running this definition again.
do $$
begin
    execute format(
        'create or replace function is_platform_path() returns boolean language sql stable parallel safe as %L',
        format('select current_user = %L::name',
               (select pg_get_userbyid(d.datdba) from pg_database d where d.datname = current_database())));
end $$;
