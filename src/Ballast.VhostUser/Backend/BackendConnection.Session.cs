using Ballast.Linux;
using Ballast.Virtio;
using Ballast.Virtio.Queue;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Session;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Backend;

/// <summary>
/// Keeping the session outside the process (<see cref="SessionKeeper"/>) and resuming it in a new one: what makes a
/// SIGKILL of the daemon's worker, or its replacement by a new version, invisible to QEMU and the guest.
/// </summary>
internal sealed partial class BackendConnection
{
    private SessionKeeper? _keeper;
    private ulong? _ackedFeatures;                   // SET_FEATURES as sent, with VHOST_USER_F_PROTOCOL_FEATURES
    private MemoryRegionDescription[] _table = [];   // SET_MEM_TABLE in the front-end's order (mem0, mem1, ...)

    /// <summary>True once the session ended for a handover: nothing was reset, every kept descriptor stays kept.</summary>
    private bool _detached;

    /// <summary>
    /// Starts keeping this session in <paramref name="keeper"/> (before <see cref="Start"/>); <paramref name="save"/>
    /// false for a session about to be resumed from the keeper's own record.
    /// </summary>
    public void KeepIn(SessionKeeper keeper, bool save = true)
    {
        _keeper = keeper;
        if (save)
            KeepSession();
    }

    /// <summary>True if the session is kept outside the process.</summary>
    public bool IsKeeping => _keeper is not null;

    /// <summary>Regions of the current memory table.</summary>
    public int RegionCount => _table.Length;

    /// <summary>Rings running now.</summary>
    public int RunningRings => _rings.Count(r => r.Active is not null);

    /// <summary>Sends the descriptors that changed to the keeper and saves the state; see <see cref="SessionKeeper.Sync"/>.</summary>
    private void KeepSession()
    {
        if (_keeper is null)
            return;
        var held = new List<(string, object, int)>();
        if (_memory is not null)
        {
            for (var i = 0; i < _memory.Regions.Count; i++)
                held.Add((SessionNames.MemoryRegion(i), _memory.Regions[i], _memory.Regions[i].Fd));
        }
        if (Volatile.Read(ref _backendChannel) is { } channel)
            held.Add((SessionNames.BackendChannel, channel, channel.Fd));
        foreach (var ring in _rings)
        {
            if (ring.Kick is { } kick)
                held.Add((SessionNames.Kick(ring.Index), kick, kick.Fd));
            if (ring.Call is { } call)
                held.Add((SessionNames.Call(ring.Index), call, call.Fd));
            if (ring.Err is { } err)
                held.Add((SessionNames.Error(ring.Index), err, err.Fd));
        }
        _keeper.Sync(held, Snapshot());
    }

    private SessionSnapshot Snapshot()
    {
        var rings = new RingSnapshot[_rings.Length];
        foreach (var ring in _rings)
        {
            rings[ring.Index] = new RingSnapshot(ring.Size, ring.Address, ring.Active?.NextAvail ?? ring.NextAvail, ring.Enabled,
                ring.Active is not null, ring.Kick is not null, ring.Call is not null, ring.Err is not null);
        }
        return new SessionSnapshot(Volatile.Read(ref _protocolFeatures), _ackedFeatures, _table,
            Volatile.Read(ref _backendChannel) is not null, rings, _owed);
    }

