-- A pending sign-up holds the new account's password hash; like users.password_hash (migration 0260) it is write-only
-- for the application role (Grants.sql leaves the column out of its select). Confirming moves it into the new account
-- through this function and clears it from the request, so no copy outlives the sign-up.
create function signup_create_account(p_request uuid, p_user uuid, p_verified_at timestamptz) returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp as
$$
declare n integer;
begin
    -- Only a spent request still holding its hash: that is one being confirmed in the caller's transaction (a confirmation
    -- that fails rolls back the spending; one that succeeds clears the hash below), so each creates one account at most.
    insert into users (id, email, email_normalized, display_name, password_hash, email_verified_at)
    select p_user, r.email_normalized, r.email_normalized, r.display_name, r.password_hash, p_verified_at
    from signup_requests r
    where r.id = p_request and r.used_at is not null and r.password_hash is not null and r.existing_user_id is null;
    get diagnostics n = row_count;
    update signup_requests set password_hash = null where id = p_request and n = 1;
    return n = 1;
end
$$;
