using Ballast.AutopilotEval;

namespace Ballast.GuestLab.Tests;

/// <summary>The evaluation's oscillation measure: reversals within 60 s not caused by a give-back trigger.</summary>
public sealed class TargetOscillationTests
{
    private const long MiB = 1 << 20;

    private static TargetChange Take(double at, long from, long to, int guest = 0) => new(at, guest, "Take", from * MiB, to * MiB);

    private static TargetChange GiveBack(double at, long from, long to, int guest = 0) => new(at, guest, "GiveBackLow", from * MiB, to * MiB);

    [Fact]
    public void TakeWithinAMinuteOfAGiveBack_Counts()
    {
        var reversals = TargetOscillation.Reversals([Take(0, 0, 100), GiveBack(10, 100, 50), Take(40, 50, 90)]);
        Assert.Equal(40, Assert.Single(reversals).Seconds);
    }

    [Fact]
    public void GiveBackAfterATake_IsTheTriggerWorking_NotCounted()
    {
        Assert.Empty(TargetOscillation.Reversals([Take(0, 0, 100), Take(2, 100, 140), GiveBack(4, 140, 60), GiveBack(6, 60, 20)]));
    }

    [Fact]
    public void ReversalAfterTheWindow_NotCounted()
    {
        Assert.Empty(TargetOscillation.Reversals([GiveBack(0, 100, 50), Take(TargetOscillation.WindowSeconds, 50, 80)]));
    }

    [Fact]
    public void LetDownWithinAMinuteOfATake_Counts_AndGuestsAreSeparate()
    {
        var reversals = TargetOscillation.Reversals([
            Take(0, 0, 100, guest: 0), new TargetChange(30, 0, "LetDownLost", 100 * MiB, 80 * MiB),
            GiveBack(1, 100, 50, guest: 1), Take(100, 50, 60, guest: 1),
        ]);
        var reversal = Assert.Single(reversals);
        Assert.Equal((0, "LetDownLost"), (reversal.Guest, reversal.Reason));
    }
}
