using Dapper;

namespace DeepSim.Api.Infrastructure;

/// <summary>Dapper over a <see cref="DbScope"/>: every command in the scope's transaction, cancellable.</summary>
public static class DbScopeExtensions
{
    public static Task<IEnumerable<T>> QueryAsync<T>(this DbScope scope, string sql, object? parameters, CancellationToken cancellationToken) =>
        scope.Connection.QueryAsync<T>(Command(scope, sql, parameters, cancellationToken));

    public static Task<T?> QuerySingleOrDefaultAsync<T>(this DbScope scope, string sql, object? parameters, CancellationToken cancellationToken) =>
        scope.Connection.QuerySingleOrDefaultAsync<T>(Command(scope, sql, parameters, cancellationToken));

    public static Task<int> ExecuteAsync(this DbScope scope, string sql, object? parameters, CancellationToken cancellationToken) =>
        scope.Connection.ExecuteAsync(Command(scope, sql, parameters, cancellationToken));

    public static Task<T?> ExecuteScalarAsync<T>(this DbScope scope, string sql, object? parameters, CancellationToken cancellationToken) =>
        scope.Connection.ExecuteScalarAsync<T>(Command(scope, sql, parameters, cancellationToken));

    private static CommandDefinition Command(DbScope scope, string sql, object? parameters, CancellationToken cancellationToken) =>
        new(sql, parameters, scope.Transaction, cancellationToken: cancellationToken);
}
