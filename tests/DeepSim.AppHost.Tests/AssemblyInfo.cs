// These tests start Debian's server binaries and read /proc: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
