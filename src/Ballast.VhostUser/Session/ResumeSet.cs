namespace Ballast.VhostUser.Session;

/// <summary>
/// The descriptors a new process was handed back by its keeper (<see cref="IDescriptorStore"/>), by name. Whoever
/// uses one takes it (<see cref="Take"/>); <see cref="Dispose"/> closes the rest.
/// </summary>
public sealed class ResumeSet : IDisposable
{
    private readonly Dictionary<string, int> _fds = new(StringComparer.Ordinal);

    /// <summary>An empty set: a first start.</summary>
    public ResumeSet()
    {
    }

    /// <summary>A set of <paramref name="fds"/> by name; the set owns them.</summary>
    public ResumeSet(IEnumerable<KeyValuePair<string, int>> fds)
    {
        ArgumentNullException.ThrowIfNull(fds);
        foreach (var (name, fd) in fds)
            Add(name, fd);
    }

    /// <summary>Names still in the set.</summary>
    public IReadOnlyCollection<string> Names => _fds.Keys;

    /// <summary>True if nothing is left.</summary>
    public bool IsEmpty => _fds.Count == 0;

    /// <summary>Adds <paramref name="fd"/> under <paramref name="name"/> (closing one already there).</summary>
    public void Add(string name, int fd)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        if (_fds.Remove(name, out var old))
            _ = Ballast.Linux.Interop.Libc.close(old);
        _fds[name] = fd;
    }

    /// <summary>True if <paramref name="name"/> is in the set.</summary>
    public bool Contains(string name) => _fds.ContainsKey(name);

    /// <summary>Takes the descriptor kept under <paramref name="name"/> (the caller owns it), or null.</summary>
    public int? Take(string name) => _fds.Remove(name, out var fd) ? fd : null;

    /// <summary>Closes every descriptor nobody took.</summary>
    public void Dispose()
    {
        foreach (var fd in _fds.Values)
            _ = Ballast.Linux.Interop.Libc.close(fd);
        _fds.Clear();
    }
}
