using System.Text;

namespace DeepSim.Api.Auth;

/// <summary>The <c>Auth</c> configuration section.</summary>
public sealed class AuthSettings
{
    public const string Section = "Auth";

    /// <summary>
    /// JWT HMAC-SHA256 key (<c>Auth:SigningKey</c>): standard base64 of at least 32 bytes; a value that is not
    /// valid base64 is taken as UTF-8 text and must then be at least 32 bytes long.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>Token for internal service calls (<c>Auth:ServiceToken</c>); used by the worker endpoints.</summary>
    public string? ServiceToken { get; set; }

    public int AccessTokenMinutes { get; set; } = 15;
    public int RefreshTokenDays { get; set; } = 30;
    public int InvitationDays { get; set; } = 7;

    /// <summary>PBKDF2-HMAC-SHA256 iterations for new hashes; OWASP (2023) recommends 600,000.</summary>
    public int Pbkdf2Iterations { get; set; } = 600_000;

    /// <summary>Failed sign-ins in a row before the account locks.</summary>
    public int LockoutThreshold { get; set; } = 5;

    /// <summary>First lock length; each further failure doubles it up to <see cref="LockoutMaxSeconds"/>.</summary>
    public int LockoutBaseSeconds { get; set; } = 30;
    public int LockoutMaxSeconds { get; set; } = 3600;

    public const int MinimumKeyBytes = 32;
    public const string Issuer = "deepsim";
    public const string Audience = "deepsim-api";

    public byte[] SigningKeyBytes()
    {
        if (string.IsNullOrWhiteSpace(SigningKey))
        {
            throw new InvalidOperationException("Missing configuration 'Auth:SigningKey' (environment variable Auth__SigningKey).");
        }
        var buffer = new byte[SigningKey.Length];
        if (Convert.TryFromBase64String(SigningKey, buffer, out var written) && written >= MinimumKeyBytes)
        {
            return buffer[..written];
        }
        var utf8 = Encoding.UTF8.GetBytes(SigningKey);
        return utf8.Length >= MinimumKeyBytes
            ? utf8
            : throw new InvalidOperationException($"Configuration 'Auth:SigningKey' must be base64 of at least {MinimumKeyBytes} bytes, or text of at least {MinimumKeyBytes} bytes.");
    }
}
