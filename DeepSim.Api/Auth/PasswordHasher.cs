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

    /// <summary>Constant-time check against a stored hash; false for any malformed hash.</summary>
    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
        {
            return false;
        }
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Spends the same work as a real check, for sign-ins whose email matches no user.</summary>
    public void VerifyAgainstDummy(string password) => Verify(password, dummyHash.Value);
}
