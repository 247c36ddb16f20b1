using System.Diagnostics;

namespace Ballast.VhostUser.Tests.Support;

internal static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until true, failing the test after <paramref name="timeoutMs"/>.</summary>
    public static void Until(Func<bool> condition, string message, int timeoutMs = 5000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs)
                Assert.Fail($"{message} (after {timeoutMs} ms)");
            Thread.Sleep(5);
        }
    }
}
