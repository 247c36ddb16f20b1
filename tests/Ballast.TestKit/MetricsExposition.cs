using System.Globalization;
using System.Text.RegularExpressions;

namespace Ballast.TestKit;

/// <summary>The Prometheus text exposition format 0.0.4 (<c>GET /metrics</c>), read strictly line by line.</summary>
public sealed partial class MetricsExposition
{
    public sealed record Sample(string Name, string Labels, double Value);

    public Dictionary<string, string> Help { get; } = [];

    public Dictionary<string, string> Types { get; } = [];

    public List<Sample> Samples { get; } = [];

    /// <summary>The value of the one sample named <paramref name="name"/>.</summary>
    public double Value(string name) => Assert.Single(Samples, s => s.Name == name).Value;

    /// <summary>A strict reader of the text format: every line is HELP, TYPE or a sample; nothing else.</summary>
    public static MetricsExposition Parse(string text)
    {
        var result = new MetricsExposition();
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (HelpLine().Match(line) is { Success: true } help)
            {
                Assert.True(result.Help.TryAdd(help.Groups[1].Value, help.Groups[2].Value), $"second HELP: {line}");
                continue;
            }
            if (TypeLine().Match(line) is { Success: true } type)
            {
                Assert.True(result.Help.ContainsKey(type.Groups[1].Value), $"TYPE before HELP: {line}");
                Assert.True(result.Types.TryAdd(type.Groups[1].Value, type.Groups[2].Value), $"second TYPE: {line}");
                continue;
            }
            var sample = SampleLine().Match(line);
            Assert.True(sample.Success, $"not a metrics line: '{line}'");
            Assert.True(result.Types.ContainsKey(sample.Groups[1].Value), $"sample before its TYPE: {line}");
            result.Samples.Add(new Sample(sample.Groups[1].Value, sample.Groups[2].Value,
                double.Parse(sample.Groups[3].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        return result;
    }

    [GeneratedRegex(@"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$")]
    private static partial Regex HelpLine();

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*=""[^""]*"",?)*)\})? (-?[0-9.eE+]+)$")]
    private static partial Regex SampleLine();
}
