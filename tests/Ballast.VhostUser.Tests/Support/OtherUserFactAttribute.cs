

namespace Ballast.VhostUser.Tests.Support;

/// <summary>
/// A fact that connects from a process running as another user (<see cref="OtherUserClient"/>): needs root (to
/// switch user with setpriv), /usr/bin/setpriv and /usr/bin/python3; skipped otherwise.
/// </summary>
public sealed class OtherUserFactAttribute : FactAttribute
{
    public OtherUserFactAttribute()
    {
        if (!OtherUserClient.Available)
            Skip = "needs root, /usr/bin/setpriv and /usr/bin/python3 to connect as another user";
    }
}
