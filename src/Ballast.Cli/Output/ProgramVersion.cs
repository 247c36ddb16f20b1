using System.Reflection;

namespace Ballast.Cli.Output;

/// <summary>The program's version as <c>ballast --version</c> prints it (the assembly's informational version).</summary>
public static class ProgramVersion
{
    /// <summary>E.g. <c>1.0.0+3d1ef72…</c> (the SDK appends the source commit when it knows it).</summary>
    public static string Current { get; } =
        typeof(ProgramVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ProgramVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
