using Ballast.Linux;
using Ballast.Virtio.Memory;

namespace Ballast.Virtio.Queue;

/// <summary>
/// The device side of a split virtqueue (VIRTIO 1.2 §2.7): pops available descriptor chains, validating
/// everything the driver wrote, pushes used elements and decides whether to notify the driver.
/// </summary>
/// <remarks>
/// Guest input is hostile. A malformed chain is returned to the driver with length 0 and reported as
/// <see cref="PopResult.BadChain"/>; a ring that cannot be trusted any more (avail index more than the queue
/// size ahead, a head index out of range) makes the queue <see cref="IsBroken"/>, after which it does nothing
/// until it is rebuilt — the device then sets DEVICE_NEEDS_RESET (§2.1.2). One thread uses a queue at a time.
/// </remarks>
public sealed unsafe partial class DeviceQueue
{
    private readonly GuestMemory _memory;
    private readonly byte* _desc;
    private readonly byte* _avail;
    private readonly byte* _used;
    private readonly int _mask;
    private readonly bool _eventIdx;
    private readonly bool _indirect;
    private ushort _lastAvail;      // next available ring slot to read
    private ushort _availShadow;    // the driver's avail idx as last read
    private ushort _usedIdx;        // next used ring slot to write
    private ushort _signalledUsed;  // used idx when we last notified (EVENT_IDX)
    private bool _signalledValid;

