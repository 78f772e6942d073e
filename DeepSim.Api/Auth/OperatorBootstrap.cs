using DeepSim.Api.Infrastructure;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Auth;

/// <summary>
/// The one-time setup of the first platform operator from configuration (<c>Setup:OperatorEmail</c>,
/// <c>Setup:OperatorPassword</c>, optional <c>Setup:OperatorName</c>). Does nothing when they are absent or an
/// operator already exists; there is no built-in password. Runs as the platform role, like every operator function.
/// </summary>
public sealed partial class OperatorBootstrap(IConfiguration configuration, PlatformDb db, IOptions<AuthSettings> auth, ILogger<OperatorBootstrap> logger) : IHostedService
{
    public const string EmailKey = "Setup:OperatorEmail";
    public const string PasswordKey = "Setup:OperatorPassword";
    public const string NameKey = "Setup:OperatorName";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var email = configuration[EmailKey];
        var password = configuration[PasswordKey];
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password))
        {
            return;
        }
        if (password.Length < PasswordHasher.MinimumPasswordLength)
        {
            throw new InvalidOperationException($"Configuration '{PasswordKey}' must be at least {PasswordHasher.MinimumPasswordLength} characters.");
        }
        var created = await db.RunAsync(s => s.ExecuteScalarAsync<bool>(
            "select platform_bootstrap_operator(@id, @email, @normalized, @name, @hash)",
            new
            {
                id = Guid.NewGuid(),
                email = email.Trim(),
                normalized = TokenService.NormalizeEmail(email),
                name = configuration[NameKey] ?? "Platform operator",
                hash = PasswordHasher.Hash(password, auth.Value.Pbkdf2Iterations),
            }, cancellationToken), cancellationToken);
        if (created)
        {
            Log.Created(logger);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Created the first platform operator from configuration")]
        public static partial void Created(ILogger logger);
    }
}
