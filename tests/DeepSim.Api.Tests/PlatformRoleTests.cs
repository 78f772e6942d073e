using DeepSim.Api.Auth;
using Npgsql;
using static DeepSim.Api.Tests.DatabaseIsolationTests;

namespace DeepSim.Api.Tests;

/// <summary>
/// Operator powers and password hashes, checked in the catalogue and by logging in as each role: the application role
/// can execute no operator function (the analyst grants among them) and read no password hash; the platform role can
/// execute the operator functions and nothing else.
/// </summary>
[Collection(ApiTests.Name)]
public sealed class PlatformRoleTests(ApiFixture api)
{
    // The SECURITY DEFINER functions that act with operator powers: all platform_* ones but the yes/no question
    // authentication asks (platform_is_operator), and the unchecked purge behind them.
    private const string OperatorFunctions = """
        select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'public' and p.prosecdef
          and ((p.proname like 'platform\_%' and p.proname <> 'platform_is_operator') or p.proname = 'tenant_purge')
        order by 1
        """;

    [Fact]
    public async Task The_application_role_can_execute_no_operator_function_and_the_platform_role_nothing_else()
    {
        await using var owner = await api.OpenOwnerAsync();
        var operatorFunctions = await ListAsync(owner, OperatorFunctions);
        Assert.Contains("platform_update_tenant(uuid,uuid,text,text,text)", operatorFunctions);
        Assert.Contains("platform_bootstrap_operator(uuid,text,text,text,text)", operatorFunctions);
        // The analyst role is granted and revoked with operator powers too (migration 0290).
        Assert.Contains("platform_list_analysts(uuid)", operatorFunctions);
        Assert.Contains("platform_grant_analyst(uuid,text,text)", operatorFunctions);
        Assert.Contains("platform_revoke_analyst(uuid,uuid,text)", operatorFunctions);
        Assert.True(operatorFunctions.Count >= 13, string.Join(", ", operatorFunctions));

        var appMay = await ListAsync(owner, $"""
            select f from ({OperatorFunctions}) o(f) where has_function_privilege('{api.AppRole}', f, 'EXECUTE')
            """);
        Assert.Empty(appMay);
        // The same question does answer yes where the application role may execute: the empty list above is a refusal.
        Assert.Equal(["True"], await ListAsync(owner, $"select has_function_privilege('{api.AppRole}', 'platform_is_operator(uuid)', 'EXECUTE')"));

        // The platform role: every operator function but the inner check and the unchecked purge, and no other function.
        var platformMay = await ListAsync(owner, $"""
            select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'public' and has_function_privilege('{api.PlatformRole}', p.oid, 'EXECUTE') order by 1
            """);
        var expected = operatorFunctions.Where(f => !f.StartsWith("platform_require_operator(", StringComparison.Ordinal)
                                                    && !f.StartsWith("tenant_purge(", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected, platformMay);
        var platformTables = await ListAsync(owner, $"""
            select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind in ('r', 'v', 'S')
              and (has_table_privilege('{api.PlatformRole}', c.oid, 'SELECT')
                   or has_table_privilege('{api.PlatformRole}', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))
            """);
        Assert.Empty(platformTables);
        // Who holds a platform role is readable by the application (sign-in asks), writable by no role but through the functions.
        Assert.Equal(["true:false:false"], await ListAsync(owner,
            $"select has_table_privilege('{api.AppRole}', 'platform_roles', 'SELECT') || ':' || has_table_privilege('{api.AppRole}', 'platform_roles', 'INSERT, UPDATE, DELETE, TRUNCATE') || ':' || has_table_privilege('{api.AppRole}', 'platform_signouts', 'SELECT, INSERT, UPDATE, DELETE')"));
        Assert.Equal(["false:false:false"], await ListAsync(owner,
            $"select rolsuper || ':' || rolbypassrls || ':' || pg_has_role('{api.PlatformRole}', '{api.AppRole}', 'USAGE') from pg_roles where rolname = '{api.PlatformRole}'"));
    }

    [Fact]
    public async Task The_application_role_cannot_change_a_plan_with_an_operators_id_and_the_platform_role_can()
    {
        var tenant = await TestApi.SignUpAsync(api, plan: "free");
        var operatorId = await TestApi.ScalarAsync<Guid>(api, "select id from users where email_normalized = @e", ("e", ApiFixture.OperatorEmail));
        const string change = "select platform_update_tenant(@actor, @tenant, null, 'enterprise', null)";

        await using (var app = await api.OpenAppAsync())
        {
            var denied = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(app, change, operatorId, tenant.Id));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
            Assert.Contains("permission denied for function platform_update_tenant", denied.MessageText, StringComparison.Ordinal);
        }
        Assert.Equal("free", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", tenant.Id)));
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api,
            "select count(*) from audit_log where action = 'platform.tenant.updated' and tenant_id = @t", ("t", tenant.Id)));

