namespace DeepSim.Api.Infrastructure;

/// <summary>One page of a list (Total null when not counted). Oversized page sizes are clamped, never refused.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int PageNumber, int PageSize, long? Total);

public readonly record struct PageRequest(int PageNumber, int PageSize)
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public int Offset => (PageNumber - 1) * PageSize;

    public static PageRequest From(int? page, int? pageSize) => new(
        Math.Max(1, page ?? 1),
        Math.Clamp(pageSize ?? DefaultPageSize, 1, MaxPageSize));
}
