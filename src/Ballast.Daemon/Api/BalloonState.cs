namespace Ballast.Daemon.Api;

/// <summary>
/// <c>GET /balloon</c>: <c>{"target_bytes":N,"actual_bytes":N,"ballooned_bytes":N,"guest_bytes":N,"features":[…],"connected":bool,"release_pending_bytes":N}</c>.
/// </summary>
/// <param name="TargetBytes">num_pages × 4096: what the host asked the guest to give up.</param>
/// <param name="ActualBytes">actual × 4096: what the guest says its balloon holds.</param>
/// <param name="BalloonedBytes">Bytes the device saw inflated and not deflated (its own count, not the guest's word).</param>
/// <param name="GuestBytes">The guest's RAM; 0 with no guest connected.</param>
/// <param name="Features">
/// Balloon features by name (<see cref="BalloonFeatureNames"/>): while a guest is <paramref name="Connected"/>, the
/// ones its driver negotiated (empty until the driver has accepted features); otherwise the ones the device offers.
/// </param>
/// <param name="Connected">True while a guest (QEMU) is connected.</param>
/// <param name="ReleasePendingBytes">
/// Ballooned bytes whose host release is still queued (<c>serve --defer-release</c>); 0 otherwise. Host memory
/// matches the balloon once this is 0.
/// </param>
public sealed record BalloonState(
    ulong TargetBytes,
    ulong ActualBytes,
    ulong BalloonedBytes,
    ulong GuestBytes,
    IReadOnlyList<string> Features,
    bool Connected,
    ulong ReleasePendingBytes = 0);
