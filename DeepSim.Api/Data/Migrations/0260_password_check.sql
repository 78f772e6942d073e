-- Password hashes are not readable by the application role (Grants.sql grants it every column of users but
-- password_hash, which it may still write). A password check goes through these two functions: the Api reads a hash's
-- parameters (scheme, iterations, salt; never the derived key), derives the candidate's key with them, and asks whether
-- it matches. Hashes stay PBKDF2-HMAC-SHA256 as before, so existing passwords keep working unchanged.

-- 'pbkdf2-sha256$iterations$salt' of the user's hash; NULL for no such user or a hash of another shape.
create function auth_password_parameters(p_user uuid) returns text
language sql stable security definer set search_path = public, pg_temp as
$$ select substring(password_hash from '^([^$]+\$[0-9]+\$[^$]+)\$[^$]+$') from users where id = p_user $$;

-- Whether p_derived (base64) is the user's stored key. Digests are compared, not the keys, so the comparison's time
-- says nothing about how much of the stored key a candidate shares. False for no such user.
create function auth_password_matches(p_user uuid, p_derived text) returns boolean
language sql stable security definer set search_path = public, pg_temp as
$$
    select coalesce((
        select p_derived is not null
           and sha256(convert_to(split_part(password_hash, '$', 4), 'UTF8')) = sha256(convert_to(p_derived, 'UTF8'))
        from users
        where id = p_user and password_hash ~ '^[^$]+\$[0-9]+\$[^$]+\$[^$]+$'), false)
$$;
