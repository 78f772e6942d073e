-- Profile editing (web issue leftovers): a password change ends every session of the user but the one that asked,
-- in every tenant. Refresh tokens are tenant rows (row-level security); this function reaches all of the user's.
create function auth_revoke_other_sessions(p_user uuid, p_keep_family uuid) returns integer
language plpgsql volatile security definer set search_path = public, pg_temp as
$$
declare n integer;
begin
    update refresh_tokens set revoked_at = now()
    where user_id = p_user and revoked_at is null and family_id is distinct from p_keep_family;
    get diagnostics n = row_count;
    return n;
end
$$;
