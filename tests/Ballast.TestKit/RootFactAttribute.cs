


namespace Ballast.TestKit;

/// <summary>A fact that gives files to other users (chown): skipped unless the tests run as root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!UnixMode.IsRoot)
            Skip = "needs root to give the socket to another user";
    }
}
