namespace Ballast.Bitmap.Tests.Infrastructure;

/// <summary>
/// The reference model for property tests: the set bits as a sorted list of disjoint, non-adjacent
/// half-open ranges [Start, End). Every operation is a plain linear pass, written to be obviously right
/// rather than fast, so it can hold ranges as wide as the whole 64-bit space.
/// </summary>
internal sealed class RangeSetModel
{
    private List<(ulong Start, ulong End)> _ranges = [];

    public IReadOnlyList<(ulong Start, ulong End)> Ranges => _ranges;

    public ulong Count
    {
        get
        {
            ulong total = 0;
            foreach (var (start, end) in _ranges)
            {
                total += end - start;
            }

            return total;
        }
    }

    public bool Contains(ulong bit)
    {
        foreach (var (start, end) in _ranges)
        {
            if (start <= bit && bit < end)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds [start, end): ranges that overlap or touch it are merged into one.</summary>
    public void Add(ulong start, ulong end)
    {
        if (start >= end)
        {
            return;
        }

        var result = new List<(ulong Start, ulong End)>();
        foreach (var (a, b) in _ranges)
        {
            if (b < start || a > end)
            {
                result.Add((a, b));
            }
            else
            {
                start = Math.Min(start, a);
                end = Math.Max(end, b);
            }
        }

        result.Add((start, end));
        result.Sort((x, y) => x.Start.CompareTo(y.Start));
        _ranges = result;
    }

    /// <summary>Removes [start, end): ranges are cut, keeping what lies outside it.</summary>
    public void Remove(ulong start, ulong end)
    {
        if (start >= end)
        {
            return;
        }

        var result = new List<(ulong Start, ulong End)>();
        foreach (var (a, b) in _ranges)
        {
            if (b <= start || a >= end)
            {
                result.Add((a, b));
                continue;
            }

            if (a < start)
            {
                result.Add((a, start));
            }

            if (b > end)
            {
                result.Add((end, b));
            }
        }

        _ranges = result;
    }

    public ulong FindSet(ulong start, ulong end)
    {
        foreach (var (a, b) in _ranges)
        {
            if (b > start)
            {
                ulong candidate = Math.Max(a, start);
                return candidate < end ? candidate : end;
            }
        }

        return end;
    }

    public ulong FindZero(ulong start, ulong end)
    {
        ulong position = start;
        foreach (var (a, b) in _ranges)
        {
            if (a <= position && position < b)
            {
                position = b;
            }
        }

        return position < end ? position : end;
    }

    public List<XBitmapRun> Runs(ulong start, ulong end)
    {
        var runs = new List<XBitmapRun>();
        foreach (var (a, b) in _ranges)
        {
            ulong lo = Math.Max(a, start);
            ulong hi = Math.Min(b, end);
            if (lo < hi)
            {
                runs.Add(new XBitmapRun(lo, hi - lo));
            }
        }

        return runs;
    }

    public void Reset() => _ranges = [];
}