    /// <summary>
    /// Carries on a session a process before this one served: the front-end's settings from
    /// <paramref name="snapshot"/>, the descriptors from <paramref name="fds"/> (taken), guest memory mapped again,
    /// the device told (<see cref="IVirtioDevice.Resume"/>), and every ring that was running restarted at its used
    /// index — the chains taken and not returned are handled again (<see cref="IVirtioDevice.ExpectReplays"/>) — and the
    /// reply it owed, if any, settled (<see cref="SettleOwedReply"/>).
    /// Returns why the session cannot go on, or null. Runs before <see cref="Start"/>.
    /// </summary>
    public string? Resume(SessionSnapshot snapshot, ResumeSet fds)
    {
        Volatile.Write(ref _protocolFeatures, snapshot.ProtocolFeatures);
        TakeOverOwedReply(snapshot.Owed);
        if (snapshot.Rings.Length != _rings.Length)
            return $"the session had {snapshot.Rings.Length} rings; this device has {_rings.Length}";
        if (snapshot.AckedFeatures is { } acked)
        {
            _ackedFeatures = acked;
            _device.SetDriverFeatures(acked & ~VirtioFeatures.Bit(ProtocolFeatures.VhostUserFeatureBit));
        }
        if (snapshot.HasBackendChannel && fds.Take(SessionNames.BackendChannel) is { } backendFd)
        {
            var channel = new BackendRequestChannel(UnixSocket.FromDescriptor(backendFd), _ioTimeoutMs, _logger);
            // A reply to a CONFIG_CHANGE_MSG the process before sent may still wait there.
            channel.DiscardPending();
            Volatile.Write(ref _backendChannel, channel);
        }
        foreach (var ring in _rings)
        {
            var saved = snapshot.Rings[ring.Index];
            ring.Size = saved.Size;
            ring.Address = saved.Address;
            ring.NextAvail = saved.NextAvail;
            ring.Enabled = saved.Enabled;
            ring.Kick = TakeEventFd(fds, SessionNames.Kick(ring.Index), saved.HasKick);
            ring.Call = TakeEventFd(fds, SessionNames.Call(ring.Index), saved.HasCall);
            ring.Err = TakeEventFd(fds, SessionNames.Error(ring.Index), saved.HasErr);
        }
        if (snapshot.Regions.Length > 0)
        {
            var regionFds = new int[snapshot.Regions.Length];
            for (var i = 0; i < regionFds.Length; i++)
            {
                if (fds.Take(SessionNames.MemoryRegion(i)) is not { } fd)
                {
                    for (var j = 0; j < i; j++)
                        _ = Ballast.Linux.Interop.Libc.close(regionFds[j]);
                    return $"memory region {i}'s descriptor was not kept";
                }
                regionFds[i] = fd;
            }
            var mapped = MapMemoryTable(snapshot.Regions, regionFds, startRings: false);
            if (mapped.Outcome != RequestOutcome.Ok)
                return $"the memory table cannot be mapped again: {mapped.Error}";
            _device.Resume();
        }
        foreach (var ring in _rings)
        {
            if (!snapshot.Rings[ring.Index].Running || _memory is null || !ring.IsReady)
                continue;
            if (TranslateRing(ring.Size, ring.Address!.Value, out var addresses) is not null
                || DeviceQueue.ReadIndices(_memory, ring.Size, addresses) is not { } indices)
                continue; // TryStart below says why, as for any ring that cannot start
            ring.NextAvail = indices.Used;
            var pending = (ushort)(indices.Available - indices.Used);
            if (pending > 0 && pending <= ring.Size)
                _device.ExpectReplays(ring.Index, pending);
            BackendLog.RingResumed(_logger, ring.Index, indices.Used, pending);
        }
        var started = StartReadyRings();
        KeepSessionAfterResume(fds);
        if (SettleOwedReply() is { } owedError)
            return owedError;
        return started.Outcome == RequestOutcome.Ok ? null : started.Error;
    }

    /// <summary>Records the descriptors a resumed session holds as kept (the keeper has them) and drops leftovers.</summary>
    private void KeepSessionAfterResume(ResumeSet leftovers)
    {
        if (_keeper is null)
            return;
        if (_memory is not null)
        {
            for (var i = 0; i < _memory.Regions.Count; i++)
                _keeper.AlreadyKept(SessionNames.MemoryRegion(i), _memory.Regions[i]);
        }
        if (Volatile.Read(ref _backendChannel) is { } channel)
            _keeper.AlreadyKept(SessionNames.BackendChannel, channel);
        foreach (var ring in _rings)
        {
            if (ring.Kick is not null)
                _keeper.AlreadyKept(SessionNames.Kick(ring.Index), ring.Kick);
            if (ring.Call is not null)
                _keeper.AlreadyKept(SessionNames.Call(ring.Index), ring.Call);
            if (ring.Err is not null)
                _keeper.AlreadyKept(SessionNames.Error(ring.Index), ring.Err);
        }
        // Kept under a session name but not part of the snapshot: stale; the keeper lets it go.
        foreach (var name in leftovers.Names.Where(SessionNames.IsSessionName).ToList())
        {
            if (leftovers.Take(name) is { } fd)
                _ = Ballast.Linux.Interop.Libc.close(fd);
            _keeper.AlreadyKept(name, new object());
        }
        KeepSession();
    }

    private static EventFd? TakeEventFd(ResumeSet fds, string name, bool expected) =>
        expected && fds.Take(name) is { } fd ? new EventFd(fd, owned: true) : null;
}
