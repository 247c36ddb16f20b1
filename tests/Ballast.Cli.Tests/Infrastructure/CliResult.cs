

namespace Ballast.Cli.Tests.Infrastructure;

/// <summary>What one run of the command line produced.</summary>
internal sealed record CliResult(int ExitCode, string StdOut, string StdErr);
