
namespace Ballast.Simulation.Experiment;

/// <summary>The usual values of <see cref="BenchProgress.Phase"/>.</summary>
public static class BenchPhases
{
    /// <summary>The balloon is inflating: the guest gives pages to the host.</summary>
    public const string Inflate = "inflate";

    /// <summary>The balloon is deflating: the host gives pages back to the guest.</summary>
    public const string Deflate = "deflate";

    /// <summary>The guest reports its free memory to the host (free page reporting).</summary>
    public const string Report = "report";

    /// <summary>The engine is putting the guest back as it was before the next run.</summary>
    public const string Restore = "restore";
}
