using System.Globalization;
using System.Text.RegularExpressions;
using Ballast.Fuzz.Tests.Support;
using Xunit.Abstractions;

namespace Ballast.Fuzz.Tests;

/// <summary>
/// fuzz/run.sh end to end: afl++ drives each SharpFuzz-instrumented target for 20 s from the committed corpus and
/// finds nothing. The fixture prepares once (apt-get install afl++, the sharpfuzz tool, Release build,
/// instrumentation; cached in fuzz/.work); the tests of this class run one after the other.
/// </summary>
public sealed partial class AflRunTests(AflRunTests.Prepared prepared, ITestOutputHelper output) : IClassFixture<AflRunTests.Prepared>
{
    private const int Seconds = 20;

    [AflFact]
    public void VhostUser_FuzzesCleanFor20Seconds() => FuzzClean("vhost-user");

    [AflFact]
    public void Ring_FuzzesCleanFor20Seconds() => FuzzClean("ring");

    [AflFact]
    public void Balloon_FuzzesCleanFor20Seconds() => FuzzClean("balloon");

    private void FuzzClean(string target)
    {
        Assert.True(prepared.Result.ExitCode == 0, $"fuzz/run.sh prepare failed:\n{prepared.Result.Describe()}");
        var outDir = Directory.CreateTempSubdirectory($"ballast-fuzz-{target}-");
        var run = BoundedProcess.Run("bash", [Path.Combine(Repository.Root, "fuzz", "run.sh"), target, Seconds.ToString(CultureInfo.InvariantCulture), outDir.FullName],
            TimeSpan.FromSeconds(Seconds + 150), Repository.Root);
        var match = SummaryLine().Match(run.Output);
        output.WriteLine(match.Success ? match.Value : run.Describe());
        output.WriteLine($"run.sh took {run.Elapsed.TotalSeconds:F1} s");
        // A failure keeps afl's output folder (crashes, hangs, exceptions.log) for a look.
        var kept = $"afl's output is kept in {outDir.FullName}";
        Assert.False(run.TimedOut, $"fuzz/run.sh {target} did not finish in time; {kept}:\n{run.Describe()}");
        Assert.True(match.Success, $"no summary line from fuzz/run.sh {target} (exit {run.ExitCode}); {kept}:\n{run.Describe()}");
        long Field(string name) => long.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture);
        Assert.True(Field("crashes") == 0 && Field("hangs") == 0, $"afl-fuzz saved crashes or hangs; {kept}:\n{run.Describe()}");
        Assert.True(Field("execs") >= 1000, $"only {Field("execs")} executions in {Seconds} s; {kept}:\n{run.Describe()}");
        Assert.True(Field("paths") > FuzzTargets.Seeds(target).Count(), $"afl-fuzz found no new path beyond the seeds; {kept}:\n{run.Describe()}");
        Assert.True(run.ExitCode == 0, $"fuzz/run.sh exited {run.ExitCode}; {kept}:\n{run.Describe()}");
        outDir.Delete(recursive: true);
    }

    [GeneratedRegex(@"fuzz [a-z-]+: execs_done=(?<execs>\d+) corpus_count=(?<paths>\d+) saved_crashes=(?<crashes>\d+) saved_hangs=(?<hangs>\d+) execs_per_sec=(?<rate>[0-9.]+)")]
    private static partial Regex SummaryLine();

    /// <summary>Runs `fuzz/run.sh prepare` once for the class (a cold machine installs afl++ and builds: minutes).</summary>
    public sealed class Prepared
    {
        public Prepared()
        {
            Result = OperatingSystem.IsLinux()
                ? BoundedProcess.Run("bash", [Path.Combine(Repository.Root, "fuzz", "run.sh"), "prepare"], TimeSpan.FromMinutes(15), Repository.Root)
                : new ProcessResult("fuzz/run.sh prepare", -1, "", "not Linux", false, TimeSpan.Zero);
        }

        internal ProcessResult Result { get; }
    }
}
