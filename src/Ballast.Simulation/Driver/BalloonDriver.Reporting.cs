using Ballast.Balloon.Device;
using Ballast.Linux;
using Ballast.Simulation.Guest;
using Ballast.Virtio.Queue;

namespace Ballast.Simulation.Driver;

public sealed partial class BalloonDriver
{
    private DriverQueue? _reportingQueue;
    private EventFd? _reportingCall;
    private BufferSegment[] _reportSegments = [];

    /// <summary>
    /// The guest's free page reporting, registered with this driver as its report callback (Linux
    /// <c>page_reporting_register</c>); null unless VIRTIO_BALLOON_F_PAGE_REPORTING was negotiated.
    /// </summary>
    public PageReporting? Reporting { get; private set; }

    /// <summary>reporting_vq's index with the negotiated features (VIRTIO 1.2 §5.5.2), or -1 without the queue.</summary>
    public int ReportingQueueIndex => _reportingQueue is null ? -1 : BalloonQueue.Reporting(Features);

    /// <summary>
    /// Sets up reporting_vq at the index the negotiated features give (2 without STATS_VQ, 3 with) and registers the
    /// report callback; at most as many blocks per report as the queue has descriptors, as Linux caps its capacity.
    /// </summary>
    private void StartReporting()
    {
        _reportingQueue = SetupQueue(BalloonQueue.Reporting(Features), out var call);
        _reportingCall = call;
        var capacity = Math.Min(PageReporting.Capacity, _reportingQueue.Size);
        _reportSegments = new BufferSegment[capacity];
        Reporting = new PageReporting(_guest.Allocator, Report, _options.ReportingOrder, capacity);
    }

    /// <summary>
    /// virtballoon_free_page_report: one buffer per report, each block one device-writable descriptor (VIRTIO 1.2
    /// §5.5.6.6.1: "The driver MUST NOT use the reported pages until the device has acknowledged the reporting
    /// request"), then kick and wait until the device returns it.
    /// </summary>
    private void Report(ReadOnlySpan<FreeBlock> blocks)
    {
        var segments = _reportSegments.AsSpan(0, blocks.Length);
        for (var i = 0; i < blocks.Length; i++)
            segments[i] = new BufferSegment(blocks[i].GuestPhysAddr, (uint)blocks[i].Bytes, DeviceWritable: true);
        AddKickAndWait(_reportingQueue!, _reportingCall!, segments);
    }
}
