using Ballast.Simulation.Guest;
using CsCheck;

namespace Ballast.Simulation.Tests.Guest;

/// <summary>
/// Random operation sequences against a reference model: a set of allocated frames plus the blocks
/// the test still owns.
/// </summary>
public class BuddyAllocatorPropertyTests
{
    /// <summary>Usable ranges: an offset, then up to four (RAM, hole) segments.</summary>
    private static readonly Gen<(ulong StartPfn, ulong Count)[]> GenRanges =
        Gen.Select(Gen.Int[0, 40], Gen.Select(Gen.Int[0, 2500], Gen.Int[1, 40]).Array[1, 4])
            .Select((offset, segments) =>
            {
                var ranges = new List<(ulong StartPfn, ulong Count)>();
                var pfn = (ulong)offset;
                foreach (var (ram, hole) in segments)
                {
                    ranges.Add((pfn, (ulong)ram));
                    pfn += (ulong)(ram + hole);
                }

                return ranges.ToArray();
            });

    /// <summary>(kind 0..99, order 0..10, argument): see <see cref="Apply"/>.</summary>
    private static readonly Gen<(int Kind, int Order, int Arg)[]> GenOps =
        Gen.Select(Gen.Int[0, 99], Gen.Int[0, BuddyAllocator.MaxOrder], Gen.Int[0, int.MaxValue]).Array[0, 150];

    [Fact]
    public void RandomOperations_MatchReferenceModel() =>
        Gen.Select(GenRanges, GenOps).Sample(
            (ranges, ops) => new Model(ranges).Run(ops),
            iter: 200,
            print: t => $"ranges [{string.Join(", ", t.Item1)}], {t.Item2.Length} ops: {string.Join(" ", t.Item2)}");

    private static void Apply(Model model, (int Kind, int Order, int Arg) op)
    {
        switch (op.Kind)
        {
            case < 35:
                model.Alloc(0);
                break;
            case < 50:
                model.Alloc(op.Order);
                break;
            case < 80:
                model.FreeOwned(op.Arg, asPages: op.Arg % 5 == 0);
                break;
            case < 90:
                model.Reserve((ulong)op.Arg, (ulong)op.Order * 29);
                break;
            case < 93:
                model.ReserveRandom(op.Order / 20.0, op.Arg);
                break;
            case < 96:
                model.Report(op.Order, 1 + (op.Arg % PageReporting.Capacity));
                break;
            default:
                model.FreeUnowned((ulong)op.Arg, op.Order % 3);
                break;
        }
    }

    /// <summary>The allocator under test and what it should look like.</summary>
    private sealed class Model
    {
        private readonly BuddyAllocator _allocator;
        private readonly int[] _initialBuddyInfo;
        private readonly HashSet<ulong> _usable = [];
        private readonly HashSet<ulong> _allocated = [];
        private readonly List<(ulong Pfn, int Order)> _owned = [];
        private long _allocations;

        public Model((ulong StartPfn, ulong Count)[] ranges)
        {
            _allocator = new BuddyAllocator(ranges);
            _initialBuddyInfo = GuestLayouts.BuddyInfo(_allocator);
            foreach (var (start, count) in ranges)
            {
                for (var pfn = start; pfn < start + count; pfn++)
                    _usable.Add(pfn);
            }

            Assert.Equal((ulong)_usable.Count, _allocator.TotalFrames);
        }

        public void Run((int Kind, int Order, int Arg)[] ops)
        {
            _allocator.Validate();
            for (var i = 0; i < ops.Length; i++)
            {
                Apply(this, ops[i]);
                Check();
                if (i % 16 == 15)
                    CompareFrames();
            }

            CompareFrames();

            // Give everything back: memory must merge into exactly the blocks it started as.
            foreach (var (pfn, order) in _owned)
                _allocator.Free(pfn, order);
            _owned.Clear();
            _allocated.Clear();
            Check();
            Assert.Equal(_allocator.TotalFrames, _allocator.FreeFrames);
            Assert.Equal(_initialBuddyInfo, GuestLayouts.BuddyInfo(_allocator));
        }

        public void Alloc(int order)
        {
            var size = 1UL << order;
            if (!_allocator.TryAlloc(order, out var pfn))
            {
                Assert.False(HasFreeAlignedBlock(order), $"order-{order} alloc failed with a free aligned block available");
                return;
            }

            _allocations++;
            Assert.Equal(0UL, pfn % size);
            for (var frame = pfn; frame < pfn + size; frame++)
            {
                Assert.True(_usable.Contains(frame), $"order-{order} block 0x{pfn:x} covers hole frame 0x{frame:x}");
                Assert.True(_allocated.Add(frame), $"order-{order} block 0x{pfn:x} overlaps allocated frame 0x{frame:x}");
            }

            _owned.Add((pfn, order));
        }

