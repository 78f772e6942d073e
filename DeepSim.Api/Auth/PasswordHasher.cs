using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Auth;

/// <summary>PBKDF2-HMAC-SHA256 with a per-password salt; stored as <c>pbkdf2-sha256$iterations$salt$hash</c>.</summary>
public sealed class PasswordHasher(IOptions<AuthSettings> settings)
{
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    public const int MinimumPasswordLength = 10;
    public const int MaximumPasswordLength = 256;

    private readonly Lazy<string> dummyHash = new(() => Hash("not-a-real-password-" + Guid.NewGuid(), settings.Value.Pbkdf2Iterations));

    public string Hash(string password) => Hash(password, settings.Value.Pbkdf2Iterations);

    public static string Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>
    /// The candidate's key (base64) under a stored hash's parameters, <c>pbkdf2-sha256$iterations$salt</c>: what the
    /// database's <c>auth_password_matches()</c> compares with the stored key, which the Api itself cannot read.
    /// Null for parameters of another shape.
    /// </summary>
    public static string? Derive(string password, string? parameters)
    {
        var parts = parameters?.Split('$');
        if (parts is not { Length: 3 } || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
        {
            return null;
        }
        byte[] salt;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            return null;
        }
        return Convert.ToBase64String(Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes));
    }

    /// <summary>
    /// <see cref="Derive"/> that spends the same work when there is nothing to derive against (no such user, a malformed
    /// hash): the key under a dummy salt then, and null, so an unknown email takes as long as a known one.
    /// </summary>
    public string? DeriveOrDummy(string password, string? parameters)
    {
        if (Derive(password, parameters) is { } key)
        {
            return key;
        }
        var dummy = dummyHash.Value;
        Derive(password, dummy[..dummy.LastIndexOf('$')]);
        return null;
    }

}
