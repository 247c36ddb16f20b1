using Ballast.Balloon.Device;
using Ballast.Simulation.Guest;
using Ballast.Virtio.Memory;

namespace Ballast.Simulation.Experiment;

/// <summary>The guest, device and driver one run of the experiment uses (<see cref="ExperimentRig.Create"/>).</summary>
public sealed record ExperimentSetup
{
    /// <summary>Guest RAM in bytes.</summary>
    public required ulong GuestMemBytes { get; init; }

    /// <summary>How the guest's memory is laid out and used before the run.</summary>
    public GuestProfile Profile { get; init; } = GuestProfile.Idle;

    /// <summary>Start from a guest whose free pages were never touched (no host memory behind them).</summary>
    public bool Clean { get; init; }

    /// <summary>The seed's scatter-gather protocol (VIRTIO_BALLOON_F_SG) on both sides, or classic PFN arrays.</summary>
    public bool ScatterGather { get; init; }

    /// <summary>The device offers free page reporting (VIRTIO_BALLOON_F_PAGE_REPORTING); the driver accepts it.</summary>
    public bool PageReporting { get; init; }

    /// <summary>How the device releases host memory.</summary>
    public ReleasePolicy Release { get; init; } = ReleasePolicy.Coalesce;

    /// <summary>The driver zeroes each page it allocates (the guest's init_on_alloc).</summary>
    public bool ZeroOnAlloc { get; init; }

    /// <summary>What backs guest RAM: 4 KiB pages, transparent huge pages or hugetlb (the host must be able to give it).</summary>
    public MemoryBacking Backing { get; init; } = MemoryBacking.Pages4K;

    /// <summary>What the device releases at a time on huge-page RAM.</summary>
    public ReleaseGranularity Granularity { get; init; } = ReleaseGranularity.HostPage;

    /// <summary>Virtqueue size the transport sets up.</summary>
    public int QueueSize { get; init; } = 128;
}
