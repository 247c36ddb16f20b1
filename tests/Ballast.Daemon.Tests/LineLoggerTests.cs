using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon.Tests;

/// <summary>
/// <see cref="LineLoggerProvider"/>: each event one line in the layout of the console formatters <c>serve</c> used
/// (simple single-line UTC, json, systemd), line breaks flattened, filtered by the factory's level.
/// </summary>
public sealed partial class LineLoggerTests
{
    [Fact]
    public void Simple_WritesTimeLevelCategoryEventIdAndMessage()
    {
        var (factory, output) = Create(ServeLogFormat.Simple, LogLevel.Information);

        factory.CreateLogger("Ballast.Test").LogWarning(new EventId(602), "worker {Pid} died", 42);

        Assert.Matches(SimpleLine(), output.ToString());
        Assert.EndsWith(" warn: Ballast.Test[602] worker 42 died\n", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Simple_WithColors_ColorsTheLevelOnly()
    {
        var (factory, output) = Create(ServeLogFormat.Simple, LogLevel.Information, colors: true);

        factory.CreateLogger("C").LogInformation(new EventId(1), "m");

        Assert.EndsWith(" \u001b[40m\u001b[32minfo\u001b[39m\u001b[22m\u001b[49m: C[1] m\n", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Systemd_WritesThePriorityPrefixAndNoTime()
    {
        var (factory, output) = Create(ServeLogFormat.Systemd, LogLevel.Trace);
        var logger = factory.CreateLogger("C");

        logger.LogError(new EventId(3), "broken");
        logger.LogDebug(new EventId(4), "detail");

        Assert.Equal("<3>C[3] broken\n<7>C[4] detail\n", output.ToString());
    }

    [Fact]
    public void Json_WritesOneObjectWithTheStateProperties()
    {
        var (factory, output) = Create(ServeLogFormat.Json, LogLevel.Information);

        factory.CreateLogger("C").LogInformation(new EventId(600), "worker {Pid} started with {Kept} kept", 7, 3);

        var text = output.ToString();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal(600, root.GetProperty("EventId").GetInt32());
        Assert.Equal("Information", root.GetProperty("LogLevel").GetString());
        Assert.Equal("C", root.GetProperty("Category").GetString());
        Assert.Equal("worker 7 started with 3 kept", root.GetProperty("Message").GetString());
        Assert.Equal(7, root.GetProperty("State").GetProperty("Pid").GetInt32());
        Assert.Equal("worker {Pid} started with {Kept} kept", root.GetProperty("State").GetProperty("{OriginalFormat}").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", root.GetProperty("Timestamp").GetString());
    }

    [Fact]
    public void LineBreaks_InTheMessageAndTheException_BecomeSpaces()
    {
        var (factory, output) = Create(ServeLogFormat.Systemd, LogLevel.Information);

        factory.CreateLogger("C").LogError(new EventId(5), new InvalidOperationException("first\nsecond"), "one\ntwo");

        Assert.Equal("<3>C[5] one two System.InvalidOperationException: first second\n", output.ToString());
    }

    [Fact]
    public void Filter_DropsEventsBelowTheLevel_AndMicrosoftBelowWarning()
    {
        var (factory, output) = Create(ServeLogFormat.Systemd, LogLevel.Information);

        factory.CreateLogger("C").LogDebug("hidden");
        factory.CreateLogger("Microsoft.AspNetCore.Server").LogInformation("request");
        factory.CreateLogger("Microsoft.AspNetCore.Server").LogWarning("slow");

        Assert.Equal("<4>Microsoft.AspNetCore.Server[0] slow\n", output.ToString());
    }

    private static (ILoggerFactory Factory, StringWriter Output) Create(ServeLogFormat format, LogLevel level, bool colors = false)
    {
        var output = new StringWriter { NewLine = "\n" };
        return (ServeLogging.CreateFactory(new ServeLogSettings(level, format), output, colors), output);
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): \S+\[\d+\] ")]
    private static partial Regex SimpleLine();
}
