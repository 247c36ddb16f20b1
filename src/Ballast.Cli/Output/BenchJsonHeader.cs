using Ballast.Simulation.Experiment;

namespace Ballast.Cli.Output;

/// <summary>
/// What <c>ballast bench --json</c> says about the run besides the report: the transport, the repeat count and the
/// program's version (<c>transport</c>, <c>repeat</c>, <c>version</c>).
/// </summary>
/// <param name="Transport">How driver and device talked (<c>--transport</c>).</param>
/// <param name="Repeat">How many runs per mode were asked for (<c>--repeat</c>).</param>
/// <param name="Version">The program's version; <see cref="ProgramVersion.Current"/> by default.</param>
public sealed record BenchJsonHeader(BenchTransport Transport, int Repeat, string Version)
{
    /// <summary>The header of a run with <paramref name="options"/> by this program.</summary>
    public static BenchJsonHeader For(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new BenchJsonHeader(options.Transport, options.Repeat, ProgramVersion.Current);
    }

    /// <summary>The command-line name of <paramref name="transport"/>: <c>in-process</c> or <c>vhost-user</c>.</summary>
    public static string TransportName(BenchTransport transport) => transport switch
    {
        BenchTransport.InProcess => "in-process",
        BenchTransport.VhostUser => "vhost-user",
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, null),
    };
}
