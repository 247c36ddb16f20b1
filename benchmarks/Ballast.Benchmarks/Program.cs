using BenchmarkDotNet.Running;

namespace Ballast.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project benchmarks/Ballast.Benchmarks -- --filter '*Bitmap*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