    /// <summary>
    /// Builds the device side over rings at <paramref name="addresses"/>. Throws <see cref="ArgumentException"/> for
    /// a size that is not a power of two ≤ 32768, misaligned areas or areas not inside one RAM region each.
    /// </summary>
    /// <param name="memory">Guest RAM holding the rings and the buffers.</param>
    /// <param name="size">Queue size negotiated with the driver.</param>
    /// <param name="addresses">Guest-physical addresses of the three areas.</param>
    /// <param name="features">Negotiated features: VIRTIO_F_EVENT_IDX and VIRTIO_F_INDIRECT_DESC matter here.</param>
    /// <param name="nextAvail">Where to start reading the available ring (vhost-user SET_VRING_BASE); the used
    /// index is read from the used ring itself.</param>
    public DeviceQueue(GuestMemory memory, int size, RingAddresses addresses, ulong features, ushort nextAvail = 0)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var error = Validate(memory, size, addresses);
        if (error is not null)
            throw new ArgumentException(error, nameof(addresses));
        _memory = memory;
        Size = size;
        _mask = size - 1;
        memory.TryGetHostAddress(addresses.DescriptorTable, SplitRing.DescriptorTableBytes(size), out var desc);
        memory.TryGetHostAddress(addresses.AvailableRing, SplitRing.AvailableRingBytes(size), out var avail);
        memory.TryGetHostAddress(addresses.UsedRing, SplitRing.UsedRingBytes(size), out var used);
        _desc = (byte*)desc;
        _avail = (byte*)avail;
        _used = (byte*)used;
        Addresses = addresses;
        _eventIdx = VirtioFeatures.Has(features, VirtioFeatures.EventIdx);
        _indirect = VirtioFeatures.Has(features, VirtioFeatures.IndirectDesc);
        _lastAvail = nextAvail;
        _availShadow = nextAvail;
        _usedIdx = RingMemory.Read16Acquire(_used + SplitRing.UsedIdxOffset);
    }

    /// <summary>Checks a queue configuration; returns null if usable, else why not (for a vhost-user error reply).</summary>
    public static string? Validate(GuestMemory memory, int size, RingAddresses addresses)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (!SplitRing.IsValidSize(size))
            return $"queue size {size} is not a power of two between 1 and {SplitRing.MaxSize}";
        if (addresses.DescriptorTable % SplitRing.DescriptorAlignment != 0
            || addresses.AvailableRing % SplitRing.AvailableAlignment != 0
            || addresses.UsedRing % SplitRing.UsedAlignment != 0)
            return "ring areas are misaligned (descriptor table 16, available ring 2, used ring 4 bytes)";
        if (!memory.TryGetHostAddress(addresses.DescriptorTable, SplitRing.DescriptorTableBytes(size), out _))
            return $"descriptor table at 0x{addresses.DescriptorTable:x} is not inside guest RAM";
        if (!memory.TryGetHostAddress(addresses.AvailableRing, SplitRing.AvailableRingBytes(size), out _))
            return $"available ring at 0x{addresses.AvailableRing:x} is not inside guest RAM";
        if (!memory.TryGetHostAddress(addresses.UsedRing, SplitRing.UsedRingBytes(size), out _))
            return $"used ring at 0x{addresses.UsedRing:x} is not inside guest RAM";
        return CheckUsedRingIsSeparate(memory, size, addresses);
    }

    /// <summary>
    /// The driver's available index and the device's used index as they stand in guest memory, for a device that
    /// resumes a ring another process was serving: every chain from the used index on was taken but never returned
    /// (this device returns chains in the order it takes them), and the available ring still holds their heads —
    /// the driver rewrites a slot only after its chain came back (§2.7.13). Null if the rings are not usable.
    /// </summary>
    public static (ushort Available, ushort Used)? ReadIndices(GuestMemory memory, int size, RingAddresses addresses)
    {
        if (Validate(memory, size, addresses) is not null)
            return null;
        memory.TryGetHostAddress(addresses.AvailableRing, SplitRing.AvailableRingBytes(size), out var avail);
        memory.TryGetHostAddress(addresses.UsedRing, SplitRing.UsedRingBytes(size), out var used);
        return (RingMemory.Read16Acquire((byte*)avail + SplitRing.AvailIdxOffset), RingMemory.Read16Acquire((byte*)used + SplitRing.UsedIdxOffset));
    }

    /// <summary>Queue size.</summary>
    public int Size { get; }

    /// <summary>Where the rings are.</summary>
    public RingAddresses Addresses { get; }

    /// <summary>Guest RAM the queue reads buffers from.</summary>
    public GuestMemory Memory => _memory;

    /// <summary>The next available ring index to process (what vhost-user GET_VRING_BASE returns).</summary>
    public ushort NextAvail => _lastAvail;

    /// <summary>The next used ring index to write.</summary>
    public ushort NextUsed => _usedIdx;

    /// <summary>True once the ring proved unusable; the queue then neither pops nor pushes.</summary>
    public bool IsBroken { get; private set; }

    /// <summary>Why the queue broke, for the log.</summary>
    public string? BrokenReason { get; private set; }

    /// <summary>Used-buffer notification (device → driver), signalled by <see cref="NotifyIfNeeded"/>.</summary>
    public EventFd? Call { get; set; }

    /// <summary>Number of chains popped (valid or not).</summary>
    public long Popped { get; private set; }

    /// <summary>Number of used-buffer notifications sent.</summary>
    public long Notifications { get; private set; }

    /// <summary>
    /// Pops the next available chain into <paramref name="descriptors"/> (room for <see cref="Size"/> entries
    /// covers every legal chain). Indirect tables are expanded in place of their descriptor.
    /// </summary>
    public PopResult TryPop(Span<Descriptor> descriptors, out Chain chain)
    {
        chain = default;
        if (IsBroken)
            return PopResult.Broken;
        if (_lastAvail == _availShadow)
        {
            // Acquire: the ring entries and descriptors the driver wrote before publishing idx are visible
            // once we see the new idx (§2.7.13 "the driver ... performs a suitable memory barrier").
            _availShadow = RingMemory.Read16Acquire(_avail + SplitRing.AvailIdxOffset);
            var pending = (ushort)(_availShadow - _lastAvail);
            if (pending == 0)
                return PopResult.Empty;
            if (pending > Size)
            {
                // The driver can never have more than Size buffers outstanding.
                MarkBroken($"available index {_availShadow} is {pending} entries ahead of {_lastAvail}, more than the queue size {Size}");
                return PopResult.Broken;
            }
        }

        var head = RingMemory.Read16(_avail + SplitRing.AvailRingOffset + 2 * (_lastAvail & _mask));
        if (head >= Size)
        {
            MarkBroken($"available ring slot {_lastAvail & _mask} names descriptor {head}, beyond queue size {Size}");
            return PopResult.Broken;
        }
        _lastAvail++;
        Popped++;
        var error = ReadChain(head, descriptors, out var count);
        chain = new Chain(head, count, error);
        return error == ChainError.None ? PopResult.Chain : PopResult.BadChain;
    }

    /// <summary>True if the driver has published buffers we have not popped.</summary>
    public bool HasAvailable()
    {
        if (IsBroken)
            return false;
        return RingMemory.Read16Acquire(_avail + SplitRing.AvailIdxOffset) != _lastAvail;
    }

    /// <summary>
    /// Returns a chain to the driver: writes the used element, then publishes the used index with release
    /// semantics so the driver never sees the index before the element (§2.7.8).
    /// </summary>
    /// <param name="head">The chain's head index.</param>
    /// <param name="writtenBytes">"Total length of the descriptor chain which was written to" (0 for read-only use).</param>
    public void PushUsed(ushort head, uint writtenBytes)
    {
        if (IsBroken)
            return;
        var elem = _used + SplitRing.UsedRingOffset + SplitRing.UsedElementSize * (_usedIdx & _mask);
        RingMemory.Write32(elem, head);
        RingMemory.Write32(elem + 4, writtenBytes);
        _usedIdx++;
        RingMemory.Write16Release(_used + SplitRing.UsedIdxOffset, _usedIdx);
    }

    /// <summary>
    /// Decides whether the driver wants a used-buffer notification for what was pushed since the last one
    /// (§2.7.7.2 "Used Buffer Notification Suppression"): with EVENT_IDX, iff used_event lies in the newly
    /// used range; otherwise unless the driver set VIRTQ_AVAIL_F_NO_INTERRUPT.
    /// </summary>
    public bool NeedsNotification()
    {
        if (IsBroken)
            return false;
        // Full barrier: our used idx store must be visible before we read the driver's used_event/flags,
        // or we could both decide the other will act (store→load ordering, §2.7.13).
        Interlocked.MemoryBarrier();
        if (!_eventIdx)
            return (RingMemory.Read16(_avail + SplitRing.AvailFlagsOffset) & SplitRing.AvailFlagNoInterrupt) == 0;
        var old = _signalledUsed;
        var valid = _signalledValid;
        _signalledUsed = _usedIdx;
        _signalledValid = true;
        if (!valid)
            return true;
        var usedEvent = RingMemory.Read16(_avail + SplitRing.AvailRingOffset + 2 * Size);
        return SplitRing.NeedEvent(usedEvent, _usedIdx, old);
    }

    /// <summary>Signals <see cref="Call"/> if <see cref="NeedsNotification"/> says so; returns whether it did.</summary>
    public bool NotifyIfNeeded()
    {
        if (!NeedsNotification())
            return false;
        Notifications++;
        Call?.Signal();
        return true;
    }

    /// <summary>
    /// Asks the driver not to kick while we are draining (§2.7.10 "Available Buffer Notification Suppression"):
    /// VIRTQ_USED_F_NO_NOTIFY without EVENT_IDX; with EVENT_IDX a stale avail_event already suppresses kicks.
    /// </summary>
    public void DisableNotifications()
    {
        if (!IsBroken && !_eventIdx)
            RingMemory.Write16(_used + SplitRing.UsedFlagsOffset, SplitRing.UsedFlagNoNotify);
    }

    /// <summary>
    /// Asks the driver to kick for the next buffer, then re-checks the ring: returns true if buffers arrived
    /// meanwhile (the caller must drain again instead of sleeping, or the wake-up is lost).
    /// </summary>
    public bool EnableNotifications()
    {
        if (IsBroken)
            return false;
        if (_eventIdx)
            RingMemory.Write16(_used + SplitRing.UsedRingOffset + SplitRing.UsedElementSize * Size, _lastAvail);
        else
            RingMemory.Write16(_used + SplitRing.UsedFlagsOffset, 0);
        // Full barrier: publish the request before re-reading avail idx (store→load, §2.7.13).
        Interlocked.MemoryBarrier();
        return HasAvailable();
    }

    private void MarkBroken(string reason)
    {
        IsBroken = true;
        BrokenReason = reason;
    }
}
