
namespace Ballast.Simulation.Guest;

/// <summary>What the simulated guest's memory looks like before the balloon inflates.</summary>
public enum GuestProfile
{
    /// <summary>"Kernel and apps" in use at low addresses (1 GiB on an 8 GiB guest), everything else free.</summary>
    Idle,

    /// <summary>Idle plus a random 25% of the remaining frames pinned in use, scattered.</summary>
    Fragmented,
}
