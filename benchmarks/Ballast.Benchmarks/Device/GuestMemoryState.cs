namespace Ballast.Benchmarks.Device;

/// <summary>What the host holds behind the frames the guest balloons when the inflate starts.</summary>
public enum GuestMemoryState
{
    /// <summary>Never written: the memfd has no pages there, so a release frees nothing (protocol + syscall cost).</summary>
    Untouched,

    /// <summary>Every ballooned frame populated before each iteration (MADV_POPULATE_WRITE): release really frees it.</summary>
    Dirtied,
}
