using System.Security.Cryptography;
using System.Text;
using DeepSim.Api.Infrastructure;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace DeepSim.Api.Auth;

/// <summary>A public key of the ring as the JWKS publishes it, with its timeline.</summary>
public sealed record PublishedSigningKey(string Kid, string X, string Y, DateTime CreatedAt, DateTime ActivatedAt, DateTime? RetiredAt, DateTime? ExpiresAt);

/// <summary>
/// The ES256 signing keys (ADR 0009), kept in PostgreSQL behind SECURITY DEFINER functions (migration 0230) and held
/// here as an immutable snapshot that <see cref="SigningKeyJob"/> reloads. Signing uses the newest key whose activation
/// time has come and that has not retired; validation accepts any published key by kid. Private key material never
/// leaves this class: not in a log, not in an exception message.
/// </summary>
public sealed partial class SigningKeyRing(TenantDb db, IOptions<AuthSettings> options, TimeProvider time, ILogger<SigningKeyRing> logger)
{
    public const string Algorithm = AccessTokens.Algorithm;

    // A token whose kid is unknown reloads the ring at most this often (another instance may just have made a key).
    private static readonly TimeSpan UnknownKidReloadInterval = TimeSpan.FromSeconds(10);

    private sealed record Signer(string Kid, ECDsaSecurityKey Key, DateTime ActivatedAt, DateTime? RetiredAt);
    private sealed record Snapshot(IReadOnlyList<PublishedSigningKey> Published, IReadOnlyDictionary<string, ECDsaSecurityKey> PublicKeys, IReadOnlyList<Signer> Signers, DateTimeOffset LoadedAt);
    private sealed record SignerRow(string Kid, byte[] PrivateKey, DateTime ActivatedAt, DateTime? RetiredAt);

    private readonly AuthSettings settings = options.Value;
    private Snapshot snapshot = new([], new Dictionary<string, ECDsaSecurityKey>(), [], DateTimeOffset.MinValue);

    /// <summary>The keys in the JWKS now: every key whose tokens may still be valid.</summary>
    public IReadOnlyList<PublishedSigningKey> Published
    {
        get
        {
            var now = time.GetUtcNow().UtcDateTime;
            return snapshot.Published.Where(k => k.ExpiresAt is not { } e || e > now).ToList();
        }
    }

    /// <summary>The credentials new tokens are signed with now.</summary>
    public SigningCredentials CurrentSigningCredentials()
    {
        var now = time.GetUtcNow().UtcDateTime;
        var signer = snapshot.Signers
            .Where(s => s.ActivatedAt <= now && (s.RetiredAt is not { } r || r > now))
            .MaxBy(s => s.ActivatedAt)
            ?? throw new InvalidOperationException("No signing key is active: the key ring has not been loaded (SigningKeyJob) or the database has none.");
        return new SigningCredentials(signer.Key, Algorithm);
    }

