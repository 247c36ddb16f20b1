namespace Ballast.Daemon;

/// <summary>
/// What the management API needs to know about the transport that connects the balloon device to a guest
/// (the vhost-user server, or a test double): whether a guest is there and how much RAM it has.
/// </summary>
public interface IBalloonBackend
{
    /// <summary>True while a guest (QEMU) is connected.</summary>
    bool IsConnected { get; }

    /// <summary>The guest's RAM in bytes (from its memory table); 0 with no guest.</summary>
    ulong GuestRamBytes { get; }
}
