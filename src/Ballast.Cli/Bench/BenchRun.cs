namespace Ballast.Cli.Bench;

/// <summary>
/// The measurements of one inflate/deflate cycle in one mode — one element of <c>runs</c> in
/// <c>ballast bench --json</c> (property names in snake_case: <see cref="TotalMs"/> ↔ <c>total_ms</c>).
/// Times are wall-clock milliseconds. The four stages are the seed's breakdown of inflating:
/// <see cref="AllocMs"/>, <see cref="SendMs"/>, <see cref="TranslateMs"/>, <see cref="ReleaseMs"/>.
/// </summary>
public sealed record BenchRun
{
    /// <summary>The <see cref="Integrity"/> value of a run whose guest memory checked out.</summary>
    public const string IntegrityOk = "ok";

    /// <summary><c>mode</c>: which driver/device pair ran.</summary>
    public required BenchMode Mode { get; init; }

    /// <summary><c>total_ms</c>: the whole inflate, the denominator of the stage percentages.</summary>
    public required double TotalMs { get; init; }

    /// <summary><c>alloc_ms</c>: the guest driver allocating the balloon pages.</summary>
    public required double AllocMs { get; init; }

    /// <summary><c>send_ms</c>: queue work, notifications (kicks) and waiting for the device.</summary>
    public required double SendMs { get; init; }

    /// <summary><c>translate_ms</c>: the device translating guest addresses to host addresses.</summary>
    public required double TranslateMs { get; init; }

    /// <summary><c>release_ms</c>: the device releasing host memory behind the ballooned pages.</summary>
    public required double ReleaseMs { get; init; }

    /// <summary><c>deflate_ms</c>: giving the pages back to the guest afterwards (not part of the total).</summary>
    public required double DeflateMs { get; init; }

    /// <summary><c>pages</c>: 4 KiB pages put into the balloon.</summary>
    public required long Pages { get; init; }

    /// <summary><c>buffers</c>: virtqueue buffers (descriptor chains) the driver sent.</summary>
    public required long Buffers { get; init; }

    /// <summary><c>kicks</c>: notifications from driver to device.</summary>
    public required long Kicks { get; init; }

    /// <summary><c>runs</c>: runs of contiguous pages the device saw.</summary>
    public required long Runs { get; init; }

    /// <summary><c>release_calls</c>: host memory-release calls (e.g. madvise) the device made.</summary>
    public required long ReleaseCalls { get; init; }

    /// <summary><c>host_bytes_before</c>: host memory backing the guest before inflating.</summary>
    public required long HostBytesBefore { get; init; }

    /// <summary><c>host_bytes_after</c>: host memory backing the guest after inflating.</summary>
    public required long HostBytesAfter { get; init; }

    /// <summary><c>integrity</c>: <see cref="IntegrityOk"/>, or what the engine found wrong.</summary>
    public required string Integrity { get; init; }
}