    /// <summary>The published key named <paramref name="kid"/>, or null.</summary>
    public SecurityKey? FindKey(string? kid)
    {
        // One snapshot for both lookups: a reload may swap it in between.
        var current = snapshot;
        if (kid is null || !current.PublicKeys.TryGetValue(kid, out var key))
        {
            return null;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var published = current.Published.First(k => k.Kid == kid);
        return published.ExpiresAt is { } e && e <= now ? null : key;
    }

    /// <summary>Reloads the ring when a token names a kid it does not know, at most every few seconds.</summary>
    public async Task ReloadForUnknownKidAsync(CancellationToken cancellationToken)
    {
        var loadedAt = snapshot.LoadedAt;
        var now = time.GetUtcNow();
        if (now - loadedAt >= UnknownKidReloadInterval || loadedAt > now)
        {
            await ReloadAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Makes a new key when the ring has none, or when the newest is older than the rotation interval (or always, with
    /// <paramref name="force"/>), then reloads. Safe from any number of instances at once: the database serializes it.
    /// Returns whether this call stored a key.
    /// </summary>
    public async Task<bool> RotateAsync(bool force, CancellationToken cancellationToken)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        var x = Base64UrlEncoder.Encode(parameters.Q.X);
        var y = Base64UrlEncoder.Encode(parameters.Q.Y);
        var kid = Thumbprint(x, y);
        var privateKey = ecdsa.ExportPkcs8PrivateKey();
        try
        {
            var stored = await db.WithoutTenantAsync(s => s.ExecuteScalarAsync<bool>(
                "select signing_keys_rotate(@kid, @x, @y, @privateKey, @now, @interval, @delay, @retention, @force)",
                new
                {
                    kid, x, y, privateKey, now = time.GetUtcNow().UtcDateTime,
                    interval = TimeSpan.FromDays(settings.SigningKeyRotationDays),
                    delay = TimeSpan.FromMinutes(settings.SigningKeyPublishDelayMinutes),
                    retention = settings.SigningKeyRetention, force,
                }, cancellationToken), cancellationToken);
            if (stored)
            {
                LogKeyCreated(logger, kid);
            }
            await ReloadAsync(cancellationToken);
            return stored;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>Reads the published keys and the private keys of those that sign now or next.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (published, signerRows) = await db.WithoutTenantAsync(async s =>
        {
            var keys = await s.QueryAsync<PublishedSigningKey>(
                """
                select kid as "Kid", x as "X", y as "Y", created_at as "CreatedAt", activated_at as "ActivatedAt",
                       retired_at as "RetiredAt", expires_at as "ExpiresAt"
                from signing_keys_published(@now)
                """, new { now = now.UtcDateTime }, cancellationToken);
            var signers = await s.QueryAsync<SignerRow>(
                """
                select kid as "Kid", private_key as "PrivateKey", activated_at as "ActivatedAt", retired_at as "RetiredAt"
                from signing_keys_signers(@now)
                """, new { now = now.UtcDateTime }, cancellationToken);
            return (keys.ToList(), signers.ToList());
        }, cancellationToken);

        var publicKeys = published.ToDictionary(k => k.Kid, k => PublicKey(k), StringComparer.Ordinal);
        var signers = new List<Signer>();
        foreach (var row in signerRows)
        {
            try
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(row.PrivateKey, out _);
                signers.Add(new Signer(row.Kid, new ECDsaSecurityKey(ecdsa) { KeyId = row.Kid }, row.ActivatedAt, row.RetiredAt));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(row.PrivateKey);
            }
        }
        // A reload that read the database before another one did must not overwrite the newer snapshot.
        var next = new Snapshot(published, publicKeys, signers, now);
        for (var current = snapshot; current.LoadedAt <= next.LoadedAt; current = snapshot)
        {
            if (ReferenceEquals(Interlocked.CompareExchange(ref snapshot, next, current), current))
            {
                break;
            }
        }
    }

    private static ECDsaSecurityKey PublicKey(PublishedSigningKey key)
    {
        var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(key.X), Y = Base64UrlEncoder.DecodeBytes(key.Y) },
        });
        return new ECDsaSecurityKey(ecdsa) { KeyId = key.Kid };
    }

    /// <summary>The key's RFC 7638 JWK thumbprint (SHA-256, base64url): a kid that names the key itself.</summary>
    internal static string Thumbprint(string x, string y) =>
        Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""")));

    [LoggerMessage(Level = LogLevel.Information, Message = "Created signing key {Kid}")]
    private static partial void LogKeyCreated(ILogger logger, string kid);
}

/// <summary>
/// Makes sure a signing key exists before the Api serves (the start fails if it cannot), then every
/// <see cref="AuthSettings.SigningKeyCheckSeconds"/> reloads the ring and rotates when the newest key is due.
/// </summary>
public sealed partial class SigningKeyJob(SigningKeyRing ring, IOptions<AuthSettings> options, ILogger<SigningKeyJob> logger) : BackgroundService
{
    private const int StartAttempts = 5;
    private static readonly TimeSpan StartRetryDelay = TimeSpan.FromSeconds(1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ring.RotateAsync(force: false, cancellationToken);
                break;
            }
            catch (Npgsql.NpgsqlException ex) when (attempt < StartAttempts)
            {
                LogStartRetry(logger, attempt, ex.Message);
                await Task.Delay(StartRetryDelay, cancellationToken);
            }
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.SigningKeyCheckSeconds)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ring.RotateAsync(force: false, stoppingToken);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                // The ring keeps its last snapshot: tokens are still signed and validated while the database is away.
                LogCheckFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing key ring not loaded (attempt {Attempt}): {Reason}; retrying")]
    private static partial void LogStartRetry(ILogger logger, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing key check failed: {Reason}; keeping the loaded keys")]
    private static partial void LogCheckFailed(ILogger logger, string reason);
}
