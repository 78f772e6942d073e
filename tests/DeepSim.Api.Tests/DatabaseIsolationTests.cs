using DeepSim.Api.Data;
using Npgsql;

namespace DeepSim.Api.Tests;

/// <summary>The database's own guarantees, checked in its catalogue and by the application role directly.</summary>
[Collection(ApiTests.Name)]
public sealed class DatabaseIsolationTests(ApiFixture api)
{
    [Fact]
    public async Task Migrations_run_twice_apply_nothing_the_second_time()
    {
        var again = await DatabaseMigrator.MigrateAsync(api.OwnerConnectionString, api.AppRole);
        Assert.Empty(again);
        var versions = DatabaseMigrator.LoadMigrations().Select(m => m.Version).ToList();
        Assert.NotEmpty(versions);
        Assert.Equal(versions.Count, (int)await TestApi.ScalarAsync<long>(api, "select count(*) from schema_migrations"));
    }

    [Fact]
    public async Task Every_table_with_tenant_id_has_forced_row_level_security_and_a_checked_policy()
    {
        await using var owner = await api.OpenOwnerAsync();
        var tables = await ListAsync(owner, """
            select c.relname || ':' || c.relrowsecurity || ':' || c.relforcerowsecurity || ':' ||
                   coalesce((select bool_and(p.qual is not null and p.with_check is not null
                                             and p.qual like '%current_tenant_id()%' and p.with_check like '%current_tenant_id()%')
                             from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname), false)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind = 'r'
              and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
            order by 1
            """);
        Assert.True(tables.Count >= 9, $"expected the tenant tables, found {string.Join(", ", tables)}");
        Assert.All(tables, row => Assert.EndsWith(":true:true:true", row));
        // current_tenant_id() itself reads the transaction-local setting.
        var definition = await ListAsync(owner, "select pg_get_functiondef('current_tenant_id'::regproc)");
        Assert.Contains("current_setting('app.tenant_id', true)", definition[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Application_role_is_not_superuser_cannot_bypass_rls_and_owns_nothing()
    {
        await using var owner = await api.OpenOwnerAsync();
        var role = await ListAsync(owner, $"select rolsuper || ':' || rolbypassrls from pg_roles where rolname = '{api.AppRole}'");
        Assert.Equal(["false:false"], role);
        var owned = await ListAsync(owner, $"""
            select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and pg_get_userbyid(c.relowner) = '{api.AppRole}'
            union all select proname from pg_proc where pg_get_userbyid(proowner) = '{api.AppRole}'
            union all select datname from pg_database where pg_get_userbyid(datdba) = '{api.AppRole}'
            """);
        Assert.Empty(owned);
        var memberOfOwner = await ListAsync(owner, $"""
            select 1 from pg_database d where d.datname = current_database()
              and pg_has_role('{api.AppRole}', d.datdba, 'USAGE')
            """);
        Assert.Empty(memberOfOwner);
    }

    [Fact]
    public async Task Without_a_tenant_context_the_application_role_sees_no_tenant_rows()
    {
        var a = await TestApi.SignUpAsync(api);
        await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "visible-only-to-a");
        await using var app = await api.OpenAppAsync();
        foreach (var table in new[] { "tenants", "memberships", "flowsheets", "refresh_tokens", "event_outbox", "audit_log" })
        {
            Assert.Equal(0L, await ScalarAsync<long>(app, null, $"select count(*) from {table}"));
        }
        // The same query in A's context does see A's rows: the zero above is isolation, not an empty table.
        await using var tx = await app.BeginTransactionAsync();
        await SetTenantAsync(app, tx, a.Id);
        Assert.Equal(1L, await ScalarAsync<long>(app, tx, "select count(*) from flowsheets"));
    }

    [Fact]
    public async Task With_tenant_a_the_database_refuses_to_insert_or_move_rows_into_tenant_b()
    {
        var a = await TestApi.SignUpAsync(api);
        var b = await TestApi.SignUpAsync(api);
        await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "a-sheet");
        await using var app = await api.OpenAppAsync();

        await using (var tx = await app.BeginTransactionAsync())
        {
            await SetTenantAsync(app, tx, a.Id);
            var insert = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<int>(app, tx,
                $"insert into flowsheets (id, tenant_id, name, content, version, created_by, updated_by) values (gen_random_uuid(), '{b.Id}', 'planted', '{{}}', 1, '{a.OwnerId}', '{a.OwnerId}')"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, insert.SqlState);
        }
        await using (var tx = await app.BeginTransactionAsync())
        {
            await SetTenantAsync(app, tx, a.Id);
            var move = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<int>(app, tx, $"update flowsheets set tenant_id = '{b.Id}'"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, move.SqlState);
        }
        await using (var tx = await app.BeginTransactionAsync())
        {
            await SetTenantAsync(app, tx, a.Id);
            // B's rows are invisible to A, so an update aimed at them touches nothing.
            var touched = await ExecuteAsync(app, tx, $"update memberships set role = 'viewer' where tenant_id = '{b.Id}'");
            Assert.Equal(0, touched);
        }
        Assert.Equal(0L, await TestApi.ScalarAsync<long>(api, "select count(*) from flowsheets where tenant_id = @b", ("b", b.Id)));
        Assert.Equal("owner", await TestApi.ScalarAsync<string>(api, "select role from memberships where tenant_id = @b", ("b", b.Id)));
    }

    [Fact]
    public async Task A_pooled_connection_reused_by_tenant_b_sees_only_b()
    {
        var a = await TestApi.SignUpAsync(api);
        var b = await TestApi.SignUpAsync(api);
        await TestApi.CreateFlowsheetAsync(api, a.Owner.AccessToken, "a-only");
        await TestApi.CreateFlowsheetAsync(api, b.Owner.AccessToken, "b-only");
        var builder = new NpgsqlConnectionStringBuilder(api.AppConnectionString) { MaxPoolSize = 1, ApplicationName = "pool-" + Guid.NewGuid().ToString("N")[..8] };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);

        int firstPid;
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            firstPid = connection.ProcessID;
            await SetTenantAsync(connection, tx, a.Id);
            Assert.Equal(["a-only"], await ListAsync(connection, "select name from flowsheets", tx));
            await tx.CommitAsync();
        }
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            Assert.Equal(firstPid, connection.ProcessID); // the same physical connection
            Assert.Empty(await ListAsync(connection, "select name from flowsheets"));
            await using var tx = await connection.BeginTransactionAsync();
            await SetTenantAsync(connection, tx, b.Id);
            Assert.Equal(["b-only"], await ListAsync(connection, "select name from flowsheets", tx));
        }
    }

    [Fact]
    public async Task Application_role_cannot_make_itself_an_operator_or_touch_plans()
    {
        var a = await TestApi.SignUpAsync(api);
        await using var app = await api.OpenAppAsync();
        var flag = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(app, null, $"update users set is_platform_operator = true where id = '{a.OwnerId}'"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, flag.SqlState);
        await using var tx = await app.BeginTransactionAsync();
        await SetTenantAsync(app, tx, a.Id);
        var plan = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(app, tx, "update tenants set plan = 'enterprise'"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, plan.SqlState);
    }

    [Fact]
    public async Task Application_role_cannot_call_the_unchecked_purge()
    {
        var a = await TestApi.SignUpAsync(api);
        await using var app = await api.OpenAppAsync();
        var denied = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(app, null, $"select tenant_purge('{a.Id}', 'user', null, null)"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        var notOperator = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(app, null, $"select platform_delete_tenant('{a.OwnerId}', '{a.Id}', null)"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, notOperator.SqlState);
        Assert.Equal(1L, await TestApi.ScalarAsync<long>(api, "select count(*) from tenants where id = @t", ("t", a.Id)));
    }

    internal static async Task SetTenantAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid tenant)
    {
        await using var command = new NpgsqlCommand("select set_config('app.tenant_id', @t, true)", connection, tx);
        command.Parameters.AddWithValue("t", tenant.ToString());
        await command.ExecuteScalarAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        return await command.ExecuteNonQueryAsync();
    }

    internal static async Task<List<string>> ListAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction? tx = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetValue(0).ToString()!);
        }
        return rows;
    }
}
