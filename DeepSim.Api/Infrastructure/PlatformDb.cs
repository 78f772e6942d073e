using DeepSim.ServiceDefaults;
using Npgsql;

namespace DeepSim.Api.Infrastructure;

/// <summary>
/// The operator endpoints' way to the database: the platform role (<c>ConnectionStrings:platformdb</c>), which
/// may execute the platform functions and nothing else. Everything else in the Api goes through <see cref="TenantDb"/>
/// as the application role, which may not execute them.
/// </summary>
public sealed class PlatformDb([FromKeyedServices(ResourceNames.PlatformDatabase)] NpgsqlDataSource dataSource)
{
    /// <summary>Runs <paramref name="work"/> in one transaction as the platform role; commits when it returns.</summary>
    public async Task<T> RunAsync<T>(Func<DbScope, Task<T>> work, CancellationToken cancellationToken)
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
