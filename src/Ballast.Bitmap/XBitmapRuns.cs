using System.Collections;

namespace Ballast.Bitmap;

/// <summary>
/// The maximal runs of set bits of an <see cref="XBitmap"/> in a range, ascending, clipped to the range
/// (from <see cref="XBitmap.Runs"/>). <c>foreach</c> over it binds to the struct <see cref="Enumerator"/>
/// and allocates nothing; the <see cref="IEnumerable{T}"/> implementation is there for LINQ and boxes.
/// </summary>
public readonly struct XBitmapRuns : IEnumerable<XBitmapRun>
{
    private readonly XBitmap? _bitmap;
    private readonly ulong _start;
    private readonly ulong _end;

    internal XBitmapRuns(XBitmap bitmap, ulong start, ulong end)
    {
        _bitmap = bitmap;
        _start = start;
        _end = end;
    }

    /// <summary>Returns the allocation-free enumerator.</summary>
    public Enumerator GetEnumerator() => new(_bitmap, _start, _end);

    IEnumerator<XBitmapRun> IEnumerable<XBitmapRun>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Walks runs the way tell_host_sgs() does: find the next set bit, then the next clear bit after it;
    /// the two bound one run, and the next search starts at that clear bit.
    /// </summary>
    public struct Enumerator : IEnumerator<XBitmapRun>
    {
        private readonly XBitmap? _bitmap;
        private readonly ulong _start;
        private readonly ulong _end;
        private ulong _position;
        private XBitmapRun _current;

        internal Enumerator(XBitmap? bitmap, ulong start, ulong end)
        {
            _bitmap = bitmap;
            _start = start;
            _end = end;
            _position = start;
            _current = default;
        }

        /// <summary>The run found by the last successful <see cref="MoveNext"/>.</summary>
        public readonly XBitmapRun Current => _current;

        readonly object IEnumerator.Current => _current;

        /// <summary>Advances to the next run; false when the range holds no further set bit.</summary>
        public bool MoveNext()
        {
            XBitmap? bitmap = _bitmap;
            if (bitmap is null || _position >= _end)
            {
                return false;
            }

            ulong first = bitmap.FindSetCore(_position, _end);
            if (first >= _end)
            {
                _position = _end;
                return false;
            }

            ulong next = bitmap.FindZeroCore(first + 1, _end);
            _current = new XBitmapRun(first, next - first);
            _position = next;
            return true;
        }

        /// <summary>Restarts the walk at the range start.</summary>
        public void Reset()
        {
            _position = _start;
            _current = default;
        }

        /// <summary>Nothing to release.</summary>
        public readonly void Dispose()
        {
        }
    }
}
