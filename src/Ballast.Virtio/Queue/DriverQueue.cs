using Ballast.Linux;
using Ballast.Virtio.Memory;

namespace Ballast.Virtio.Queue;

/// <summary>
/// The driver side of a split virtqueue (VIRTIO 1.2 §2.7.13 "Supplying Buffers to The Device", §2.7.14
/// "Receiving Used Buffers From The Device"), as Linux's virtio_ring does it: descriptors come from a free
/// list, each add publishes the available index, a kick is sent only if the device asked for one.
/// Used by the simulated guest and by tests to drive a <see cref="DeviceQueue"/>. One thread at a time.
/// </summary>
public sealed unsafe class DriverQueue
{
    private readonly byte* _desc;
    private readonly byte* _avail;
    private readonly byte* _used;
    private readonly int _mask;
    private readonly bool _eventIdx;
    private readonly ushort[] _chainLength; // per head: descriptors to free when it comes back
    private ushort _freeHead;
    private ushort _availIdx;     // shadow of avail->idx
    private ushort _addedSinceKick;
    private ushort _lastUsed;

    /// <summary>Lays out a fresh queue at <paramref name="addresses"/> (areas are zeroed) for <paramref name="size"/> descriptors.</summary>
    public DriverQueue(GuestMemory memory, int size, RingAddresses addresses, ulong features)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var error = DeviceQueue.Validate(memory, size, addresses);
        if (error is not null)
            throw new ArgumentException(error, nameof(addresses));
        Size = size;
        _mask = size - 1;
        Addresses = addresses;
        _eventIdx = VirtioFeatures.Has(features, VirtioFeatures.EventIdx);
        memory.GetSpan(addresses.DescriptorTable, (int)SplitRing.DescriptorTableBytes(size)).Clear();
        memory.GetSpan(addresses.AvailableRing, (int)SplitRing.AvailableRingBytes(size)).Clear();
        memory.GetSpan(addresses.UsedRing, (int)SplitRing.UsedRingBytes(size)).Clear();
        memory.TryGetHostAddress(addresses.DescriptorTable, SplitRing.DescriptorTableBytes(size), out var desc);
        memory.TryGetHostAddress(addresses.AvailableRing, SplitRing.AvailableRingBytes(size), out var avail);
        memory.TryGetHostAddress(addresses.UsedRing, SplitRing.UsedRingBytes(size), out var used);
        _desc = (byte*)desc;
        _avail = (byte*)avail;
        _used = (byte*)used;
        _chainLength = new ushort[size];
        for (var i = 0; i < size; i++)
            RingMemory.Write16(_desc + Descriptor.Size * i + 14, (ushort)((i + 1) & _mask));
        NumFree = size;
    }

    /// <summary>Queue size.</summary>
    public int Size { get; }

    /// <summary>Where the rings are.</summary>
    public RingAddresses Addresses { get; }

    /// <summary>Free descriptors.</summary>
    public int NumFree { get; private set; }

    /// <summary>Available-buffer notification (driver → device), signalled by <see cref="KickIfNeeded"/>.</summary>
    public EventFd? Kick { get; set; }

    /// <summary>Kicks actually sent.</summary>
    public long Kicks { get; private set; }

    /// <summary>
    /// Offers one buffer made of <paramref name="segments"/> as a descriptor chain and publishes it in the
    /// available ring. Returns the head index, or -1 if there are not enough free descriptors.
    /// </summary>
    public int TryAdd(ReadOnlySpan<BufferSegment> segments)
    {
        if (segments.IsEmpty)
            throw new ArgumentException("a buffer needs at least one segment", nameof(segments));
        if (segments.Length > NumFree)
            return -1;
        var head = _freeHead;
        var index = head;
        for (var i = 0; i < segments.Length; i++)
        {
            var p = _desc + Descriptor.Size * index;
            var next = RingMemory.Read16(p + 14);
            var flags = (ushort)((segments[i].DeviceWritable ? Descriptor.FlagWrite : 0)
                | (i + 1 < segments.Length ? Descriptor.FlagNext : 0));
            RingMemory.WriteDescriptor(p, new Descriptor(segments[i].Address, segments[i].Length, flags, next));
            if (i + 1 < segments.Length)
                index = next;
            else
                _freeHead = next;
        }
        NumFree -= segments.Length;
        _chainLength[head] = (ushort)segments.Length;

        RingMemory.Write16(_avail + SplitRing.AvailRingOffset + 2 * (_availIdx & _mask), head);
        _availIdx++;
        _addedSinceKick++;
        // Release: descriptors and the ring slot must be visible before the new idx (§2.7.13.3.1
        // "The driver MUST perform a suitable memory barrier before the idx update").
        RingMemory.Write16Release(_avail + SplitRing.AvailIdxOffset, _availIdx);
        return head;
    }

    /// <summary>
    /// Notifies the device if it wants to know about the buffers added since the last call (§2.7.10: with
    /// EVENT_IDX iff avail_event lies in the new range, else unless VIRTQ_USED_F_NO_NOTIFY). Returns whether it kicked.
    /// </summary>
    public bool KickIfNeeded()
    {
        // Full barrier: the idx store must be visible before we read the device's flags/avail_event.
        Interlocked.MemoryBarrier();
        var added = _addedSinceKick;
        _addedSinceKick = 0;
        if (added == 0)
            return false;
        bool needed;
        if (_eventIdx)
        {
            var availEvent = RingMemory.Read16(_used + SplitRing.UsedRingOffset + SplitRing.UsedElementSize * Size);
            needed = SplitRing.NeedEvent(availEvent, _availIdx, (ushort)(_availIdx - added));
        }
        else
        {
            needed = (RingMemory.Read16(_used + SplitRing.UsedFlagsOffset) & SplitRing.UsedFlagNoNotify) == 0;
        }
        if (needed)
        {
            Kicks++;
            Kick?.Signal();
        }
        return needed;
    }

    /// <summary>True if the device returned buffers we have not collected.</summary>
    public bool HasUsed() => RingMemory.Read16Acquire(_used + SplitRing.UsedIdxOffset) != _lastUsed;

    /// <summary>Buffers in flight (added and not yet collected).</summary>
    public int InFlight => Size - NumFree;

    /// <summary>Collects one used buffer: its head and the bytes the device wrote; frees its descriptors.</summary>
    public bool TryGetUsed(out ushort head, out uint writtenBytes)
    {
        // Acquire: the used element is visible once its idx is (§2.7.14).
        if (RingMemory.Read16Acquire(_used + SplitRing.UsedIdxOffset) == _lastUsed)
        {
            head = 0;
            writtenBytes = 0;
            return false;
        }
        var elem = _used + SplitRing.UsedRingOffset + SplitRing.UsedElementSize * (_lastUsed & _mask);
        var id = RingMemory.Read32(elem);
        writtenBytes = RingMemory.Read32(elem + 4);
        _lastUsed++;
        if (id >= (uint)Size || _chainLength[id] == 0)
            throw new InvalidOperationException($"device returned descriptor {id}, which is not an outstanding head");
        head = (ushort)id;
        FreeChain(head);
        if (_eventIdx)
        {
            // Ask for a notification when the next buffer is used (used_event = last seen). Full barrier: the
            // store must be visible before we next read used idx, or the device may read a stale used_event,
            // skip the interrupt, and we sleep on a buffer that is already there (virtqueue_enable_cb's mb).
            RingMemory.Write16Release(_avail + SplitRing.AvailRingOffset + 2 * Size, _lastUsed);
            Interlocked.MemoryBarrier();
        }
        return true;
    }

    private void FreeChain(ushort head)
    {
        var n = _chainLength[head];
        _chainLength[head] = 0;
        var last = head;
        for (var i = 1; i < n; i++)
            last = RingMemory.Read16(_desc + Descriptor.Size * last + 14);
        RingMemory.Write16(_desc + Descriptor.Size * last + 14, _freeHead);
        _freeHead = head;
        NumFree += n;
    }
}
