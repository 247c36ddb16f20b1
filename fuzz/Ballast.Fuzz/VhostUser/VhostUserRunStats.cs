using Ballast.Balloon.Device;

namespace Ballast.Fuzz.VhostUser;

/// <summary>What one vhost-user input did: lets tests check that the seeds reach past the handshake.</summary>
internal sealed class VhostUserRunStats
{
    public int Messages { get; set; }

    public int Replies { get; set; }

    public int Kicks { get; set; }

    /// <summary>SET_MEM_TABLE requests handled (whatever their outcome).</summary>
    public int MemoryTables { get; set; }

    /// <summary>Why the session ended before the input did, or null.</summary>
    public string? EndReason { get; set; }

    /// <summary>Frames ballooned when the session ended (before the cleanup's reset).</summary>
    public ulong BalloonedPages { get; set; }

    public BalloonCounters? Counters { get; set; }
}
