namespace Ballast.Balloon.Device;

/// <summary>
/// Frames recorded during one drain of the inflate queue, waiting to be released: a list of runs that merges
/// each new frame into the last run when contiguous (Linux hands out ascending pages, so a 256-PFN buffer
/// usually collapses to one run), and sorts + merges the rest when drained. Each frame is added at most once
/// per drain (the ballooned bitmap filters duplicates), so runs never overlap.
/// </summary>
internal sealed class PendingRuns
{
    private const int InitialCapacity = 256;

    /// <summary>Arrays grown past this by a fragmented batch go back to <see cref="InitialCapacity"/> once drained.</summary>
    private const int ShrinkAbove = 4 * InitialCapacity;

    private ulong[] _starts = new ulong[InitialCapacity];
    private ulong[] _counts = new ulong[InitialCapacity];
    private int _n;
    private bool _sorted = true;

    /// <summary>Bytes held by the run arrays and the list the last drain returned.</summary>
    public long MemoryBytes => (_starts.Length + _counts.Length + 2L * _drained.Capacity) * sizeof(ulong);

    /// <summary>Runs recorded and not drained yet.</summary>
    public int Count => _n;

    /// <summary>Runs the arrays have room for (they grow by doubling; a drain gives a grown pair back).</summary>
    public int Capacity => _starts.Length;

    /// <summary>Adds frames [pfn, pfn + count).</summary>
    public void Add(ulong pfn, ulong count)
    {
        if (_n > 0)
        {
            var last = _n - 1;
            if (_starts[last] + _counts[last] == pfn)
            {
                _counts[last] += count;
                return;
            }
            if (pfn < _starts[last])
                _sorted = false;
        }
        if (_n == _starts.Length)
        {
            Array.Resize(ref _starts, _n * 2);
            Array.Resize(ref _counts, _n * 2);
        }
        _starts[_n] = pfn;
        _counts[_n] = count;
        _n++;
    }

    /// <summary>Returns the maximal runs in ascending order and empties the list.</summary>
    public List<(ulong Pfn, ulong Count)> Drain()
    {
        var runs = _drained;
        runs.Clear();
        if (runs.Capacity > ShrinkAbove)
            runs.Capacity = 0;   // the previous drain was fragmented; its caller is done with the list
        if (!_sorted)
            Array.Sort(_starts, _counts, 0, _n);
        for (var i = 0; i < _n; i++)
        {
            if (runs.Count > 0 && runs[^1].Pfn + runs[^1].Count == _starts[i])
                runs[^1] = (runs[^1].Pfn, runs[^1].Count + _counts[i]);
            else
                runs.Add((_starts[i], _counts[i]));
        }
        Clear();
        if (_starts.Length > ShrinkAbove)
        {
            // A fragmented batch (a scattered page set) grew the arrays: do not keep them for the device's lifetime.
            _starts = new ulong[InitialCapacity];
            _counts = new ulong[InitialCapacity];
        }
        return runs;
    }

    /// <summary>Forgets everything.</summary>
    public void Clear()
    {
        _n = 0;
        _sorted = true;
    }

    private readonly List<(ulong Pfn, ulong Count)> _drained = [];
}
