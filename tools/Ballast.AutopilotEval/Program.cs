using System.CommandLine;
using System.Globalization;
using Ballast.AutopilotEval;
using Ballast.GuestLab;

// ballast-autopilot-eval: issue #16's evaluation (see AutopilotEvalRunner and Scenario). Needs root.
var ways = new Option<string[]>("--ways")
{
    Description = "Ways to run, in order (no-balloon, reporting, autopilot)",
    DefaultValueFactory = _ => [.. EvalWays.All.Select(EvalWays.Name)],
    AllowMultipleArgumentsPerToken = true,
};
var guests = new Option<int>("--guests") { Description = "Guests run at once", DefaultValueFactory = _ => 3 };
var guestMem = new Option<int>("--guest-mem-mib") { Description = "RAM per guest, MiB", DefaultValueFactory = _ => 2048 };
var seconds = new Option<double>("--seconds") { Description = "Scenario length per way, seconds", DefaultValueFactory = _ => 600 };
var cycle = new Option<double>("--cycle") { Description = "Phase cycle, seconds (grow, hold, free, churn, idle)", DefaultValueFactory = _ => Scenario.ReferenceCycleSeconds };
var output = new Option<string>("--out") { Description = "Directory for WAY.json, WAY.csv and table.md", DefaultValueFactory = _ => "artifacts/autopilot-eval" };
var plot = new Option<string?>("--plot") { Description = "Write the PNG timeline here" };
var autopilotArgs = new Option<string[]>("--autopilot-arg")
{
    Description = "An argument passed on to ballast autopilot (repeat for more)",
    DefaultValueFactory = _ => [],
};
var root = new RootCommand("Runs issue #16's autopilot evaluation on real QEMU guests, one way after another, and prints the table.")
{
    ways, guests, guestMem, seconds, cycle, output, plot, autopilotArgs,
};
root.SetAction(async (parse, ct) =>
{
    var selected = new List<EvalWay>();
    foreach (var name in parse.GetRequiredValue(ways))
    {
        if (!EvalWays.TryParse(name, out var way))
        {
            await Console.Error.WriteLineAsync($"ballast-autopilot-eval: unknown way '{name}'").ConfigureAwait(false);
            return 2;
        }
        selected.Add(way);
    }
    var scenario = Scenario.Full(parse.GetValue(guests), (long)parse.GetValue(guestMem) << 20, parse.GetValue(seconds)) with
    {
        CycleSeconds = parse.GetValue(cycle),
    };
    var directory = parse.GetRequiredValue(output);
    Directory.CreateDirectory(directory);
    void Log(string line) => Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}");
    var environment = await GuestEnvironment.EnsureAsync(log: Log, ct: ct).ConfigureAwait(false);
    var runner = new AutopilotEvalRunner(environment, Log) { AutopilotArguments = parse.GetRequiredValue(autopilotArgs) };
    Log(string.Create(CultureInfo.InvariantCulture,
        $"scenario: {scenario.Guests} guests x {scenario.GuestMemBytes >> 20} MiB, {scenario.DurationSeconds:0} s, cycle {scenario.CycleSeconds:0} s; grow 3 x {scenario.GrowMiB} MiB, churn {scenario.ChurnMiB} MiB"));
    var runs = new List<EvalRun>();
    foreach (var way in selected)
    {
        var run = await runner.RunAsync(scenario, way, ct).ConfigureAwait(false);
        EvalReport.WriteRun(run, directory);
        runs.Add(run);
    }
    var table = EvalReport.Table(runs);
    await File.WriteAllTextAsync(Path.Combine(directory, "table.md"), table, ct).ConfigureAwait(false);
    Console.Write(table);
    if (parse.GetValue(plot) is { } png)
        TimelinePlotter.Save(runs, png);
    return 0;
});
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
