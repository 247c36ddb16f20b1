
namespace Ballast.Simulation.Guest;

/// <summary>Result of checking that guest pages outside the balloon kept their contents.</summary>
/// <param name="CheckedPages">Pages whose pattern was checked.</param>
/// <param name="CorruptPages">Pages whose pattern was gone.</param>
/// <param name="FirstCorruptPfn">The lowest corrupt frame, if any.</param>
public readonly record struct IntegrityReport(ulong CheckedPages, ulong CorruptPages, ulong? FirstCorruptPfn)
{
    /// <summary>"ok" or "corrupt:&lt;pages&gt;", as <c>ballast bench --json</c> reports it.</summary>
    public override string ToString() => CorruptPages == 0 ? "ok" : $"corrupt:{CorruptPages}";
}
