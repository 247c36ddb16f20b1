using Ballast.Daemon.Api;

namespace Ballast.Daemon.Client;

/// <summary>
/// What <see cref="BalloonApiClient.GetBalloonVersionAsync"/> and <see cref="BalloonApiClient.WaitForChangeAsync"/> return:
/// the balloon and its ETag; <see cref="State"/> is null when a wait ran out without a change (304).
/// </summary>
/// <param name="State">The balloon, or null if it did not change.</param>
/// <param name="ETag">The balloon's version (a weak ETag, <c>W/"N"</c>) to wait on next.</param>
public sealed record BalloonChange(BalloonState? State, string? ETag);
