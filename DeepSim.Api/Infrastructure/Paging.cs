namespace DeepSim.Api.Infrastructure;

/// <summary>One page of a list (Total null when not counted). Oversized page sizes are clamped, never refused.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int PageNumber, int PageSize, long? Total);

public readonly record struct PageRequest(int PageNumber, int PageSize)
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    // Page is an int and PageSize at most MaxPageSize, so the product fits a long; the SQL (and its functions) take an
    // integer offset, so one past int.MaxValue is clamped rather than refused: no list is that long, the page is just empty.
    public int Offset => (int)Math.Min((PageNumber - 1L) * PageSize, int.MaxValue);

    public static PageRequest From(int? page, int? pageSize) => new(
        Math.Max(1, page ?? 1),
        Math.Clamp(pageSize ?? DefaultPageSize, 1, MaxPageSize));
}
