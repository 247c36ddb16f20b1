using Ballast.Simulation.Experiment;

namespace Ballast.Simulation.Tests.Experiment;

public class BenchOptionsValidateTests
{
    private static readonly BenchOptions s_valid = new()
    {
        GuestMemBytes = 8L << 30,
        InflateBytes = 7L << 30,
        Modes = BenchModes.All,
    };

    [Fact]
    public void Validate_AcceptsDefaults() =>
        Assert.Empty(s_valid.Validate(24L << 30));

    [Fact]
    public void Validate_AcceptsInflateEqualToGuestMemory() =>
        Assert.Empty((s_valid with { InflateBytes = 8L << 30 }).Validate(null));

    [Fact]
    public void Validate_SkipsHostCheckWhenUnknown() =>
        Assert.Empty((s_valid with { GuestMemBytes = 1L << 40 }).Validate(null));

    [Theory]
    [InlineData(8L << 30, 9L << 30, 64L << 30, "larger than --guest-mem")]
    [InlineData((8L << 30) + 4096, 4096, 64L << 30, "multiple of 4 MiB")]
    [InlineData(6L << 20, 4096, 64L << 30, "multiple of 4 MiB")]
    [InlineData(8L << 30, (1L << 30) + 100, 64L << 30, "multiple of the 4096-byte page size")]
    [InlineData(8L << 30, 7L << 30, (9L << 30) - 1, "does not fit on this machine")]
    [InlineData(8L << 30, 7L << 30, 4L << 30, "only 4 GiB is available")]
    [InlineData(0L, 4096, 64L << 30, "--guest-mem must be greater than zero")]
    [InlineData(8L << 30, -4096, 64L << 30, "--inflate must be greater than zero")]
    public void Validate_RejectsSizes(long guest, long inflate, long available, string expected)
    {
        var errors = (s_valid with { GuestMemBytes = guest, InflateBytes = inflate }).Validate(available);
        Assert.Contains(errors, error => error.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NeedsOneGiBHeadroom()
    {
        Assert.Empty(s_valid.Validate(9L << 30));
        Assert.NotEmpty(s_valid.Validate((9L << 30) - 1));
    }

    [Fact]
    public void Validate_HugeGuestDoesNotOverflow()
    {
        var huge = s_valid with { GuestMemBytes = long.MaxValue - (long.MaxValue % BenchOptions.GuestMemGranule) };
        var error = Assert.Single(huge.Validate(24L << 30));
        Assert.Contains("does not fit", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Validate_RejectsRepeatBelowOne(int repeat)
    {
        var error = Assert.Single((s_valid with { Repeat = repeat }).Validate(null));
        Assert.Contains("--repeat must be at least 1", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsNoModes() =>
        Assert.Single((s_valid with { Modes = [] }).Validate(null));

    [Fact]
    public void Validate_ReportsEveryProblem() =>
        Assert.Equal(3, (s_valid with { InflateBytes = (9L << 30) + 1, Repeat = 0 }).Validate(null).Count);

    [Fact]
    public void Validate_Reporting_NeedsAtLeastOneReportingBlock()
    {
        var options = s_valid with { Modes = [BenchMode.Sg, BenchMode.Reporting] };

        Assert.Empty((options with { InflateBytes = 2L << 20 }).Validate(null));
        var error = Assert.Single((options with { InflateBytes = 1L << 20 }).Validate(null));
        Assert.Contains("--inflate must be at least 2 MiB", error, StringComparison.Ordinal);
        Assert.Empty((s_valid with { InflateBytes = 1L << 20 }).Validate(null));
    }
}
