namespace DeepSim.TestServers;

/// <summary>The last lines a process wrote to stdout or stderr, bounded so a chatty process cannot exhaust memory.</summary>
public sealed class LogBuffer
{
    public const int DefaultCapacity = 500;

    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();
    private readonly int _capacity;

    public LogBuffer(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    public void Add(string line)
    {
        lock (_gate)
        {
            if (_lines.Count == _capacity)
            {
                _lines.Dequeue();
            }
            _lines.Enqueue(line);
        }
    }

    public IReadOnlyList<string> Snapshot()
    {
        lock (_gate)
        {
            return [.. _lines];
        }
    }

    public IReadOnlyList<string> Tail(int count)
    {
        var all = Snapshot();
        return all.Count <= count ? all : [.. all.Skip(all.Count - count)];
    }
}