        await using (var platform = await OpenPlatformAsync())
        {
            // The function still checks its caller: the platform role with a tenant owner's id is refused.
            var notOperator = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(platform, change, tenant.OwnerId, tenant.Id));
            Assert.Equal("caller is not a platform operator", notOperator.MessageText);
            Assert.Equal(true, await ScalarAsync(platform, change, operatorId, tenant.Id));
            // Nothing but the functions: no table of its own to read.
            var table = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(platform, "select count(*) from tenants", operatorId, tenant.Id));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, table.SqlState);
        }
        Assert.Equal("enterprise", await TestApi.ScalarAsync<string>(api, "select plan from tenants where id = @t", ("t", tenant.Id)));
    }

    [Fact]
    public async Task The_application_role_cannot_read_a_password_hash_but_can_check_a_password()
    {
        var tenant = await TestApi.SignUpAsync(api);
        await using var owner = await api.OpenOwnerAsync();
        foreach (var role in new[] { api.AppRole, api.PlatformRole })
        {
            Assert.Equal(["false:false"], await ListAsync(owner,
                $"select has_column_privilege('{role}', 'users', 'password_hash', 'SELECT') || ':' || has_table_privilege('{role}', 'users', 'SELECT')"));
        }
        Assert.Equal(["True"], await ListAsync(owner, $"select has_column_privilege('{api.AppRole}', 'users', 'email', 'SELECT')"));
        var stored = await TestApi.ScalarAsync<string>(api, "select password_hash from users where id = @u", ("u", tenant.OwnerId));

        await using var app = await api.OpenAppAsync();
        foreach (var sql in new[] { "select password_hash from users where id = @actor", "select * from users where id = @actor" })
        {
            var denied = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(app, sql, tenant.OwnerId, tenant.Id));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        }
        Assert.Equal(tenant.OwnerEmail, await ScalarAsync(app, "select email_normalized from users where id = @actor", tenant.OwnerId, tenant.Id));

        // What it may read instead: the hash's parameters, without the stored key.
        var parameters = (string)(await ScalarAsync(app, "select auth_password_parameters(@actor)", tenant.OwnerId, tenant.Id))!;
        Assert.Equal(stored[..stored.LastIndexOf('$')], parameters);
        Assert.DoesNotContain(stored[(stored.LastIndexOf('$') + 1)..], parameters, StringComparison.Ordinal);
        // And whether a candidate's key matches: yes for the password, no for another, no for another user.
        const string matches = "select auth_password_matches(@actor, @derived)";
        Assert.Equal(true, await ScalarAsync(app, matches, tenant.OwnerId, tenant.Id, PasswordHasher.Derive(tenant.OwnerPassword, parameters)));
        Assert.Equal(false, await ScalarAsync(app, matches, tenant.OwnerId, tenant.Id, PasswordHasher.Derive(tenant.OwnerPassword + "x", parameters)));
        Assert.Equal(false, await ScalarAsync(app, matches, Guid.NewGuid(), tenant.Id, PasswordHasher.Derive(tenant.OwnerPassword, parameters)));
        Assert.Equal(false, await ScalarAsync(app, matches, tenant.OwnerId, tenant.Id, null));
    }

    [Fact]
    public async Task Sign_in_checks_the_password_through_the_database_with_a_hash_written_before_the_change()
    {
        // A hash written the way every earlier version wrote it (PBKDF2 in the Api) signs in unchanged.
        var tenant = await TestApi.SignUpAsync(api);
        const string password = "an-older-password-123";
        await using (var owner = await api.OpenOwnerAsync())
        await using (var update = new NpgsqlCommand("update users set password_hash = @h where id = @u", owner))
        {
            update.Parameters.AddWithValue("h", PasswordHasher.Hash(password, ApiFixture.TestPbkdf2Iterations));
            update.Parameters.AddWithValue("u", tenant.OwnerId);
            await update.ExecuteNonQueryAsync();
        }
        var tokens = await TestApi.SignInAsync(api, tenant.OwnerEmail, password);
        Assert.False(string.IsNullOrEmpty(tokens.AccessToken));
    }

    private async Task<NpgsqlConnection> OpenPlatformAsync()
    {
        var connection = new NpgsqlConnection(api.PlatformConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, Guid actor, Guid tenant, string? derived = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("actor", actor);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.Add(new NpgsqlParameter("derived", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)derived ?? DBNull.Value });
        return await command.ExecuteScalarAsync();
    }
}
