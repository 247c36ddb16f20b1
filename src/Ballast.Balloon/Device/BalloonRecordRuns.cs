using System.Collections;
using System.Numerics;
using Ballast.Bitmap;

namespace Ballast.Balloon.Device;

/// <summary>
/// The maximal runs of recorded frames of a <see cref="BalloonRecord"/>, ascending (from <see cref="BalloonRecord.Runs"/>).
/// Each step skips zero words (or, inside a run, all-ones words) 64 frames at a time and finds a run's edges with one
/// trailing-zero count; pages of the bitmap the file does not hold (never written, or given back by a reset) are
/// skipped without being read, so the walk keeps the record sparse. <c>foreach</c> binds to the struct
/// <see cref="Enumerator"/> and allocates nothing; the <see cref="IEnumerable{T}"/> implementation is there for LINQ
/// and boxes. Valid only while the record is neither changed nor grown.
/// </summary>
public readonly struct BalloonRecordRuns : IEnumerable<XBitmapRun>
{
    private readonly BalloonRecord _record;

    internal BalloonRecordRuns(BalloonRecord record) => _record = record;

    /// <summary>Returns the allocation-free enumerator.</summary>
    public Enumerator GetEnumerator() => new(_record);

    IEnumerator<XBitmapRun> IEnumerable<XBitmapRun>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Walks the bitmap: the next set bit starts a run, the next clear bit after it ends it.</summary>
    public unsafe struct Enumerator : IEnumerator<XBitmapRun>
    {
        private readonly BalloonRecord _record;
        private readonly ulong* _words;
        private readonly ulong _wordCount;
        private ulong _position;   // the first frame not yet looked at
        private ulong _dataEnd;    // words before this (from the last data extent found) lie in pages the file holds
        private XBitmapRun _current;

        internal Enumerator(BalloonRecord record)
        {
            _record = record;
            _words = record.Words;
            _wordCount = record.WordCount;
            _position = 0;
            _dataEnd = 0;
            _current = default;
        }

        /// <summary>The run found by the last successful <see cref="MoveNext"/>.</summary>
        public readonly XBitmapRun Current => _current;

        readonly object IEnumerator.Current => _current;

        /// <summary>Advances to the next run; false when no recorded frame is left.</summary>
        public bool MoveNext()
        {
            var end = _wordCount * 64;
            if (_position >= end)
                return false;
            var start = FindSet(_position);
            if (start >= end)
            {
                _position = end;
                return false;
            }
            var stop = FindClear(start + 1);
            _current = new XBitmapRun(start, stop - start);
            _position = stop;
            return true;
        }

        /// <summary>Restarts the walk at frame 0.</summary>
        public void Reset()
        {
            _position = 0;
            _dataEnd = 0;
            _current = default;
        }

        /// <summary>Nothing to release.</summary>
        public readonly void Dispose()
        {
        }

        /// <summary>The first recorded frame at or after <paramref name="from"/>, or the end; jumps over unheld pages.</summary>
        private ulong FindSet(ulong from)
        {
            var index = from >> 6;
            var mask = ulong.MaxValue << (int)(from & 63);
            while (index < _wordCount)
            {
                if (index >= _dataEnd)
                {
                    var data = _record.NextDataWord(index);
                    if (data >= _wordCount)
                        break;
                    if (data > index)
                    {
                        index = data;
                        mask = ulong.MaxValue;
                    }
                    _dataEnd = _record.NextHoleWord(index);
                }
                var word = _words[index] & mask;
                if (word != 0)
                    return index * 64 + (ulong)BitOperations.TrailingZeroCount(word);
                mask = ulong.MaxValue;
                index++;
            }
            return _wordCount * 64;
        }

        /// <summary>
        /// The first frame at or after <paramref name="from"/> that is not recorded, or the end. Called just after a
        /// <see cref="FindSet"/> hit: a page past the data extent it found is unheld, so it reads zero and ends the run.
        /// </summary>
        private readonly ulong FindClear(ulong from)
        {
            var index = from >> 6;
            var mask = ulong.MaxValue << (int)(from & 63);
            while (index < _wordCount)
            {
                if (index >= _dataEnd)
                    return index * 64;
                var word = ~_words[index] & mask;
                if (word != 0)
                    return index * 64 + (ulong)BitOperations.TrailingZeroCount(word);
                mask = ulong.MaxValue;
                index++;
            }
            return _wordCount * 64;
        }
    }
}
