using Ballast.Linux;
using Ballast.Virtio.Memory;

namespace Ballast.Simulation.Guest;

/// <summary>The host-wide huge-page counters <see cref="SimulatedGuest.HugePageBytes"/> compares.</summary>
internal readonly record struct HugePageCount(long HugetlbFreePages, long ShmemHugeBytes)
{
    public static HugePageCount Now() => new(HugePageSettings.HugetlbFreePages(), HugePageSettings.ShmemHugeBytes());

    public long InUseSince(HugePageCount before, MemoryBacking backing) => backing == MemoryBacking.Hugetlb
        ? (before.HugetlbFreePages - HugetlbFreePages) * (long)HugePageSettings.HugetlbPageSize
        : ShmemHugeBytes - before.ShmemHugeBytes;
}
