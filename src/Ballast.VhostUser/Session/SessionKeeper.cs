namespace Ballast.VhostUser.Session;

/// <summary>
/// Keeps one session outside the process: every descriptor the connection holds goes to the
/// <see cref="IDescriptorStore"/> under its <see cref="SessionNames"/> name, and the rest of the state into the
/// <see cref="SessionRecord"/>. <see cref="Sync"/> runs after each front-end request is handled and before it is
/// taken off the socket, so a process killed at any point leaves either the request unhandled in the socket (the next
/// process handles it) or its effect kept.
/// </summary>
internal sealed class SessionKeeper : IDisposable
{
    private readonly IDescriptorStore _store;
    private readonly Dictionary<string, object> _kept = new(StringComparer.Ordinal);

    public SessionKeeper(IDescriptorStore store, SessionRecord record)
    {
        _store = store;
        Record = record;
        _store.Keep(SessionNames.Record, record.Fd);
        _kept[SessionNames.Record] = record;
    }

    /// <summary>The session's record.</summary>
    public SessionRecord Record { get; }

    /// <summary>
    /// Makes the kept descriptors match <paramref name="held"/> (name → the object holding the descriptor, and its
    /// number): a descriptor is sent again only when its holder changed (numbers are reused once closed, holders are
    /// not), and names no longer held are dropped. Then saves <paramref name="snapshot"/>.
    /// </summary>
    public void Sync(IReadOnlyList<(string Name, object Holder, int Fd)> held, SessionSnapshot snapshot)
    {
        var now = new HashSet<string>(StringComparer.Ordinal) { SessionNames.Record, SessionNames.Connection };
        foreach (var (name, holder, fd) in held)
        {
            now.Add(name);
            if (_kept.TryGetValue(name, out var old) && ReferenceEquals(old, holder))
                continue;
            _store.Keep(name, fd);
            _kept[name] = holder;
        }
        foreach (var name in _kept.Keys.Where(n => !now.Contains(n)).ToList())
        {
            _store.Drop(name);
            _kept.Remove(name);
        }
        Record.Save(snapshot);
    }

    /// <summary>Marks <paramref name="name"/> as kept by <paramref name="holder"/> without sending it (a resumed session's descriptors).</summary>
    public void AlreadyKept(string name, object holder) => _kept[name] = holder;

    /// <summary>
    /// The session is over for good (the front-end left, or the daemon stops): every descriptor kept for it is dropped,
    /// so the connection really closes once this process closes its own copy.
    /// </summary>
    public void DropAll()
    {
        foreach (var name in _kept.Keys)
            _store.Drop(name);
        _store.Drop(SessionNames.Connection);
        _kept.Clear();
    }

    /// <summary>Closes this process's copy of the record.</summary>
    public void Dispose() => Record.Dispose();
}
