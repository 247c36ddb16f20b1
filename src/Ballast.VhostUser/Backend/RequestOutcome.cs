namespace Ballast.VhostUser.Backend;

/// <summary>See <see cref="RequestResult"/>.</summary>
internal enum RequestOutcome
{
    Ok,
    Replied,
    Failed,
    Fatal,
}
