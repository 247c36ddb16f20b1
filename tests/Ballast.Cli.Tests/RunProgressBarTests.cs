using Ballast.Cli.Output;

namespace Ballast.Cli.Tests;

public class RunProgressBarTests
{
    [Fact]
    public async Task RunAsync_Redirected_WritesOnlyTheLogLinesAndNoEscapeCodes()
    {
        using var writer = new StringWriter();
        var result = await RunProgressBar.RunAsync(writer, terminal: false, bar =>
        {
            var task = bar.AddTask("building");
            task.Update(0.5, "half");
            bar.WriteLine("a log line");
            task.Complete();
            return Task.FromResult(bar.IsDrawn);
        });

        Assert.False(result);
        Assert.Equal("a log line" + Environment.NewLine, writer.ToString());
    }

    [Fact]
    public async Task RunAsync_Terminal_DrawsTheDescriptionPercentageAndElapsedTime()
    {
        using var writer = new StringWriter();
        await RunProgressBar.RunAsync(writer, terminal: true, bar =>
        {
            var task = bar.AddTask("building the kernel");
            task.Update(0.42);
            bar.WriteLine("kernel: building");
            return Task.FromResult(0);
        });

        var text = writer.ToString();
        Assert.Contains("\u001b[", text, StringComparison.Ordinal);
        Assert.Contains("building the kernel", text, StringComparison.Ordinal);
        Assert.Contains("42%", text, StringComparison.Ordinal);
        Assert.Contains("kernel: building", text, StringComparison.Ordinal);
        // Spectre's ElapsedTimeColumn: hh:mm:ss.
        Assert.Matches(@"\d\d:\d\d:\d\d", text);
    }

    [Fact]
    public async Task Update_ClampsTheFraction()
    {
        using var writer = new StringWriter();
        var fractions = await RunProgressBar.RunAsync(writer, terminal: true, bar =>
        {
            var task = bar.AddTask("x");
            task.Update(7);
            var high = task.Fraction;
            task.Update(double.NaN);
            return Task.FromResult((high, task.Fraction));
        });

        Assert.Equal((1.0, 0.0), fractions);
    }
}
