namespace Ballast.VhostUser.Session;

/// <summary>The names a vhost-user session's descriptors are kept under (<see cref="IDescriptorStore"/>).</summary>
public static class SessionNames
{
    /// <summary>The listening vhost-user socket.</summary>
    public const string Listener = "listen";

    /// <summary>The front-end's connection.</summary>
    public const string Connection = "vhost-user";

    /// <summary>The session's state (<see cref="SessionRecord"/>), a memfd.</summary>
    public const string Record = "session";

    /// <summary>The back-end request channel (SET_BACKEND_REQ_FD).</summary>
    public const string BackendChannel = "backend-req";

    /// <summary>Guest RAM region <paramref name="index"/> of the memory table (SET_MEM_TABLE).</summary>
    public static string MemoryRegion(int index) => $"mem{index}";

    /// <summary>Ring <paramref name="index"/>'s kick eventfd (SET_VRING_KICK).</summary>
    public static string Kick(int index) => $"kick{index}";

    /// <summary>Ring <paramref name="index"/>'s call eventfd (SET_VRING_CALL).</summary>
    public static string Call(int index) => $"call{index}";

    /// <summary>Ring <paramref name="index"/>'s error eventfd (SET_VRING_ERR).</summary>
    public static string Error(int index) => $"err{index}";

    /// <summary>True for the names a connection keeps (not the listener, nor names other layers use).</summary>
    public static bool IsSessionName(string name) => name is Connection or Record or BackendChannel
        || IsIndexed(name, "mem") || IsIndexed(name, "kick") || IsIndexed(name, "call") || IsIndexed(name, "err");

    private static bool IsIndexed(string name, string prefix) =>
        name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, null, out _);
}
