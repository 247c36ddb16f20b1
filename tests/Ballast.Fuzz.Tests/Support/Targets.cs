namespace Ballast.Fuzz.Tests.Support;

/// <summary>Target names as xunit theory data.</summary>
public static class Targets
{
    public static TheoryData<string> Names => [.. FuzzTargets.Names];
}
