using System.Globalization;
using DeepSim.Api.Auth;
using Npgsql;

namespace DeepSim.Api.Infrastructure;

/// <summary>
/// The only way the Api touches the database. Tenant work runs in a transaction whose first statement sets
/// <c>app.tenant_id</c> transaction-locally, so a pooled connection never carries one tenant into another's request.
/// </summary>
public sealed class TenantDb(NpgsqlDataSource dataSource)
{
    /// <summary>Runs <paramref name="work"/> in one transaction scoped to <paramref name="tenantId"/>; commits when it returns.</summary>
    public async Task<T> InTenantAsync<T>(Guid tenantId, Func<DbScope, Task<T>> work, CancellationToken cancellationToken)
    {
        if (tenantId == Guid.Empty)
        {
            throw new TenantContextMissingException();
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("select set_config('app.tenant_id', @t, true)", connection, transaction))
        {
            command.Parameters.AddWithValue("t", tenantId.ToString("D", CultureInfo.InvariantCulture));
            await command.ExecuteScalarAsync(cancellationToken);
        }
        var scope = new DbScope(connection, transaction, tenantId);
        var result = await work(scope);
        if (!scope.RollbackRequested)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return result;
    }

    /// <summary>Runs tenant work for the calling actor's tenant; fails loudly when the actor has none.</summary>
    public Task<T> ForActorAsync<T>(Actor actor, Func<DbScope, Task<T>> work, CancellationToken cancellationToken) =>
        InTenantAsync(actor.RequireTenant(), work, cancellationToken);

    /// <summary>
    /// Work that has no tenant: global users, and the audited SECURITY DEFINER platform functions.
    /// Tenant tables read here return no rows (row-level security).
    /// </summary>
    public async Task<T> WithoutTenantAsync<T>(Func<DbScope, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var scope = new DbScope(connection, transaction, null);
        var result = await work(scope);
        if (!scope.RollbackRequested)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return result;
    }
}

/// <summary>An open transaction (tenant-scoped when <see cref="TenantId"/> is set).</summary>
public sealed class DbScope(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid? tenantId)
{
    public NpgsqlConnection Connection { get; } = connection;
    public NpgsqlTransaction Transaction { get; } = transaction;
    public Guid? TenantId { get; } = tenantId;
    public bool RollbackRequested { get; private set; }

    /// <summary>Ends the unit of work without committing (a precondition failed after writes began).</summary>
    public void Rollback() => RollbackRequested = true;

    public Guid RequireTenant() => TenantId ?? throw new TenantContextMissingException();
}