        public void FreeOwned(int pick, bool asPages)
        {
            if (_owned.Count == 0)
                return;
            var index = pick % _owned.Count;
            var (pfn, order) = _owned[index];
            _owned[index] = _owned[^1];
            _owned.RemoveAt(_owned.Count - 1);

            if (asPages)
            {
                for (var frame = pfn; frame < pfn + (1UL << order); frame++)
                    _allocator.Free(frame, 0);
            }
            else
            {
                _allocator.Free(pfn, order);
            }

            for (var frame = pfn; frame < pfn + (1UL << order); frame++)
                _allocated.Remove(frame);
        }

        public void Reserve(ulong arg, ulong count)
        {
            var end = _allocator.EndPfn;
            var start = arg % (end + 1);
            count = Math.Min(count, end - start);
            var clash = false;
            ulong usable = 0;
            for (var pfn = start; pfn < start + count; pfn++)
            {
                clash |= _allocated.Contains(pfn);
                usable += _usable.Contains(pfn) ? 1UL : 0;
            }

            if (clash)
            {
                var free = _allocator.FreeFrames;
                Assert.Throws<InvalidOperationException>(() => _allocator.Reserve(start, count));
                Assert.Equal(free, _allocator.FreeFrames);
                return;
            }

            Assert.Equal(usable, _allocator.Reserve(start, count));
            for (var pfn = start; pfn < start + count; pfn++)
            {
                if (_usable.Contains(pfn))
                    TakeFrame(pfn);
            }
        }

        public void ReserveRandom(double fraction, int seed)
        {
            var free = _allocator.FreeFrames;
            var reserved = _allocator.ReserveRandom(fraction, seed);

            Assert.Equal((ulong)Math.Round(fraction * free), reserved);
            ulong found = 0;
            for (ulong pfn = 0; pfn < _allocator.EndPfn; pfn++)
            {
                if (_allocator.IsAllocated(pfn) && !_allocated.Contains(pfn))
                {
                    Assert.Contains(pfn, _usable);
                    TakeFrame(pfn);
                    found++;
                }
            }

            Assert.Equal(reserved, found);
        }

        public void FreeUnowned(ulong arg, int order)
        {
            var size = 1UL << order;
            var pfn = arg % (_allocator.EndPfn + 1) & ~(size - 1);
            var owned = true;
            for (var frame = pfn; frame < pfn + size; frame++)
                owned &= _allocated.Contains(frame);
            if (owned)
                return;

            var free = _allocator.FreeFrames;
            var thrown = Record.Exception(() => _allocator.Free(pfn, order));
            Assert.True(thrown is InvalidOperationException or ArgumentOutOfRangeException, $"Free(0x{pfn:x}, {order}) threw {thrown}");
            Assert.Equal(free, _allocator.FreeFrames);
        }

        /// <summary>
        /// Free page reporting from <paramref name="order"/> up: only free frames are reported, everything goes back
        /// free, and a second run finds nothing left to report.
        /// </summary>
        public void Report(int order, int capacity)
        {
            var free = _allocator.FreeFrames;
            var reporting = new PageReporting(_allocator, blocks =>
            {
                foreach (var block in blocks)
                {
                    Assert.True(block.Order >= order);
                    for (var frame = block.Pfn; frame < block.Pfn + block.Frames; frame++)
                        Assert.True(_usable.Contains(frame) && !_allocated.Contains(frame), $"reported frame 0x{frame:x} is not free");
                }
            }, order, capacity);

            reporting.RunUntilIdle();

            Assert.Equal(free, _allocator.FreeFrames);
            Assert.Equal(0UL, _allocator.IsolatedFrames);
            Assert.True(_allocator.ReportedFrames <= free);
            var again = 0;
            new PageReporting(_allocator, blocks => again += blocks.Length, order).RunUntilIdle();
            Assert.Equal(0, again);
        }

        private void TakeFrame(ulong pfn)
        {
            Assert.True(_allocated.Add(pfn));
            _owned.Add((pfn, 0));
        }

        private bool HasFreeAlignedBlock(int order)
        {
            var size = 1UL << order;
            for (ulong block = 0; block + size <= _allocator.EndPfn; block += size)
            {
                var free = true;
                for (var frame = block; frame < block + size && free; frame++)
                    free = _usable.Contains(frame) && !_allocated.Contains(frame);
                if (free)
                    return true;
            }

            return false;
        }

        private void CompareFrames()
        {
            for (ulong pfn = 0; pfn < _allocator.EndPfn; pfn++)
            {
                Assert.Equal(_usable.Contains(pfn), _allocator.IsUsable(pfn));
                Assert.Equal(_allocated.Contains(pfn), _allocator.IsAllocated(pfn));
            }
        }

        private void Check()
        {
            _allocator.Validate();
            Assert.Equal(_allocator.TotalFrames - (ulong)_allocated.Count, _allocator.FreeFrames);
            Assert.Equal(_allocations, _allocator.Allocations);
        }
    }
}
