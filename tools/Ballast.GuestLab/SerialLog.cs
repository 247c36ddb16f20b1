using System.Text;

namespace Ballast.GuestLab;

/// <summary>
/// Follows a guest's <c>serial.log</c> (written by QEMU) as it grows: splits it into lines (on <c>\n</c>, one
/// trailing <c>\r</c> stripped, an unterminated last line held back until it is complete), keeps every line and
/// parses the <c>BALLAST</c> facts into <see cref="SerialEvent"/>s; <see cref="WaitForAsync"/> waits for one.
/// </summary>
public sealed class SerialLog : IDisposable
{
    /// <summary>How often a wait looks at the file again.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly List<SerialEvent> _events = [];
    private readonly List<byte> _partial = [];
    private readonly byte[] _buffer = new byte[64 * 1024];
    private FileStream? _stream;

    /// <summary>Follows <paramref name="path"/>, which need not exist yet.</summary>
    public SerialLog(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Reads what was appended since the last call; returns how many new facts it held.</summary>
    public int Refresh()
    {
        lock (_lock)
        {
            if (_stream is null)
            {
                if (!File.Exists(Path))
                    return 0;
                try
                {
                    _stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
                }
                catch (FileNotFoundException)
                {
                    return 0;
                }
            }
            var before = _events.Count;
            int n;
            while ((n = _stream.Read(_buffer, 0, _buffer.Length)) > 0)
            {
                var start = 0;
                for (var i = 0; i < n; i++)
                {
                    if (_buffer[i] != (byte)'\n')
                        continue;
                    _partial.AddRange(_buffer.AsSpan(start, i - start));
                    AddLine();
                    start = i + 1;
                }
                _partial.AddRange(_buffer.AsSpan(start, n - start));
            }
            return _events.Count - before;
        }
    }

    private void AddLine()
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_partial);
        if (span.Length > 0 && span[^1] == (byte)'\r')
            span = span[..^1];
        var line = Encoding.UTF8.GetString(span);
        _partial.Clear();
        _lines.Add(line);
        if (SerialEvent.TryParse(line, _events.Count) is { } fact)
            _events.Add(fact);
    }

    /// <summary>Facts read so far (after a <see cref="Refresh"/>).</summary>
    public IReadOnlyList<SerialEvent> Events()
    {
        lock (_lock)
            return [.. _events];
    }

    /// <summary>How many facts have been read: a cursor for <see cref="WaitForAsync"/>'s <c>after</c>.</summary>
    public int Count
    {
        get
        {
            Refresh();
            lock (_lock)
                return _events.Count;
        }
    }

    /// <summary>The latest fact named <paramref name="name"/> read so far (refreshing first), or null.</summary>
    public SerialEvent? Last(string name)
    {
        Refresh();
        lock (_lock)
            return _events.LastOrDefault(e => e.Name == name);
    }

    /// <summary>Every fact named <paramref name="name"/> so far (refreshing first).</summary>
    public IReadOnlyList<SerialEvent> All(string name)
    {
        Refresh();
        lock (_lock)
            return [.. _events.Where(e => e.Name == name)];
    }

    /// <summary>The last <paramref name="count"/> lines of the log (all lines, not only facts), one per line.</summary>
    public string Tail(int count = 40)
    {
        Refresh();
        lock (_lock)
            return string.Join('\n', _lines.Skip(Math.Max(0, _lines.Count - count)));
    }

    /// <summary>
    /// Waits for the first fact named <paramref name="name"/> at index <paramref name="after"/> or later that
    /// satisfies <paramref name="predicate"/>.
    /// </summary>
    /// <param name="name">The event name.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="predicate">A further condition, or null.</param>
    /// <param name="after">Only facts from this index on (use <see cref="Count"/> before an action to see only what follows it).</param>
    /// <param name="abort">Polled while waiting: a non-null reason (e.g. "QEMU exited") ends the wait with an exception.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="TimeoutException">Nothing matched in time, or <paramref name="abort"/> gave a reason; the message carries the log's tail.</exception>
    public Task<SerialEvent> WaitForAsync(string name, TimeSpan timeout, Func<SerialEvent, bool>? predicate = null, int after = 0,
        Func<string?>? abort = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return WaitForCoreAsync(e => e.Name == name && (predicate is null || predicate(e)), name, timeout, after, abort, ct);
    }

    /// <summary>
    /// Waits for the first fact named any of <paramref name="names"/> at index <paramref name="after"/> or later
    /// (e.g. <c>control</c> or <c>control unknown</c>, the two answers to a console command).
    /// </summary>
    /// <exception cref="TimeoutException">Nothing matched in time, or <paramref name="abort"/> gave a reason; the message carries the log's tail.</exception>
    public Task<SerialEvent> WaitForAnyAsync(IReadOnlyCollection<string> names, TimeSpan timeout, int after = 0,
        Func<string?>? abort = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
            throw new ArgumentException("no event name", nameof(names));
        return WaitForCoreAsync(e => names.Contains(e.Name), string.Join(" or ", names), timeout, after, abort, ct);
    }

    private async Task<SerialEvent> WaitForCoreAsync(Func<SerialEvent, bool> match, string what, TimeSpan timeout, int after,
        Func<string?>? abort, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var checkedUpTo = after;
        while (true)
        {
            Refresh();
            lock (_lock)
            {
                for (; checkedUpTo < _events.Count; checkedUpTo++)
                {
                    var e = _events[checkedUpTo];
                    if (match(e))
                        return e;
                }
            }
            if (abort?.Invoke() is { } reason)
                throw new TimeoutException($"gave up waiting for BALLAST {what}: {reason}; serial log tail:\n{Tail()}");
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"no BALLAST {what} within {timeout.TotalSeconds:0.#} s; serial log tail:\n{Tail()}");
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _stream?.Dispose();
            _stream = null;
        }
    }
}
